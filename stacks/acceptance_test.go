package stacks

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/internal/fakeaws"
)

const consumerStackName = "organization/private-apis/consumer"

// todoEndpoint is the consumer's endpoint to the todo provider.
const todoEndpoint = "vpce-070d0a1b2c3d4e5f6"

// ownServiceID runs the ec2-provider once to learn the endpoint service ID
// the mocks give it, as a consumer would read it from its contract.
func ownServiceID(t *testing.T) string {
	t.Helper()
	_, out, err := runStack(t, "ec2-provider", validEC2Config())
	require.NoError(t, err)
	return out["endpointServiceId"].(string)
}

func runAccepting(t *testing.T, consumerOutputs map[string]any) (*fakeaws.AWS, error) {
	t.Helper()
	m := fakeaws.New()
	m.Account = "333333333333"
	m.StackOutputs = map[string]map[string]any{consumerStackName: consumerOutputs}
	cfg := with(validEC2Config(), "acceptanceRequired", "true", "consumerStack", consumerStackName)
	_, err := m.Run("ec2-provider", cfg, repoRoot(t), Run)
	return m, err
}

func TestProviderAcceptsOnlyItsOwnEndpoint(t *testing.T) {
	own := ownServiceID(t)
	m, err := runAccepting(t, map[string]any{"providers": map[string]any{
		"organization/private-apis/ec2-provider": map[string]any{"endpointId": todoEndpoint, "endpointServiceId": own, "routes": []any{"GET /todo"}},
		"organization/private-apis/ecs-provider": map[string]any{"endpointId": "vpce-0d06a1b2c3d4e5f60", "endpointServiceId": "vpce-svc-0e15e1b2c3d4e5f60"},
	}})
	require.NoError(t, err)
	accepters := m.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter")
	require.Len(t, accepters, 1, "only the endpoint aimed at this provider")
	require.Equal(t, todoEndpoint, accepters[0].Map()["vpcEndpointId"])
	require.Equal(t, own, accepters[0].Map()["vpcEndpointServiceId"])
	es := m.ByType("aws:ec2/vpcEndpointService:VpcEndpointService")
	require.Len(t, es, 1)
	require.Equal(t, true, es[0].Map()["acceptanceRequired"])
}

func TestProviderRefusesAnEndpointForAnotherService(t *testing.T) {
	m, err := runAccepting(t, map[string]any{"providers": map[string]any{
		"organization/private-apis/ec2-provider": map[string]any{"endpointId": todoEndpoint, "endpointServiceId": "vpce-svc-05a1e1b2c3d4e5f60"},
	}})
	require.ErrorContains(t, err, "consumer endpoint "+todoEndpoint+" is for endpoint service vpce-svc-05a1e1b2c3d4e5f60, not this one")
	require.Empty(t, m.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter"))
}

func TestProviderRefusesAMistypedConsumerExport(t *testing.T) {
	m, err := runAccepting(t, map[string]any{"providers": map[string]any{
		"organization/private-apis/ec2-provider": map[string]any{"endpointId": 42, "endpointServiceId": "vpce-svc-0b2c3d4e5f6071829"},
	}})
	require.ErrorContains(t, err, `consumer stack organization/private-apis/consumer: output providers["organization/private-apis/ec2-provider"].endpointId is float64, want a string`)
	require.Empty(t, m.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter"))
}

func TestProviderFirstPassBeforeTheConsumerIsDeployed(t *testing.T) {
	m, err := runAccepting(t, map[string]any{})
	require.NoError(t, err, "a consumer stack with no outputs yet is not an error")
	require.Empty(t, m.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter"))
}

func TestProviderWithoutAcceptanceReadsNoConsumer(t *testing.T) {
	m := fakeaws.New()
	_, err := m.Run("ec2-provider", with(validEC2Config(), "consumerStack", consumerStackName), repoRoot(t), Run)
	require.NoError(t, err)
	require.Empty(t, m.ByType("pulumi:pulumi:StackReference"))
	require.Empty(t, m.ByType("aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter"))
}

func TestConsumerStackNameIsValidated(t *testing.T) {
	_, _, err := runStack(t, "ec2-provider", with(validEC2Config(), "acceptanceRequired", "true", "consumerStack", "consumer"))
	require.ErrorContains(t, err, `private-apis:consumerStack = "consumer": not a fully-qualified stack name`)
}
