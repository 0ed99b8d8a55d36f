package orchestrate

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// repoRoot is two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	return root
}

// pulumiCLI is the CLI `make pulumi-cli` builds, or $PULUMI_CLI.
func pulumiCLI(t *testing.T) string { return fakeaws.PulumiCLI(t, repoRoot(t)) }

// TestTheCLIMatchesTheSDK keeps the tools module's pkg/v3 at the SDK's
// version, so the engine the tests run is the one the program was built for.
func TestTheCLIMatchesTheSDK(t *testing.T) {
	root := repoRoot(t)
	require.Equal(t, fakeaws.ModuleVersion(t, filepath.Join(root, "go.mod"), "github.com/pulumi/pulumi/sdk/v3"),
		fakeaws.ModuleVersion(t, filepath.Join(root, "tools", "pulumi", "go.mod"), "github.com/pulumi/pulumi/pkg/v3"))
}

var engineProviders = []string{"organization/private-apis/ecs-provider", "organization/private-apis/ec2-provider"}

// engineProgram is one inline program for every stack, chosen by stack name
// as stacks.Run does: providers export a real contract (one output secret,
// the port an int) and the consumer reads them back with contract.ReadProviders, the
// reader the consumer stack uses, and exports what it read.
func engineProgram(omitTodoRoutes *atomic.Bool) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		if ctx.Stack() == "consumer" {
			providers, err := contract.ReadProviders(ctx, engineProviders)
			if err != nil {
				return err
			}
			read, err := json.Marshal(providers)
			if err != nil {
				return err
			}
			ctx.Export("read", pulumi.String(string(read)))
			return nil
		}
		svc := contract.DogNames
		if ctx.Stack() == "ec2-provider" {
			svc = contract.Todo
		}
		ctx.Export(contract.EndpointServiceName, pulumi.String("com.amazonaws.vpce.us-west-2.vpce-svc-"+svc.Name))
		ctx.Export(contract.EndpointServiceID, pulumi.ToSecret(pulumi.String("vpce-svc-"+svc.Name)))
		ctx.Export(contract.AllowedPrincipals, pulumi.ToStringArray([]string{"arn:aws:iam::111111111111:root"}))
		ctx.Export(contract.ServicePort, pulumi.Int(svc.Port))
		ctx.Export(contract.HealthCheckPath, pulumi.String(svc.HealthCheckPath))
		if !(ctx.Stack() == "ec2-provider" && omitTodoRoutes.Load()) {
			ctx.Export(contract.Routes, pulumi.ToStringArray(svc.Routes))
		}
		ctx.Export(contract.AvailabilityZoneIDs, pulumi.ToStringArray([]string{"usw2-az1", "usw2-az2"}))
		ctx.Export(contract.Region, pulumi.String("us-west-2"))
		ctx.Export(contract.SupportedRegions, pulumi.ToStringArray(nil))
		return nil
	}
}

// TestOrchestratorAgainstTheRealEngine runs the orchestrator's stages with
// the real Pulumi CLI and engine, offline, on a file:// backend: values
// round-trip through real state and real StackReferences (ints, lists,
// secrets), and a missing output fails the consumer on a real update.
func TestOrchestratorAgainstTheRealEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real Pulumi engine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var omitTodoRoutes atomic.Bool
	ws := newEngineWorkspace(t, ctx, &omitTodoRoutes)

	plan := Plan{Providers: []string{"ecs-provider", "ec2-provider"}, Consumer: "consumer"}
	_, err := Run(ctx, ws, Up, plan, &bytes.Buffer{})
	require.ErrorContains(t, err, `stack "ecs-provider" does not exist in this backend: create it with `+"`pulumi stack init ecs-provider`")

	for _, name := range []string{"ecs-provider", "ec2-provider", "consumer"} {
		_, err := auto.NewStack(ctx, name, ws.Workspace())
		require.NoError(t, err, "creating stack %s", name)
	}
	// Before the providers' first deployment they have no contracts: a
	// preview says the consumer must wait for them, and succeeds.
	results, err := Run(ctx, ws, Preview, plan, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, Skipped, results[2].Status)
	require.Contains(t, results[2].Note, "provider stacks ecs-provider, ec2-provider have no contract yet")

	// The todo provider approves connections itself: up gains an
	// acceptance pass and a second consumer pass.
	require.NoError(t, ws.Workspace().SetConfig(ctx, "ec2-provider", "private-apis:acceptanceRequired", auto.ConfigValue{Value: "true"}))
	require.NoError(t, ws.Workspace().SetConfig(ctx, "ec2-provider", "private-apis:consumerStack", auto.ConfigValue{Value: "organization/private-apis/consumer"}))

	var progress bytes.Buffer
	results, err = Run(ctx, ws, Up, plan, &progress)
	require.NoError(t, err, progress.String())
	requireEveryStageSucceeded(t, results, progress.String())
	requireConsumerReadTheTodoContract(t, ctx, ws)

	// A provider update that drops an output breaks the consumer's next
	// update with an error naming the stack and the output; nothing after
	// it runs.
	omitTodoRoutes.Store(true)
	progress.Reset()
	results, err = Run(ctx, ws, Up, plan, &progress)
	require.ErrorContains(t, err, `provider stack organization/private-apis/ec2-provider has no output "routes"`)
	statuses := map[string]Status{}
	for _, r := range results {
		statuses[r.Stage+"/"+r.Stack] = r.Status
	}
	require.Equal(t, Failed, statuses["consumer/consumer"])
	require.Equal(t, Skipped, statuses["acceptance/ec2-provider"])

	results, err = Run(ctx, ws, Destroy, plan, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "consumer", results[0].Stack, "the consumer goes first")
	for _, r := range results {
		require.Equal(t, Succeeded, r.Status, r.Stack)
	}
}

