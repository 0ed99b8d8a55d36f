package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Limits on what a client can send.
const (
	maxBodyBytes = 64 << 10 // a POST body, whatever its encoding
	maxDataRunes = 4096     // characters in a todo's data
	defaultLimit = 50       // items per list page when limit is not given
	maxLimit     = 100      // the largest limit a client may ask for
	pingTimeout  = 2 * time.Second
	// anonymousOwner owns the todos of requests without X-User-Id.
	anonymousOwner = "anonymous"
)

// Health is the state reported on /healthz. It starts healthy and only ever
// goes one way: once draining, the instance is on its way out.
type Health struct {
	draining atomic.Bool
}

// StartDraining makes /healthz answer 503 so the load balancer stops routing
// new connections here before the server stops accepting them.
func (h *Health) StartDraining() { h.draining.Store(true) }

// Draining reports whether StartDraining has been called.
func (h *Health) Draining() bool { return h.draining.Load() }

// Header values are assigned straight into the header map under canonical
// keys; each slice has len == cap, so a later Header().Add appends into a
// fresh array and never into these shared ones.
var (
	hdrJSON       = []string{"application/json"}
	hdrNoStore    = []string{"no-store"}
	hdrNosniff    = []string{"nosniff"}
	hdrRetryAfter = []string{"1"}
)

// body is an encoded response body with its Content-Length value.
type body struct {
	data []byte
	size []string
}

func newBody(v any) body {
	var buf bytes.Buffer
	// json.Encoder, like dognames and the old service: a trailing newline.
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		// Only strings and slices of string structs go in here, which
		// always encode.
		panic("todo: encoding a response: " + err.Error())
	}
	return body{data: buf.Bytes(), size: []string{strconv.Itoa(buf.Len())}}
}

// message is the error shape, the same as API Gateway's.
type message struct {
	Message string `json:"message"`
}

type status struct {
	Status string `json:"status"`
}

// item is a todo as clients of the old service know it: no owner, no time.
type item struct {
	ID   string `json:"id"`
	Data string `json:"data"`
}

// Bodies that never change are encoded once.
var (
	notFoundBody         = newBody(message{"Not Found"})
	methodNotAllowedBody = newBody(message{"Method Not Allowed"})
	healthyBody          = newBody(status{"ok"})
	drainingBody         = newBody(status{"draining"})
	readyBody            = newBody(status{"ready"})
	notReadyBody         = newBody(message{"store unavailable"})
	unavailableBody      = newBody(message{"store unavailable, try again"})
	badOwnerBody         = newBody(message{"Invalid X-User-Id header: use 1 to 128 characters of A-Z, a-z, 0-9 and ._@|:-"})
	badLimitBody         = newBody(message{"Invalid limit: use an integer from 1 to " + strconv.Itoa(maxLimit)})
	badCursorBody        = newBody(message{"Invalid cursor: use the X-Next-Cursor value of the previous page"})
	tooLargeBody         = newBody(message{"Request body too large: the limit is " + strconv.Itoa(maxBodyBytes) + " bytes"})
	unsupportedTypeBody  = newBody(message{"Unsupported Content-Type: use application/x-www-form-urlencoded, multipart/form-data or application/json"})
	badBodyBody          = newBody(message{"Malformed request body"})
	badJSONBody          = newBody(message{`Malformed JSON body: send exactly one object, {"data": "..."}`})
	emptyDataBody        = newBody(message{"data must not be empty"})
	longDataBody         = newBody(message{"data must be at most " + strconv.Itoa(maxDataRunes) + " characters"})
	badUTF8Body          = newBody(message{"data must be valid UTF-8"})
)

func write(w http.ResponseWriter, r *http.Request, code int, b *body) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Content-Length"] = b.size
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		// A failed write means the client went away; there is no one left
		// to tell.
		_, _ = w.Write(b.data)
	}
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	b := newBody(v)
	write(w, r, code, &b)
}

// writeNotFound answers a missing or malformed id in the old service's
// words.
func writeNotFound(w http.ResponseWriter, r *http.Request, id string) {
	writeJSON(w, r, http.StatusNotFound, message{"Todo " + id + " doesn't exist"})
}

type server struct {
	logger *slog.Logger
	health *Health
	store  Store
}

