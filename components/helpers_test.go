package components

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

// run runs fn under a fresh mocks harness.
func run(t *testing.T, fn pulumi.RunFunc) (*fakeaws.AWS, map[string]any, error) {
	t.Helper()
	m := fakeaws.New()
	out, err := m.Run("test", nil, "", fn)
	return m, out, err
}

// one returns the inputs of the single resource of a type, failing otherwise.
func one(t *testing.T, m *fakeaws.AWS, token string) map[string]any {
	t.Helper()
	rs := m.ByType(token)
	require.Len(t, rs, 1, "want exactly one %s", token)
	return rs[0].Map()
}

// named returns the inputs of a resource by type and name.
func named(t *testing.T, m *fakeaws.AWS, token, name string) map[string]any {
	t.Helper()
	r, ok := m.Named(token, name)
	require.True(t, ok, "no %s named %s", token, name)
	return r.Map()
}

// output is what the mocks answered for one of a resource's outputs: what
// AWS gave the program, so a test can check a value is wired from the right
// resource without depending on its format.
func output(t *testing.T, m *fakeaws.AWS, token, name, key string) any {
	t.Helper()
	r, ok := m.Named(token, name)
	require.True(t, ok, "no %s named %s", token, name)
	v, ok := r.OutputMap()[key]
	require.True(t, ok, "%s %s has no output %q", token, name, key)
	return v
}

// requireNamedOnce: a constructor's error names its component exactly once
// ("network net: ..."), however deep it failed, as componentErrors.wrap
// does for every constructor.
func requireNamedOnce(t *testing.T, err error, component string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, 1, strings.Count(err.Error(), component+": "), "the component is named once: %v", err)
}

// parseJSON decodes a JSON string input (policies, container definitions).
func parseJSON(t *testing.T, v any, into any) {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "want a JSON string, got %T", v)
	require.NoError(t, json.Unmarshal([]byte(s), into))
}

// testNetwork builds a Network with default args for tests of other components.
func testNetwork(ctx *pulumi.Context) (*Network, error) {
	return NewNetwork(ctx, "net", &NetworkArgs{})
}

// testRun is what a run left behind: the harness and the resolved exports.
type testRun struct {
	m   *fakeaws.AWS
	out map[string]any
}

// runBehindPrivateLinkNLB runs fn with a Network and a PrivateLinkNLB of the
// given target type, as compute components are always wired, and exports
// what compute tests compare against.
func runBehindPrivateLinkNLB(t *testing.T, targetType string, fn func(ctx *pulumi.Context, net *Network, svc *PrivateLinkNLB) error) (*testRun, error) {
	t.Helper()
	m := fakeaws.New()
	out, err := deployBehindPrivateLinkNLB(m, targetType, fn)
	return &testRun{m: m, out: out}, err
}

// deployBehindPrivateLinkNLB is one deployment on m of what
// runBehindPrivateLinkNLB runs, for tests of deployments in sequence.
func deployBehindPrivateLinkNLB(m *fakeaws.AWS, targetType string, fn func(ctx *pulumi.Context, net *Network, svc *PrivateLinkNLB) error) (map[string]any, error) {
	return m.Run("test", nil, "", func(ctx *pulumi.Context) error {
		net, err := testNetwork(ctx)
		if err != nil {
			return err
		}
		args := privateLinkNLBArgs(net)
		args.TargetType = targetType
		svc, err := NewPrivateLinkNLB(ctx, "svc", args)
		if err != nil {
			return err
		}
		if err := fn(ctx, net, svc); err != nil {
			return err
		}
		ctx.Export("subnets", net.WorkloadSubnetIds)
		ctx.Export("targetSG", svc.TargetSecurityGroupId)
		ctx.Export("targetGroup", svc.TargetGroupArn)
		return nil
	})
}
