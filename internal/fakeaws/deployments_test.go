package fakeaws

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// restAPI, restMethod, deployment and stage declare a REST API's parts, by
// the IDs the fake gives them.
func restAPI(body string) declared {
	return declared{restAPIType, "api", pulumi.Map{"body": pulumi.String(body)}, nil}
}

func restMethod(name string) declared {
	return declared{"aws:apigateway/method:Method", name, pulumi.Map{
		"restApi": pulumi.String(testRestAPIID), "resourceId": pulumi.String("a1b2c3"), "httpMethod": pulumi.String("GET")}, nil}
}

func deployment(trigger string) declared {
	return declared{deploymentType, "deployment", pulumi.Map{"restApi": pulumi.String(testRestAPIID), "triggers": pulumi.StringMap{"api": pulumi.String(trigger)}}, nil}
}

func stage(deploymentID string) declared {
	return declared{restStageType, "stage", pulumi.Map{"restApi": pulumi.String(testRestAPIID), "stageName": pulumi.String("api"), "deployment": pulumi.String(deploymentID)}, nil}
}

var (
	testRestAPIID = digest(restAPIType + "api")[:10]
	firstDeploy   = digest(deploymentType + "deployment")[:6]
	secondDeploy  = digest(deploymentType + "deployment#1")[:6]
)

// TestStageServesItsAPI: after each update a REST stage must serve a
// deployment made from its API as the update left it.
func TestStageServesItsAPI(t *testing.T) {
	tests := []struct {
		name          string
		before, after []declared
		want          string
	}{
		{"a new body, deployed", []declared{restAPI("v1"), deployment("v1"), stage(firstDeploy)},
			[]declared{restAPI("v2"), deployment("v2"), stage(secondDeploy)}, ""},
		{"a new body, not deployed", []declared{restAPI("v1"), deployment("v1"), stage(firstDeploy)},
			[]declared{restAPI("v2"), deployment("v1"), stage(firstDeploy)}, "serves deployment " + firstDeploy + ", which holds the API as it was"},
		{"a method removed, deployed before it goes", []declared{restAPI(""), restMethod("a"), restMethod("b"), deployment("a,b"), stage(firstDeploy)},
			[]declared{restAPI(""), restMethod("a"), deployment("a"), stage(secondDeploy)}, "serves deployment " + secondDeploy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			require.NoError(t, deployAll(m, tt.before...))
			err := deployAll(m, tt.after...)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}