// NewServer returns the API's handler over store. Requests are logged only
// when logger has debug enabled; otherwise the logging middleware is not
// installed at all and costs nothing.
func NewServer(logger *slog.Logger, health *Health, store Store) http.Handler {
	s := &server{logger: logger, health: health, store: store}
	mux := http.NewServeMux()
	// A GET pattern also matches HEAD. Each path also gets a method-less
	// pattern: it is less specific than the ones with a method, so it only
	// sees the other methods, and answers them with a JSON 405 instead of
	// letting them fall through to the catch-all 404.
	mux.HandleFunc("GET /todo", s.list)
	mux.HandleFunc("POST /todo", s.create)
	mux.Handle("/todo", methodNotAllowed("GET, HEAD, POST"))
	mux.HandleFunc("GET /todo/{id}", s.get)
	mux.HandleFunc("DELETE /todo/{id}", s.delete)
	mux.Handle("/todo/{id}", methodNotAllowed("DELETE, GET, HEAD"))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("/healthz", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("/readyz", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		write(w, r, http.StatusNotFound, &notFoundBody)
	})

	if logger.Enabled(context.Background(), slog.LevelDebug) {
		return logRequests(logger, mux)
	}
	return mux
}

func methodNotAllowed(allow string) http.Handler {
	hdrAllow := []string{allow}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Allow"] = hdrAllow
		write(w, r, http.StatusMethodNotAllowed, &methodNotAllowedBody)
	})
}

// healthz is liveness for the load balancer. It never touches the store: an
// instance whose store is down is still alive, and failing every instance
// at once because DynamoDB hiccuped would take the whole service out.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.health.Draining() {
		write(w, r, http.StatusServiceUnavailable, &drainingBody)
		return
	}
	write(w, r, http.StatusOK, &healthyBody)
}

// readyz reports whether the store answers a cheap ping in time.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed", slog.Any("error", err))
		write(w, r, http.StatusServiceUnavailable, &notReadyBody)
		return
	}
	write(w, r, http.StatusOK, &readyBody)
}

// requestOwner returns the request's owner: the X-User-Id header, which the API
// Gateway in front sets from the token's sub claim, or anonymousOwner if
// there is none. A header that is present must be valid, and there must
// not be two.
func requestOwner(r *http.Request) (string, bool) {
	vals := r.Header.Values("X-User-Id")
	switch {
	case len(vals) == 0:
		return anonymousOwner, true
	case len(vals) == 1 && validOwner(vals[0]):
		return vals[0], true
	}
	return "", false
}

// storeError answers a store failure that is not the client's fault. The
// client gets a generic 503; the details go to the log.
func (s *server) storeError(w http.ResponseWriter, r *http.Request, op string, err error) {
	level := slog.LevelWarn
	if r.Context().Err() != nil {
		// The client went away or the server is stopping; no one is
		// waiting for this answer.
		level = slog.LevelDebug
	}
	s.logger.LogAttrs(r.Context(), level, "store unavailable", slog.String("op", op), slog.Any("error", err))
	w.Header()["Retry-After"] = hdrRetryAfter
	write(w, r, http.StatusServiceUnavailable, &unavailableBody)
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	owner, ok := requestOwner(r)
	if !ok {
		write(w, r, http.StatusBadRequest, &badOwnerBody)
		return
	}
	q := r.URL.Query()
	limit := defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			write(w, r, http.StatusBadRequest, &badLimitBody)
			return
		}
		limit = n
	}
	todos, next, err := s.store.List(r.Context(), owner, limit, q.Get("cursor"))
	if errors.Is(err, ErrBadCursor) {
		write(w, r, http.StatusBadRequest, &badCursorBody)
		return
	}
	if err != nil {
		s.storeError(w, r, "list", err)
		return
	}
	items := make([]item, len(todos)) // never nil: an empty page is [], not null
	for i, t := range todos {
		items[i] = item{ID: t.ID, Data: t.Data}
	}
	if next != "" {
		w.Header()["X-Next-Cursor"] = []string{next}
	}
	writeJSON(w, r, http.StatusOK, items)
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	owner, ok := requestOwner(r)
	if !ok {
		write(w, r, http.StatusBadRequest, &badOwnerBody)
		return
	}
	data, code, errBody := readData(w, r)
	if errBody != nil {
		write(w, r, code, errBody)
		return
	}
	t, err := s.store.Create(r.Context(), owner, data)
	if err != nil {
		s.storeError(w, r, "create", err)
		return
	}
	w.Header()["Location"] = []string{"/todo/" + t.ID}
	writeJSON(w, r, http.StatusCreated, item{ID: t.ID, Data: t.Data})
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	owner, ok := requestOwner(r)
	if !ok {
		write(w, r, http.StatusBadRequest, &badOwnerBody)
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		writeNotFound(w, r, id)
		return
	}
	t, err := s.store.Get(r.Context(), owner, id)
	if errors.Is(err, ErrNotFound) {
		writeNotFound(w, r, id)
		return
	}
	if err != nil {
		s.storeError(w, r, "get", err)
		return
	}
	writeJSON(w, r, http.StatusOK, item{ID: t.ID, Data: t.Data})
}

