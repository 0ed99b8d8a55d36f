package stacks

import (
	"bytes"
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

// docSnippet is a stack-file snippet the documentation gives users to copy.
type docSnippet struct {
	stack string
	// alone is deployed on its own only: an alternative to another snippet
	// (or an option the combined snapshot leaves out), never combined.
	alone bool
	// file is the document's path from the repository root, line the line
	// of the snippet's first YAML line.
	file string
	line int
	body string
}

// where is the snippet's place for a failure message, file:line.
func (s docSnippet) where() string { return fmt.Sprintf("%s:%d", s.file, s.line) }

// snippetMarker precedes each snippet the tests deploy: an HTML comment
// naming the stack whose file it goes in, and "alone" for an alternative.
var snippetMarker = regexp.MustCompile(`^\s*<!-- snippet: ([a-z0-9-]+)( alone)? -->\s*$`)

// looseMarker is anything that looks like a marker, so a misspelt one (or
// the old "README snippet:") fails instead of leaving its snippet untested.
var looseMarker = regexp.MustCompile(`^\s*<!--.*snippet`)

// docFiles are the repository's user documentation, paths from the root:
// README.md, every docs/*.md and every apps/*/README.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	files := []string{"README.md"}
	for _, pattern := range []string{"docs/*.md", "apps/*/README.md"} {
		matches, err := filepath.Glob(filepath.Join(root, pattern))
		require.NoError(t, err)
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			require.NoError(t, err)
			files = append(files, filepath.ToSlash(rel))
		}
	}
	sort.Strings(files[1:])
	return files
}

// docSnippets finds every marked ```yaml block in the documentation, and
// fails on a malformed marker or a ```yaml stack-file block (one starting
// with config:) without a marker, which no test would deploy.
func docSnippets(t *testing.T) []docSnippet {
	t.Helper()
	var out []docSnippet
	for _, file := range docFiles(t) {
		out = append(out, docFileSnippets(t, file)...)
	}
	return out
}

func docFileSnippets(t *testing.T, file string) []docSnippet {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(file)))
	require.NoError(t, err)
	lines := strings.Split(string(body), "\n")
	var out []docSnippet
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if trimmed == "```yaml" && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "config:" {
			if i == 0 || !snippetMarker.MatchString(lines[i-1]) {
				t.Errorf("%s:%d: a stack-file snippet without a marker: put <!-- snippet: <stack> --> (or <!-- snippet: <stack> alone -->) on the line before it, so the tests deploy it", file, i+1)
			}
		}
		m := snippetMarker.FindStringSubmatch(lines[i])
		if m == nil {
			if looseMarker.MatchString(lines[i]) {
				t.Errorf("%s:%d: %q is not a snippet marker: write <!-- snippet: <stack> --> or <!-- snippet: <stack> alone -->", file, i+1, trimmed)
			}
			continue
		}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "```yaml" {
			t.Errorf("%s:%d: the marker must be followed by a ```yaml block", file, i+1)
			continue
		}
		fence := lines[i+1]
		indent := fence[:len(fence)-len(strings.TrimLeft(fence, " "))]
		var block []string
		j := i + 2
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			block = append(block, strings.TrimPrefix(lines[j], indent))
		}
		if j >= len(lines) {
			t.Errorf("%s:%d: unterminated snippet", file, i+1)
			break
		}
		out = append(out, docSnippet{stack: m[1], alone: m[2] != "", file: file, line: i + 3, body: strings.Join(block, "\n") + "\n"})
		i = j
	}
	return out
}

// snippetConfig is the example stack's config with snippets' keys laid
// over it, as a user's stack file with the snippets pasted in.
func snippetConfig(t *testing.T, stack string, snippets ...docSnippet) map[string]string {
	t.Helper()
	proj := loadProject(t)
	cfg := exampleConfig(t, proj, stack)
	for _, s := range snippets {
		path := filepath.Join(t.TempDir(), "Pulumi."+stack+".yaml")
		require.NoError(t, os.WriteFile(path, []byte(s.body), 0o600))
		for k, v := range stackFileConfig(t, proj, path) {
			cfg[k] = v
		}
	}
	return cfg
}

// TestReadmeSnippets deploys each stack-file snippet of the documentation
// (README.md, docs/*.md, apps/*/README.md) on its example stack, in a
// preview and an update, and every consumer snippet but those marked alone
// together, whose resources are snapshotted in
// testdata/consumer-options.golden for review, and docs/api-types.md's
// REST snippets together, in testdata/consumer-rest.golden.
func TestReadmeSnippets(t *testing.T) {
	snippets := docSnippets(t)
	if t.Failed() {
		t.FailNow()
	}
	byStack := map[string][]docSnippet{}
	for _, s := range snippets {
		if !s.alone {
			byStack[s.stack] = append(byStack[s.stack], s)
		}
	}
	require.GreaterOrEqual(t, len(byStack["consumer"]), 4, "routeThrottling, domain, CORS and monitoring snippets")
	require.NotEmpty(t, byStack["ec2-provider"])

	deployed := deployExamples(t)
	contracts := map[string]map[string]any{}
	for _, stack := range exampleStacks {
		// The providers' contracts, and the consumer's half, which a
		// provider that accepts endpoint connections reads.
		contracts["organization/private-apis/"+stack] = deployed[stack].out
	}
	deploy := func(t *testing.T, stack string, preview bool, snippets ...docSnippet) *fakeaws.AWS {
		t.Helper()
		var where []string
		for _, s := range snippets {
			where = append(where, s.where())
		}
		m := fakeaws.New()
		exampleAccount(stack, m)
		withAccountDomains(m)
		m.StackOutputs = contracts
		m.Preview = preview
		_, err := m.Run(stack, snippetConfig(t, stack, snippets...), repoRoot(t), Run)
		require.NoError(t, err, "the %s snippet at %s", stack, strings.Join(where, ", "))
		return m
	}
	for _, s := range snippets {
		t.Run(s.stack+"@"+s.where(), func(t *testing.T) {
			deploy(t, s.stack, true, s)
			deploy(t, s.stack, false, s)
		})
	}

	requireSnapshot(t, "consumer-options.golden", "the consumer with every documented option", deploy(t, "consumer", false, byStack["consumer"]...))
	// The REST API as docs/api-types.md has a user turn it on.
	var rest []docSnippet
	for _, s := range snippets {
		if s.file == "docs/api-types.md" && s.stack == "consumer" {
			rest = append(rest, s)
		}
	}
	require.NotEmpty(t, rest, "docs/api-types.md shows how to turn REST on")
	requireSnapshot(t, "consumer-rest.golden", "the consumer as a REST API", deploy(t, "consumer", false, rest...))
}

// requireSnapshot compares what m declares with testdata/name.
func requireSnapshot(t *testing.T, name, what string, m *fakeaws.AWS) {
	t.Helper()
	got := snapshot(t, m)
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no snapshot yet: run go test ./stacks -run ReadmeSnippets -update")
	if !bytes.Equal(want, got) {
		t.Fatalf("%s no longer matches %s.\nReview the change, then rewrite it with: go test ./stacks -run ReadmeSnippets -update\n%s", path, what, firstDifference(string(want), string(got)))
	}
}
