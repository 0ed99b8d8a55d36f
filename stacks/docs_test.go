package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// configDoc is the page documenting every config key, from the root.
const configDoc = "docs/configuration.md"

// docsKeyRow is one row of a key table in configDoc:
// | `key` | type | `default` | meaning |
type docsKeyRow struct {
	line                    int
	key, typ, defaultSource string
}

// docsKeyTableHeader is the header that makes a table a key table.
var docsKeyTableHeader = []string{"key", "type", "default", "meaning"}

var (
	docsKeyCell     = regexp.MustCompile("^`([A-Za-z0-9]+)`$")
	docsDefaultCell = regexp.MustCompile("^`([^`]*)`$")
	// docsKeyMention is a config key named in prose or a snippet; a
	// component type (private-apis:ecs:FargateService) is followed by ":".
	docsKeyMention = regexp.MustCompile(`private-apis:([A-Za-z0-9]+)(:?)`)
)

// docsNotKeys are private-apis: names the documentation uses that are not
// config keys.
var docsNotKeys = map[string]string{
	"provider": "the tag the consumer puts on each provider's resources",
}

// docsKeyRows reads every key table of configDoc.
func docsKeyRows(t *testing.T) []docsKeyRow {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(configDoc)))
	require.NoError(t, err)
	lines := strings.Split(string(body), "\n")
	var rows []docsKeyRow
	for i := 0; i < len(lines); i++ {
		if !reflect.DeepEqual(docsTableCells(lines[i]), docsKeyTableHeader) {
			continue
		}
		i += 2 // the header and its |---| line
		for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
			cells := docsTableCells(lines[i])
			if len(cells) != len(docsKeyTableHeader) {
				t.Errorf("%s:%d: a key table's row has %d cells, not %d: | `key` | type | `default` | meaning |", configDoc, i+1, len(cells), len(docsKeyTableHeader))
				continue
			}
			key := docsKeyCell.FindStringSubmatch(cells[0])
			def := docsDefaultCell.FindStringSubmatch(cells[2])
			if key == nil || def == nil {
				t.Errorf("%s:%d: write the key and its default each in one code span: | `key` | type | `default` | meaning |", configDoc, i+1)
				continue
			}
			rows = append(rows, docsKeyRow{line: i + 1, key: key[1], typ: cells[1], defaultSource: def[1]})
		}
	}
	return rows
}

// docsTableCells splits a markdown table row into its trimmed cells.
func docsTableCells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil
	}
	cells := strings.Split(line[1:len(line)-1], "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// docsTypeName is a declared key's type as configDoc writes it: Pulumi.yaml's
// type, and "array of <type>" for an array.
func docsTypeName(decl workspace.ProjectConfigType) string {
	typ := ""
	if decl.Type != nil {
		typ = *decl.Type
	}
	if typ == "array" && decl.Items != nil {
		return "array of " + decl.Items.Type
	}
	return typ
}

// docsDefaultSource is how configDoc writes a default: as YAML in a stack
// file, with "" for the empty string.
func docsDefaultSource(v any) string {
	if s, ok := v.(string); ok {
		if s == "" {
			return `""`
		}
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// docsSameValue compares two YAML values as JSON, so 365 is 365 whether it
// was decoded as an int or a float.
func docsSameValue(a, b any) bool {
	norm := func(v any) any {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("unmarshalable %#v", v)
		}
		var out any
		if err := json.Unmarshal(raw, &out); err != nil {
			return fmt.Sprintf("unparsable %s", raw)
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// docsNearestKey is the declared key closest to key, to suggest for a typo.
func docsNearestKey(key string, declared map[string]workspace.ProjectConfigType) string {
	best, bestDistance := "", -1
	for k := range declared {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); bestDistance < 0 || d < bestDistance || (d == bestDistance && k < best) {
			best, bestDistance = k, d
		}
	}
	return best
}

// TestDocsConfigurationKeys keeps docs/configuration.md and Pulumi.yaml in
// step: every declared key has exactly one row, with Pulumi.yaml's type and
// default, and no row (nor any private-apis:<key> in the documentation)
// names a key Pulumi.yaml doesn't declare.
func TestDocsConfigurationKeys(t *testing.T) {
	proj := loadProject(t)
	rows := docsKeyRows(t)
	require.NotEmpty(t, rows, "%s has no key table: | key | type | default | meaning |", configDoc)

	documented := map[string]int{}
	for _, row := range rows {
		decl, ok := proj.Config[row.key]
		if !ok {
			t.Errorf("%s:%d documents private-apis:%s, which Pulumi.yaml does not declare: remove the row, or fix the name (the nearest declared key is %s)",
				configDoc, row.line, row.key, docsNearestKey(row.key, proj.Config))
			continue
		}
		if first, again := documented[row.key]; again {
			t.Errorf("%s:%d documents %s again (first at line %d): keep one row and link to it", configDoc, row.line, row.key, first)
			continue
		}
		documented[row.key] = row.line
		if want := docsTypeName(decl); row.typ != want {
			t.Errorf("%s:%d: %s's type is written %q, but Pulumi.yaml declares %q: write %s", configDoc, row.line, row.key, row.typ, want, want)
		}
		var stated any
		if err := yaml.Unmarshal([]byte(row.defaultSource), &stated); err != nil {
			t.Errorf("%s:%d: %s's default `%s` is not YAML (%v): write `%s`", configDoc, row.line, row.key, row.defaultSource, err, docsDefaultSource(decl.Default))
			continue
		}
		if !docsSameValue(stated, decl.Default) {
			t.Errorf("%s:%d: %s's default is written `%s`, but Pulumi.yaml's is %s: write `%s` (and say in the meaning what it stands for)",
				configDoc, row.line, row.key, row.defaultSource, docsDefaultSource(decl.Default), docsDefaultSource(decl.Default))
		}
	}

	var missing []string
	for key := range proj.Config {
		if _, ok := documented[key]; !ok {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, key := range missing {
		decl := proj.Config[key]
		t.Errorf("Pulumi.yaml declares %s, which %s does not document: add | `%s` | %s | `%s` | meaning | to the table of the roles that read it",
			key, configDoc, key, docsTypeName(decl), docsDefaultSource(decl.Default))
	}

	for _, file := range docFiles(t) {
		docsEachLine(t, file, func(n int, line string) {
			for _, m := range docsKeyMention.FindAllStringSubmatch(line, -1) {
				if m[2] == ":" {
					continue // a component type, private-apis:<module>:<Type>
				}
				if _, ok := proj.Config[m[1]]; ok {
					continue
				}
				if _, ok := docsNotKeys[m[1]]; ok {
					continue
				}
				t.Errorf("%s:%d names private-apis:%s, which Pulumi.yaml does not declare: did you mean private-apis:%s?",
					file, n, m[1], docsNearestKey(m[1], proj.Config))
			}
		})
	}
}

// docsEachLine calls f with each line of a document and its number.
func docsEachLine(t *testing.T, file string, f func(n int, line string)) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(file)))
	require.NoError(t, err)
	for i, line := range strings.Split(string(body), "\n") {
		f(i+1, line)
	}
}

var (
	docsLinkTarget = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	docsCodeSpan   = regexp.MustCompile("`[^`]*`")
	docsHeading    = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
)

// docsProse calls f with each line of a document outside fenced code
// blocks, without its code spans: what a reader sees as text and links.
func docsProse(t *testing.T, file string, f func(n int, line string)) {
	t.Helper()
	inFence := false
	docsEachLine(t, file, func(n int, line string) {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			return
		}
		if !inFence {
			f(n, docsCodeSpan.ReplaceAllStringFunc(line, func(span string) string {
				// Keep a span's place, so [`name`](target) stays a link.
				return "code"
			}))
		}
	})
}

// docsAnchors are the anchors GitHub gives a document's headings.
func docsAnchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	docsEachLine(t, file, func(_ int, line string) {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			return
		}
		m := docsHeading.FindStringSubmatch(line)
		if inFence || m == nil {
			return
		}
		slug := docsSlug(m[1])
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	})
	return anchors
}

