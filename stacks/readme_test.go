package stacks

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

// readmeSnippet is a stack-file snippet the README gives users to copy.
type readmeSnippet struct {
	stack string
	// alone is an alternative to another snippet, not combined with it.
	alone bool
	line  int
	body  string
}

// snippetMarker precedes each snippet the tests deploy: an HTML comment
// naming the stack whose file it goes in, and "alone" for an alternative.
var snippetMarker = regexp.MustCompile(`^\s*<!-- README snippet: ([a-z0-9-]+)( alone)? -->\s*$`)

// readmeSnippets finds every marked ```yaml block in README.md.
func readmeSnippets(t *testing.T) []readmeSnippet {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	require.NoError(t, err)
	lines := strings.Split(string(body), "\n")
	var out []readmeSnippet
	for i := 0; i < len(lines); i++ {
		m := snippetMarker.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		require.Less(t, i+1, len(lines), "README.md:%d: a marker with no snippet", i+1)
		fence := lines[i+1]
		indent := fence[:len(fence)-len(strings.TrimLeft(fence, " "))]
		require.Equal(t, "```yaml", strings.TrimSpace(fence), "README.md:%d: the marker must be followed by a ```yaml block", i+1)
		var block []string
		j := i + 2
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			block = append(block, strings.TrimPrefix(lines[j], indent))
		}
		require.Less(t, j, len(lines), "README.md:%d: unterminated snippet", i+1)
		out = append(out, readmeSnippet{stack: m[1], alone: m[2] != "", line: i + 2, body: strings.Join(block, "\n") + "\n"})
		i = j
	}
	return out
}

// snippetConfig is the example stack's config with snippets' keys laid
// over it, as a user's stack file with the snippets pasted in.
func snippetConfig(t *testing.T, stack string, snippets ...readmeSnippet) map[string]string {
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

// TestReadmeSnippets deploys each stack-file snippet of the README on its
// example stack, in a preview and an update, and every consumer snippet
// but the alternatives together, whose resources are snapshotted in
// testdata/consumer-options.golden for review.
func TestReadmeSnippets(t *testing.T) {
	snippets := readmeSnippets(t)
	byStack := map[string][]readmeSnippet{}
	for _, s := range snippets {
		if !s.alone {
			byStack[s.stack] = append(byStack[s.stack], s)
		}
	}
	require.GreaterOrEqual(t, len(byStack["consumer"]), 4, "routeThrottling, domain, CORS and monitoring snippets")
	require.NotEmpty(t, byStack["ec2-provider"])

	deployed := deployExamples(t)
	contracts := map[string]map[string]any{}
	for _, stack := range exampleStacks[:3] {
		contracts["organization/private-apis/"+stack] = deployed[stack].out
	}
	deploy := func(t *testing.T, stack string, preview bool, snippets ...readmeSnippet) *fakeaws.AWS {
		t.Helper()
		m := fakeaws.New()
		exampleAccount(stack, m)
		withAccountDomains(m)
		m.StackOutputs = contracts
		m.Preview = preview
		_, err := m.Run(stack, snippetConfig(t, stack, snippets...), repoRoot(t), Run)
		require.NoError(t, err, "README.md:%d", snippets[0].line)
		return m
	}
	for _, s := range snippets {
		t.Run(s.stack+"@"+strings.TrimSpace(strings.Split(s.body, "\n")[1]), func(t *testing.T) {
			deploy(t, s.stack, true, s)
			deploy(t, s.stack, false, s)
		})
	}

	m := deploy(t, "consumer", false, byStack["consumer"]...)
	got := snapshot(t, m)
	path := filepath.Join("testdata", "consumer-options.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no snapshot yet: run go test ./stacks -run ReadmeSnippets -update")
	if !bytes.Equal(want, got) {
		t.Fatalf("%s no longer matches the consumer with every README option.\nReview the change, then rewrite it with: go test ./stacks -run ReadmeSnippets -update\n%s", path, firstDifference(string(want), string(got)))
	}
}
