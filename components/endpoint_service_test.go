package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func TestEndpointServiceRejectsBadArgs(t *testing.T) {
	for name, args := range map[string]*EndpointServiceArgs{
		"neither":       {AllowedPrincipals: []string{"arn:aws:iam::111111111111:root"}},
		"both":          {LoadBalancerArn: "arn:x", ExistingServiceId: "vpce-svc-1", AllowedPrincipals: []string{"arn:aws:iam::111111111111:root"}},
		"no principals": {LoadBalancerArn: "arn:x"},
		"a wildcard":    {LoadBalancerArn: "arn:x", AllowedPrincipals: []string{"*"}},
	} {
		t.Run(name, func(t *testing.T) {
			m, _, err := run(t, func(ctx *pulumi.Context) error {
				_, err := NewEndpointService(ctx, "svc", args)
				return err
			})
			require.ErrorContains(t, err, "endpoint service svc:")
			require.Empty(t, m.Resources())
		})
	}
}