// docsSlug is GitHub's anchor for a heading: lower case, spaces to
// hyphens, and nothing but letters, digits, hyphens and underscores.
func docsSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocsLinks checks every relative link of the documentation (README.md,
// docs/*.md, apps/*/README.md): the file or directory it points at exists,
// and so does the heading its #anchor names. It also checks the README
// links every other document, so each is one link from the front door.
func TestDocsLinks(t *testing.T) {
	root := repoRoot(t)
	files := docFiles(t)
	require.Contains(t, files, configDoc)
	anchors := map[string]map[string]bool{}
	linkedFromReadme := map[string]bool{}
	links := 0
	for _, file := range files {
		docsProse(t, file, func(n int, line string) {
			for _, m := range docsLinkTarget.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				ref, anchor, _ := strings.Cut(target, "#")
				resolved := file
				if ref != "" {
					resolved = path.Clean(path.Join(path.Dir(file), ref))
				}
				if strings.HasPrefix(resolved, "../") {
					t.Errorf("%s:%d: %s points outside the repository", file, n, target)
					continue
				}
				info, err := os.Stat(filepath.Join(root, filepath.FromSlash(resolved)))
				if err != nil {
					t.Errorf("%s:%d: %s points at %s, which does not exist: fix the path (relative to %s)", file, n, target, resolved, path.Dir(file))
					continue
				}
				if file == "README.md" {
					linkedFromReadme[resolved] = true
				}
				if anchor == "" {
					continue
				}
				if info.IsDir() || !strings.HasSuffix(resolved, ".md") {
					t.Errorf("%s:%d: %s has an anchor, but %s is not a markdown file", file, n, target, resolved)
					continue
				}
				if anchors[resolved] == nil {
					anchors[resolved] = docsAnchors(t, resolved)
				}
				if !anchors[resolved][anchor] {
					var have []string
					for a := range anchors[resolved] {
						have = append(have, a)
					}
					sort.Strings(have)
					t.Errorf("%s:%d: %s: %s has no heading #%s; its headings are #%s", file, n, target, resolved, anchor, strings.Join(have, ", #"))
				}
			}
		})
	}
	require.Greater(t, links, 50, "the link pattern finds the documentation's links")
	for _, file := range files[1:] {
		if !linkedFromReadme[file] {
			t.Errorf("README.md does not link %s: add it to the README's index of documentation", file)
		}
	}
}
