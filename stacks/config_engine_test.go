package stacks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

// TestTheCLIPassesWhatTheFakePasses runs a program under this project's
// Pulumi.yaml with the real Pulumi CLI and engine, offline, and checks the
// two things the config reader and the fake rely on: the CLI passes every
// key's Pulumi.yaml default, in the very form fakeaws.ProjectDefaults gives
// it, and passes a key Pulumi.yaml does not declare (a typo) through to the
// program unchecked, so only the program can refuse it.
func TestTheCLIPassesWhatTheFakePasses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real Pulumi engine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	proj, err := workspace.LoadProject(filepath.Join(repoRoot(t), "Pulumi.yaml"))
	require.NoError(t, err)
	const typo = namespace + ":routeRateLimt"
	passed := map[string]string{}
	program := func(ctx *pulumi.Context) error {
		for key := range proj.Config {
			if v, ok := ctx.GetConfig(namespace + ":" + key); ok {
				passed[namespace+":"+key] = v
			}
		}
		if v, ok := ctx.GetConfig(typo); ok {
			passed[typo] = v
		}
		return nil
	}

	stack := engineStack(ctx, t, proj, program)
	require.NoError(t, stack.SetConfig(ctx, typo, auto.ConfigValue{Value: "5"}))
	_, err = stack.Preview(ctx)
	require.NoError(t, err)

	want, err := fakeaws.ProjectDefaults(repoRoot(t))
	require.NoError(t, err)
	require.Len(t, want, len(proj.Config))
	want[typo] = "5"
	require.Equal(t, want, passed)
}

// engineStack is a new stack of the project proj running program with the
// repository's Pulumi CLI (bin/pulumi, or $PULUMI_CLI), offline, with its
// state in a temporary directory.
func engineStack(ctx context.Context, t *testing.T, proj *workspace.Project, program pulumi.RunFunc) auto.Stack {
	t.Helper()
	cli := os.Getenv("PULUMI_CLI")
	if cli == "" {
		cli = filepath.Join(repoRoot(t), "bin", "pulumi")
	}
	out, err := exec.Command(cli, "version").Output()
	require.NoError(t, err, "running %s: build it with `make pulumi-cli`", cli)
	require.True(t, strings.HasPrefix(strings.TrimSpace(string(out)), "v3."), "%s version: %s", cli, out)
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(filepath.Dir(cli)), SkipVersionCheck: true})
	require.NoError(t, err)

	dir := t.TempDir()
	for _, sub := range []string{"state", "home"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	stack, err := auto.NewStackInlineSource(ctx, "config", proj.Name.String(), program, auto.Pulumi(cmd), auto.Project(*proj), auto.EnvVars(map[string]string{
		"PULUMI_BACKEND_URL":       "file://" + filepath.Join(dir, "state"),
		"PULUMI_CONFIG_PASSPHRASE": "test-only-passphrase",
		"PULUMI_HOME":              filepath.Join(dir, "home"),
		"PULUMI_SKIP_UPDATE_CHECK": "true",
	}))
	require.NoError(t, err)
	return stack
}
