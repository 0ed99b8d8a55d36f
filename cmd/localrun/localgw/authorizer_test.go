package localgw

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/contract"
)

const testIssuer = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf"

// testJWT is the consumer's authorization in the README's JWT snippet:
// the dog names open, todo needing a token, and todo/write on writes.
var testJWT = &apirules.JWTAuth{
	Issuer:       testIssuer,
	Audiences:    []string{"my-api-client-id", "other-client"},
	PublicRoutes: []string{"GET /dogs"},
	WriteScopes:  []string{"todo/write"},
}

// signed signs claims with key under alg and kid, as any identity provider
// might.
func signed(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(t, err)
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return token
}

// authorizerCase is one request to the gateway and API Gateway's answer.
type authorizerCase struct {
	name, method, path, auth string
	status                   int
	// user is the x-user-id the backend gets; unused when refused.
	user string
	// why is in the access log's authorizerError when refused.
	why string
}

// authorizerCases are each rule of API Gateway's JWT authorizer, as
// requests with tokens from issuer (or forged beside it) at now.
func authorizerCases(t *testing.T, issuer *LocalIssuer, now time.Time) []authorizerCase {
	token := func(sub string, ttl time.Duration, scopes ...string) string {
		tok, err := issuer.Token(TokenRequest{Subject: sub, Audience: "my-api-client-id", Scopes: scopes, TTL: ttl, Now: now})
		require.NoError(t, err)
		return "Bearer " + tok
	}
	claims := func(extra map[string]any) map[string]any {
		c := map[string]any{"iss": testIssuer, "sub": "carol", "aud": "my-api-client-id", "iat": now.Unix() - 10, "exp": now.Unix() + 600}
		for k, v := range extra {
			c[k] = v
			if v == nil {
				delete(c, k)
			}
		}
		return c
	}
	own := func(extra map[string]any) string {
		return "Bearer " + signed(t, issuer.key, jose.RS256, issuer.keyID, claims(extra))
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return []authorizerCase{
		{"a public route without a token", "GET", "/dogs", "", 200, "", ""},
		{"a public route ignores a bad token", "GET", "/dogs", "Bearer nonsense", 200, "", ""},
		{"no token", "GET", "/todo", "", 401, "", "no token"},
		{"not a JWT", "GET", "/todo", "Bearer nonsense", 401, "", "malformed"},
		{"a valid token", "GET", "/todo", token("alice", time.Hour), 200, "alice", ""},
		{"a valid token without Bearer", "GET", "/todo", strings.TrimPrefix(token("bob", time.Hour), "Bearer "), 200, "bob", ""},
		{"expired", "GET", "/todo", token("alice", -time.Minute), 401, "", "expired"},
		{"not valid yet", "GET", "/todo", own(map[string]any{"nbf": now.Unix() + 60}), 401, "", "nbf"},
		{"issued in the future", "GET", "/todo", own(map[string]any{"iat": now.Unix() + 60}), 401, "", "iat"},
		{"times with fractions", "GET", "/todo", own(map[string]any{"iat": float64(now.Unix()) - 0.5, "nbf": float64(now.Unix()) - 0.5}), 200, "carol", ""},
		{"another issuer", "GET", "/todo", own(map[string]any{"iss": "https://other.example.com"}), 401, "", "issued by a different provider"},
		{"a wrong audience", "GET", "/todo", own(map[string]any{"aud": "someone-else"}), 401, "", "audience"},
		{"the second audience, in a list", "GET", "/todo", own(map[string]any{"aud": []string{"x", "other-client"}}), 200, "carol", ""},
		{"client_id without aud", "GET", "/todo", own(map[string]any{"aud": nil, "client_id": "my-api-client-id"}), 200, "carol", ""},
		{"aud wins over client_id", "GET", "/todo", own(map[string]any{"aud": "someone-else", "client_id": "my-api-client-id"}), 401, "", "audience"},
		{"no sub", "GET", "/todo", own(map[string]any{"sub": nil}), 401, "", "no sub"},
		{"another key's signature", "GET", "/todo", "Bearer " + signed(t, other, jose.RS256, issuer.keyID, claims(nil)), 401, "", "signature"},
		{"no kid", "GET", "/todo", "Bearer " + signed(t, issuer.key, jose.RS256, "", claims(nil)), 401, "", "no kid"},
		{"a kid naming no key", "GET", "/todo", "Bearer " + signed(t, issuer.key, jose.RS256, "rotated-away", claims(nil)), 401, "", "no key with kid"},
		{"RS384", "GET", "/todo", "Bearer " + signed(t, issuer.key, jose.RS384, issuer.keyID, claims(nil)), 200, "carol", ""},
		{"a write without the scope", "POST", "/todo", token("alice", time.Hour), 403, "", "scopes"},
		{"a write with another scope", "POST", "/todo", token("alice", time.Hour, "todo/read"), 403, "", "scopes"},
		{"a write with the scope", "POST", "/todo", token("alice", time.Hour, "todo/read", "todo/write"), 200, "alice", ""},
		{"a write with the scope in scp", "DELETE", "/todo/1", own(map[string]any{"scp": []string{"todo/write"}}), 200, "carol", ""},
		{"scope as a list", "POST", "/todo", own(map[string]any{"scope": []string{"todo/write"}}), 200, "carol", ""},
	}
}

// TestAuthorizerAnswersAsAPIGateway: each rule of API Gateway's JWT
// authorizer, one request at a time, through the whole gateway; the backend
// sees the caller as the token's subject, and never as a client says.
func TestAuthorizerAnswersAsAPIGateway(t *testing.T) {
	issuer, err := LoadLocalIssuer(filepath.Join(t.TempDir(), "jwt", "key.pem"), testIssuer)
	require.NoError(t, err)
	users := make(chan string, 1)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users <- strings.Join(r.Header.Values(apirules.UserHeader), ",")
		w.WriteHeader(http.StatusOK)
	}), func(c *Config) { c.JWT, c.JWTKeys = testJWT, issuer.Keys() })

	for _, tt := range authorizerCases(t, issuer, time.Now()) {
		t.Run(tt.name, func(t *testing.T) {
			before := len(logLines(t, f.log))
			header := http.Header{apirules.UserHeader: {"mallory"}}
			if tt.auth != "" {
				header.Set("Authorization", tt.auth)
			}
			resp, body := do(t, tt.method, f.url+tt.path, nil, header)
			require.Equal(t, tt.status, resp.StatusCode, body)
			lines := logLines(t, f.log)
			require.Len(t, lines, before+1)
			requireAnswer(t, tt, resp, body, lines[len(lines)-1], users)
		})
	}
}

