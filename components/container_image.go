package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	awsxecr "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ContainerImageArgs configures a ContainerImage.
type ContainerImageArgs struct {
	// Context is the Docker build context. Required; it must exist when the
	// program runs.
	Context string
	// Dockerfile is the Dockerfile's path. Default: Context/Dockerfile.
	Dockerfile string
	// SourceDirs are the directories whose content makes the image: the tag
	// is a hash of them, so a change anywhere in them gives a new image and
	// changes elsewhere in the context don't. Default: Context.
	SourceDirs []string
	// Platform the image is built for. Default "linux/amd64", matching the
	// X86_64 runtime platform the compute declares.
	Platform string
	// KeepImages is how many recent images the lifecycle policy keeps, so
	// rollbacks have somewhere to go. Default 20.
	KeepImages int
	// Tags are applied to the repository.
	Tags pulumi.StringMapInput
}

// ContainerImage is a private ECR repository and the image built from
// Context and pushed by `pulumi up`, replacing the manual docker build and
// push the original sample needed.
type ContainerImage struct {
	pulumi.ResourceState

	RepositoryArn pulumi.StringOutput
	RepositoryUrl pulumi.StringOutput
	// ImageUri pins the pushed image by digest.
	ImageUri pulumi.StringOutput
	// Tag is derived from the build context's content: the same source gives
	// the same tag, and a change gives a new one, which immutable tags need.
	Tag string
}

// NewContainerImage creates a ContainerImage.
func NewContainerImage(ctx *pulumi.Context, name string, args *ContainerImageArgs, opts ...pulumi.ResourceOption) (*ContainerImage, error) {
	if args == nil || args.Context == "" {
		return nil, fmt.Errorf("container image %s: Context (the directory with the Dockerfile) is required", name)
	}
	a := *args
	if a.Platform == "" {
		a.Platform = "linux/amd64"
	}
	if a.KeepImages == 0 {
		a.KeepImages = 20
	}
	if a.KeepImages < 1 {
		return nil, fmt.Errorf("container image %s: KeepImages %d must be at least 1", name, a.KeepImages)
	}
	if len(a.SourceDirs) == 0 {
		a.SourceDirs = []string{a.Context}
	}
	tag, err := ContentTag(a.SourceDirs...)
	if err != nil {
		return nil, fmt.Errorf("container image %s: %w", name, err)
	}

	c := &ContainerImage{Tag: tag}
	if err := ctx.RegisterComponentResource("private-apis:ecr:ContainerImage", name, c, opts...); err != nil {
		return nil, err
	}

	repo, err := ecr.NewRepository(ctx, name+"-repo", &ecr.RepositoryArgs{
		ImageTagMutability:         pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
			&ecr.RepositoryEncryptionConfigurationArgs{EncryptionType: pulumi.String("KMS")},
		},
		// Every image is rebuilt from the source in this repository, so
		// `pulumi destroy` may delete the repository with its images.
		ForceDelete: pulumi.Bool(true),
		Tags:        a.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("container image %s: creating repository: %w", name, err)
	}

	if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(lifecyclePolicy(a.KeepImages)),
	}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("container image %s: creating lifecycle policy: %w", name, err)
	}

	imageArgs := &awsxecr.ImageArgs{
		RepositoryUrl: repo.RepositoryUrl,
		Context:       pulumi.String(a.Context),
		Platform:      pulumi.String(a.Platform),
		ImageTag:      pulumi.String(tag),
	}
	if a.Dockerfile != "" {
		imageArgs.Dockerfile = pulumi.String(a.Dockerfile)
	}
	image, err := awsxecr.NewImage(ctx, name+"-image", imageArgs, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("container image %s: building image: %w", name, err)
	}

	c.RepositoryArn = repo.Arn
	c.RepositoryUrl = repo.RepositoryUrl
	c.ImageUri = image.ImageUri
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"repositoryArn": c.RepositoryArn,
		"repositoryUrl": c.RepositoryUrl,
		"imageUri":      c.ImageUri,
		"tag":           pulumi.String(c.Tag),
	}); err != nil {
		return nil, fmt.Errorf("container image %s: registering outputs: %w", name, err)
	}
	return c, nil
}

// lifecyclePolicy drops untagged layers after a day and keeps the newest
// `keep` images. The "any" rule must have the highest priority number.
func lifecyclePolicy(keep int) string {
	type selection struct {
		TagStatus   string `json:"tagStatus"`
		CountType   string `json:"countType"`
		CountUnit   string `json:"countUnit,omitempty"`
		CountNumber int    `json:"countNumber"`
	}
	type rule struct {
		RulePriority int               `json:"rulePriority"`
		Description  string            `json:"description"`
		Selection    selection         `json:"selection"`
		Action       map[string]string `json:"action"`
	}
	return mustJSON(map[string][]rule{"rules": {
		{
			RulePriority: 1,
			Description:  "Expire untagged images after a day",
			Selection:    selection{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1},
			Action:       map[string]string{"type": "expire"},
		},
		{
			RulePriority: 2,
			Description:  fmt.Sprintf("Keep the newest %d images for rollbacks", keep),
			Selection:    selection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep},
			Action:       map[string]string{"type": "expire"},
		},
	}})
}

// ContentTag hashes every file under dirs (paths relative to each dir, and
// contents, in a fixed order) into an image tag. Hidden entries such as .git
// are skipped.
func ContentTag(dirs ...string) (string, error) {
	if len(dirs) == 0 {
		return "", fmt.Errorf("image sources: no directories given")
	}
	h := sha256.New()
	for i, dir := range dirs {
		// The position separates the directories, so moving a file from one
		// to another changes the tag; their names don't matter.
		fmt.Fprintf(h, "dir\x00%d\x00", i)
		if err := hashDir(h, dir); err != nil {
			return "", err
		}
	}
	return "src-" + hex.EncodeToString(h.Sum(nil))[:20], nil
}

func hashDir(h io.Writer, dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("image build context: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("image build context %s is not a directory", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") && d.Name() != ".dockerignore" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading image build context %s: %w", dir, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("image build context %s has no files", dir)
	}
	sort.Strings(files)
	for _, path := range files {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return fmt.Errorf("hashing %s: %w", path, err)
		}
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		if err := hashFile(h, path); err != nil {
			return err
		}
	}
	return nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	fmt.Fprintf(w, "\x00%d\x00", n)
	return nil
}
