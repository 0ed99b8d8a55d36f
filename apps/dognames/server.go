package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Health is the readiness state reported on /healthz. It starts healthy and
// only ever goes one way: once draining, the task is on its way out.
type Health struct {
	draining atomic.Bool
}

// StartDraining makes /healthz answer 503 so the load balancer stops routing
// new connections here before the server stops accepting them.
func (h *Health) StartDraining() { h.draining.Store(true) }

// Draining reports whether StartDraining has been called.
func (h *Health) Draining() bool { return h.draining.Load() }

// Header values are built once and assigned straight into the header map
// under canonical keys: Header().Set would canonicalise the key and allocate
// a new slice on every request. Each slice has len == cap, so a later
// Header().Add by anyone appends into a fresh array and never into these.
var (
	hdrJSON    = []string{"application/json"}
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
	hdrAllow   = []string{"GET, HEAD"}
)

// body is a response body encoded once at start-up, with its Content-Length
// value ready to go, so serving it costs a map write and a copy.
type body struct {
	data []byte
	size []string
}

func newBody(v any) body {
	var buf bytes.Buffer
	// json.Encoder, not json.Marshal, because the trailing newline it adds is
	// part of the wire format clients of the old service already see.
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		// Only strings go in here, which always encode.
		panic("dognames: encoding a constant response: " + err.Error())
	}
	return body{data: buf.Bytes(), size: []string{strconv.Itoa(buf.Len())}}
}

// dog is the response shape of the old service; the field names are the JSON
// keys, so they must not change.
type dog struct {
	Name   string
	Gender string
}

func dogBodies(names []string, gender string) []body {
	bodies := make([]body, len(names))
	for i, n := range names {
		bodies[i] = newBody(dog{Name: n, Gender: gender})
	}
	return bodies
}

type message struct {
	Message string `json:"message"`
}

type status struct {
	Status string `json:"status"`
}

var (
	notFoundBody         = newBody(message{"Not Found"})
	methodNotAllowedBody = newBody(message{"Method Not Allowed"})
	healthyBody          = newBody(status{"ok"})
	drainingBody         = newBody(status{"draining"})
)

func write(w http.ResponseWriter, r *http.Request, code int, b *body) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	if r.Method == http.MethodHead {
		// No body follows, so net/http can't count it: declare it. For
		// every other method net/http sets the same Content-Length itself,
		// since the whole body goes out in one Write before the handler
		// returns; setting it here too measurably slows the hot path.
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

// randomBody serves one of its pre-encoded bodies, picked uniformly.
// rand.IntN uses the runtime's per-thread generator, so concurrent requests
// never contend on a lock the way a shared *rand.Rand would make them.
type randomBody []body

func (rb randomBody) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	write(w, r, http.StatusOK, &rb[rand.IntN(len(rb))])
}

// NewServer returns the API's handler. Every body it can send is encoded
// here, once, so the request path does no JSON work and allocates no body.
// Requests are logged only when logger has debug enabled; otherwise the
// logging middleware is not installed at all and costs nothing.
func NewServer(logger *slog.Logger, health *Health) http.Handler {
	males := dogBodies(maleNames, "male")
	females := dogBodies(femaleNames, "female")
	// /dogs picks from both lists at once: one random draw, and each name is
	// equally likely, so the gender split follows the list sizes.
	all := append(append(make([]body, 0, len(males)+len(females)), males...), females...)

	mux := http.NewServeMux()
	route := func(path string, h http.Handler) {
		mux.Handle("GET "+path, h) // also matches HEAD
		// Without this, a POST to a known path would fall through to the
		// catch-all below and get a 404. The method-less pattern is less
		// specific than "GET path", so GET and HEAD never reach it.
		mux.HandleFunc(path, methodNotAllowed)
	}
	route("/dogs", randomBody(all))
	route("/dogs/males", randomBody(males))
	route("/dogs/females", randomBody(females))
	route("/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if health.Draining() {
			write(w, r, http.StatusServiceUnavailable, &drainingBody)
			return
		}
		write(w, r, http.StatusOK, &healthyBody)
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		write(w, r, http.StatusNotFound, &notFoundBody)
	})

	if logger.Enabled(context.Background(), slog.LevelDebug) {
		return logRequests(logger, mux)
	}
	return mux
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header()["Allow"] = hdrAllow
	write(w, r, http.StatusMethodNotAllowed, &methodNotAllowedBody)
}

// logRequests logs every request at debug level.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		logger.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)),
		)
	})
}

// statusWriter remembers the status code a handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
