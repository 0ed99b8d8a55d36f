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
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
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
	// IntegrationTimeout bounds the wait for a backend's response headers;
	// zero means contract.IntegrationTimeoutMilliseconds, the deployed
	// value. Tests make it short.
	IntegrationTimeout time.Duration
	// AccessLog receives one JSON line per request; nil logs nothing.
	AccessLog io.Writer
	// Now is the clock for throttling and latencies; nil means time.Now.
	Now func() time.Time
}

// Gateway is the local HTTP API. It is an http.Handler.
type Gateway struct {
	routes    *RouteTable
	api       *bucket // the whole API's throttling
	transport *http.Transport
	log       *accessLog // nil when not logging
	now       func() time.Time

	idPrefix string
	idSeq    atomic.Uint64
}

// New builds the gateway's routes, throttling and one reverse proxy per
// backend, all sharing one keep-alive transport.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.Throttling.Validate(); err != nil {
		return nil, fmt.Errorf("throttling: %w", err)
	}
	if err := accessLogMatchesContract(); err != nil {
		return nil, err
	}
	services := make([]contract.Service, len(cfg.Backends))
	proxies := make(map[string]http.Handler, len(cfg.Backends))
	timeout := cfg.IntegrationTimeout
	if timeout <= 0 {
		timeout = contract.IntegrationTimeoutMilliseconds * time.Millisecond
	}
	g := &Gateway{
		now:       cfg.Now,
		transport: newTransport(timeout),
	}
	if g.now == nil {
		g.now = time.Now
	}
	for i, b := range cfg.Backends {
		if b.URL == nil || b.URL.Scheme != "http" || b.URL.Host == "" {
			return nil, fmt.Errorf("backend %s: URL %v must be http://host:port", b.Service.Name, b.URL)
		}
		if _, dup := proxies[b.Service.Name]; dup {
			return nil, fmt.Errorf("backend %s is listed twice", b.Service.Name)
		}
		services[i] = b.Service
		proxies[b.Service.Name] = g.newProxy(b)
	}
	routes, err := NewRouteTable(services)
	if err != nil {
		return nil, err
	}
	start := g.now()
	for _, r := range routes.routes {
		r.proxy = proxies[r.Backend]
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

// newTransport is tuned for many concurrent requests to few loopback
// backends: enough idle connections per backend that a load test never
// dials per request, no transparent gzip (the proxy passes bodies through
// untouched), and no HTTP_PROXY from the environment.
func newTransport(timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   timeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		// Shorter than the services' 120 s idle timeout, so the gateway
		// closes an idle connection before the service can, and never sends
		// a request on a connection the service is closing.
		IdleConnTimeout: 90 * time.Second,
		// The integration timeout: API Gateway gives up on a backend that
		// has not answered in time.
		ResponseHeaderTimeout: timeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

// bufferPool lends ReverseProxy its 32 KiB copy buffers instead of a new
// one per request.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

var copyBuffers = &bufferPool{}

func (g *Gateway) newProxy(b Backend) http.Handler {
	target := b.URL
	// One shared value, never modified, so setting it allocates nothing.
	backendValue := []string{b.Service.Name}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Del(contract.UserHeader)
			pr.Out.Header[contract.BackendHeader] = backendValue
		},
		Transport:    g.transport,
		BufferPool:   copyBuffers,
		ErrorHandler: g.integrationError,
		// Silence ReverseProxy's own logging: the access log reports every
		// failed integration with its error.
		ErrorLog: discardLogger,
	}
}

// Precomputed API Gateway error responses.
type errorResponse struct {
	status int
	body   []byte
	length []string
}

func newErrorResponse(status int, message string) errorResponse {
	body := []byte(`{"message":"` + message + `"}`)
	return errorResponse{status: status, body: body, length: []string{strconv.Itoa(len(body))}}
}

var (
	notFound           = newErrorResponse(http.StatusNotFound, "Not Found")
	tooManyRequests    = newErrorResponse(http.StatusTooManyRequests, "Too Many Requests")
	serviceUnavailable = newErrorResponse(http.StatusServiceUnavailable, "Service Unavailable")
	gatewayTimeout     = newErrorResponse(http.StatusGatewayTimeout, "Gateway Timeout")
	jsonContentType    = []string{"application/json"}
)

func writeError(w http.ResponseWriter, e *errorResponse) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = e.length
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body) // the client went away; the access log has the status
}

// ServeHTTP routes, throttles and proxies one request, then logs it.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	rec := recorders.Get().(*recorder)
	rec.reset(w, g.now)
	id := g.requestID()
	w.Header()[RequestIDHeader] = []string{id}

	route, ok := g.routes.Match(r.Method, r.URL.Path)
	// Deferred so that a request whose response copy is aborted (the
	// client went away mid-body) is logged too.
	defer func() {
		if g.log != nil {
			e := entry{
				requestID:          id,
				start:              start,
				ip:                 remoteIP(r.RemoteAddr),
				method:             r.Method,
				path:               r.URL.Path,
				status:             rec.status,
				protocol:           r.Proto,
				responseLength:     rec.bytes,
				responseLatency:    g.now().Sub(start),
				integrationLatency: -1,
				integrationError:   rec.integrationErr,
				userAgent:          r.UserAgent(),
			}
			if ok {
				e.routeKey = route.Key
			}
			if rec.integrated {
				e.integrationLatency = rec.integrationLatency
				if rec.integrationErr == "" {
					e.integrationStatus = rec.status
				}
			}
			g.log.write(&e)
		}
		rec.reset(nil, nil)
		recorders.Put(rec)
	}()

	switch {
	case !ok:
		writeError(rec, &notFound)
	case route.limit != nil && !route.limit.allow(start) || !g.api.allow(start):
		writeError(rec, &tooManyRequests)
	default:
		rec.integrated = true
		rec.integrationStart = start
		route.proxy.ServeHTTP(rec, r)
	}
}

// requestID is unique per gateway process: a random prefix and a counter,
// cheaper than a random ID per request.
func (g *Gateway) requestID() string {
	var b [24]byte
	n := copy(b[:], g.idPrefix)
	b[n] = '-'
	return string(strconv.AppendUint(b[:n+1], g.idSeq.Add(1), 10))
}

// integrationError is ReverseProxy's ErrorHandler: it answers as API
// Gateway does when the integration fails. A backend slower than the
// integration timeout is 504; anything else (refused, reset, unreachable)
// is 503, what a private integration answers with no healthy target.
func (g *Gateway) integrationError(w http.ResponseWriter, r *http.Request, err error) {
	rec, _ := w.(*recorder)
	if rec != nil {
		rec.integrationErr = err.Error()
		rec.integrationLatency = g.now().Sub(rec.integrationStart)
	}
	if isTimeout(err) {
		writeError(w, &gatewayTimeout)
		return
	}
	writeError(w, &serviceUnavailable)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// remoteIP is the host part of RemoteAddr, without allocating.
func remoteIP(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		addr = addr[:i]
	}
	return strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
}

// CloseIdleConnections drops kept-alive backend connections, for example
// after a backend restarted, so no request is sent on a dead one.
func (g *Gateway) CloseIdleConnections() { g.transport.CloseIdleConnections() }

// Close flushes the access log and closes idle backend connections. Call it
// after the http.Server serving the gateway has shut down.
func (g *Gateway) Close() error {
	g.transport.CloseIdleConnections()
	if g.log != nil {
		return g.log.close()
	}
	return nil
}
