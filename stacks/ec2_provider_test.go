package stacks

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
	"github.com/stretchr/testify/require"
)

func validEC2Config() map[string]string {
	return map[string]string{
		"allowedPrincipals": `["arn:aws:iam::111111111111:root"]`,
		"tags":              `{"team":"todo"}`,
	}
}

func TestEC2ProviderExportsTheContract(t *testing.T) {
	_, out, err := runStack(t, "ec2-provider", validEC2Config())
	require.NoError(t, err)
	require.Equal(t, []string{"GET /todo", "POST /todo", "GET /todo/{id}", "DELETE /todo/{id}"}, out[contract.Routes])
	require.Equal(t, 8080, out[contract.ServicePort])
	require.Equal(t, "/healthz", out[contract.HealthCheckPath])
	require.Equal(t, []string{"usw2-az1", "usw2-az2"}, out[contract.AvailabilityZoneIDs])
	require.Equal(t, []string{"arn:aws:iam::111111111111:root"}, out[contract.AllowedPrincipals])
	require.Regexp(t, `^com\.amazonaws\.vpce\.us-west-2\.vpce-svc-[0-9a-f]{17}$`, out[contract.EndpointServiceName])
	require.Equal(t, "us-west-2", out[contract.Region])
	require.NotEmpty(t, out["tableName"])
}

// TestEC2ProviderMeetsTheSecurityChecklist asserts the checklist's M items
// for the EC2 provider: the shared baseline plus launch template, Auto
// Scaling group, DynamoDB and the instance role.
func TestEC2ProviderMeetsTheSecurityChecklist(t *testing.T) {
	m, out, err := runStack(t, "ec2-provider", with(validEC2Config(), "logRetentionDays", "30"))
	require.NoError(t, err)

	assertProviderBaseline(t, m, out, baseline{
		targetType:    "instance",
		logGroups:     2, // flow logs and container logs
		retentionDays: 30,
		trustServices: []string{"ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"},
		tags:          map[string]any{"team": "todo"},
		// Auto Scaling groups carry tags as a list that propagates to instances.
		untaggable:      map[string]bool{"aws:iam/rolePolicyAttachment:RolePolicyAttachment": true, "aws:autoscaling/group:Group": true},
		managedPolicies: 1, // Session Manager's
	})

	t.Run("launch template", func(t *testing.T) { assertEC2LaunchTemplate(t, m, out) })
	t.Run("auto scaling group", func(t *testing.T) { assertEC2AutoScalingGroup(t, m) })
	t.Run("DynamoDB table", func(t *testing.T) { assertTodoTable(t, m) })
	t.Run("instance role reaches only its table", func(t *testing.T) { assertInstanceRoleReachesOnlyItsTable(t, m) })
	t.Run("image built from apps/todo", func(t *testing.T) { assertImageBuiltFrom(t, m, "todo") })
}

func assertEC2LaunchTemplate(t *testing.T, m *fakeaws.AWS, out map[string]any) {
	lts := m.ByType("aws:ec2/launchTemplate:LaunchTemplate")
	require.Len(t, lts, 1)
	lt := lts[0].Map()
	md := lt["metadataOptions"].(map[string]any)
	require.Equal(t, "required", md["httpTokens"])
	require.EqualValues(t, 1, md["httpPutResponseHopLimit"])
	require.NotEmpty(t, lt["networkInterfaces"])
	for _, nic := range lt["networkInterfaces"].([]any) {
		require.Equal(t, "false", nic.(map[string]any)["associatePublicIpAddress"])
	}
	require.NotEmpty(t, lt["blockDeviceMappings"])
	for _, bd := range lt["blockDeviceMappings"].([]any) {
		require.Equal(t, "true", bd.(map[string]any)["ebs"].(map[string]any)["encrypted"])
	}
	require.Nil(t, lt["keyName"])
	require.NotEmpty(t, lt["iamInstanceProfile"].(map[string]any)["arn"])
	require.Equal(t, "t3.small", lt["instanceType"])
	userData, err := base64.StdEncoding.DecodeString(lt["userData"].(string))
	require.NoError(t, err)
	require.Contains(t, string(userData), "TABLE_NAME="+out["tableName"].(string)+"\n", "the app is told its table")
	require.Contains(t, string(userData), "DRAIN_DELAY=5s\n")
	require.Contains(t, string(userData), out["imageUri"].(string))
	require.NotRegexp(t, `AKIA[0-9A-Z]{16}`, string(userData))
}

