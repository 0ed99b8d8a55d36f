package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/cmd/localrun/localgw"
	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// jwtSnippet is the README's consumer stack-file snippet that turns
// authorization on, as a user pastes it.
func jwtSnippet(t *testing.T, root string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	for _, m := range regexp.MustCompile("(?s)```yaml\n(config:\n.*?)```").FindAllStringSubmatch(string(doc), -1) {
		if strings.Contains(m[1], "jwtIssuer") {
			return m[1]
		}
	}
	t.Fatal("README.md has no JWT snippet")
	return ""
}

// TestEndToEndAuthorization runs make run's topology (both services built
// and started, the gateway in front) with the documented JWT snippet in
// the consumer's stack file, and tokens from `localrun token` (make
// token): every answer API Gateway's JWT authorizer gives, and the todo
// service keeping each caller's todos apart, over real sockets.
func TestEndToEndAuthorization(t *testing.T) {
	ctx, root := endToEnd(t)

	run := startAuthorizedRun(ctx, t, root)
	tokens := run.tokens(t)
	stack, topo, stdout := run.stack, run.topo, run.stdout

	expect := func(method, path, who, body string, want int, header ...string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, topo.gatewayURL+path, strings.NewReader(body))
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if who != "" {
			req.Header.Set("Authorization", "Bearer "+tokens[who])
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, want, resp.StatusCode, "%s %s as %q: %s", method, path, who, got)
		return string(got)
	}
	unauthorized, forbidden := `{"message":"Unauthorized"}`, `{"message":"Forbidden"}`

	t.Run("a public route is open", func(t *testing.T) {
		require.True(t, slices.Contains(stack.JWT.PublicRoutes, "GET /dogs"))
		expect("GET", "/dogs", "", "", http.StatusOK)
	})
	t.Run("a protected route refuses bad tokens", func(t *testing.T) {
		for _, who := range []string{"", "expired", "wrong audience", "forged"} {
			require.JSONEq(t, unauthorized, expect("GET", "/todo", who, "", http.StatusUnauthorized), who)
		}
	})
	t.Run("a write needs the write scope", func(t *testing.T) {
		require.JSONEq(t, forbidden, expect("POST", "/todo", "alice reads", `{"data":"no scope"}`, http.StatusForbidden))
	})

	var alices, bobs struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(expect("POST", "/todo", "alice", `{"data":"alice's"}`, http.StatusCreated)), &alices))
	// Bob claims to be alice: the gateway replaces the header with his token's subject.
	require.NoError(t, json.Unmarshal([]byte(expect("POST", "/todo", "bob", `{"data":"bob's"}`, http.StatusCreated, apirules.UserHeader, "alice")), &bobs))
	ids := func(who string) []string {
		var items []struct{ ID string }
		require.NoError(t, json.Unmarshal([]byte(expect("GET", "/todo", who, "", http.StatusOK)), &items))
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it.ID
		}
		return out
	}
	t.Run("each caller sees only their own todos", func(t *testing.T) {
		require.Equal(t, []string{alices.ID}, ids("alice"))
		require.Equal(t, []string{bobs.ID}, ids("bob"), "bob's todo is his, whatever x-user-id he sent")
		require.Equal(t, []string{alices.ID}, ids("alice reads"), "reads need a token, not the write scope")
		expect("GET", "/todo/"+alices.ID, "bob", "", http.StatusNotFound)
		expect("DELETE", "/todo/"+alices.ID, "bob", "", http.StatusNotFound)
		expect("GET", "/todo/"+alices.ID, "alice", "", http.StatusOK)
		expect("DELETE", "/todo/"+alices.ID, "alice", "", http.StatusNoContent)
	})
	t.Run("the access log says why a token was refused", func(t *testing.T) {
		require.Contains(t, stdout.String(), `"authorizerError":"invalid token: oidc: token is expired`)
		require.Contains(t, stdout.String(), `"authorizerError":"the token does not have a valid audience"`)
	})
}

// authorizedRun is make run's topology with the README's JWT snippet as the
// consumer's stack file, in a checkout of its own.
type authorizedRun struct {
	stackRoot, local string
	stack            localgw.StackConfig
	topo             *topology
	stdout           *fakeaws.SyncBuffer
}

func startAuthorizedRun(ctx context.Context, t *testing.T, root string) *authorizedRun {
	t.Helper()
	// A checkout whose Pulumi.consumer.yaml is the snippet, with the
	// repository's Pulumi.yaml for the defaults.
	run := authorizedRun{stackRoot: t.TempDir(), local: t.TempDir(), stdout: &fakeaws.SyncBuffer{}}
	stackRoot, local := run.stackRoot, run.local
	project, err := os.ReadFile(filepath.Join(root, localgw.ProjectFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(stackRoot, localgw.ProjectFile), project, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(stackRoot, localgw.ConsumerFile), []byte(jwtSnippet(t, root)), 0o644))
	run.stack, err = localgw.LoadStackConfig(stackRoot)
	stack := run.stack
	require.NoError(t, err)
	require.NotNil(t, stack.JWT)

	stdout, stderr := run.stdout, &fakeaws.SyncBuffer{}
	opts := options{RepoRoot: root, LocalDir: local, Services: contract.Services, ServicePorts: map[string]int{},
		Throttling: stack.Throttling, JWT: stack.JWT, JWTKeysFrom: jwtKeysLocal, Stdout: stdout, Stderr: stderr}
	opts.Throttling.WriteRateLimit, opts.Throttling.WriteBurstLimit = opts.Throttling.RateLimit, opts.Throttling.BurstLimit
	require.NoError(t, opts.resolveJWTKeys(ctx))
	topo, err := startTopology(ctx, opts)
	require.NoError(t, err, "stderr:\n%s", stderr)
	run.topo = topo
	t.Cleanup(func() {
		require.NoError(t, topo.Stop())
		if t.Failed() {
			t.Logf("service logs:\n%s", stderr)
		}
	})
	return &run
}

// tokens are the callers' tokens, made by `localrun token` (make token) but
// for one forged with another key.
func (run *authorizedRun) tokens(t *testing.T) map[string]string {
	t.Helper()
	stack, stackRoot, local := run.stack, run.stackRoot, run.local
	token := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		err := runToken(append([]string{"token", "-repo", stackRoot, "-local-dir", local}, args...), func(string) string { return "" }, &out, &errs)
		require.NoError(t, err, errs.String())
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		require.Len(t, lines, 1, "one token and nothing else on stdout")
		return lines[0]
	}
	forger, err := localgw.LoadLocalIssuer(filepath.Join(t.TempDir(), "other-key.pem"), stack.JWT.Issuer)
	require.NoError(t, err)
	forged, err := forger.Token(localgw.TokenRequest{Subject: "alice", Audience: stack.JWT.Audiences[0], Scopes: stack.JWT.WriteScopes, TTL: time.Hour, Now: time.Now()})
	require.NoError(t, err)
	writeScope := strings.Join(stack.JWT.WriteScopes, " ")
	tokens := map[string]string{
		"alice":          token("-sub", "alice", "-scope", writeScope),
		"bob":            token("-sub", "bob", "-scope", writeScope),
		"alice reads":    token("-sub", "alice"),
		"expired":        token("-sub", "alice", "-scope", writeScope, "-ttl", "-5m"),
		"wrong audience": token("-sub", "alice", "-scope", writeScope, "-aud", "someone-else"),
		"forged":         forged,
	}
	return tokens
}
