package stacks

import (
	"context"
	"path/filepath"
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

	stack := fakeaws.EngineStack(ctx, t, repoRoot(t), proj.Name.String(), "config", program, auto.Project(*proj))
	require.NoError(t, stack.SetConfig(ctx, typo, auto.ConfigValue{Value: "5"}))
	_, err = stack.Preview(ctx)
	require.NoError(t, err)

	want, err := fakeaws.ProjectDefaults(repoRoot(t))
	require.NoError(t, err)
	require.Len(t, want, len(proj.Config))
	want[typo] = "5"
	require.Equal(t, want, passed)
}