func (s *server) delete(w http.ResponseWriter, r *http.Request) {
	owner, ok := requestOwner(r)
	if !ok {
		write(w, r, http.StatusBadRequest, &badOwnerBody)
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		writeNotFound(w, r, id)
		return
	}
	err := s.store.Delete(r.Context(), owner, id)
	if errors.Is(err, ErrNotFound) {
		writeNotFound(w, r, id)
		return
	}
	if err != nil {
		s.storeError(w, r, "delete", err)
		return
	}
	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(http.StatusNoContent)
}

// readData reads and validates the data of a POST /todo: the form field
// data (url-encoded or multipart, as `curl -d data=...` and `curl -F
// data=...` send it) or a JSON object {"data": "..."}. On failure it
// returns the status and body to answer with.
func readData(w http.ResponseWriter, r *http.Request) (string, int, *body) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return "", http.StatusUnsupportedMediaType, &unsupportedTypeBody
	}
	switch mediaType {
	case "application/x-www-form-urlencoded", "multipart/form-data", "application/json":
	default:
		return "", http.StatusUnsupportedMediaType, &unsupportedTypeBody
	}

	// The whole body, at most maxBodyBytes of it, is read before any
	// parsing, so every parser below works on bytes in memory and none
	// can spill to disk.
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return "", http.StatusRequestEntityTooLarge, &tooLargeBody
		}
		return "", http.StatusBadRequest, &badBodyBody
	}

	var data string
	switch mediaType {
	case "application/x-www-form-urlencoded":
		data = formValue(raw, "data")
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return "", http.StatusBadRequest, &badBodyBody
		}
		// maxMemory is larger than any body we accept, so ReadForm
		// keeps everything in memory and never creates temp files.
		form, err := multipart.NewReader(bytes.NewReader(raw), boundary).ReadForm(4 * maxBodyBytes)
		if err != nil {
			return "", http.StatusBadRequest, &badBodyBody
		}
		_ = form.RemoveAll()
		if v := form.Value["data"]; len(v) > 0 {
			data = v[0]
		}
	case "application/json":
		var in struct {
			Data *string `json:"data"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return "", http.StatusBadRequest, &badJSONBody
		}
		// Exactly one JSON value: anything but white space after it is
		// an error.
		if _, err := dec.Token(); err != io.EOF {
			return "", http.StatusBadRequest, &badJSONBody
		}
		if in.Data != nil {
			data = *in.Data
		}
	}

	switch {
	case data == "":
		return "", http.StatusBadRequest, &emptyDataBody
	case !utf8.ValidString(data):
		return "", http.StatusBadRequest, &badUTF8Body
	case utf8.RuneCountInString(data) > maxDataRunes:
		return "", http.StatusBadRequest, &longDataBody
	}
	return data, 0, nil
}

// formValue returns the first value of key in an application/x-www-form-
// urlencoded body. It decodes the way the old Flask service did rather than
// the way url.ParseQuery does, because `curl -d data="..."` sends the text
// unencoded: a ';' is part of the value (ParseQuery rejects the pair), and a
// '%' that does not start a valid escape, as in "100% done", is kept as it
// is (ParseQuery rejects the whole body).
func formValue(body []byte, key string) string {
	for pair := range strings.SplitSeq(string(body), "&") {
		k, v, _ := strings.Cut(pair, "=")
		if formUnescape(k) == key {
			return formUnescape(v)
		}
	}
	return ""
}

// formUnescape decodes '+' as a space and %XX as a byte, and keeps
// anything else, including a malformed escape, as it is.
func formUnescape(s string) string {
	if !strings.ContainsAny(s, "+%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
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