// newEngineWorkspace runs engineProgram offline, on a file:// backend in a
// temporary directory, so the test needs no login and no cloud.
func newEngineWorkspace(t *testing.T, ctx context.Context, omitTodoRoutes *atomic.Bool) *PulumiWorkspace {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "work"), 0o755))
	ws, err := NewPulumiWorkspace(ctx, Options{
		Program:     engineProgram(omitTodoRoutes),
		ProjectName: "private-apis",
		WorkDir:     filepath.Join(dir, "work"),
		PulumiCLI:   pulumiCLI(t),
		EnvVars:     fakeaws.EngineEnv(t, dir),
	})
	require.NoError(t, err)
	return ws
}

// requireEveryStageSucceeded checks an up with an accepting provider ran
// all five stages in order, and that every line of progress names its stack.
func requireEveryStageSucceeded(t *testing.T, results []Result, progress string) {
	t.Helper()
	var order []string
	for _, r := range results {
		require.Equal(t, Succeeded, r.Status, r.Stack)
		order = append(order, r.Stage+"/"+r.Stack)
	}
	require.Equal(t, []string{"providers/ecs-provider", "providers/ec2-provider", "consumer/consumer", "acceptance/ec2-provider", "wiring/consumer"}, order)
	require.Contains(t, progress, "[consumer] ")
	for _, line := range strings.Split(strings.TrimSpace(progress), "\n") {
		require.Regexp(t, `^\[(ecs-provider|ec2-provider|consumer)\]( |$)`, line)
	}
}

// requireConsumerReadTheTodoContract checks what the consumer read back
// through real StackReferences: a secret in the clear, a number as an int,
// an output never exported at its default.
func requireConsumerReadTheTodoContract(t *testing.T, ctx context.Context, ws *PulumiWorkspace) {
	t.Helper()
	consumer, err := ws.Stack(ctx, "consumer")
	require.NoError(t, err)
	outputs, err := consumer.Outputs(ctx)
	require.NoError(t, err)
	var read []contract.Provider
	require.NoError(t, json.Unmarshal([]byte(outputs["read"].(string)), &read))
	require.Len(t, read, 2)
	require.Equal(t, contract.Provider{
		Stack:               "organization/private-apis/ec2-provider",
		Version:             "1.0", // it exports no contractVersion
		EndpointServiceName: "com.amazonaws.vpce.us-west-2.vpce-svc-todo",
		EndpointServiceID:   "vpce-svc-todo", // a secret output, read back
		AllowedPrincipals:   []string{"arn:aws:iam::111111111111:root"},
		ServicePort:         8080, // a number in state, an int again
		HealthCheckPath:     "/healthz",
		Routes:              contract.Todo.Routes,
		AvailabilityZoneIDs: []string{"usw2-az1", "usw2-az2"},
		Region:              "us-west-2",
		SupportedRegions:    []string{}, // exported, and empty
	}, read[1])
}

// TestNotLoggedInSaysWhatToRun uses an empty Pulumi home and no backend URL,
// as on a machine that never ran `pulumi login`.
func TestNotLoggedInSaysWhatToRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real Pulumi CLI")
	}
	dir := t.TempDir()
	_, err := NewPulumiWorkspace(context.Background(), Options{
		Program:     func(*pulumi.Context) error { return nil },
		ProjectName: "private-apis",
		WorkDir:     dir,
		PulumiCLI:   pulumiCLI(t),
		EnvVars: map[string]string{
			"PULUMI_HOME":         filepath.Join(dir, "home"),
			"PULUMI_BACKEND_URL":  "",
			"PULUMI_ACCESS_TOKEN": "",
		},
	})
	require.ErrorContains(t, err, "no Pulumi backend is logged in")
	require.ErrorContains(t, err, "run `pulumi login --local`")
}
