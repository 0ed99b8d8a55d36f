package stacks

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

// copyApps copies the repository's apps/ and Pulumi.yaml into a new project
// root, so a test can edit the apps between deployments.
func copyApps(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join(repoRoot(t), "apps")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(root, "apps", rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, body, 0o644)
	})
	require.NoError(t, err)
	project, err := os.ReadFile(filepath.Join(repoRoot(t), "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "Pulumi.yaml"), project, 0o644))
	return root
}

// TestAppImagesFollowTheirOwnFiles deploys both providers, edits the apps as
// commits do, and deploys both again, as deploy.yml does on every push: each
// provider's image is rebuilt (under a new tag) exactly when a file its
// build sends changed, so the immutable repository never sees a rebuild
// under a tag it already holds, and the previous image stays for rollbacks.
func TestAppImagesFollowTheirOwnFiles(t *testing.T) {
	tests := []struct {
		name    string
		edit    map[string]string // path under apps/ → new content
		rebuilt []string          // the roles whose image must change
	}{
		{"a todo source file", map[string]string{"todo/server.go": "\n// edited\n"}, []string{roleEC2Provider}},
		{"a dog names source file", map[string]string{"dognames/names.go": "\n// edited\n"}, []string{roleECSProvider}},
		{"the shared servekit", map[string]string{"servekit/serve.go": "\n// edited\n"}, []string{roleECSProvider, roleEC2Provider}},
		{"a dog names Dockerfile", map[string]string{"dognames/Dockerfile": "\n# edited\n"}, []string{roleECSProvider}},
		{"tests, which no image holds", map[string]string{"todo/server_test.go": "\n// edited\n", "dognames/server_test.go": "\n// edited\n", "servekit/serve_test.go": "\n// edited\n"}, nil},
		{"local data and build outputs", map[string]string{"todo/data/todo.db": "local", "dognames/dognames": "binary", "todo/todo.test": "binary"}, nil},
		{"the apps' READMEs", map[string]string{"dognames/README.md": "\nedited\n", "todo/README.md": "\nedited\n"}, nil},
	}
	configs := map[string]map[string]string{roleECSProvider: validECSConfig(), roleEC2Provider: validEC2Config()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyApps(t)
			harness := map[string]*fakeaws.AWS{}
			first := map[string]map[string]any{}
			for role, cfg := range configs {
				harness[role] = fakeaws.New()
				out, err := harness[role].Run(role, cfg, root, Run)
				require.NoError(t, err, role)
				first[role] = out
			}
			for path, text := range tt.edit {
				full := filepath.Join(root, "apps", path)
				require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
				f, err := os.OpenFile(full, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				require.NoError(t, err)
				_, err = f.WriteString(text)
				require.NoError(t, err)
				require.NoError(t, f.Close())
			}
			for role, cfg := range configs {
				m := harness[role]
				out, err := m.Run(role, cfg, root, Run)
				require.NoError(t, err, "%s: the second deployment pushes no tag twice", role)
				changes := m.Changes()
				if slices.Contains(tt.rebuilt, role) {
					require.NotEqual(t, first[role]["imageUri"], out["imageUri"], "%s is rebuilt", role)
					require.Contains(t, changes.Changed, "awsx:ecr:Image "+imageName(role), role)
					require.Equal(t, []string{"imageTag"}, changes.Changed["awsx:ecr:Image "+imageName(role)], "%s: only the tag moves", role)
					require.True(t, m.RegistryHas(first[role]["imageUri"].(string)), "%s: the previous image is kept for rollbacks", role)
				} else {
					require.True(t, changes.None(), "%s: nothing of it changes, got %s", role, changes)
				}
			}
		})
	}
}

func imageName(role string) string {
	if role == roleECSProvider {
		return "dognames-image"
	}
	return "todo-image"
}
