package fakeaws

import (
	"encoding/json"
	"fmt"
)

// A REST API serves what its stage's deployment holds: a snapshot of the
// API made when the deployment is created. Methods, integrations, the
// resource policy and the execute-api switch changed since reach no caller
// until a new deployment is made and the stage moved to it
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html).
// The fake records each deployment's snapshot and, after every update,
// refuses a stage that serves a snapshot other than its API as it now is:
// the update left callers with the API as it was.

const (
	deploymentType = "aws:apigateway/deployment:Deployment"
	restAPIType    = "aws:apigateway/restApi:RestApi"
	restStageType  = "aws:apigateway/stage:Stage"
)

// restSnapshotInputs are what a deployment snapshots of its REST API.
var restSnapshotInputs = []string{"body", "policy", "disableExecuteApiEndpoint", "endpointConfiguration"}

// restAPISnapshot is the deployable part of the REST API with that ID, as
// the state holds it now. Methods made as resources of their own are part
// of it too.
func (m *AWS) restAPISnapshot(id any) string {
	snapshot := map[string]any{}
	for _, r := range m.deployed {
		switch {
		case r.Type == restAPIType && r.ID == id:
			in := r.Map()
			for _, k := range restSnapshotInputs {
				snapshot[k] = in[k]
			}
		case r.Type == "aws:apigateway/method:Method" && r.Map()["restApi"] == id:
			snapshot[r.Type+" "+r.Name] = r.Map()
		}
	}
	b, err := json.Marshal(snapshot)
	if err != nil {
		return fmt.Sprintf("unmarshalable: %v", err)
	}
	return string(b)
}

// checkDeployments refuses an update after which a stage serves a
// deployment that doesn't hold its API as it is.
func (m *AWS) checkDeployments() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, key := range sortedKeys(m.deployed) {
		stage := m.deployed[key]
		if stage.Type != restStageType {
			continue
		}
		in := stage.Map()
		deployment, _ := in["deployment"].(string)
		if m.snapshots[deployment] != m.restAPISnapshot(in["restApi"]) {
			return fmt.Errorf("REST stage %s serves deployment %s, which holds the API as it was, not as this update left it: callers get the old methods, policy or endpoint until a new deployment is made after the change", stage.Name, deployment)
		}
	}
	return nil
}
