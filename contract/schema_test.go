package contract

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// compileSchema compiles provider.schema.json as any JSON Schema tool
// would.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource("provider.schema.json", bytes.NewReader(Schema)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("provider.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// typeScriptProvider is what the TypeScript provider in docs/providers.md
// exports, as `pulumi stack output --json` shows it.
var typeScriptProvider = func() string {
	b, err := os.ReadFile(filepath.Join("testdata", "typescript-provider.json"))
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func TestSchemaAcceptsAProviderInAnyLanguage(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(typeScriptProvider), &v); err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(v); err != nil {
		t.Fatal(err)
	}
	// The consumer's own reader takes it as well.
	p, err := Parse("acme/orders/prod", v.(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	if p.ServicePort != 8443 || len(p.Routes) != 4 || p.Version != "1.1" {
		t.Fatalf("parsed %+v", p)
	}
}

func TestSchemaRefuses(t *testing.T) {
	schema := compileSchema(t)
	for name, mutate := range map[string]func(map[string]any){
		"a missing output":       func(o map[string]any) { delete(o, "routes") },
		"a port as a string":     func(o map[string]any) { o["servicePort"] = "8443" },
		"a wildcard principal":   func(o map[string]any) { o["allowedPrincipals"] = []any{"*"} },
		"no principals":          func(o map[string]any) { o["allowedPrincipals"] = []any{} },
		"an AZ name":             func(o map[string]any) { o["availabilityZoneIds"] = []any{"us-west-2a"} },
		"a catch-all route":      func(o map[string]any) { o["routes"] = []any{"ANY /{proxy+}"} },
		"$default":               func(o map[string]any) { o["routes"] = []any{"$default"} },
		"a lower-case method":    func(o map[string]any) { o["routes"] = []any{"get /orders"} },
		"a greedy segment early": func(o map[string]any) { o["routes"] = []any{"GET /{proxy+}/x"} },
		"a major version 2":      func(o map[string]any) { o["contractVersion"] = "2.0" },
		"a fractional port":      func(o map[string]any) { o["servicePort"] = 80.5 },
		"a short service id":     func(o map[string]any) { o["endpointServiceId"] = "vpce-svc-1" },
		"a short service name":   func(o map[string]any) { o["endpointServiceName"] = "com.amazonaws.vpce.us-west-2.vpce-svc-1" },
	} {
		t.Run(name, func(t *testing.T) {
			var o map[string]any
			if err := json.Unmarshal([]byte(typeScriptProvider), &o); err != nil {
				t.Fatal(err)
			}
			mutate(o)
			if err := schema.Validate(o); err == nil {
				t.Fatal("the schema accepted it")
			}
		})
	}
}

// TestSchemaAndRouteKeysAgree: every route key the contract package
// accepts the schema accepts, and the other way round, for the forms a
// provider writes.
func TestSchemaAndRouteKeysAgree(t *testing.T) {
	schema := compileSchema(t)
	keys := []string{
		"GET /dogs", "GET /todo/{id}", "ANY /things", "ANY /billing/{proxy+}", "GET /billing/{account}/{path+}",
		"GET /", "ANY /{proxy+}", "GET /a/b{id}", "GET /a//b", "GET dogs", "FETCH /x", "GET /x/", "GET /{proxy+}/x",
	}
	for _, s := range Services {
		keys = append(keys, s.Routes...)
	}
	for _, key := range keys {
		o := map[string]any{}
		if err := json.Unmarshal([]byte(typeScriptProvider), &o); err != nil {
			t.Fatal(err)
		}
		o["routes"] = []any{key}
		schemaErr := schema.Validate(o)
		goErr := ValidateRouteKey(key)
		if (schemaErr == nil) != (goErr == nil) {
			t.Errorf("%q: schema says %v, ValidateRouteKey says %v", key, schemaErr, goErr)
		}
	}
	if !strings.Contains(string(Schema), "contract, version "+Version+`"`) {
		t.Errorf("the schema's title should name version %s", Version)
	}
}
