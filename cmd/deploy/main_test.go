package main

import (
	"bytes"
	"context"
	"testing"

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
		{"no operation", nil, nil, `expected one of preview, up, destroy or outputs, got ""`},
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