// requireAnswer checks one answer: the backend's caller, or the refusal
// API Gateway gives and the access log's reason.
func requireAnswer(t *testing.T, tt authorizerCase, resp *http.Response, body string, line map[string]any, users chan string) {
	t.Helper()
	switch tt.status {
	case 200:
		require.Equal(t, tt.user, <-users, "the backend's x-user-id: the token's subject, never the client's")
		require.Equal(t, "-", line["authorizerError"])
	case 401:
		require.JSONEq(t, `{"message":"Unauthorized"}`, body)
		require.Contains(t, line["authorizerError"], tt.why)
		if tt.auth != "" {
			require.Contains(t, resp.Header.Get("Www-Authenticate"), `error="invalid_token"`)
		}
	case 403:
		require.JSONEq(t, `{"message":"Forbidden"}`, body)
		require.Contains(t, line["authorizerError"], tt.why)
	default:
		t.Fatalf("no check for status %d", tt.status)
	}
}

// TestAuthorizerTakesRSAOnly: a token signed with a key the issuer does
// publish, but by ECDSA, is refused, as API Gateway supports only RSA.
func TestAuthorizerTakesRSAOnly(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	keys := &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&ec.PublicKey}}
	a := newAuthorizer(testJWT, keys, time.Now)
	tok := signed(t, ec, jose.ES256, "ec", map[string]any{"iss": testIssuer, "sub": "carol", "aud": "my-api-client-id", "exp": time.Now().Add(time.Hour).Unix()})
	r := httptest.NewRequest("GET", "/todo", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	_, refused := a.authorize(context.Background(), r, nil)
	require.NotNil(t, refused, "ES256 from a published key")
	require.Equal(t, http.StatusUnauthorized, refused.status)
	require.Contains(t, refused.reason, "ES256")
}

