package localgw

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/contract"
)

// RequestIDHeader carries the request ID on every response, as API
// Gateway's apigw-requestid header does.
const RequestIDHeader = "Apigw-Requestid"

// ErrClosed is what Serve returns once Shutdown or Close has been called.
var ErrClosed = http.ErrServerClosed

// HTTP API's quotas that a client can run into.
const (
	maxPayloadBytes = 10 << 20 // request and response payload
	maxHeaderBytes  = 10240    // request line and header values
)

// Throttling is the deployed stage's throttling, per route.
type Throttling = apirules.Throttling

// Backend is one service and where it runs locally.
type Backend struct {
	// Service is the contract's description; its Routes become routes.
	Service contract.Service
	// URL is the service's base URL, e.g. http://127.0.0.1:18081.
	URL *url.URL
}

// Config configures a Gateway.
type Config struct {
	// Backends are the services behind the gateway, usually every one of
	// contract.Services.
	Backends []Backend
	// Throttling is the stage's throttling and CORS the API's, usually
	// from LoadStackConfig.
	Throttling Throttling
	CORS       apirules.CORS
	// JWT, when set, is the API's authorization, enforced as the deployed
	// API's JWT authorizer does; JWTKeys verify the tokens' signatures
	// (LocalIssuer.Keys, or RemoteKeys for the real issuer's tokens).
	JWT     *apirules.JWTAuth
	JWTKeys oidc.KeySet
	// REST, when set, makes the gateway answer as the consumer's REST API
	// (apiType rest) does: API keys, usage plans, source IPs and REST's
	// answers. APIKeys are its clients' keys, by client (LoadAPIKeys).
	REST    *REST
	APIKeys map[string]APIKey
	// IntegrationTimeout bounds a backend's whole answer, body included.
	// Zero means apirules.IntegrationTimeoutMilliseconds, the deployed
	// value; tests make it short.
	IntegrationTimeout time.Duration
	// AccessLog receives one JSON line per request; nil logs nothing.
	AccessLog io.Writer
	// Now is the clock for throttling and latencies; nil means time.Now.
	Now func() time.Time
}

// Gateway is the local HTTP API: an http.Handler, and the server and
// transport it runs with.
type Gateway struct {
	routes    *RouteTable
	cors      *cors // nil: CORS off
	jwt       *apirules.JWTAuth
	auth      *authorizer // nil: every route open
	rest      *restGate   // nil: an HTTP API
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	server    *http.Server
	log       *accessLog
	now       func() time.Time
	timeout   time.Duration

	idPrefix string
	idSeq    atomic.Uint64
}

// New builds the gateway's routes, throttling and backends.
func New(cfg Config) (*Gateway, error) {
	for _, p := range cfg.Throttling.Problems() {
		return nil, fmt.Errorf("throttling: %w", p)
	}
	for _, p := range cfg.CORS.Problems() {
		return nil, fmt.Errorf("cors: %s", p)
	}
	g := &Gateway{now: cfg.Now, timeout: cfg.IntegrationTimeout, log: newAccessLog(cfg.AccessLog, cfg.REST != nil)}
	if g.now == nil {
		g.now = time.Now
	}
	if g.timeout <= 0 {
		g.timeout = apirules.IntegrationTimeoutMilliseconds * time.Millisecond
	}
	routes, keys, err := newRoutes(cfg, g.now())
	if err != nil {
		return nil, err
	}
	g.routes = routes
	g.cors = newCORS(cfg.CORS.WithDefaults(keys))
	if err := g.authorization(cfg, keys); err != nil {
		return nil, err
	}
	if cfg.REST != nil {
		if g.rest, err = newRESTGate(cfg, keys, g.now()); err != nil {
			return nil, fmt.Errorf("REST API: %w", err)
		}
	}

	var seed [4]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("seeding request IDs: %w", err)
	}
	g.idPrefix = hex.EncodeToString(seed[:])

	// Each call to a backend has a connection of its own. A reused one
	// could hand a client bytes a faulty backend sent after its last
	// response: net/http's Transport catches them only if they arrive
	// before it hands the connection to the next request, which is a race.
	// Backends are on loopback, where a connection costs tens of
	// microseconds (make bench-gateway measures it).
	g.transport = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		DisableKeepAlives:     true,
		ExpectContinueTimeout: time.Second,
		// A backend's content encoding passes through untouched.
		DisableCompression: true,
	}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:        g.rewrite,
		Transport:      g.transport,
		ModifyResponse: g.bufferResponse,
		ErrorHandler:   g.integrationFailed,
	}
	g.server = &http.Server{
		Handler:           g,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Room for the integration timeout after the request is read.
		WriteTimeout:   g.timeout + 30*time.Second,
		IdleTimeout:    60 * time.Second,
		MaxHeaderBytes: maxHeaderBytes,
	}
	return g, nil
}

