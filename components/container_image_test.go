package components

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	}
}

func TestContainerImageRepositoryAndBuild(t *testing.T) {
	dir := writeApp(t, map[string]string{"Dockerfile": "FROM scratch\n", "main.go": "package main\n"})
	wantTag, err := BuildContextTag(dir, filepath.Join(dir, "Dockerfile"), "linux/amd64")
	require.NoError(t, err)

	m, out, err := run(t, func(ctx *pulumi.Context) error {
		img, err := NewContainerImage(ctx, "app", &ContainerImageArgs{Context: dir, KeepImages: 5})
		if err != nil {
			return err
		}
		ctx.Export("uri", img.ImageUri)
		return nil
	})
	require.NoError(t, err)

	repo := one(t, m, "aws:ecr/repository:Repository")
	require.Equal(t, "IMMUTABLE", repo["imageTagMutability"])
	require.Equal(t, map[string]any{"scanOnPush": true}, repo["imageScanningConfiguration"])
	require.Equal(t, []any{map[string]any{"encryptionType": "KMS"}}, repo["encryptionConfigurations"])

	lifecycle := one(t, m, "aws:ecr/lifecyclePolicy:LifecyclePolicy")
	repoRes := m.ByType("aws:ecr/repository:Repository")[0]
	require.Equal(t, repoRes.OutputMap()["name"], lifecycle["repository"], "the policy is on this repository")
	var policy struct {
		Rules []struct {
			RulePriority int `json:"rulePriority"`
			Selection    struct {
				TagStatus   string `json:"tagStatus"`
				CountType   string `json:"countType"`
				CountNumber int    `json:"countNumber"`
			} `json:"selection"`
			Action struct{ Type string } `json:"action"`
		} `json:"rules"`
	}
	parseJSON(t, lifecycle["policy"], &policy)
	require.Len(t, policy.Rules, 2)
	require.Equal(t, "untagged", policy.Rules[0].Selection.TagStatus)
	last := policy.Rules[1]
	require.Equal(t, "any", last.Selection.TagStatus, "the catch-all rule has the highest priority number")
	require.Equal(t, 5, last.Selection.CountNumber)
	require.Equal(t, "imageCountMoreThan", last.Selection.CountType)

	images := m.ByType("awsx:ecr:Image")
	require.Len(t, images, 1)
	image := images[0].Map()
	require.Equal(t, dir, image["context"])
	require.Equal(t, filepath.Join(dir, "Dockerfile"), image["dockerfile"], "the Dockerfile whose ignore file the tag follows")
	require.Equal(t, "linux/amd64", image["platform"])
	require.Equal(t, wantTag, image["imageTag"], "immutable repositories need a tag per content")
	require.Equal(t, repoRes.OutputMap()["repositoryUrl"], image["repositoryUrl"])
	require.Equal(t, images[0].OutputMap()["imageUri"], out["uri"], "the image is exported as awsx pinned it")

	require.Len(t, images[0].Transforms, 1, "the pushed image is retained on delete")
	require.Empty(t, m.ByType("aws:ecr/repositoryPolicy:RepositoryPolicy"),
		"same-account pulls need no repository policy, so none can grant *")
}

// appsTree is a build context shared by two apps and a library they both
// use, each app choosing its files with its own Dockerfile.dockerignore, as
// apps/ does.
func appsTree() map[string]string {
	ignore := func(app string) string {
		return "*\n!" + app + "\n!kit\n**/*_test.go\n**/Dockerfile\n**/*.dockerignore\n" + app + "/data\n"
	}
	return map[string]string{
		".dockerignore":                  "nothing/\n",
		"dogs/Dockerfile":                "FROM scratch\nCOPY dogs /dogs\n",
		"dogs/Dockerfile.dockerignore":   ignore("dogs"),
		"dogs/main.go":                   "package main\n",
		"dogs/main_test.go":              "package main\n",
		"todo/Dockerfile":                "FROM scratch\nCOPY todo /todo\n",
		"todo/Dockerfile.dockerignore":   ignore("todo"),
		"todo/main.go":                   "package main\n",
		"todo/data/items.db":             "local data\n",
		"kit/kit.go":                     "package kit\n",
		"kit/kit_test.go":                "package kit\n",
		"README.md":                      "not part of any image\n",
		"nothing/reached-by-the-root.go": "package nothing\n",
	}
}

// appTags are the tags of the apps of appsTree written in dir.
func appTags(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, app := range []string{"dogs", "todo"} {
		tag, err := BuildContextTag(dir, filepath.Join(dir, app, "Dockerfile"), "linux/amd64")
		require.NoError(t, err)
		require.Regexp(t, `^src-[0-9a-f]{20}$`, tag, "a valid ECR tag")
		out[app] = tag
	}
	return out
}

