package stacks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/private-apis/private-apis/internal/fakeaws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

// TestUndeclaredKeysAreRefused sets keys as the Pulumi CLI passes them (in
// PULUMI_CONFIG, with Pulumi.yaml's defaults): a key of the project's
// namespace that Pulumi.yaml does not declare is refused before anything is
// created, with the nearest declared key when it looks like a typo, and
// together with the stack's other problems. Keys of other namespaces and
// renamed keys (which get their own message) are left alone.
func TestUndeclaredKeysAreRefused(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want []string
		// refused is false when the keys are all declared or not ours.
		refused bool
		// stack is the stack's name, ecs-provider unless set.
		stack string
	}{
		{"a typo", map[string]string{"private-apis:routeRateLimt": "5"},
			[]string{"private-apis:routeRateLimt: not a key of this project", "did you mean private-apis:routeRateLimit?"}, true, ""},
		{"wrong case", map[string]string{"private-apis:VPCCidr": "10.1.0.0/16"},
			[]string{"private-apis:VPCCidr", "did you mean private-apis:vpcCidr?"}, true, ""},
		{"nothing near", map[string]string{"private-apis:frobnicate": "true"},
			[]string{"private-apis:frobnicate: not a key of this project", "see docs/configuration.md"}, true, ""},
		{"with other problems", map[string]string{"private-apis:desiredCont": "3", "private-apis:desiredCount": "0"},
			[]string{"did you mean private-apis:desiredCount?", "private-apis:desiredCount = 0", "nothing was created"}, true, ""},
		{"other namespaces", map[string]string{"aws:region": "us-west-2", "pulumi:tags": "{}"}, nil, false, ""},
		{"a map key set without --path", map[string]string{"private-apis:cors.maxAge": "600"},
			[]string{"private-apis:cors.maxAge: not a key of this project", "use `pulumi config set --path`"}, true, ""},
		{"a secret and a map set with --path", map[string]string{"private-apis:alarmEmail": "oncall@example.com", "private-apis:monitoring": "true", "private-apis:cors": `{"allowOrigins":["https://app.example.com"]}`}, nil, false, ""},
		{"renamed key", map[string]string{"private-apis:throttlingRateLimit": "5"},
			[]string{"private-apis:throttlingRateLimit", "renamed to private-apis:routeRateLimit"}, true, ""},
		{"a misspelt role key", map[string]string{"private-apis:rol": "ecs-provider"},
			[]string{`unknown role "prod"`, "private-apis:rol: not a key of this project", "did you mean private-apis:role?"}, true, "prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validECSConfig()
			for k, v := range tt.set {
				cfg[k] = v
			}
			env, err := fakeaws.ProjectDefaults(repoRoot(t))
			require.NoError(t, err)
			for k, v := range cfg {
				if !strings.Contains(k, ":") {
					k = namespace + ":" + k
				}
				env[k] = v
			}
			raw, err := json.Marshal(env)
			require.NoError(t, err)
			t.Setenv(pulumi.EnvConfig, string(raw))

			stack := "ecs-provider"
			if tt.stack != "" {
				stack = tt.stack
			}
			m, _, err := runStack(t, stack, cfg)
			if !tt.refused {
				require.NoError(t, err)
				require.NotEmpty(t, customResources(m))
				return
			}
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m), "no cloud resource may be declared")
		})
	}
}

// TestConfigValuesAsUsersWriteThem: a string key written empty means its
// Pulumi.yaml default, as leaving it out does; a provider's alarm threshold
// written as the default in another form is no change; one changed is one
// problem, the consumer's to set, not two.
func TestConfigValuesAsUsersWriteThem(t *testing.T) {
	m, _, err := runStack(t, "ecs-provider", with(validECSConfig(), "vpcCidr", "", "alarm5xxRatePercent", "05"))
	require.NoError(t, err)
	vpcs := m.ByType("aws:ec2/vpc:Vpc")
	require.Len(t, vpcs, 1)
	require.Equal(t, "10.0.0.0/16", vpcs[0].Map()["cidrBlock"], "Pulumi.yaml's default")

	_, _, err = runStack(t, "ecs-provider", with(validECSConfig(), "alarm5xxRatePercent", "500"))
	require.ErrorContains(t, err, "private-apis:alarm5xxRatePercent = 500: the consumer's alarm threshold")
	require.NotContains(t, err.Error(), "1 to 100", "one problem, not two")
}