func assertEC2AutoScalingGroup(t *testing.T, m *fakeaws.AWS) {
	groups := m.ByType("aws:autoscaling/group:Group")
	require.Len(t, groups, 1)
	g := groups[0].Map()
	require.Equal(t, "ELB", g["healthCheckType"])
	require.Greater(t, g["healthCheckGracePeriod"].(float64), 0.0)
	require.GreaterOrEqual(t, g["minSize"].(float64), 2.0)
	require.GreaterOrEqual(t, len(g["vpcZoneIdentifiers"].([]any)), 2)
	require.Len(t, g["targetGroupArns"], 1)
	require.NotEmpty(t, g["launchTemplate"].(map[string]any)["version"])
	require.Equal(t, g["minSize"], g["minElbCapacity"], "a release waits until its instances are healthy")
	require.Equal(t, []string{"launchTemplate", "targetGroupArns", "#initerror"}, groups[0].ReplaceOnChanges, "each release is a new group")
	require.Contains(t, g["tags"], map[string]any{"key": "team", "value": "todo", "propagateAtLaunch": true})
}

func assertTodoTable(t *testing.T, m *fakeaws.AWS) {
	tables := m.ByType("aws:dynamodb/table:Table")
	require.Len(t, tables, 1)
	tbl := tables[0].Map()
	require.Equal(t, map[string]any{"enabled": true}, tbl["pointInTimeRecovery"])
	require.Equal(t, true, tbl["deletionProtectionEnabled"])
	require.Equal(t, "PAY_PER_REQUEST", tbl["billingMode"])
	require.Equal(t, "owner", tbl["hashKey"])
	require.Equal(t, "id", tbl["rangeKey"])
	require.Equal(t, map[string]any{"enabled": true}, tbl["serverSideEncryption"])
}

func assertInstanceRoleReachesOnlyItsTable(t *testing.T, m *fakeaws.AWS) {
	var doc struct {
		Statement []struct {
			Action   []string
			Resource []string
		}
	}
	r, ok := m.Named("aws:iam/rolePolicy:RolePolicy", "todo-instance")
	require.True(t, ok)
	require.NoError(t, json.Unmarshal([]byte(r.Map()["policy"].(string)), &doc))
	allowed := map[string]bool{"dynamodb:GetItem": true, "dynamodb:PutItem": true, "dynamodb:UpdateItem": true, "dynamodb:DeleteItem": true, "dynamodb:Query": true}
	var tableActions []string
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			if len(a) > 9 && a[:9] == "dynamodb:" {
				require.True(t, allowed[a], "%s is beyond the item actions the app uses", a)
				require.Len(t, s.Resource, 1)
				require.Contains(t, s.Resource[0], "todo-table", "only the todo table")
				tableActions = append(tableActions, a)
			}
		}
	}
	require.ElementsMatch(t, todoTableActions, tableActions)
	require.Len(t, m.ByType("aws:iam/instanceProfile:InstanceProfile"), 1)
}

func TestEC2ProviderTableProtectionCanBeTurnedOff(t *testing.T) {
	m, _, err := runStack(t, "ec2-provider", with(validEC2Config(), "tableDeletionProtection", "false"))
	require.NoError(t, err)
	require.Equal(t, false, m.ByType("aws:dynamodb/table:Table")[0].Map()["deletionProtectionEnabled"])
}

func TestEC2ProviderBadConfig(t *testing.T) {
	base := validEC2Config()
	tests := []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"graviton instance", with(base, "instanceType", "t4g.small"),
			[]string{"private-apis:instanceType", `"t4g.small"`, "Graviton", "t3.small"}},
		{"not an instance type", with(base, "instanceType", "big"),
			[]string{"private-apis:instanceType", `"big"`, "not an EC2 instance type"}},
		{"one instance", with(base, "minSize", "1"),
			[]string{"private-apis:minSize = 1", "at least 2"}},
		{"max below min", with(base, "minSize", "3", "maxSize", "2"),
			[]string{"private-apis:maxSize = 2", "between minSize (3)"}},
		{"desired above max", with(base, "desiredCapacity", "9"),
			[]string{"private-apis:desiredCapacity = 9", "between minSize (2) and maxSize (4)"}},
		{"size not a number", with(base, "maxSize", "lots"),
			[]string{"private-apis:maxSize", `"lots"`, "not a whole number"}},
		{"protection not a bool", with(base, "tableDeletionProtection", "maybe"),
			[]string{"private-apis:tableDeletionProtection", `"maybe"`, "true or false"}},
		{"no NAT", with(base, "natGateways", "none"),
			[]string{"private-apis:natGateways", "NAT gateway"}},
		{"missing principals", with(base, "allowedPrincipals", "<unset>"),
			[]string{"private-apis:allowedPrincipals", "required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := runStack(t, "ec2-provider", tt.cfg)
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
			require.Empty(t, customResources(m))
		})
	}
}
