package components

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	awsxecr "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ContainerImageArgs configures a ContainerImage.
type ContainerImageArgs struct {
	// Context is the Docker build context. Required; it must exist when the
	// program runs.
	Context string
	// Dockerfile is the Dockerfile's path. Default: Context/Dockerfile. The
	// files sent with it are chosen, as BuildKit chooses them, by
	// <Dockerfile>.dockerignore when that file exists, else by
	// Context/.dockerignore, so images that share a context can each send
	// only their own files.
	Dockerfile string
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
	// Tag is derived from exactly what the build sends: the same files give
	// the same tag, and any change awsx rebuilds for gives a new one, which
	// immutable tags need.
	Tag string
}

// NewContainerImage creates a ContainerImage.
func NewContainerImage(ctx *pulumi.Context, name string, args *ContainerImageArgs, opts ...pulumi.ResourceOption) (_ *ContainerImage, err error) {
	defer componentErrors{"container image", name}.wrap(&err)
	if args == nil || args.Context == "" {
		return nil, errors.New("Context (the Docker build context directory) is required")
	}
	a := *args
	if a.Platform == "" {
		a.Platform = "linux/amd64"
	}
	if a.KeepImages == 0 {
		a.KeepImages = 20
	}
	if a.KeepImages < 1 {
		return nil, fmt.Errorf("KeepImages %d must be at least 1", a.KeepImages)
	}
	if a.Dockerfile == "" {
		a.Dockerfile = filepath.Join(a.Context, "Dockerfile")
	}
	tag, err := BuildContextTag(a.Context, a.Dockerfile, a.Platform)
	if err != nil {
		return nil, err
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
		return nil, fmt.Errorf("creating repository: %w", err)
	}

	if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(lifecyclePolicy(a.KeepImages)),
	}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("creating lifecycle policy: %w", err)
	}

	image, err := awsxecr.NewImage(ctx, name+"-image", &awsxecr.ImageArgs{
		RepositoryUrl: repo.RepositoryUrl,
		Context:       pulumi.String(a.Context),
		Dockerfile:    pulumi.String(a.Dockerfile),
		Platform:      pulumi.String(a.Platform),
		ImageTag:      pulumi.String(tag),
	}, pulumi.Parent(c), pulumi.Transforms([]pulumi.ResourceTransform{RetainPushedImage}))
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
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
		return nil, fmt.Errorf("registering outputs: %w", err)
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

// RetainPushedImage is a resource transform for awsx's image component: it
// keeps the docker-build image awsx creates inside it on delete. awsx names
// that child after the tag, so every new tag replaces it, and docker-build's
// delete removes the old image's digest from the registry, with every tag on
// it: the image an ECS or Auto Scaling rollback needs, or even the new
// image when the build came out the same. Retained, old images stay until
// the repository's lifecycle policy expires them.
func RetainPushedImage(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if args.Type != "docker-build:index:Image" {
		return nil
	}
	opts := args.Opts
	opts.RetainOnDelete = true
	return &pulumi.ResourceTransformResult{Props: args.Props, Opts: opts}
}
