package fakeaws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// pushImage models awsx.ecr.Image (v2.22) on an update: its child, a
// docker-build Image named after the tag, rebuilds whenever the build
// context's content changes (docker-build hashes the Dockerfile and every
// file the ignore file lets through) and pushes the tag; an immutable
// repository refuses a tag it already holds with other content. When the tag
// changes, the old child is deleted at the end of the update, and
// docker-build's delete removes its digest, with every tag on it, from the
// registry, unless the child is retained on delete.
func (m *AWS) pushImage(logical string, in map[string]any, prior Resource, existed bool) (map[string]any, error) {
	repo, _ := in["repositoryUrl"].(string)
	tag, _ := in["imageTag"].(string)
	contextDir, _ := in["context"].(string)
	dockerfile, _ := in["dockerfile"].(string)
	platform, _ := in["platform"].(string)
	if repo == "" || tag == "" || contextDir == "" {
		return nil, fmt.Errorf("awsx:ecr:Image %s: repositoryUrl, imageTag and context are required", logical)
	}
	if dockerfile == "" {
		dockerfile = filepath.Join(contextDir, "Dockerfile")
	}
	content, err := dockerContextDigest(contextDir, dockerfile)
	if err != nil {
		return nil, fmt.Errorf("awsx:ecr:Image %s: %w", logical, err)
	}
	build := digest(content + "\x00" + platform)

	if existed {
		priorTag, _ := prior.Inputs["imageTag"].V.(string)
		priorBuild, _ := prior.Outputs[buildKey].V.(string)
		if priorTag == tag && priorBuild == build && prior.Inputs.DeepEquals(resource.NewPropertyMapFromMap(in)) {
			return outputsOf(prior), nil // nothing to rebuild
		}
	}
	tags := m.pushed[repo]
	if tags == nil {
		tags = map[string]string{}
		m.pushed[repo] = tags
	}
	if held, ok := tags[tag]; ok && held != build {
		return nil, fmt.Errorf("awsx:ecr:Image %s: failed to push %s:%s: tag invalid: The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable",
			logical, repo, tag, tag, repositoryName(repo))
	}
	tags[tag] = build

	if existed {
		priorTag, _ := prior.Inputs["imageTag"].V.(string)
		priorBuild, _ := prior.Outputs[buildKey].V.(string)
		if priorTag != tag && !retainedOnDelete(prior.Transforms, priorTag) {
			// docker-build deletes the old child's manifest by digest, which
			// takes every tag on it, the new one too if the build matched.
			for t, held := range tags {
				if held == priorBuild {
					delete(tags, t)
				}
			}
		}
	}
	return map[string]any{
		"imageUri": repo + "@sha256:" + build,
		buildKey:   build,
	}, nil
}

// buildKey keeps, in the mock's state only, the content a pushed image was
// built from, as docker-build keeps its context hash.
const buildKey = "__mockBuild"

func outputsOf(r Resource) map[string]any {
	out := map[string]any{}
	for k, v := range r.Outputs {
		out[string(k)] = v.Mappable()
	}
	return out
}

// retainedOnDelete runs an image's transforms on the docker-build child
// awsx would register for tag, as the engine would, and reports whether
// they leave it retained on delete.
func retainedOnDelete(transforms []pulumi.ResourceTransform, tag string) bool {
	args := &pulumi.ResourceTransformArgs{Custom: true, Type: "docker-build:index:Image", Name: tag, Props: pulumi.Map{}}
	for _, t := range transforms {
		if res := t(context.Background(), args); res != nil {
			args.Props, args.Opts = res.Props, res.Opts
		}
	}
	return args.Opts.RetainOnDelete
}

// RegistryHas reports whether an image URI (repository@sha256:digest, as
// awsx's imageUri pins it) can still be pulled: what a rollback needs.
func (m *AWS) RegistryHas(imageURI string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for repo, tags := range m.pushed {
		for _, build := range tags {
			if repo+"@sha256:"+build == imageURI {
				return true
			}
		}
	}
	return false
}

// dockerContextDigest models what docker-build hashes to decide a rebuild:
// the Dockerfile's content, and the path, mode and content of each file the
// ignore file lets into the context. The ignore file is the
// Dockerfile-specific one (<Dockerfile>.dockerignore) when it exists, else
// the context's .dockerignore, as BuildKit chooses it.
func dockerContextDigest(contextDir, dockerfile string) (string, error) {
	h := sha256.New()
	df, err := os.ReadFile(dockerfile)
	if err != nil {
		return "", fmt.Errorf("reading the Dockerfile: %w", err)
	}
	h.Write(df)

	var patterns []string
	for _, candidate := range []string{dockerfile + ".dockerignore", filepath.Join(contextDir, ".dockerignore")} {
		f, err := os.Open(candidate)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("parsing %s: %w", candidate, err)
		}
		break
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return "", err
	}
	var files []string
	err = filepath.WalkDir(contextDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(contextDir, path)
		if err != nil {
			return err
		}
		excluded, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil || excluded {
			return err
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("walking the build context: %w", err)
	}
	sort.Strings(files)
	for _, rel := range files {
		info, err := os.Lstat(filepath.Join(contextDir, rel))
		if err != nil {
			return "", err
		}
		f, err := os.Open(filepath.Join(contextDir, rel))
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s%s", filepath.ToSlash(rel), info.Mode())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func repositoryName(url string) string {
	if _, name, ok := strings.Cut(url, "/"); ok {
		return name
	}
	return url
}
