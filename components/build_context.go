package components

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher/ignorefile"
	"github.com/tonistiigi/fsutil"
)

// BuildContextTag derives an image tag from what a build of dockerfile in
// contextDir for platform is made of, hashed the way awsx's builder
// (docker-build) hashes it to decide a rebuild: the Dockerfile's content,
// and the path, mode and content of every file the ignore file lets into
// the context, filtered by the same libraries BuildKit uses. So the tag
// changes exactly when the image is rebuilt, which an immutable repository
// needs (a rebuild pushed under an old tag is refused), and a file the
// ignore file leaves out changes nothing.
func BuildContextTag(contextDir, dockerfile, platform string) (string, error) {
	info, err := os.Stat(contextDir)
	if err != nil {
		return "", fmt.Errorf("image build context: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("image build context %s is not a directory", contextDir)
	}
	h := sha256.New()
	body, err := os.ReadFile(dockerfile)
	if err != nil {
		return "", fmt.Errorf("reading the Dockerfile: %w", err)
	}
	fmt.Fprintf(h, "dockerfile\x00%d\x00", len(body))
	h.Write(body)

	patterns, err := ignorePatterns(contextDir, dockerfile)
	if err != nil {
		return "", err
	}
	root, err := fsutil.NewFS(contextDir)
	if err != nil {
		return "", fmt.Errorf("image build context %s: %w", contextDir, err)
	}
	filtered, err := fsutil.NewFilterFS(root, &fsutil.FilterOpt{ExcludePatterns: patterns})
	if err != nil {
		return "", fmt.Errorf("image build context %s: ignore patterns: %w", contextDir, err)
	}
	files := 0
	err = filtered.Walk(context.Background(), "/", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && info.Mode().Type() != fs.ModeSymlink {
			return nil
		}
		files++
		return hashContextFile(h, filtered, path, info.Mode())
	})
	if err != nil {
		return "", fmt.Errorf("reading image build context %s: %w", contextDir, err)
	}
	if files == 0 {
		return "", fmt.Errorf("image build context %s sends no files (check its ignore file)", contextDir)
	}
	fmt.Fprintf(h, "platform\x00%s", platform)
	return "src-" + hex.EncodeToString(h.Sum(nil))[:20], nil
}

func hashContextFile(h hash.Hash, fsys fsutil.FS, path string, mode fs.FileMode) error {
	f, err := fsys.Open(path)
	if err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	fmt.Fprintf(h, "file\x00%s\x00%s\x00", filepath.ToSlash(path), mode)
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	h.Write([]byte{0})
	return nil
}

// ignorePatterns reads the ignore file BuildKit uses for dockerfile: the
// Dockerfile-specific <Dockerfile>.dockerignore if it exists, otherwise the
// context's .dockerignore; the two are never merged.
func ignorePatterns(contextDir, dockerfile string) ([]string, error) {
	for _, path := range []string{dockerfile + ".dockerignore", filepath.Join(contextDir, ".dockerignore")} {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", path, err)
		}
		return patterns, nil
	}
	return nil, nil
}
