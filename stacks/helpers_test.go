package stacks

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

// repoRoot is the project root (where Pulumi.yaml is), as the CLI passes it.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// ecsProviderConfig is a minimal valid ecs-provider config.
func validECSConfig() map[string]string {
	return map[string]string{
		"allowedPrincipals": `["arn:aws:iam::111111111111:root"]`,
		"tags":              `{"team":"dognames"}`,
	}
}

// runStack runs the whole program as stack `stack` under mocks.
func runStack(t *testing.T, stack string, cfg map[string]string) (*fakeaws.AWS, map[string]any, error) {
	t.Helper()
	m := fakeaws.New()
	out, err := m.Run(stack, cfg, repoRoot(t), Run)
	return m, out, err
}

// customResources are the resources a deployment would create in AWS
// (components are only logical groupings; a read creates nothing).
func customResources(m *fakeaws.AWS) []fakeaws.Resource {
	var out []fakeaws.Resource
	for _, r := range m.Resources() {
		if r.Custom && !r.Read {
			out = append(out, r)
		}
	}
	return out
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}
