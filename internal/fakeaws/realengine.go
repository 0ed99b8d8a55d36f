package fakeaws

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// The few tests that check this fake's premises, or what only the engine
// does (aliases, StackReferences across real state), run the real Pulumi
// CLI and engine instead, offline, with these helpers.

// PulumiCLI is the Pulumi CLI the tests run: $PULUMI_CLI, or bin/pulumi
// under the repository root as `make pulumi-cli` builds it, checked to be
// the version of the SDK the root module requires.
func PulumiCLI(t testing.TB, root string) string {
	t.Helper()
	cli := os.Getenv("PULUMI_CLI")
	if cli == "" {
		cli = filepath.Join(root, "bin", "pulumi")
	}
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("the Pulumi CLI is not built (%v): run `make pulumi-cli` (the README's `make test` does)", err)
	}
	out, err := exec.Command(cli, "version").Output()
	require.NoError(t, err, "running %s version", cli)
	want := ModuleVersion(t, filepath.Join(root, "go.mod"), "github.com/pulumi/pulumi/sdk/v3")
	require.Equal(t, want, strings.TrimSpace(string(out)),
		"%s is not the CLI of the SDK's version: rebuild it with `rm %s && make pulumi-cli`", cli, cli)
	return cli
}

// ModuleVersion is the version of module that the go.mod at path requires.
func ModuleVersion(t testing.TB, path, module string) string {
	t.Helper()
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	m := regexp.MustCompile(regexp.QuoteMeta(module) + ` (v[0-9.]+)`).FindStringSubmatch(string(body))
	require.NotNil(t, m, "%s requires %s", path, module)
	return m[1]
}

// EngineEnv is the environment that keeps the CLI offline and inside dir:
// state on a file:// backend, its home, and passphrase secrets.
func EngineEnv(t testing.TB, dir string) map[string]string {
	t.Helper()
	for _, sub := range []string{"state", "home"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	return map[string]string{
		"PULUMI_BACKEND_URL":       "file://" + filepath.Join(dir, "state"),
		"PULUMI_CONFIG_PASSPHRASE": "test-only-passphrase",
		"PULUMI_HOME":              filepath.Join(dir, "home"),
		"PULUMI_SKIP_UPDATE_CHECK": "true",
	}
}

// EngineStack is a new stack of project running program inline with the
// real CLI and engine (see PulumiCLI and EngineEnv), its state in a
// temporary directory; opts add to the workspace, e.g. auto.Project.
func EngineStack(ctx context.Context, t testing.TB, root, project, stack string, program pulumi.RunFunc, opts ...auto.LocalWorkspaceOption) auto.Stack {
	t.Helper()
	cli := PulumiCLI(t, root)
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(filepath.Dir(cli)), SkipVersionCheck: true})
	require.NoError(t, err)
	opts = append([]auto.LocalWorkspaceOption{auto.Pulumi(cmd), auto.EnvVars(EngineEnv(t, t.TempDir()))}, opts...)
	s, err := auto.NewStackInlineSource(ctx, stack, project, program, opts...)
	require.NoError(t, err)
	return s
}