// Serve accepts connections on ln until Shutdown or Close, and then
// returns ErrClosed.
func (g *Gateway) Serve(ln net.Listener) error { return g.server.Serve(ln) }

// Shutdown stops accepting, lets requests in flight finish until ctx ends,
// and flushes the access log.
func (g *Gateway) Shutdown(ctx context.Context) error {
	err := g.server.Shutdown(ctx)
	g.transport.CloseIdleConnections()
	return errors.Join(err, g.log.close())
}

// Close stops at once, cutting off requests in flight, and flushes the
// access log.
func (g *Gateway) Close() error {
	err := g.server.Close()
	g.transport.CloseIdleConnections()
	return errors.Join(err, g.log.close())
}

// CloseIdleConnections drops kept-alive backend connections, for example
// after a backend restarted.
func (g *Gateway) CloseIdleConnections() { g.transport.CloseIdleConnections() }

// exchange is what one request went through, for the access log.
type exchange struct {
	id                 string
	start              time.Time
	route              *Route
	sent               time.Time
	integrationStatus  int
	integrationLatency time.Duration // < 0 when no backend was called
	integrationError   string
	// user is the caller's token subject on a route that needs a token;
	// authorizerError why the token was refused.
	user, authorizerError string
	// apiKeyID is a REST API caller's key id; refundQuota gives back the
	// request its client's quota counted, if refused after all.
	apiKeyID    string
	refundQuota func()
}

// refund gives back the quota the request spent, if any, once.
func (x *exchange) refund() {
	if x.refundQuota != nil {
		x.refundQuota()
		x.refundQuota = nil
	}
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange { return ctx.Value(exchangeKey{}).(*exchange) }

// ServeHTTP answers a request as the deployed API would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{id: g.requestID(), start: g.now(), integrationLatency: -1}
	if g.rest != nil {
		w.Header().Set(restRequestIDHeader, x.id)
	} else {
		w.Header().Set(RequestIDHeader, x.id)
	}
	rec := &recorder{ResponseWriter: w}
	defer func() { g.log.write(x, r, rec, g.now()) }()

	if !ownHost(r) {
		writeMessage(rec, http.StatusForbidden, "Forbidden")
		return
	}
	if g.rest != nil && !g.rest.sourceAllowed(rec, r) {
		return
	}
	if g.cors != nil && isPreflight(r) {
		if _, routed := g.routes.Match(http.MethodOptions, r.URL.Path); !routed {
			g.cors.preflight(rec, r)
			return
		}
	}
	route, ok := g.routes.Match(r.Method, r.URL.Path)
	switch {
	case !ok && g.rest != nil:
		writeBody(rec, http.StatusForbidden, restMissingTokenBody)
		return
	case !ok:
		writeMessage(rec, http.StatusNotFound, "Not Found")
		return
	}
	x.route = route
	if !g.authorize(rec, r, x) {
		return
	}
	if !route.limit.allow(x.start) {
		x.refund()
		writeBody(rec, http.StatusTooManyRequests, apirules.RESTTooManyRequestsBody) // an HTTP API's is the same
		return
	}
	// API Gateway takes the whole request before calling the integration,
	// so a bad or oversized body is answered at once, the backend never
	// seeing it.
	body, err := io.ReadAll(http.MaxBytesReader(rec, r.Body, maxPayloadBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeMessage(rec, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	case err != nil:
		writeMessage(rec, http.StatusBadRequest, "Bad Request")
		return
	}

	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), exchangeKey{}, x), g.timeout)
	defer cancel()
	out := r.WithContext(ctx)
	out.ContentLength, out.TransferEncoding = int64(len(body)), nil
	out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	if len(body) > 0 {
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.Body, _ = out.GetBody()
	}
	g.proxy.ServeHTTP(rec, out)
}

