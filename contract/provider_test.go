package contract

import (
	"strings"
	"testing"
)

// outputs is what a StackReference returns for a healthy ecs-provider.
func outputs() map[string]any {
	return map[string]any{
		EndpointServiceName: "com.amazonaws.vpce.us-west-2.vpce-svc-0123456789abcdef0",
		EndpointServiceID:   "vpce-svc-0123456789abcdef0",
		AllowedPrincipals:   []any{"arn:aws:iam::111111111111:root"},
		ServicePort:         8080.0,
		HealthCheckPath:     "/healthz",
		Routes:              []any{"GET /dogs", "GET /dogs/males"},
		AvailabilityZoneIDs: []any{"usw2-az1", "usw2-az2"},
		Region:              "us-west-2",
	}
}

func TestParse(t *testing.T) {
	p, err := Parse("organization/private-apis/ecs-provider", outputs())
	if err != nil {
		t.Fatal(err)
	}
	if p.ServicePort != 8080 || p.Region != "us-west-2" || len(p.Routes) != 2 || p.AvailabilityZoneIDs[1] != "usw2-az2" ||
		p.AllowedPrincipals[0] != "arn:aws:iam::111111111111:root" || p.SupportedRegions != nil {
		t.Fatalf("parsed %+v", p)
	}

	if p.AcceptanceRequired || p.AcceptedEndpoints != nil || p.Version != "1.0" {
		t.Fatalf("a provider without the optional outputs is a version 1.0 contract that accepts nothing: %+v", p)
	}

	withOptional := outputs()
	withOptional[SupportedRegions] = []any{"us-east-1"}
	withOptional[AcceptanceRequired] = true
	withOptional[AcceptedEndpoints] = map[string]any{"organization/private-apis/consumer": "vpce-0abc1234567890def"}
	withOptional[ContractVersion] = "1.7"
	p, err = Parse("org/private-apis/ecs-provider", withOptional)
	if err != nil || len(p.SupportedRegions) != 1 || !p.AcceptanceRequired || p.AcceptedEndpoints["organization/private-apis/consumer"] != "vpce-0abc1234567890def" || p.Version != "1.7" {
		t.Fatalf("optional outputs: %+v, %v", p, err)
	}

	noRegions := outputs()
	noRegions[SupportedRegions] = []any{}
	p, err = Parse("org/private-apis/ecs-provider", noRegions)
	if err != nil || p.SupportedRegions == nil || len(p.SupportedRegions) != 0 {
		t.Fatalf("an empty supportedRegions is exported, and empty: %#v, %v", p.SupportedRegions, err)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(map[string]any)
		want   string
	}{
		{"missing output", func(o map[string]any) { delete(o, Routes) }, `provider stack org/p/ecs-provider has no output "routes"`},
		{"null output", func(o map[string]any) { o[Region] = nil }, `no output "region"`},
		{"port as string", func(o map[string]any) { o[ServicePort] = "8080" }, `output "servicePort" is string`},
		{"fractional port", func(o map[string]any) { o[ServicePort] = 80.5 }, "a whole number"},
		{"routes not a list", func(o map[string]any) { o[Routes] = "GET /dogs" }, "a list of strings"},
		{"route item not a string", func(o map[string]any) { o[Routes] = []any{"GET /a", 3.0} }, "a list of strings"},
		{"empty AZs", func(o map[string]any) { o[AvailabilityZoneIDs] = []any{} }, `output "availabilityZoneIds" is empty`},
		{"bad route", func(o map[string]any) { o[Routes] = []any{"/dogs"} }, "invalid contract"},
		{"empty name", func(o map[string]any) { o[EndpointServiceName] = "" }, "a non-empty string"},
		{"acceptance not a bool", func(o map[string]any) { o[AcceptanceRequired] = "yes" }, `output "acceptanceRequired" is string (yes), want true or false`},
		{"accepted endpoints not a map", func(o map[string]any) { o[AcceptedEndpoints] = []any{"vpce-01a2b3c4d5e6f7081"} }, "a map of strings"},
		{"accepted endpoint not a string", func(o map[string]any) { o[AcceptedEndpoints] = map[string]any{"a/b/c": 1.0} }, "a map of strings"},
		{"a major version this consumer doesn't read", func(o map[string]any) { o[ContractVersion] = "2.0" },
			"exports contract version 2.0, and this consumer reads version 1.x: upgrade private-apis in the consumer's repository"},
		{"a version that is no version", func(o map[string]any) { o[ContractVersion] = "v1" }, `output "contractVersion" is "v1", want MAJOR.MINOR, e.g. 1.1`},
		{"a version that is a number", func(o map[string]any) { o[ContractVersion] = 1.0 }, `output "contractVersion" is float64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := outputs()
			tt.mutate(o)
			_, err := Parse("org/p/ecs-provider", o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
