package localgw

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
)

const testProject = `name: private-apis
runtime: go
config:
  routeRateLimit:
    type: integer
    default: 100
  routeBurstLimit:
    type: integer
    default: 200
  writeRouteRateLimit:
    type: integer
    default: 20
  writeRouteBurstLimit:
    type: integer
    default: 40
  routeThrottling:
    type: object
    default: {}
  cors:
    type: object
    default: {}
`

func writeRepo(t *testing.T, project, consumer string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ProjectFile), []byte(project), 0o600); err != nil {
		t.Fatal(err)
	}
	if consumer != "" {
		if err := os.WriteFile(filepath.Join(dir, ConsumerFile), []byte(consumer), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func limits(rate, burst, writeRate, writeBurst int) Throttling {
	return Throttling{RateLimit: rate, BurstLimit: burst, WriteRateLimit: writeRate, WriteBurstLimit: writeBurst}
}

func TestLoadStackConfigThrottling(t *testing.T) {
	tests := []struct {
		name     string
		project  string
		consumer string
		want     Throttling
	}{
		{"defaults without a consumer file", testProject, "", limits(100, 200, 20, 40)},
		{"defaults with no throttling keys", testProject, "config:\n  aws:region: us-west-2\n", limits(100, 200, 20, 40)},
		{"consumer overrides some", testProject, "config:\n  private-apis:routeRateLimit: 70\n  private-apis:writeRouteBurstLimit: \"3\"\n", limits(70, 200, 20, 3)},
		{"other project namespace ignored", testProject, "config:\n  other:routeRateLimit: 7\n", limits(100, 200, 20, 40)},
		{"namespaced default", strings.Replace(testProject, "  routeRateLimit:", "  private-apis:routeRateLimit:", 1), "", limits(100, 200, 20, 40)},
		{"a route's own limits", testProject, "config:\n  private-apis:routeThrottling:\n    POST /todo:\n      rateLimit: 5\n      burstLimit: 10\n",
			Throttling{RateLimit: 100, BurstLimit: 200, WriteRateLimit: 20, WriteBurstLimit: 40, Routes: map[string]apirules.RouteLimit{"POST /todo": {RateLimit: 5, BurstLimit: 10}}}},
		{"keys not declared", strings.Split(testProject, "  routeThrottling:")[0], "", limits(100, 200, 20, 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadStackConfig(writeRepo(t, tt.project, tt.consumer))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Throttling; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadStackConfigRejects(t *testing.T) {
	tests := []struct {
		name     string
		project  string
		consumer string
		want     []string
	}{
		{"not a number", testProject, "config:\n  private-apis:routeBurstLimit: lots\n", []string{ConsumerFile, "private-apis:routeBurstLimit (line 2)", `"lots"`}},
		{"zero", testProject, "config:\n  private-apis:writeRouteRateLimit: 0\n", []string{"private-apis:writeRouteRateLimit", `"0"`}},
		{"negative", testProject, "config:\n  private-apis:routeRateLimit: -5\n", []string{"private-apis:routeRateLimit", `"-5"`}},
		{"fraction", testProject, "config:\n  private-apis:routeRateLimit: 1.5\n", []string{"private-apis:routeRateLimit", `"1.5"`}},
		{"list", testProject, "config:\n  private-apis:routeRateLimit: [1]\n", []string{"private-apis:routeRateLimit"}},
		{"every bad key at once", testProject, "config:\n  private-apis:routeRateLimit: x\n  private-apis:routeBurstLimit: y\n", []string{"routeRateLimit", "routeBurstLimit"}},
		{"bad default", strings.Replace(testProject, "default: 40", "default: forty", 1), "", []string{ProjectFile, "default of writeRouteBurstLimit", `"forty"`}},
		{"missing default", strings.Replace(testProject, "    default: 200\n", "", 1), "", []string{"declares no default for routeBurstLimit"}},
		{"no project name", strings.Replace(testProject, "name: private-apis\n", "", 1), "", []string{"no project name"}},
		{"bad consumer YAML", testProject, "config: [\n", []string{"parsing", ConsumerFile}},
		{"route limits misspelt", testProject, "config:\n  private-apis:routeThrottling:\n    POST /todo:\n      rate: 5\n", []string{ConsumerFile, "private-apis:routeThrottling (line 3)", `unknown field "rate"`}},
		{"route limit zero", testProject, "config:\n  private-apis:routeThrottling:\n    POST /todo: {rateLimit: 0, burstLimit: 1}\n", []string{`routeThrottling = "POST /todo": {rateLimit: 0}: rateLimit must be 1 to 10000`}},
		{"route key malformed", testProject, "config:\n  private-apis:routeThrottling:\n    /todo: {rateLimit: 1, burstLimit: 1}\n", []string{`"/todo" must be "METHOD /path"`}},
		{"cors misspelt", testProject, "config:\n  private-apis:cors:\n    allowOrigin: [https://a.example.com]\n", []string{"private-apis:cors (line 3)", `unknown field "allowOrigin"`}},
		{"cors any origin with credentials", testProject, "config:\n  private-apis:cors:\n    allowOrigins: ['*']\n    allowCredentials: true\n", []string{"private-apis:cors", `"*" with allowCredentials`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadStackConfig(writeRepo(t, tt.project, tt.consumer))
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := LoadStackConfig(writeRepo(t, testProject, "config:\n  private-apis:writeRouteRateLimit: 500\n")); err == nil || !strings.Contains(err.Error(), "writeRouteRateLimit = 500: must not exceed routeRateLimit (100)") {
		t.Errorf("writes looser than reads: error = %v", err)
	}
	if _, err := LoadStackConfig(t.TempDir()); err == nil || !strings.Contains(err.Error(), ProjectFile) {
		t.Errorf("missing Pulumi.yaml: error = %v", err)
	}
}

func TestLoadStackConfigCORS(t *testing.T) {
	c, err := LoadStackConfig(writeRepo(t, testProject, "config:\n  private-apis:cors:\n    allowOrigins: [https://app.example.com]\n    maxAge: 300\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := apirules.CORS{AllowOrigins: []string{"https://app.example.com"}, MaxAge: 300}
	if !reflect.DeepEqual(c.CORS, want) {
		t.Fatalf("got %+v, want %+v", c.CORS, want)
	}
	if c, err = LoadStackConfig(writeRepo(t, testProject, "")); err != nil || c.CORS.Enabled() {
		t.Fatalf("default: %+v, %v; want CORS off", c.CORS, err)
	}
}

// TestLoadStackConfigRepository reads the repository's own files: the
// values the consumer stack deploys, POST /todo's own limit among them.
func TestLoadStackConfigRepository(t *testing.T) {
	got, err := LoadStackConfig(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Throttling.Problems(); len(p) > 0 {
		t.Fatal(p)
	}
	if _, ok := got.Throttling.Routes["POST /todo"]; !ok {
		t.Fatalf("Pulumi.consumer.yaml's routeThrottling for POST /todo was not read: %+v", got.Throttling)
	}
}

// restConsumer is a consumer stack file choosing a REST API, with two
// clients and one route that needs no key.
const restConsumer = `config:
  private-apis:apiType: rest
  private-apis:clients:
    partner-a: {rateLimit: 10, burstLimit: 20, quotaLimit: 1000, quotaPeriod: DAY}
    partner-b:
      rateLimit: 5
      burstLimit: 5
  private-apis:publicRoutes: [GET /dogs]
  private-apis:allowedSourceIps: [127.0.0.1/32, 10.0.0.0/8]
  private-apis:deniedSourceIps: [10.1.0.0/16]
`

func TestLoadStackConfigREST(t *testing.T) {
	c, err := LoadStackConfig(writeRepo(t, testProject, restConsumer))
	require.NoError(t, err)
	require.Nil(t, c.JWT, "publicRoutes need no key on a REST API, not no token")
	require.Equal(t, &REST{
		Clients: apirules.Clients{
			"partner-a": {RateLimit: 10, BurstLimit: 20, QuotaLimit: 1000, QuotaPeriod: "DAY"},
			"partner-b": {RateLimit: 5, BurstLimit: 5},
		},
		PublicRoutes:     []string{"GET /dogs"},
		AllowedSourceIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")},
		DeniedSourceIPs:  []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
	}, c.REST)

	c, err = LoadStackConfig(writeRepo(t, testProject, "config:\n  private-apis:apiType: rest\n"))
	require.NoError(t, err)
	require.Equal(t, &REST{}, c.REST, "a REST API without clients: every route open")

	c, err = LoadStackConfig(writeRepo(t, testProject, "config:\n  private-apis:apiType: http\n  private-apis:allowedSourceIps: [bad]\n"))
	require.NoError(t, err, "an HTTP API doesn't read a REST API's keys")
	require.Nil(t, c.REST)
}

// TestLoadStackConfigRefusesTypeChoices: each setting the chosen API type
// can't carry is an error naming the file, the key, its line and value.
func TestLoadStackConfigRefusesTypeChoices(t *testing.T) {
	const issuer = "  private-apis:jwtIssuer: https://issuer.example.com\n  private-apis:jwtAudiences: [a]\n"
	tests := []struct {
		name, consumer string
		want           []string
	}{
		{"a bad apiType", "config:\n  private-apis:apiType: graphql\n",
			[]string{ConsumerFile, "private-apis:apiType (line 2)", `apiType = "graphql": must be http (an HTTP API) or rest`}},
		{"clients on an HTTP API", "config:\n  private-apis:clients:\n    partner-a: {rateLimit: 1, burstLimit: 1}\n",
			[]string{ConsumerFile, "private-apis:clients (line 3)", `clients = "partner-a": API keys and usage plans are a REST API's`}},
		{"JWT on a REST API", "config:\n  private-apis:apiType: rest\n" + issuer,
			[]string{ConsumerFile, "private-apis:jwtIssuer (line 3)", `jwtIssuer = "https://issuer.example.com": a JWT authorizer is an HTTP API's`, `private-apis:jwtAudiences = ["a"] is JWT authorization`}},
		{"CORS on a REST API", "config:\n  private-apis:apiType: rest\n  private-apis:cors:\n    allowOrigins: [https://app.example.com]\n",
			[]string{ConsumerFile, "private-apis:cors (line 4)", `cors = "https://app.example.com": CORS on a REST API`}},
		{"public routes without clients", "config:\n  private-apis:apiType: rest\n  private-apis:publicRoutes: [GET /dogs]\n",
			[]string{ConsumerFile, "private-apis:publicRoutes (line 3)", `publicRoutes = ["GET /dogs"]: on a REST API these are the routes that need no API key`}},
		{"a bad client plan", "config:\n  private-apis:apiType: rest\n  private-apis:clients:\n    partner-a: {rateLimit: 0, burstLimit: 1, quotaLimit: 5, quotaPeriod: YEAR}\n",
			[]string{"private-apis:clients (line 4)", "clients = partner-a: {rateLimit: 0}", `clients = partner-a: {quotaPeriod: "YEAR"}`}},
		{"a misspelt client field", "config:\n  private-apis:apiType: rest\n  private-apis:clients:\n    partner-a: {rate: 1}\n",
			[]string{"private-apis:clients (line 4)", `unknown field "rate"`}},
		{"a bad public route", "config:\n  private-apis:apiType: rest\n  private-apis:clients: {a: {rateLimit: 1, burstLimit: 1}}\n  private-apis:publicRoutes: [dogs]\n",
			[]string{"private-apis:publicRoutes", `route "dogs" must be "METHOD /path"`}},
		{"a bad source range", "config:\n  private-apis:apiType: rest\n  private-apis:deniedSourceIps: [10.0.0.300/32]\n",
			[]string{"private-apis:deniedSourceIps (line 3)", `"10.0.0.300/32" is not a CIDR range`}},
		{"a source address without its length", "config:\n  private-apis:apiType: rest\n  private-apis:allowedSourceIps: [10.0.0.1]\n",
			[]string{"private-apis:allowedSourceIps (line 3)", `"10.0.0.1" is not a CIDR range`}},
		{"a source range with host bits", "config:\n  private-apis:apiType: rest\n  private-apis:allowedSourceIps: [10.1.2.3/16]\n",
			[]string{"private-apis:allowedSourceIps (line 3)", `"10.1.2.3/16" is not a CIDR range such as 203.0.113.0/24 (host bits clear)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadStackConfig(writeRepo(t, testProject, tt.consumer))
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}