func TestBuildContextTag(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string)
		changed []string // the apps whose tag must change; the others must not
	}{
		{"nothing", func(*testing.T, string) {}, nil},
		{"one app's source", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"todo/main.go": "package main // v2\n"})
		}, []string{"todo"}},
		{"a new file in one app", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"dogs/names.go": "package main\n"})
		}, []string{"dogs"}},
		{"the shared library", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"kit/kit.go": "package kit // v2\n"})
		}, []string{"dogs", "todo"}},
		{"one app's Dockerfile", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"dogs/Dockerfile": "FROM scratch\nCOPY dogs /dogs\nUSER 1\n"})
		}, []string{"dogs"}},
		{"a test file, which the ignore file leaves out", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"dogs/main_test.go": "package main // more tests\n", "kit/kit_test.go": "package kit // more\n"})
		}, nil},
		{"local data, left out", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"todo/data/items.db": "more data\n"})
		}, nil},
		{"a file outside every app", func(t *testing.T, dir string) { writeFiles(t, dir, map[string]string{"README.md": "changed\n"}) }, nil},
		{"the context's .dockerignore, which a Dockerfile's own replaces", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{".dockerignore": "kit/\n"})
		}, nil},
		{"a file mode", func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(filepath.Join(dir, "todo", "main.go"), 0o755))
		}, []string{"todo"}},
		{"a rename", func(t *testing.T, dir string) {
			require.NoError(t, os.Rename(filepath.Join(dir, "dogs", "main.go"), filepath.Join(dir, "dogs", "server.go")))
		}, []string{"dogs"}},
		{"an ignore file that lets tests in", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"dogs/Dockerfile.dockerignore": "*\n!dogs\n!kit\n"})
		}, []string{"dogs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeApp(t, appsTree())
			before := appTags(t, dir)
			tt.change(t, dir)
			after := appTags(t, dir)
			for app := range before {
				if slices.Contains(tt.changed, app) {
					require.NotEqual(t, before[app], after[app], "%s's image is rebuilt, so its tag must change", app)
				} else {
					require.Equal(t, before[app], after[app], "%s's image is not rebuilt, so its tag must stay", app)
				}
			}
		})
	}
}

func TestBuildContextTagPlatform(t *testing.T) {
	dir := writeApp(t, appsTree())
	amd, err := BuildContextTag(dir, filepath.Join(dir, "dogs", "Dockerfile"), "linux/amd64")
	require.NoError(t, err)
	arm, err := BuildContextTag(dir, filepath.Join(dir, "dogs", "Dockerfile"), "linux/arm64")
	require.NoError(t, err)
	require.NotEqual(t, amd, arm)
}

func TestBuildContextTagErrors(t *testing.T) {
	_, err := BuildContextTag(filepath.Join(t.TempDir(), "missing"), "Dockerfile", "linux/amd64")
	require.ErrorContains(t, err, "image build context")
	dir := writeApp(t, map[string]string{"Dockerfile": "FROM scratch\n", "Dockerfile.dockerignore": "*\n"})
	_, err = BuildContextTag(dir, filepath.Join(dir, "Dockerfile"), "linux/amd64")
	require.ErrorContains(t, err, "sends no files (check its ignore file)")
	_, err = BuildContextTag(dir, filepath.Join(dir, "Nope"), "linux/amd64")
	require.ErrorContains(t, err, "reading the Dockerfile")
}

// TestContainerImageAcrossUpdates deploys two images from one context
// update after update, as `pulumi up` after each commit does: the mocks
// rebuild an image whenever docker-build would and refuse, as an immutable
// repository does, a rebuild pushed under a tag it already holds, and
// delete an image awsx's child takes with it unless it is retained.
func TestContainerImageAcrossUpdates(t *testing.T) {
	dir := writeApp(t, appsTree())
	m := fakeaws.New()
	deploy := func() (map[string]any, error) {
		return m.Run("test", nil, "", func(ctx *pulumi.Context) error {
			for _, app := range []string{"dogs", "todo"} {
				img, err := NewContainerImage(ctx, app, &ContainerImageArgs{Context: dir, Dockerfile: filepath.Join(dir, app, "Dockerfile")})
				if err != nil {
					return err
				}
				ctx.Export(app, img.ImageUri)
			}
			return nil
		})
	}
	first, err := deploy()
	require.NoError(t, err)

	writeFiles(t, dir, map[string]string{"todo/main.go": "package main // v2\n", "dogs/main_test.go": "package main // v2\n"})
	second, err := deploy()
	require.NoError(t, err, "each image's tag follows its own build")
	require.Equal(t, first["dogs"], second["dogs"], "dogs is not rebuilt")
	require.NotEqual(t, first["todo"], second["todo"])
	require.Equal(t, map[string][]string{"awsx:ecr:Image todo-image": {"imageTag"}}, m.Changes().Changed)
	require.True(t, m.RegistryHas(first["todo"].(string)), "the image a rollback goes back to is still in the registry")
	require.True(t, m.RegistryHas(second["todo"].(string)))
}

func TestRetainPushedImage(t *testing.T) {
	child := &pulumi.ResourceTransformArgs{Custom: true, Type: "docker-build:index:Image", Name: "src-1", Props: pulumi.Map{"push": pulumi.Bool(true)}}
	res := RetainPushedImage(context.Background(), child)
	require.NotNil(t, res)
	require.True(t, res.Opts.RetainOnDelete)
	require.Equal(t, child.Props, res.Props, "only the option changes")
	require.Nil(t, RetainPushedImage(context.Background(), &pulumi.ResourceTransformArgs{Type: "aws:ecr/repository:Repository"}))
}

func TestContainerImageRequiresContext(t *testing.T) {
	m, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewContainerImage(ctx, "app", &ContainerImageArgs{Context: filepath.Join(t.TempDir(), "nope")})
		return err
	})
	require.ErrorContains(t, err, "image build context")
	requireNamedOnce(t, err, "container image app")
	require.Empty(t, m.Resources())

	m, _, err = run(t, func(ctx *pulumi.Context) error {
		_, err := NewContainerImage(ctx, "app", nil)
		return err
	})
	require.ErrorContains(t, err, "Context (the Docker build context directory) is required")
	requireNamedOnce(t, err, "container image app")
	require.Empty(t, m.Resources())
}
