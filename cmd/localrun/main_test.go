package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/cmd/localrun/localgw"
	"github.com/private-apis/private-apis/contract"
	"github.com/stretchr/testify/require"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseFlags(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	deployed, err := localgw.LoadStackConfig(root)
	if err != nil {
		t.Fatal(err)
	}

	opts, err := parseFlags([]string{"localrun"}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.GatewayPort != 8080 || opts.RepoRoot != root || opts.LocalDir != filepath.Join(root, ".local") || !reflect.DeepEqual(opts.Throttling, deployed.Throttling) || !reflect.DeepEqual(opts.CORS, deployed.CORS) {
		t.Fatalf("defaults: %+v", opts)
	}

	opts, err = parseFlags([]string{"localrun"}, env("PORT", "9090"), io.Discard)
	if err != nil || opts.GatewayPort != 9090 {
		t.Fatalf("PORT=9090: %+v, %v", opts, err)
	}
	opts, err = parseFlags([]string{"localrun", "-port", "9191", "-todo-port", "18001"}, env("PORT", "9090"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.GatewayPort != 9191 || opts.ServicePorts["todo"] != 18001 || opts.ServicePorts["dognames"] != 0 {
		t.Fatalf("flags: %+v", opts)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"bad PORT", nil, env("PORT", "http"), `PORT="http"`},
		{"PORT too big", nil, env("PORT", "70000"), `PORT="70000"`},
		{"bad -port", []string{"-port", "-1"}, env(), "-port -1 is not a TCP port"},
		{"bad service port", []string{"-dognames-port", "99999"}, env(), "-dognames-port 99999"},
		{"argument", []string{"now"}, env(), "unexpected arguments"},
		{"unknown flag", []string{"-nope"}, env(), "not defined"},
		{"no repo", []string{"-repo", "/"}, env(), "Pulumi.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(append([]string{"localrun"}, tt.args...), tt.env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFindRepoRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := findRepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(root, "contract", "contract.go")) {
		t.Fatalf("root %s has no contract/contract.go", root)
	}
	if _, err := findRepoRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "-repo") {
		t.Fatalf("outside a checkout: %v", err)
	}
}

// TestPortInUse checks that a busy gateway or service port is a clear error
// naming the port, before anything is built.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	p := strconv.Itoa(port)

	_, err = startTopology(t.Context(), options{GatewayPort: port, LocalDir: t.TempDir()})
	want := "port " + p + " is already in use: stop what is using it or run make run PORT=" + strconv.Itoa(port+1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("gateway port in use: %v, want %q", err, want)
	}

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := parseFlags([]string{"localrun", "-port", "0", "-todo-port", p}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	opts.RepoRoot, opts.LocalDir = root, t.TempDir()
	_, err = startTopology(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "port "+p+" is already in use") || !strings.Contains(err.Error(), "-todo-port") {
		t.Fatalf("service port in use: %v", err)
	}
}

func TestPrefixWriter(t *testing.T) {
	var out strings.Builder
	shared := &sharedWriter{w: &out}
	a, b := shared.prefixed("a"), shared.prefixed("b")
	for _, w := range []struct {
		w io.Writer
		s string
	}{{a, "one "}, {b, "x\ny"}, {a, "line\ntwo\n"}, {b, "\n"}} {
		if _, err := io.WriteString(w.w, w.s); err != nil {
			t.Fatal(err)
		}
	}
	want := "b | x\na | one line\na | two\nb | y\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

// TestParseFlagsReadsTheConsumersCORS: make run answers browsers as the
// consumer stack file says the deployed API does.
func TestParseFlagsReadsTheConsumersCORS(t *testing.T) {
	project, err := os.ReadFile(filepath.Join("..", "..", localgw.ProjectFile))
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, "contract"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		localgw.ProjectFile:  string(project),
		localgw.ConsumerFile: "config:\n  private-apis:cors:\n    allowOrigins: [https://app.example.com]\n",
	} {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := parseFlags([]string{"localrun", "-repo", repo}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(opts.CORS.AllowOrigins, []string{"https://app.example.com"}) {
		t.Fatalf("CORS %+v, want the stack file's origins", opts.CORS)
	}
}

// TestServedLimits: a stack file may limit routes of providers that only
// run in AWS; make run limits the routes it serves and says which it skips.
func TestServedLimits(t *testing.T) {
	th := localgw.Throttling{RateLimit: 50, BurstLimit: 100, WriteRateLimit: 10, WriteBurstLimit: 20, Routes: map[string]apirules.RouteLimit{
		"POST /todo": {RateLimit: 5, BurstLimit: 10}, "GET /orders": {RateLimit: 1, BurstLimit: 1},
	}}
	var log strings.Builder
	got := servedLimits(th, []*service{{contract: contract.Todo}, {contract: contract.DogNames}}, &log)
	if !reflect.DeepEqual(got.Routes, map[string]apirules.RouteLimit{"POST /todo": {RateLimit: 5, BurstLimit: 10}}) || got.RateLimit != 50 {
		t.Fatalf("servedLimits = %+v", got)
	}
	if !strings.Contains(log.String(), `routeThrottling "GET /orders": no local service serves it`) {
		t.Fatalf("log %q", log.String())
	}
	if len(th.Routes) != 2 {
		t.Fatal("the caller's map was changed")
	}
}

// TestFreePortIsOutsideTheEphemeralRange: a port the kernel could hand to
// an outgoing connection while a service builds or restarts is never
// picked.
func TestFreePortIsOutsideTheEphemeralRange(t *testing.T) {
	first := ephemeralPortsFrom()
	for range 50 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if first > 10000 && (port < 10000 || port >= first) {
			t.Fatalf("port %d is not in [10000, %d)", port, first)
		}
	}
}

// jwtRepo is a checkout whose consumer stack file turns JWT authorization
// on, with the repository's Pulumi.yaml.
func jwtRepo(t *testing.T) string {
	t.Helper()
	project, err := os.ReadFile(filepath.Join("..", "..", localgw.ProjectFile))
	require.NoError(t, err)
	repo := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(repo, localgw.ProjectFile), project, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(repo, localgw.ConsumerFile), []byte(`config:
  private-apis:jwtIssuer: https://issuer.example.com/pool
  private-apis:jwtAudiences: [web-client, mobile-client]
  private-apis:publicRoutes: [GET /dogs]
  private-apis:writeScopes: [todo/write]
`), 0o600))
	return repo
}

// TestTokenCommand is `make token`: the environment make passes, one token
// on stdout signed with the key make run trusts, for the stack file's
// issuer and first audience unless AUD says otherwise.
func TestTokenCommand(t *testing.T) {
	repo := jwtRepo(t)
	local := t.TempDir()
	mint := func(getenv func(string) string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"localrun", "token", "-repo", repo, "-local-dir", local}, getenv, &out, io.Discard)
		return out.String(), err
	}
	out, err := mint(env("SUB", "alice", "SCOPE", "todo/write todo/read"))
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(out, "\n"), "one line: the token")
	issuer, err := localgw.LoadLocalIssuer(filepath.Join(local, signingKeyFile), "https://issuer.example.com/pool")
	require.NoError(t, err)
	payload, err := issuer.Keys().VerifySignature(context.Background(), strings.TrimSpace(out))
	require.NoError(t, err, "make run's key verifies it")
	var claims struct {
		Iss, Sub, Scope, Aud string
		Exp, Iat             int64
	}
	require.NoError(t, json.Unmarshal(payload, &claims))
	require.Equal(t, "https://issuer.example.com/pool", claims.Iss)
	require.Equal(t, "alice", claims.Sub)
	require.Equal(t, "web-client", claims.Aud)
	require.Equal(t, "todo/write todo/read", claims.Scope)
	require.Equal(t, int64(3600), claims.Exp-claims.Iat)

	out, err = mint(env("SUB", "bob", "AUD", "mobile-client", "TTL", "-1m"))
	require.NoError(t, err)
	payload, err = issuer.Keys().VerifySignature(context.Background(), strings.TrimSpace(out))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(payload, &claims))
	require.Equal(t, "mobile-client", claims.Aud)
	require.Less(t, claims.Exp, time.Now().Unix(), "a negative TTL makes an expired token")

	for name, tt := range map[string]struct {
		getenv func(string) string
		want   string
	}{
		"no SUB":    {env(), "SUB names the caller"},
		"a bad TTL": {env("SUB", "a", "TTL", "an hour"), `TTL "an hour" is not a Go duration`},
	} {
		_, err := mint(tt.getenv)
		require.ErrorContains(t, err, tt.want, name)
	}
	require.NoError(t, os.WriteFile(filepath.Join(repo, localgw.ConsumerFile), []byte("config: {}\n"), 0o600))
	out, err = mint(env("SUB", "a"))
	require.ErrorContains(t, err, "sets no private-apis:jwtIssuer")
	require.Empty(t, out)
}

