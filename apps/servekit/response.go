package servekit

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
)

// Header values are built once and assigned straight into the header map
// under canonical keys: Header().Set would canonicalise the key and allocate
// a new slice on every request. Each slice has len == cap, so a later
// Header().Add by anyone appends into a fresh array and never into these.
var (
	hdrJSON    = []string{"application/json"}
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
)

// implicitLengthMax is the most net/http's response writer buffers before
// it starts sending (bufferBeforeChunkingSize in net/http). A body of at
// most this size, written in one Write before the handler returns, is still
// in that buffer when the handler returns, so net/http counts it and sets
// Content-Length itself. A larger body goes out as it is written, chunked,
// unless the handler declared its length.
const implicitLengthMax = 2048

// Body is a JSON response body encoded ahead of time, with its
// Content-Length value ready to go, so that serving it costs a few map
// writes and a copy. Bodies that never change are best encoded once, at
// start-up, into package variables; the request path then does no JSON
// work and allocates nothing for the body.
type Body struct {
	data []byte
	size []string
}

// NewBody encodes v as the services have always sent it: json.Encoder
// output, trailing newline included, because that newline is part of the
// wire format that clients of the services they replaced already see. It
// panics if v cannot be encoded, which for the strings, structs of strings
// and slices of them that services send cannot happen.
func NewBody(v any) Body {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		panic("servekit: encoding a response body: " + err.Error())
	}
	return Body{data: buf.Bytes(), size: []string{strconv.Itoa(buf.Len())}}
}

// Write sends b with status code and the headers every JSON response
// carries: Content-Type application/json, Cache-Control no-store (these are
// API answers, never to be served from a cache) and X-Content-Type-Options
// nosniff. For HEAD it sends the headers only.
//
// It is the hot path of every request and allocates nothing. It declares
// Content-Length only where net/http cannot count the body itself: for
// HEAD, where no body follows, and for a body too large for net/http's
// buffer. For every other response net/http sets the same Content-Length
// on the wire, since the whole body goes out in one Write before the
// handler returns, and setting it here too measurably slows the hot path.
// A ResponseWriter other than net/http's (a test recorder, say) therefore
// sees no Content-Length for small bodies, and on the wire net/http puts
// its own after the other headers rather than in order among them;
// [WriteWithLength] always sets it.
func Write(w http.ResponseWriter, r *http.Request, code int, b *Body) {
	write(w, r, code, b, r.Method == http.MethodHead || len(b.data) > implicitLengthMax)
}

// WriteWithLength is [Write], but it always declares Content-Length, so
// the header is there whatever the ResponseWriter, at the price of one
// more map write.
func WriteWithLength(w http.ResponseWriter, r *http.Request, code int, b *Body) {
	write(w, r, code, b, true)
}

func write(w http.ResponseWriter, r *http.Request, code int, b *Body, declareLength bool) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	if declareLength {
		h["Content-Length"] = b.size
	}
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		// A failed write means the client went away; there is no one left
		// to tell.
		_, _ = w.Write(b.data)
	}
}

// NoContent sends a 204 with the caching and sniffing headers of every
// other response, and no body or Content-Type.
func NoContent(w http.ResponseWriter) {
	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(http.StatusNoContent)
}

// Message is the error body of every service, {"message":"..."}: the shape
// API Gateway uses for its own errors, so clients that already handle those
// need nothing new.
type Message struct {
	Message string `json:"message"`
}

// MessageBody is the body {"message":text}.
func MessageBody(text string) Body { return NewBody(Message{text}) }

// status is the body of the health check.
type status struct {
	Status string `json:"status"`
}

var (
	notFoundBody         = MessageBody("Not Found")
	methodNotAllowedBody = MessageBody("Method Not Allowed")
	healthyBody          = NewBody(status{"ok"})
	drainingBody         = NewBody(status{"draining"})
)

// Health is the liveness state of a service, which [Router.Health]
// reports to the load balancer. It starts healthy and only ever goes one
// way: once draining, the task or instance is on its way out. [Serve]
// starts the draining on shutdown.
type Health struct {
	draining atomic.Bool
}

// StartDraining makes /healthz answer 503 so the load balancer stops
// routing new connections here before the server stops accepting them.
func (h *Health) StartDraining() { h.draining.Store(true) }

// Draining reports whether StartDraining has been called.
func (h *Health) Draining() bool { return h.draining.Load() }
