package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/cmd/localrun/localgw"
	"github.com/private-apis/private-apis/contract"
)

// restRepo is a checkout whose consumer stack file chooses a REST API with
// stackFile's settings, with the repository's Pulumi.yaml.
func restRepo(t *testing.T, stackFile string) string {
	t.Helper()
	project, err := os.ReadFile(filepath.Join("..", "..", localgw.ProjectFile))
	require.NoError(t, err)
	repo := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(repo, "contract"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, localgw.ProjectFile), project, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(repo, localgw.ConsumerFile), []byte(stackFile), 0o600))
	return repo
}

const restStackFile = `config:
  private-apis:apiType: rest
  private-apis:clients:
    partner-a: {rateLimit: 10, burstLimit: 20, quotaLimit: 1000, quotaPeriod: DAY}
    partner-b: {rateLimit: 5, burstLimit: 5}
  private-apis:publicRoutes: [GET /dogs, GET /orders]
`

// TestBannerWithAPIKeys: which routes need a key, each client's key id and
// plan, where the keys are kept, what is not reproduced, and the curls
// with each client's key value, ready to paste.
func TestBannerWithAPIKeys(t *testing.T) {
	local := t.TempDir()
	opts, err := parseFlags([]string{"localrun", "-repo", restRepo(t, restStackFile), "-local-dir", local}, env(), io.Discard)
	require.NoError(t, err)
	require.NotNil(t, opts.REST)
	require.Nil(t, opts.JWT)
	require.NoError(t, opts.resolveAPIKeys())
	require.Len(t, opts.APIKeys, 2)
	topo := &topology{gatewayURL: "http://127.0.0.1:8080"}
	for i, s := range contract.Services {
		topo.services = append(topo.services, &service{contract: s, port: 18081 + i})
	}
	var b bytes.Buffer
	printBanner(&b, topo, opts)
	a, bee := opts.APIKeys["partner-a"], opts.APIKeys["partner-b"]
	for _, want := range []string{
		"stand-in for the consumer's REST API",
		"an API key in x-api-key on: GET /dogs/males, GET /dogs/females, GET /todo, POST /todo, GET /todo/{id}, DELETE /todo/{id}\n",
		"no key: GET /dogs\n",
		"partner-a: key id " + a.ID + ", 10 req/s, burst 20, 1000 requests a day (UTC",
		"partner-b: key id " + bee.ID + ", 5 req/s, burst 5, no quota",
		"keys kept in " + filepath.Join(local, apiKeysFile),
		"not reproduced here: WAF (waf, wafRuleGroups, wafRateLimit) and a private endpoint",
		"  curl -s -H 'x-api-key: " + a.Value + "' $URL/todo    # as partner-a\n",
		"  curl -s -H 'x-api-key: " + bee.Value + "' $URL/todo    # as partner-b\n",
		"  curl -s $URL/dogs\n",
		"  curl -s -H 'x-api-key: " + a.Value + `' -d data="Write new AWS blog post" $URL/todo` + "\n",
		`  curl -s $URL/todo    # 403 {"message":"Forbidden"}`,
	} {
		require.Contains(t, b.String(), want)
	}
	require.NotContains(t, b.String(), "source IPs")
	for name, k := range opts.APIKeys {
		require.Equal(t, k.Value, keyFromBanner(t, b.String(), name), "the banner's call as %s carries its key", name)
	}
}

// keyFromBanner is the key value in the banner's call as client, as a user
// would copy it from there.
func keyFromBanner(t *testing.T, banner, client string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  curl -s -H 'x-api-key: ([A-Za-z0-9]+)' \$URL/todo    # as ` + regexp.QuoteMeta(client) + `$`).FindStringSubmatch(banner)
	require.NotNil(t, m, "no call as %s in the banner:\n%s", client, banner)
	return m[1]
}

// TestBannerWithSourceIPs: a resource policy that refuses 127.0.0.1 is
// said, since every local call then gets a 403.
func TestBannerWithSourceIPs(t *testing.T) {
	opts, err := parseFlags([]string{"localrun", "-repo", restRepo(t, "config:\n  private-apis:apiType: rest\n  private-apis:allowedSourceIps: [203.0.113.0/24]\n")}, env(), io.Discard)
	require.NoError(t, err)
	require.NoError(t, opts.resolveAPIKeys())
	require.Nil(t, opts.APIKeys, "no clients, no keys")
	var b bytes.Buffer
	printBanner(&b, &topology{gatewayURL: "http://127.0.0.1:8080"}, opts)
	require.Contains(t, b.String(), "source IPs allowed: 203.0.113.0/24; denied: none")
	require.Contains(t, b.String(), "every call here, from 127.0.0.1, is refused 403")
	require.Contains(t, b.String(), "no private-apis:clients, so no route asks for an API key")
	require.Contains(t, b.String(), "  curl -s $URL/todo\n")
}

// TestServedREST: a key-free route of a provider that runs only in AWS is
// left out locally, with a line that says so.
func TestServedREST(t *testing.T) {
	var log bytes.Buffer
	got := servedREST(&localgw.REST{PublicRoutes: []string{"GET /dogs", "GET /orders"}}, []*service{{contract: contract.DogNames}}, &log)
	require.Equal(t, []string{"GET /dogs"}, got.PublicRoutes)
	require.Contains(t, log.String(), `publicRoutes "GET /orders": no local service serves it`)
	require.Nil(t, servedREST(nil, nil, &log))
}

func TestTokenCommandOnARESTAPI(t *testing.T) {
	repo := restRepo(t, restStackFile)
	var out bytes.Buffer
	err := run(t.Context(), []string{"localrun", "token", "-repo", repo, "-local-dir", t.TempDir()}, env("SUB", "alice"), &out, io.Discard)
	require.ErrorContains(t, err, "chooses a REST API (private-apis:apiType rest), whose callers send API keys")
	require.Empty(t, strings.TrimSpace(out.String()))
}