// TestAuthorizationOffLeavesEveryRouteOpen: without jwtIssuer no route asks
// for a token, and a client's x-user-id is removed as the deployed
// anonymous integration removes it.
func TestAuthorizationOffLeavesEveryRouteOpen(t *testing.T) {
	users := make(chan []string, 1)
	f := newFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users <- r.Header.Values(apirules.UserHeader)
	}), nil)
	resp, _ := do(t, "POST", f.url+"/todo", nil, http.Header{apirules.UserHeader: {"mallory"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, <-users)
}

func TestAuthorizationRefusesWhatTheStackWould(t *testing.T) {
	issuer, err := LoadLocalIssuer(filepath.Join(t.TempDir(), "key.pem"), testIssuer)
	require.NoError(t, err)
	for name, tt := range map[string]struct {
		jwt  apirules.JWTAuth
		want string
	}{
		"an http issuer":           {apirules.JWTAuth{Issuer: "http://issuer.example.com", Audiences: []string{"a"}}, "jwtIssuer: issuer \"http://issuer.example.com\" is not an https URL"},
		"no audience":              {apirules.JWTAuth{Issuer: testIssuer}, "jwtAudiences is required with jwtIssuer"},
		"an unserved public route": {apirules.JWTAuth{Issuer: testIssuer, Audiences: []string{"a"}, PublicRoutes: []string{"GET /cats"}}, `publicRoutes names "GET /cats", which no backend serves`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(withBackends(t, Config{JWT: &tt.jwt, JWTKeys: issuer.Keys()}))
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err = New(withBackends(t, Config{JWT: testJWT}))
	require.ErrorContains(t, err, "needs the keys that verify tokens")
}

// withBackends gives cfg every service, at an address nothing is called on,
// and throttling that lets everything through.
func withBackends(t *testing.T, cfg Config) Config {
	t.Helper()
	cfg.Throttling = lenientThrottling
	u, err := url.Parse("http://127.0.0.1:9")
	require.NoError(t, err)
	for _, s := range contract.Services {
		cfg.Backends = append(cfg.Backends, Backend{Service: s, URL: u})
	}
	return cfg
}

// TestLocalIssuerKeepsItsKey: the first load makes a key only its user can
// read, later loads (another `make run`, `make token`) use the same one, so
// tokens outlive restarts; a damaged file is refused with what to do.
func TestLocalIssuerKeepsItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".local", "jwt-signing-key.pem")
	first, err := LoadLocalIssuer(path, testIssuer)
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	second, err := LoadLocalIssuer(path, testIssuer)
	require.NoError(t, err)
	require.True(t, first.key.Equal(second.key))

	tok, err := first.Token(TokenRequest{Subject: "alice", Audience: "a", TTL: time.Hour, Now: time.Now()})
	require.NoError(t, err)
	_, err = second.Keys().VerifySignature(context.Background(), tok)
	require.NoError(t, err, "a token from one run verifies in the next")

	_, err = first.Token(TokenRequest{Audience: "a", TTL: time.Hour, Now: time.Now()})
	require.ErrorContains(t, err, "needs a subject")

	require.NoError(t, os.WriteFile(path, []byte("not a key"), 0o600))
	_, err = LoadLocalIssuer(path, testIssuer)
	require.ErrorContains(t, err, "delete it and a new key is made")
}

// TestRemoteKeysFollowDiscovery runs an identity provider over TLS that
// publishes its keys through OpenID discovery, as Cognito, Auth0 or Entra
// ID do: its tokens pass the gateway's authorizer, another key's don't.
func TestRemoteKeysFollowDiscovery(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	mux := http.NewServeMux()
	idp := httptest.NewTLSServer(mux)
	t.Cleanup(idp.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": idp.URL, "jwks_uri": idp.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	ctx := context.Background()
	keys, err := RemoteKeys(ctx, idp.Client(), idp.URL)
	require.NoError(t, err)

	rules := &apirules.JWTAuth{Issuer: idp.URL, Audiences: []string{"app"}}
	a := newAuthorizer(rules, keys, time.Now)
	claims := map[string]any{"iss": idp.URL, "sub": "dana", "aud": "app", "exp": time.Now().Add(time.Hour).Unix()}
	signedBy := func(k *rsa.PrivateKey) *http.Request {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: "k1"}}, nil)
		require.NoError(t, err)
		tok, err := jwt.Signed(signer).Claims(claims).Serialize()
		require.NoError(t, err)
		r := httptest.NewRequestWithContext(ctx, "GET", "/todo", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	sub, refused := a.authorize(ctx, signedBy(key), nil)
	require.Nil(t, refused)
	require.Equal(t, "dana", sub)

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, refused = a.authorize(ctx, signedBy(other), nil)
	require.NotNil(t, refused)
	require.Equal(t, http.StatusUnauthorized, refused.status)

	_, err = RemoteKeys(ctx, idp.Client(), idp.URL+"/nowhere")
	require.ErrorContains(t, err, "OpenID discovery")
}

// TestLocalIssuersStartingTogetherShareAKey: make run and make token (or
// two of either) making the key at the same moment end with one key.
func TestLocalIssuersStartingTogetherShareAKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwt-signing-key.pem")
	const n = 4
	issuers := make([]*LocalIssuer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { issuers[i], errs[i] = LoadLocalIssuer(path, testIssuer) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.True(t, issuers[0].key.Equal(issuers[i].key), "loader %d has another key", i)
	}
	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".jwt-signing-key-*"))
	require.NoError(t, err)
	require.Empty(t, leftovers, "no temporary key file is left behind")
}

// BenchmarkAuthorize is what authorization adds to a request: a local
// issuer's RS256 token checked end to end (kid, signature, claims, scope).
func BenchmarkAuthorize(b *testing.B) {
	issuer, err := LoadLocalIssuer(filepath.Join(b.TempDir(), "key.pem"), testIssuer)
	require.NoError(b, err)
	tok, err := issuer.Token(TokenRequest{Subject: "alice", Audience: "my-api-client-id", Scopes: []string{"todo/write"}, TTL: time.Hour, Now: time.Now()})
	require.NoError(b, err)
	a := newAuthorizer(testJWT, issuer.Keys(), time.Now)
	r := httptest.NewRequest("POST", "/todo", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, refused := a.authorize(ctx, r, testJWT.WriteScopes); refused != nil {
			b.Fatal(refused)
		}
	}
}
