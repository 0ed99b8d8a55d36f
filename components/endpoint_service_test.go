package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func TestEndpointServiceRejectsBadArgs(t *testing.T) {
	const (
		nlb       = "arn:aws:elasticloadbalancing:us-west-2:222222222222:loadbalancer/net/svc-nlb/0a1b2c3d4e5f6071"
		service   = "vpce-svc-0a1b2c3d4e5f60718"
		principal = "arn:aws:iam::111111111111:root"
	)
	for name, tt := range map[string]struct {
		args *EndpointServiceArgs
		want string
	}{
		"neither":       {&EndpointServiceArgs{Publishing: Publishing{AllowedPrincipals: []string{principal}}}, "set exactly one of LoadBalancerArn and ExistingServiceId"},
		"both":          {&EndpointServiceArgs{LoadBalancerArn: nlb, ExistingServiceId: service, Publishing: Publishing{AllowedPrincipals: []string{principal}}}, "set exactly one of"},
		"no principals": {&EndpointServiceArgs{LoadBalancerArn: nlb}, "AllowedPrincipals is empty"},
		"a wildcard":    {&EndpointServiceArgs{LoadBalancerArn: nlb, Publishing: Publishing{AllowedPrincipals: []string{"*"}}}, `AllowedPrincipals contains "*"`},
	} {
		t.Run(name, func(t *testing.T) {
			m, _, err := run(t, func(ctx *pulumi.Context) error {
				_, err := NewEndpointService(ctx, "svc", tt.args)
				return err
			})
			require.ErrorContains(t, err, tt.want)
			requireNamedOnce(t, err, "endpoint service svc")
			require.Empty(t, m.Resources())
		})
	}
}