// newRoutes is the route table of cfg's backends, each route with its
// target and its throttling bucket, and the route keys.
func newRoutes(cfg Config, start time.Time) (*RouteTable, []string, error) {
	services := make([]contract.Service, len(cfg.Backends))
	targets := make(map[string]*url.URL, len(cfg.Backends))
	for i, b := range cfg.Backends {
		if b.URL == nil || b.URL.Scheme != "http" || b.URL.Host == "" || b.URL.Port() == "" {
			return nil, nil, fmt.Errorf("backend %s: URL %v must be http://host:port", b.Service.Name, b.URL)
		}
		if _, dup := targets[b.Service.Name]; dup {
			return nil, nil, fmt.Errorf("backend %s is listed twice", b.Service.Name)
		}
		services[i] = b.Service
		targets[b.Service.Name] = b.URL
	}
	routes, err := NewRouteTable(services)
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(routes.routes))
	for _, r := range routes.routes {
		r.target = targets[r.Backend]
		rate, burst, _ := cfg.Throttling.RouteLimit(r.Key)
		r.limit = newBucket(rate, burst, start)
		keys = append(keys, r.Key)
	}
	for key := range cfg.Throttling.Routes {
		if !slices.Contains(keys, key) {
			return nil, nil, fmt.Errorf("throttling: %s names %q, which no backend serves; routes are %s", apirules.KeyRouteThrottling, key, strings.Join(keys, ", "))
		}
	}
	return routes, keys, nil
}

// authorization sets up cfg.JWT's authorizer, refusing what the deployed
// API's would not take.
func (g *Gateway) authorization(cfg Config, keys []string) error {
	if cfg.JWT == nil {
		return nil
	}
	if err := apirules.CheckIssuer(cfg.JWT.Issuer); err != nil {
		return fmt.Errorf("%s: %w", apirules.KeyJwtIssuer, err)
	}
	if len(cfg.JWT.Audiences) == 0 {
		return fmt.Errorf("%s is required with %s: the audiences (client IDs) tokens must carry", apirules.KeyJwtAudiences, apirules.KeyJwtIssuer)
	}
	for _, r := range cfg.JWT.PublicRoutes {
		if !slices.Contains(keys, r) {
			return fmt.Errorf("%s names %q, which no backend serves; routes are %s", apirules.KeyPublicRoutes, r, strings.Join(keys, ", "))
		}
	}
	if cfg.JWTKeys == nil {
		return errors.New("JWT authorization needs the keys that verify tokens (JWTKeys)")
	}
	g.jwt, g.auth = cfg.JWT, newAuthorizer(cfg.JWT, cfg.JWTKeys, g.now)
	return nil
}

// authorize applies the route's authorization, if any, answering a refusal
// as API Gateway does: 401 {"message":"Unauthorized"} for a missing or
// invalid token, with its reason in www-authenticate as API Gateway gives
// it, and 403 {"message":"Forbidden"} for a token without the route's
// scopes. It reports whether the request may go on. API Gateway doesn't
// document whether authorization or throttling comes first; here a refused
// token spends none of the route's throttle.
// On a REST API the API key and its client's usage plan take
// authorization's place (restGate.admit).
func (g *Gateway) authorize(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	if g.rest != nil {
		return g.rest.admit(w, r, x)
	}
	token, scopes := g.jwt.Route(x.route.Key)
	if !token {
		return true
	}
	sub, refused := g.auth.authorize(r.Context(), r, scopes)
	if refused == nil {
		x.user = sub
		return true
	}
	x.authorizerError = refused.reason
	if refused.status == http.StatusForbidden {
		writeMessage(w, http.StatusForbidden, "Forbidden")
		return false
	}
	if r.Header.Get("Authorization") != "" {
		w.Header().Set("Www-Authenticate", fmt.Sprintf(`Bearer scope="%s" error="invalid_token" error_description=%q`, strings.Join(scopes, " "), refused.reason))
	}
	writeMessage(w, http.StatusUnauthorized, "Unauthorized")
	return false
}

// requestID is unique per gateway process: a random prefix and a counter.
func (g *Gateway) requestID() string {
	return g.idPrefix + "-" + strconv.FormatUint(g.idSeq.Add(1), 10)
}

// ownHost accepts only the gateway's own loopback address as Host, so a web
// page whose name resolves to 127.0.0.1 (DNS rebinding) can't read the API.
func ownHost(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	_, port, err := net.SplitHostPort(local.String())
	if err != nil {
		return false
	}
	host, hostPort, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, hostPort = r.Host, "80"
	}
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
		return hostPort == port
	}
	return false
}
