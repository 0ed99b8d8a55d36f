package components

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	}
	return dir
}

func TestContainerImageRepositoryAndBuild(t *testing.T) {
	dir := writeApp(t, map[string]string{"Dockerfile": "FROM scratch\n", "main.go": "package main\n"})
	wantTag, err := ContentTag(dir)
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
	require.Equal(t, "app-repo", lifecycle["repository"])
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

	image := one(t, m, "awsx:ecr:Image")
	require.Equal(t, dir, image["context"])
	require.Equal(t, "linux/amd64", image["platform"])
	require.Equal(t, wantTag, image["imageTag"], "immutable repositories need a tag per content")
	require.Equal(t, "222222222222.dkr.ecr.us-west-2.amazonaws.com/app-repo", image["repositoryUrl"])
	require.Regexp(t, `^222222222222\.dkr\.ecr\.us-west-2\.amazonaws\.com/app-repo@sha256:`, out["uri"])

	require.Empty(t, m.ByType("aws:ecr/repositoryPolicy:RepositoryPolicy"),
		"same-account pulls need no repository policy, so none can grant *")
}

func TestContentTag(t *testing.T) {
	base := map[string]string{"Dockerfile": "FROM scratch\n", "main.go": "package main\n", "sub/x.go": "package sub\n"}
	tagOf := func(files map[string]string) string {
		tag, err := ContentTag(writeApp(t, files))
		require.NoError(t, err)
		return tag
	}
	with := func(k, v string) map[string]string {
		out := map[string]string{}
		for kk, vv := range base {
			out[kk] = vv
		}
		out[k] = v
		return out
	}

	first := tagOf(base)
	require.Regexp(t, `^src-[0-9a-f]{20}$`, first)
	require.Equal(t, first, tagOf(base), "same content, same tag")
	require.NotEqual(t, first, tagOf(with("main.go", "package main // changed\n")), "content change")
	require.NotEqual(t, first, tagOf(with("other.go", "package main\n")), "new file")
	require.Equal(t, first, tagOf(with(".git/HEAD", "ref: main\n")), "hidden directories are ignored")

	renamed := map[string]string{"Dockerfile": base["Dockerfile"], "main2.go": base["main.go"], "sub/x.go": base["sub/x.go"]}
	require.NotEqual(t, first, tagOf(renamed), "rename")

	lib := writeApp(t, map[string]string{"lib.go": "package lib\n"})
	app := writeApp(t, base)
	both, err := ContentTag(app, lib)
	require.NoError(t, err)
	require.NotEqual(t, first, both, "a shared library is part of the image")
	libChanged := writeApp(t, map[string]string{"lib.go": "package lib // changed\n"})
	bothChanged, err := ContentTag(app, libChanged)
	require.NoError(t, err)
	require.NotEqual(t, both, bothChanged, "a library change gives a new tag")

	_, err = ContentTag(filepath.Join(t.TempDir(), "missing"))
	require.ErrorContains(t, err, "image build context")
	_, err = ContentTag(t.TempDir())
	require.ErrorContains(t, err, "has no files")
}

func TestContainerImageDockerfileAndSources(t *testing.T) {
	apps := writeApp(t, map[string]string{"svc/Dockerfile": "FROM scratch\n", "svc/main.go": "package main\n", "kit/kit.go": "package kit\n", "other/x.go": "package x\n"})
	sources := []string{filepath.Join(apps, "svc"), filepath.Join(apps, "kit")}
	want, err := ContentTag(sources...)
	require.NoError(t, err)
	m, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewContainerImage(ctx, "app", &ContainerImageArgs{Context: apps, Dockerfile: filepath.Join(apps, "svc", "Dockerfile"), SourceDirs: sources})
		return err
	})
	require.NoError(t, err)
	image := one(t, m, "awsx:ecr:Image")
	require.Equal(t, apps, image["context"])
	require.Equal(t, filepath.Join(apps, "svc", "Dockerfile"), image["dockerfile"])
	require.Equal(t, want, image["imageTag"], "the tag covers the service and its library, not the rest of the context")
}

func TestContainerImageRequiresContext(t *testing.T) {
	m, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewContainerImage(ctx, "app", &ContainerImageArgs{Context: filepath.Join(t.TempDir(), "nope")})
		return err
	})
	require.ErrorContains(t, err, "container image app: image build context")
	require.Empty(t, m.Resources())

	_, _, err = run(t, func(ctx *pulumi.Context) error {
		_, err := NewContainerImage(ctx, "app", nil)
		return err
	})
	require.ErrorContains(t, err, "Context (the directory with the Dockerfile) is required")
}
