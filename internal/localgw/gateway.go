package localgw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/private-apis/private-apis/contract"
)

// RequestIDHeader carries the request ID on every response, as API
// Gateway's apigw-requestid header does.
const RequestIDHeader = "Apigw-Requestid"

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
	// Throttling is the stage's throttling, usually from LoadThrottling.
	Throttling Throttling
	// IntegrationTimeout bounds a backend's whole exchange: sending the
	// request, its response headers and its body. Zero means
	// contract.IntegrationTimeoutMilliseconds, the deployed value. Tests
	// make it short.
	IntegrationTimeout time.Duration
	// AccessLog receives one JSON line per request; nil logs nothing.
	AccessLog io.Writer
	// Now is the clock for throttling and latencies; nil means time.Now.
	// Connection deadlines always use the real clock.
	Now func() time.Time
}

// backend is a Backend as the proxy uses it.
type backend struct {
	name  string
	addr  string // host:port, dialled and sent as Host
	index int    // in Gateway.backends and a client's upstreams
}

// Gateway is the local HTTP API. Serve runs it on a listener; it speaks
// HTTP/1.1 to clients and to backends (see serve.go for why it does not use
// net/http's server and transport).
type Gateway struct {
	routes   *RouteTable
	api      *bucket // the whole API's throttling
	log      *accessLog
	now      func() time.Time
	timeout  time.Duration
	dialer   net.Dialer
	backends []*backend

	// generation is bumped by CloseIdleConnections; a kept-alive backend
	// connection from an older generation is closed instead of reused.
	generation atomic.Uint64

	idPrefix string
	idSeq    atomic.Uint64

	mu        sync.Mutex
	closing   atomic.Bool
	listeners map[net.Listener]struct{}
	clients   map[*clientConn]struct{}
	active    sync.WaitGroup // one per client connection, for Close
}

// New builds the gateway's routes, throttling and backends.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.Throttling.Validate(); err != nil {
		return nil, fmt.Errorf("throttling: %w", err)
	}
	if err := accessLogMatchesContract(); err != nil {
		return nil, err
	}
	timeout := cfg.IntegrationTimeout
	if timeout <= 0 {
		timeout = contract.IntegrationTimeoutMilliseconds * time.Millisecond
	}
	g := &Gateway{
		now:       cfg.Now,
		timeout:   timeout,
		dialer:    net.Dialer{KeepAlive: 30 * time.Second}, // each dial has the exchange's deadline
		listeners: map[net.Listener]struct{}{},
		clients:   map[*clientConn]struct{}{},
	}
	if g.now == nil {
		g.now = time.Now
	}
	services := make([]contract.Service, len(cfg.Backends))
	byName := make(map[string]*backend, len(cfg.Backends))
	for i, b := range cfg.Backends {
		if b.URL == nil || b.URL.Scheme != "http" || b.URL.Host == "" || b.URL.Port() == "" {
			return nil, fmt.Errorf("backend %s: URL %v must be http://host:port", b.Service.Name, b.URL)
		}
		if _, dup := byName[b.Service.Name]; dup {
			return nil, fmt.Errorf("backend %s is listed twice", b.Service.Name)
		}
		services[i] = b.Service
		be := &backend{name: b.Service.Name, addr: b.URL.Host, index: i}
		byName[be.name] = be
		g.backends = append(g.backends, be)
	}
	routes, err := NewRouteTable(services)
	if err != nil {
		return nil, err
	}
	start := g.now()
	for _, r := range routes.routes {
		r.backend = byName[r.Backend]
		if contract.IsWriteMethod(r.Method) {
			r.limit = newBucket(cfg.Throttling.WriteRateLimit, cfg.Throttling.WriteBurstLimit, start)
		}
	}
	g.routes = routes
	g.api = newBucket(cfg.Throttling.RateLimit, cfg.Throttling.BurstLimit, start)

	var seed [4]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("seeding request IDs: %w", err)
	}
	g.idPrefix = hex.EncodeToString(seed[:])
	if cfg.AccessLog != nil {
		g.log = newAccessLog(cfg.AccessLog)
	}
	return g, nil
}

// errorResponse is one of API Gateway's own answers, with its status line
// and fixed headers written once.
type errorResponse struct {
	status int
	head   string // status line without the protocol, and fixed headers
	body   string
}

func newErrorResponse(status int, message string) errorResponse {
	body := `{"message":"` + message + `"}`
	return errorResponse{
		status: status,
		head: strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n" +
			"Content-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n",
		body: body,
	}
}

var (
	notFound            = newErrorResponse(http.StatusNotFound, "Not Found")
	tooManyRequests     = newErrorResponse(http.StatusTooManyRequests, "Too Many Requests")
	serviceUnavailable  = newErrorResponse(http.StatusServiceUnavailable, "Service Unavailable")
	gatewayTimeout      = newErrorResponse(http.StatusGatewayTimeout, "Gateway Timeout")
	badRequest          = newErrorResponse(http.StatusBadRequest, "Bad Request")
	headersTooLarge     = newErrorResponse(http.StatusRequestHeaderFieldsTooLarge, "Request Header Fields Too Large")
	expectationFailed   = newErrorResponse(http.StatusExpectationFailed, "Expectation Failed")
	notImplemented      = newErrorResponse(http.StatusNotImplemented, "Not Implemented")
	versionNotSupported = newErrorResponse(http.StatusHTTPVersionNotSupported, "HTTP Version Not Supported")
)

// requestID is unique per gateway process: a random prefix and a counter,
// cheaper than a random ID per request.
func (g *Gateway) requestID() string {
	var b [24]byte
	n := copy(b[:], g.idPrefix)
	b[n] = '-'
	return string(strconv.AppendUint(b[:n+1], g.idSeq.Add(1), 10))
}

// integrationFailure is API Gateway's answer when the integration fails: a
// backend slower than the integration timeout is 504; anything else
// (refused, reset, unreachable) is 503, what a private integration answers
// with no healthy target.
func integrationFailure(err error) *errorResponse {
	if isTimeout(err) {
		return &gatewayTimeout
	}
	return &serviceUnavailable
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// CloseIdleConnections makes every kept-alive backend connection be
// dropped instead of reused, for example after a backend restarted, so no
// request is sent on a dead one. A connection is closed when its client
// connection next needs it, or ends.
func (g *Gateway) CloseIdleConnections() { g.generation.Add(1) }

// Close stops the gateway at once: listeners and client connections are
// closed, in-flight requests cut off, and the access log flushed. Shutdown
// first lets in-flight requests finish.
func (g *Gateway) Close() error {
	err := g.closeListeners()
	g.mu.Lock()
	for cc := range g.clients {
		cc.abort()
	}
	g.mu.Unlock()
	// Aborted connections end at once; waiting for them means their
	// requests are in the access log before it is flushed.
	g.active.Wait()
	if g.log != nil {
		err = errors.Join(err, g.log.close())
	}
	return err
}
