package stacks

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/private-apis/private-apis/contract"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/require"
)

// requireValidContract checks a provider stack's exports, as the CLI would
// store them (JSON), against the published contract schema.
func requireValidContract(t *testing.T, exports map[string]any) {
	t.Helper()
	requireValidAgainst(t, "provider.schema.json", contract.Schema, exports)
}

// requireValidConsumerContract checks a consumer stack's exports against
// the consumer's half of the contract.
func requireValidConsumerContract(t *testing.T, exports map[string]any) {
	t.Helper()
	requireValidAgainst(t, "consumer.schema.json", contract.ConsumerSchema, exports)
}

func requireValidAgainst(t *testing.T, name string, schemaJSON []byte, exports map[string]any) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	require.NoError(t, c.AddResource(name, bytes.NewReader(schemaJSON)))
	schema, err := c.Compile(name)
	require.NoError(t, err)
	body, err := json.Marshal(exports)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(body, &v))
	require.NoError(t, schema.Validate(v), "the exports validate against contract/%s: %s", name, body)
}
