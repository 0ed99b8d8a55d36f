package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow these tests read.
type workflow struct {
	Jobs map[string]struct {
		If    string `yaml:"if"`
		Needs any    `yaml:"needs"`
		Steps []struct {
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(body, &w))
	return w
}

// TestPreviewWorkflowOnForksAndNewSetups: a pull request from a fork gets
// no OIDC token, and on a new setup the consumer has no provider contracts
// to read; in both cases the workflow says so and succeeds instead of
// failing every pull request.
func TestPreviewWorkflowOnForksAndNewSetups(t *testing.T) {
	w := readWorkflow(t, "preview.yml")
	preview, fork := w.Jobs["preview"], w.Jobs["fork"]
	require.Equal(t, "github.event.pull_request.head.repo.full_name == github.repository", preview.If, "only pull requests from this repository get credentials")
	require.Equal(t, "github.event.pull_request.head.repo.full_name != github.repository", fork.If)
	require.Len(t, fork.Steps, 1)
	require.Contains(t, fork.Steps[0].Run, "::notice title=Preview skipped::Pull requests from forks get no OIDC token")

	var check, run bool
	for _, step := range preview.Steps {
		if step.ID == "providers" {
			check = true
			require.Equal(t, "matrix.stack == 'consumer'", step.If)
			require.Contains(t, step.Run, "bin/deploy ready", "the same check `make preview` makes")
			require.Contains(t, step.Run, `3) echo "deployed=false"`, "exit 3 is a new setup, skipped with a notice")
			require.Contains(t, step.Run, `*) exit "$status"`, "any other failure fails the job")
		}
		if step.With["command"] == "preview" {
			run = true
			require.True(t, check, "the check comes before the preview")
			require.Equal(t, "matrix.stack != 'consumer' || steps.providers.outputs.deployed == 'true'", step.If)
		}
	}
	require.True(t, check && run)
}

// TestDeployWorkflowWiresAcceptedEndpoints: deploy.yml runs the stages
// `make up` runs, ending with the consumer's second pass, which registers
// the endpoints the acceptance pass accepted.
func TestDeployWorkflowWiresAcceptedEndpoints(t *testing.T) {
	w := readWorkflow(t, "deploy.yml")
	order := []string{"approve", "providers", "consumer", "acceptance", "wiring"}
	for i, job := range order[1:] {
		require.Equal(t, order[i], w.Jobs[job].Needs, "%s runs after %s", job, order[i])
	}
	for _, job := range []string{"consumer", "wiring"} {
		var up bool
		for _, step := range w.Jobs[job].Steps {
			if strings.HasPrefix(step.Uses, "pulumi/actions@") && step.With["command"] == "up" {
				up = true
				require.Equal(t, "consumer", step.With["stack-name"], job)
			}
		}
		require.True(t, up, "%s runs pulumi up of the consumer", job)
	}
}
