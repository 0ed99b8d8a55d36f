package components

import "encoding/json"

// policyDocument is an IAM policy or trust policy. Building it as a value and
// marshalling it keeps the JSON well formed and lets tests parse it back.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
}

// assumeRolePolicy lets exactly one AWS service assume a role.
func assumeRolePolicy(service string) string {
	return mustJSON(policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Service": service},
			Action:    []string{"sts:AssumeRole"},
		}},
	})
}

// mustJSON marshals values built from plain structs and strings, which cannot
// fail; a panic here would be a programming error, not bad input.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// imagePullStatements let a principal pull images from one ECR repository.
// GetAuthorizationToken is account-wide and takes no resource.
func imagePullStatements(repositoryArn string) []policyStatement {
	return []policyStatement{
		{Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, Resource: []string{repositoryArn}},
	}
}

// logWriteStatement lets a principal write to the streams of one log group.
func logWriteStatement(logGroupArn string) policyStatement {
	return policyStatement{Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{logGroupArn + ":*"}}
}
