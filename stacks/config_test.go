package stacks

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBadConfigIsRefusedBeforeAnythingIsCreated runs the whole program with
// one bad value at a time: each error names the key and the bad value, says
// what would be right, and nothing is created.
func TestBadConfigIsRefusedBeforeAnythingIsCreated(t *testing.T) {
	base := validECSConfig()
	tests := []struct {
		name  string
		stack string
		cfg   map[string]string
		want  []string
	}{
		{"missing principals", "ecs-provider", with(base, "allowedPrincipals", "<unset>"),
			[]string{"private-apis:allowedPrincipals", "required", "arn:aws:iam::111111111111:root"}},
		{"empty principals", "ecs-provider", with(base, "allowedPrincipals", `[]`),
			[]string{"private-apis:allowedPrincipals", "required"}},
		{"wildcard principal", "ecs-provider", with(base, "allowedPrincipals", `["*"]`),
			[]string{"private-apis:allowedPrincipals", `"*" would let any AWS account connect`}},
		{"malformed ARN", "ecs-provider", with(base, "allowedPrincipals", `["arn:aws:iam::1111:root"]`),
			[]string{"private-apis:allowedPrincipals", `"arn:aws:iam::1111:root" is not an IAM principal ARN`}},
		{"principals not a list", "ecs-provider", with(base, "allowedPrincipals", `arn:aws:iam::111111111111:root`),
			[]string{"private-apis:allowedPrincipals", "not a list of strings"}},
		{"CIDR not a CIDR", "ecs-provider", with(base, "vpcCidr", "10.0.0.0/33"),
			[]string{"private-apis:vpcCidr", `"10.0.0.0/33"`, "not an IPv4 CIDR", "10.0.0.0/16"}},
		{"CIDR too big", "ecs-provider", with(base, "vpcCidr", "10.0.0.0/8"),
			[]string{"private-apis:vpcCidr", `"10.0.0.0/8"`, "outside /16 to /20"}},
		{"CIDR too small for the subnet layout", "ecs-provider", with(base, "vpcCidr", "10.0.0.0/24"),
			[]string{"private-apis:vpcCidr", `"10.0.0.0/24"`, "outside /16 to /20", "at least a /28"}},
		{"CIDR host bits", "ecs-provider", with(base, "vpcCidr", "10.0.1.0/16"),
			[]string{"private-apis:vpcCidr", "did you mean 10.0.0.0/16"}},
		{"CIDR public", "ecs-provider", with(base, "vpcCidr", "8.8.0.0/16"),
			[]string{"private-apis:vpcCidr", `"8.8.0.0/16"`, "not a private"}},
		{"unknown NAT strategy", "ecs-provider", with(base, "natGateways", "twoPerAz"),
			[]string{"private-apis:natGateways", `"twoPerAz"`, "[none single onePerAz]"}},
		{"no NAT for Fargate", "ecs-provider", with(base, "natGateways", "none"),
			[]string{"private-apis:natGateways", `"none"`, "pull their image"}},
		{"Fargate size", "ecs-provider", with(base, "cpu", "256", "memory", "4096"),
			[]string{"private-apis:cpu", "256 (memory 4096)", "use one of [512 1024 2048]"}},
		{"Fargate cpu", "ecs-provider", with(base, "cpu", "300"),
			[]string{"private-apis:cpu", "cpu 300 is not a Fargate size"}},
		{"cpu not a number", "ecs-provider", with(base, "cpu", "abc"),
			[]string{"private-apis:cpu", `"abc"`, "not a whole number"}},
		{"desiredCount not a number", "ecs-provider", with(base, "desiredCount", "two"),
			[]string{"private-apis:desiredCount", `"two"`, "not a whole number", "e.g. 2"}},
		{"desiredCount one", "ecs-provider", with(base, "desiredCount", "1"),
			[]string{"private-apis:desiredCount = 1", "run 2 to 1000 tasks"}},
		{"AZ names instead of IDs", "ecs-provider", with(base, "availabilityZoneIds", `["us-west-2a","us-west-2b"]`),
			[]string{"private-apis:availabilityZoneIds", `"us-west-2a" is not an availability zone ID`, "usw2-az1"}},
		{"one AZ", "ecs-provider", with(base, "availabilityZoneIds", `["usw2-az1"]`),
			[]string{"private-apis:availabilityZoneIds", "at least 2"}},
		{"AZ not in region", "ecs-provider", with(base, "availabilityZoneIds", `["usw2-az1","usw2-az9"]`),
			[]string{`"usw2-az9" is not in this region`, "usw2-az1, usw2-az2, usw2-az3, usw2-az4"}},
		{"acceptance not a bool", "ecs-provider", with(base, "acceptanceRequired", "yes"),
			[]string{"private-apis:acceptanceRequired", `"yes"`, "true or false"}},
		{"bad supported region", "ecs-provider", with(base, "supportedRegions", `["mars-1"]`),
			[]string{"private-apis:supportedRegions", `"mars-1" is not an AWS region`, "us-east-1"}},
		{"tags not a map", "ecs-provider", with(base, "tags", `["team"]`),
			[]string{"private-apis:tags", "not a map of strings"}},
		{"reserved tag", "ecs-provider", with(base, "tags", `{"aws:team":"x"}`),
			[]string{"private-apis:tags", `"aws:team"`, "reserved"}},
		{"log retention", "ecs-provider", with(base, "logRetentionDays", "42"),
			[]string{"private-apis:logRetentionDays = 42", "accepts only"}},
		{"unknown role from stack name", "dev", base,
			[]string{`unknown role "dev"`, `stack name "dev"`, "consumer, ec2-provider, ecs-provider", "pulumi config set private-apis:role"}},
		{"unknown role from config", "dev", with(base, "role", "ecs"),
			[]string{`unknown role "ecs"`, "from config private-apis:role"}},
		{"every problem at once", "ecs-provider", with(base, "desiredCount", "0", "vpcCidr", "nope", "allowedPrincipals", `["*"]`),
			[]string{"private-apis:desiredCount", "private-apis:vpcCidr", "private-apis:allowedPrincipals", "nothing was created"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := runStack(t, tt.stack, tt.cfg)
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m), "no cloud resource may be declared")
		})
	}
}

func TestRoleSelection(t *testing.T) {
	_, _, err := runStack(t, "ecs-provider", validECSConfig())
	require.NoError(t, err, "the stack name is the role")

	_, out, err := runStack(t, "dognames-prod", with(validECSConfig(), "role", "ecs-provider"))
	require.NoError(t, err, "private-apis:role overrides the stack name")
	require.Contains(t, out, "endpointServiceName")

}
