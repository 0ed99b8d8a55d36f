package stacks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

var update = flag.Bool("update", false, "rewrite stacks/testdata/*.golden from the program as it is")

// TestGoldenSnapshots compares a readable dump of every resource each
// example stack declares (type, name, inputs) with stacks/testdata, so any
// change to the infrastructure shows up in review as a diff. After an
// intended change: go test ./stacks -run Golden -update.
func TestGoldenSnapshots(t *testing.T) {
	deployed := deployExamples(t)
	for _, stack := range exampleStacks {
		t.Run(stack, func(t *testing.T) {
			got := snapshot(t, deployed[stack].m)
			path := filepath.Join("testdata", stack+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "no snapshot yet: run go test ./stacks -run Golden -update")
			if !bytes.Equal(want, got) {
				t.Fatalf("%s no longer matches what the %s stack declares.\nReview the change, then rewrite it with: go test ./stacks -run Golden -update\n%s",
					path, stack, firstDifference(string(want), string(got)))
			}
		})
	}
}

// snapshot renders every resource, sorted by type and name, with JSON
// documents (policies, container definitions) and user data expanded so
// their diffs are readable, and the source-derived image tag and digest
// masked so editing an app doesn't change the infrastructure snapshot.
func snapshot(t *testing.T, m *fakeaws.AWS) []byte {
	t.Helper()
	resources := m.Resources()
	sort.SliceStable(resources, func(i, j int) bool {
		if resources[i].Type != resources[j].Type {
			return resources[i].Type < resources[j].Type
		}
		return resources[i].Name < resources[j].Name
	})
	var b bytes.Buffer
	for _, r := range resources {
		inputs := normalize(r.Map()).(map[string]any)
		if r.Type == "awsx:ecr:Image" {
			inputs["imageTag"] = "<source content tag>"
		}
		body, err := json.MarshalIndent(inputs, "", "  ")
		require.NoError(t, err)
		fmt.Fprintf(&b, "## %s %s\n%s\n\n", r.Type, r.Name, body)
	}
	return b.Bytes()
}

// imageDigest is an image's content digest, which follows the apps' source.
var imageDigest = regexp.MustCompile(`@sha256:[0-9a-f]{64}`)

func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, val := range v {
			if k == "userData" {
				if s, ok := val.(string); ok {
					if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
						var lines []any
						for _, line := range strings.Split(string(raw), "\n") {
							lines = append(lines, normalize(line))
						}
						out[k] = lines
						continue
					}
				}
			}
			out[k] = normalize(val)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, val := range v {
			out[i] = normalize(val)
		}
		return out
	case string:
		v = imageDigest.ReplaceAllString(v, "@sha256:<build digest>")
		trimmed := strings.TrimSpace(v)
		if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
			var doc any
			if json.Unmarshal([]byte(trimmed), &doc) == nil {
				return normalize(doc)
			}
		}
		return v
	default:
		return v
	}
}

// firstDifference shows a few lines around the first line that differs.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			start := max(0, i-3)
			return fmt.Sprintf("first difference at line %d:\n  context: %s\n  want:    %s\n  got:     %s",
				i+1, strings.Join(g[start:i], "\n           "), wl, gl)
		}
	}
	return "(only trailing differences)"
}
