package contract

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/require"
)

func TestParseConsumer(t *testing.T) {
	const stack = "organization/private-apis/consumer"
	const orders = "organization/private-apis/orders"
	entry := func(kv ...any) map[string]any {
		e := map[string]any{"endpointId": "vpce-0abc1234567890def", "endpointServiceId": "vpce-svc-0def1234567890abc", "routes": []any{"GET /orders"}, "wired": true}
		for i := 0; i+1 < len(kv); i += 2 {
			e[kv[i].(string)] = kv[i+1]
		}
		return e
	}
	tests := []struct {
		name    string
		output  any
		want    map[string]ConsumerEntry
		wantErr string
	}{
		{name: "nothing exported yet", output: nil, want: map[string]ConsumerEntry{}},
		{name: "an entry", output: map[string]any{orders: entry()},
			want: map[string]ConsumerEntry{orders: {EndpointID: "vpce-0abc1234567890def", EndpointServiceID: "vpce-svc-0def1234567890abc", Routes: []string{"GET /orders"}, Wired: true}}},
		{name: "an older consumer's entry without routes or wired", output: map[string]any{orders: map[string]any{"endpointId": "vpce-0abc1234567890def", "endpointServiceId": "vpce-svc-0def1234567890abc"}},
			want: map[string]ConsumerEntry{orders: {EndpointID: "vpce-0abc1234567890def", EndpointServiceID: "vpce-svc-0def1234567890abc"}}},
		{name: "not an object", output: "vpce-0abc1234567890def",
			wantErr: `consumer stack organization/private-apis/consumer: output "providers" is string, want an object of provider stack names to {endpointId, endpointServiceId, routes, wired}`},
		{name: "an entry not an object", output: map[string]any{orders: []any{"vpce-0abc1234567890def"}},
			wantErr: `consumer stack organization/private-apis/consumer: output providers["organization/private-apis/orders"] is []interface {}, want an object`},
		{name: "an endpoint ID not a string", output: map[string]any{orders: entry("endpointId", 42.0)},
			wantErr: `output providers["organization/private-apis/orders"].endpointId is float64, want a string`},
		{name: "routes not route keys", output: map[string]any{orders: entry("routes", []any{"GET /orders", 3.0})},
			wantErr: `providers["organization/private-apis/orders"].routes is [GET /orders 3], want a list of route keys`},
		{name: "wired not a boolean", output: map[string]any{orders: entry("wired", "yes")},
			wantErr: `providers["organization/private-apis/orders"].wired is string, want true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConsumer(stack, tt.output)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestConsumerSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	require.NoError(t, c.AddResource("consumer.schema.json", bytes.NewReader(ConsumerSchema)))
	schema, err := c.Compile("consumer.schema.json")
	require.NoError(t, err)
	entry := `{"endpointId": "vpce-0abc1234567890def", "endpointServiceId": "vpce-svc-0def1234567890abc", "routes": ["GET /orders"], "wired": true}`
	for _, tt := range []struct {
		doc   string
		valid bool
	}{
		{`{"providers": {"organization/private-apis/orders": ` + entry + `}, "apiUrl": "https://api.example.com"}`, true},
		{`{"providers": {}}`, true},
		{`{"apiUrl": "https://api.example.com"}`, false},
		{`{"providers": {"orders": ` + entry + `}}`, false},
		{`{"providers": {"organization/private-apis/orders": {"endpointId": "vpce-0abc1234567890def"}}}`, false},
		{`{"providers": {"organization/private-apis/orders": {"endpointId": 42, "endpointServiceId": "vpce-svc-0def1234567890abc", "routes": [], "wired": false}}}`, false},
	} {
		var v any
		require.NoError(t, json.Unmarshal([]byte(tt.doc), &v))
		if tt.valid {
			require.NoError(t, schema.Validate(v), tt.doc)
		} else {
			require.Error(t, schema.Validate(v), tt.doc)
		}
	}
}