// TestBannerWithAuthorization: which routes need a token, and the calls
// to try with one.
func TestBannerWithAuthorization(t *testing.T) {
	opts, err := parseFlags([]string{"localrun", "-repo", jwtRepo(t)}, env(), io.Discard)
	require.NoError(t, err)
	require.NotNil(t, opts.JWT)
	topo := &topology{gatewayURL: "http://127.0.0.1:8080"}
	for i, s := range contract.Services {
		topo.services = append(topo.services, &service{contract: s, port: 18081 + i})
	}
	var b bytes.Buffer
	printBanner(&b, topo, opts)
	for _, want := range []string{
		"tokens of https://issuer.example.com/pool for web-client or mobile-client",
		"open: GET /dogs\n",
		"a token: GET /dogs/males, GET /dogs/females, GET /todo, GET /todo/{id}\n",
		"a token with todo/write: POST /todo, DELETE /todo/{id}\n",
		"TOKEN=$(make -s token SUB=alice SCOPE=todo/write)",
		`curl -s -H "Authorization: Bearer $TOKEN" $URL/todo`,
	} {
		require.Contains(t, b.String(), want)
	}

	require.Contains(t, b.String(), "  curl -s $URL/dogs\n", "a public route, no token")
	require.Contains(t, b.String(), "  curl -s $URL/todo    # 401", "a protected route without one")

	opts.JWTKeysFrom = jwtKeysRemote
	b.Reset()
	printBanner(&b, topo, opts)
	require.Contains(t, b.String(), "checked against the issuer's published keys")
	require.Contains(t, b.String(), "TOKEN=<an access token from https://issuer.example.com/pool for web-client with todo/write>")
	require.NotContains(t, b.String(), "make -s token", "make token's tokens are refused with remote keys")

	_, err = parseFlags([]string{"localrun"}, env("JWT_ISSUER_KEYS", "cognito"), io.Discard)
	require.ErrorContains(t, err, `-jwt-keys (JWT_ISSUER_KEYS) "cognito": use local or remote`)
}

