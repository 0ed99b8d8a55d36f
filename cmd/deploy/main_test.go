package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/private-apis/private-apis/cmd/deploy/orchestrate"

	"github.com/stretchr/testify/require"
)

func TestRunRefusesBadInvocations(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no operation", nil, nil, `expected one of preview, up, destroy, outputs, ready, got ""`},
		{"unknown operation", []string{"refresh"}, nil, `got "refresh"`},
		{"destroy needs confirmation", []string{"destroy"}, nil, "rerun with -yes"},
		{"no project", []string{"-project", t.TempDir(), "up"}, nil, "no Pulumi.yaml in"},
		{"CLI missing", []string{"-project", "../..", "up"}, map[string]string{"PULUMI_CLI": "/nonexistent/bin/pulumi"}, "cannot be run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, env(tt.env), &out, &errOut)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestSplitList(t *testing.T) {
	require.Equal(t, []string{"a", "b"}, splitList(" a, ,b,"))
	require.Nil(t, splitList(""))
}

type stack struct {
	orchestrate.Stack
	outputs map[string]any
}

func (s stack) Outputs(context.Context) (map[string]any, error) { return s.outputs, nil }

type workspace map[string]map[string]any

func (w workspace) Stack(_ context.Context, name string) (orchestrate.Stack, error) {
	outputs, ok := w[name]
	if !ok {
		return nil, fmt.Errorf("stack %q does not exist", name)
	}
	return stack{outputs: outputs}, nil
}

func TestCheckReady(t *testing.T) {
	plan := orchestrate.Plan{Providers: []string{"ecs-provider", "ec2-provider"}, Consumer: "consumer"}
	deployed := map[string]any{"endpointServiceName": "com.amazonaws.vpce.us-west-2.vpce-svc-1"}
	var out bytes.Buffer
	require.NoError(t, checkReady(context.Background(), workspace{"ecs-provider": deployed, "ec2-provider": deployed}, plan, &out))
	require.Equal(t, "ready: consumer can read the contracts of ecs-provider, ec2-provider\n", out.String())

	err := checkReady(context.Background(), workspace{"ecs-provider": deployed, "ec2-provider": {}}, plan, &out)
	require.ErrorIs(t, err, errNotDeployed, "exit status 3, which the preview workflow reads as a new setup")
	require.ErrorContains(t, err, "no contract yet from ec2-provider; the consumer stack consumer reads the providers' contracts, so it can be previewed once they are deployed")

	err = checkReady(context.Background(), workspace{"ecs-provider": deployed}, plan, &out)
	require.NotErrorIs(t, err, errNotDeployed, "a missing stack is an error, not a new setup")
	require.ErrorContains(t, err, `stack "ec2-provider" does not exist`)
}
