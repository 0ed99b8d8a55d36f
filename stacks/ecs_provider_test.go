package stacks

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

func TestECSProviderExportsTheContract(t *testing.T) {
	cfg := with(validECSConfig(),
		"allowedPrincipals", `["arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:role/consumer-deployer"]`,
		"availabilityZoneIds", `["usw2-az3","usw2-az1"]`)
	_, out, err := runStack(t, "ecs-provider", cfg)
	require.NoError(t, err)

	for _, name := range contract.Outputs {
		require.Contains(t, out, name, "contract output %s", name)
	}
	require.IsType(t, "", out[contract.EndpointServiceName])
	require.Regexp(t, `^com\.amazonaws\.vpce\.us-west-2\.vpce-svc-[0-9a-f]{17}$`, out[contract.EndpointServiceName])
	require.Regexp(t, `^vpce-svc-[0-9a-f]{17}$`, out[contract.EndpointServiceID])
	require.Equal(t, []string{"arn:aws:iam::111111111111:root", "arn:aws:iam::111111111111:role/consumer-deployer"}, out[contract.AllowedPrincipals])
	require.Equal(t, 8080, out[contract.ServicePort], "an int, not a string or float")
	require.Equal(t, "/healthz", out[contract.HealthCheckPath])
	require.Equal(t, []string{"GET /dogs", "GET /dogs/males", "GET /dogs/females"}, out[contract.Routes])
	require.Equal(t, []string{"usw2-az3", "usw2-az1"}, out[contract.AvailabilityZoneIDs])
	require.Equal(t, "us-west-2", out[contract.Region])
}

// TestECSProviderMeetsTheSecurityChecklist asserts the M items of
// shared/reference/security-checklist.md for every resource this stack
// declares, across all resources rather than one component at a time.
func TestECSProviderMeetsTheSecurityChecklist(t *testing.T) {
	m, out, err := runStack(t, "ecs-provider", with(validECSConfig(), "logRetentionDays", "90"))
	require.NoError(t, err)

	assertProviderBaseline(t, m, out, baseline{
		targetType:    "ip",
		logGroups:     2, // flow logs and app logs
		retentionDays: 90,
		trustServices: []string{"ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"},
		tags:          map[string]any{"team": "dognames"},
	})

	t.Run("no public IPs", func(t *testing.T) {
		service := m.ByType("aws:ecs/service:Service")[0].Map()
		require.Equal(t, false, service["networkConfiguration"].(map[string]any)["assignPublicIp"])
	})

	t.Run("drain timings fit together", func(t *testing.T) {
		tg := m.ByType("aws:lb/targetGroup:TargetGroup")[0].Map()
		defs := containerDefs(t, m)
		env := map[string]string{}
		for _, kv := range defs[0].Environment {
			env[kv.Name] = kv.Value
		}
		require.Equal(t, "5s", env["DRAIN_DELAY"])
		require.Equal(t, "10s", env["SHUTDOWN_TIMEOUT"])
		require.GreaterOrEqual(t, tg["deregistrationDelay"].(float64), float64(appShutdownTimeoutSeconds))
		require.Greater(t, defs[0].StopTimeout, appDrainDelaySeconds+appShutdownTimeoutSeconds)
	})

	t.Run("ECS", func(t *testing.T) {
		service := m.ByType("aws:ecs/service:Service")[0].Map()
		require.Equal(t, map[string]any{"enable": true, "rollback": true}, service["deploymentCircuitBreaker"])
		require.EqualValues(t, 2, service["desiredCount"])
		cluster := m.ByType("aws:ecs/cluster:Cluster")[0].Map()
		require.Equal(t, []any{map[string]any{"name": "containerInsights", "value": "enabled"}}, cluster["settings"])
		defs := containerDefs(t, m)
		require.Equal(t, "awslogs", defs[0].LogConfiguration.LogDriver)
		require.True(t, defs[0].ReadonlyRootFilesystem)
		require.Equal(t, "65532:65532", defs[0].User)
		assertImageBuiltFrom(t, m, "dognames")
		require.Equal(t, out["imageUri"], defs[0].Image, "the task runs the image just pushed")
	})
}

// containerDef is the part of an ECS container definition the tests read.
type containerDef struct {
	Image                  string
	User                   string
	ReadonlyRootFilesystem bool
	StopTimeout            int
	Environment            []struct{ Name, Value string }
	LogConfiguration       struct{ LogDriver string }
}

func containerDefs(t *testing.T, m *fakeaws.AWS) []containerDef {
	t.Helper()
	tasks := m.ByType("aws:ecs/taskDefinition:TaskDefinition")
	require.Len(t, tasks, 1)
	var defs []containerDef
	require.NoError(t, json.Unmarshal([]byte(tasks[0].Map()["containerDefinitions"].(string)), &defs))
	require.Len(t, defs, 1)
	return defs
}
