package components

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocNamesEveryComponent keeps the package doc's list of components in
// step with the components registered.
func TestDocNamesEveryComponent(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	token := regexp.MustCompile(`RegisterComponentResource\("(private-apis:[a-z0-9]+:[A-Za-z0-9]+)"`)
	var found int
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range token.FindAllStringSubmatch(string(src), -1) {
			found++
			require.Contains(t, string(doc), "("+m[1]+")", "doc.go does not name %s", m[1])
		}
	}
	require.GreaterOrEqual(t, found, 7)
}