// TestAuthorizationConfigRefusals: what the consumer stack refuses, make run
// refuses too, and JWT_ISSUER_KEYS=remote without an issuer is a mistake
// said rather than ignored.
func TestAuthorizationConfigRefusals(t *testing.T) {
	repo := jwtRepo(t)
	write := func(body string) {
		require.NoError(t, os.WriteFile(filepath.Join(repo, localgw.ConsumerFile), []byte(body), 0o600))
	}
	write("config:\n  private-apis:writeScopes: [todo/write]\n")
	_, err := parseFlags([]string{"localrun", "-repo", repo}, env(), io.Discard)
	require.ErrorContains(t, err, `private-apis:writeScopes = ["todo/write"] only means something with authorization on`)

	write("config:\n  private-apis:jwtIssuer: https://issuer.example.com\n  private-apis:jwtAudiences: [a]\n  private-apis:publicRoutes: [dogs]\n")
	_, err = parseFlags([]string{"localrun", "-repo", repo}, env(), io.Discard)
	require.ErrorContains(t, err, `private-apis:publicRoutes: route "dogs" must be "METHOD /path"`)

	write("config: {}\n")
	opts, err := parseFlags([]string{"localrun", "-repo", repo}, env("JWT_ISSUER_KEYS", "remote"), io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, opts.resolveJWTKeys(context.Background()), "JWT_ISSUER_KEYS=remote, but Pulumi.consumer.yaml sets no private-apis:jwtIssuer")
}

// TestServedAuth: a public route of a provider that runs only in AWS is
// left out locally, with a line that says so, as its limits are.
func TestServedAuth(t *testing.T) {
	services := []*service{{contract: contract.DogNames}}
	var log bytes.Buffer
	got := servedAuth(&apirules.JWTAuth{Issuer: "https://i.example.com", PublicRoutes: []string{"GET /dogs", "GET /orders"}}, services, &log)
	require.Equal(t, []string{"GET /dogs"}, got.PublicRoutes)
	require.Contains(t, log.String(), `publicRoutes "GET /orders": no local service serves it`)
	require.Nil(t, servedAuth(nil, services, &log))
}
