package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Options say which Pulumi program the stacks run and how to reach the CLI
// and backend.
type Options struct {
	// ProjectDir holds Pulumi.yaml and the stacks' Pulumi.<stack>.yaml; the
	// CLI runs the program there. Ignored when Program is set.
	ProjectDir string
	// Program, when set, is run inline (in this process) under the project
	// ProjectName instead of the program in ProjectDir.
	Program     pulumi.RunFunc
	ProjectName string
	// WorkDir holds the inline program's project and stack settings.
	WorkDir string
	// PulumiCLI is the pulumi binary to use. Default: pulumi on PATH.
	PulumiCLI string
	// EnvVars are set for the CLI, e.g. PULUMI_BACKEND_URL.
	EnvVars map[string]string
}

// PulumiWorkspace is a Workspace backed by the Automation API.
type PulumiWorkspace struct {
	ws auto.Workspace
}

// NewPulumiWorkspace checks that the CLI is there and a backend is logged
// in, and opens the workspace. Each failure says what to run.
func NewPulumiWorkspace(ctx context.Context, o Options) (*PulumiWorkspace, error) {
	cli := o.PulumiCLI
	if cli == "" {
		path, err := exec.LookPath("pulumi")
		if err != nil {
			return nil, errors.New("the pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) or build it from this repository with `make pulumi-cli` and add bin/ to PATH")
		}
		cli = path
	}
	if _, err := exec.LookPath(cli); err != nil {
		return nil, fmt.Errorf("the pulumi CLI %s cannot be run (%v): build it with `make pulumi-cli` or install it", cli, err)
	}
	root := rootOf(cli)
	if root == "" && o.PulumiCLI != "" {
		return nil, fmt.Errorf("PulumiCLI %s must be named <dir>/bin/pulumi, as the Automation API looks for it there", cli)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		return nil, fmt.Errorf("running %s: %w", cli, err)
	}
	opts := []auto.LocalWorkspaceOption{auto.Pulumi(cmd), auto.EnvVars(withDefaults(o.EnvVars))}
	if o.Program != nil {
		runtime := workspace.NewProjectRuntimeInfo("go", nil)
		opts = append(opts, auto.Program(o.Program), auto.WorkDir(o.WorkDir),
			auto.Project(workspace.Project{Name: tokens.PackageName(o.ProjectName), Runtime: runtime}))
	} else {
		opts = append(opts, auto.WorkDir(o.ProjectDir))
	}
	ws, err := auto.NewLocalWorkspace(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening the Pulumi workspace: %w", err)
	}
	if _, err := ws.WhoAmI(ctx); err != nil {
		return nil, fmt.Errorf("no Pulumi backend is logged in (%v): run `pulumi login --local` (state on this machine), `pulumi login s3://<bucket>/private-apis` or `pulumi login` (Pulumi Cloud)", err)
	}
	return &PulumiWorkspace{ws: ws}, nil
}

// Workspace returns the underlying Automation API workspace.
func (w *PulumiWorkspace) Workspace() auto.Workspace { return w.ws }

// Stack selects an existing stack; a missing one is an error saying how to
// create it, since a stack is tied to its account's credentials and config.
func (w *PulumiWorkspace) Stack(ctx context.Context, name string) (Stack, error) {
	s, err := auto.SelectStack(ctx, name, w.ws)
	if err != nil {
		if auto.IsSelectStack404Error(err) {
			return nil, fmt.Errorf("stack %q does not exist in this backend: create it with `pulumi stack init %s` (its config is Pulumi.%s.yaml)", name, name, name)
		}
		return nil, fmt.Errorf("selecting stack %s: %w", name, err)
	}
	return &pulumiStack{s: s}, nil
}

type pulumiStack struct {
	s auto.Stack
}

func (p *pulumiStack) Preview(ctx context.Context, progress io.Writer) (Changes, error) {
	res, err := p.s.Preview(ctx, optpreview.ProgressStreams(progress), optpreview.ErrorProgressStreams(progress))
	if err != nil {
		return nil, err
	}
	changes := Changes{}
	for op, n := range res.ChangeSummary {
		changes[string(op)] = n
	}
	return changes, nil
}

func (p *pulumiStack) Up(ctx context.Context, progress io.Writer) (Changes, error) {
	res, err := p.s.Up(ctx, optup.ProgressStreams(progress), optup.ErrorProgressStreams(progress))
	if err != nil {
		return nil, err
	}
	return summaryChanges(res.Summary), nil
}

func (p *pulumiStack) Destroy(ctx context.Context, progress io.Writer) (Changes, error) {
	res, err := p.s.Destroy(ctx, optdestroy.ProgressStreams(progress), optdestroy.ErrorProgressStreams(progress))
	if err != nil {
		return nil, err
	}
	return summaryChanges(res.Summary), nil
}

func (p *pulumiStack) Outputs(ctx context.Context) (map[string]any, error) {
	outs, err := p.s.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	plain := make(map[string]any, len(outs))
	for k, v := range outs {
		if v.Secret {
			plain[k] = "[secret]"
			continue
		}
		plain[k] = v.Value
	}
	return plain, nil
}

// AcceptsConnections is true when the stack both requires acceptance and
// names the consumer stack whose endpoints it accepts.
func (p *pulumiStack) AcceptsConnections(ctx context.Context) (bool, error) {
	config, err := p.s.GetAllConfig(ctx)
	if err != nil {
		return false, fmt.Errorf("reading config of %s: %w", p.s.Name(), err)
	}
	required := config["private-apis:acceptanceRequired"].Value
	if required == "" {
		return false, nil
	}
	on, err := strconv.ParseBool(required)
	if err != nil {
		return false, fmt.Errorf("private-apis:acceptanceRequired = %q is not true or false", required)
	}
	return on && config["private-apis:consumerStack"].Value != "", nil
}

func summaryChanges(s auto.UpdateSummary) Changes {
	changes := Changes{}
	if s.ResourceChanges != nil {
		for op, n := range *s.ResourceChanges {
			changes[op] = n
		}
	}
	return changes
}

// withDefaults keeps the CLI from checking for updates in the middle of a
// deployment.
func withDefaults(env map[string]string) map[string]string {
	out := map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// rootOf turns the CLI's path (<root>/bin/pulumi) into the root the
// Automation API expects.
func rootOf(cli string) string {
	bin := filepath.Dir(cli)
	if filepath.Base(cli) != "pulumi" || filepath.Base(bin) != "bin" {
		return "" // use pulumi from PATH
	}
	return filepath.Dir(bin)
}
