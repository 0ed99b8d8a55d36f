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
	"time"
	"unicode/utf8"

	"github.com/private-apis/private-apis/apps/servekit"
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

// hdrRetryAfter is assigned straight into the header map under its
// canonical key, like servekit's header values; len == cap, so a later
// Header().Add appends into a fresh array and never into this shared one.
var hdrRetryAfter = []string{"1"}

// status is the body of the readiness check.
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
	readyBody           = servekit.NewBody(status{"ready"})
	notReadyBody        = servekit.MessageBody("store unavailable")
	unavailableBody     = servekit.MessageBody("store unavailable, try again")
	badOwnerBody        = servekit.MessageBody("Invalid X-User-Id header: use 1 to 128 characters of A-Z, a-z, 0-9 and ._@|:-")
	badLimitBody        = servekit.MessageBody("Invalid limit: use an integer from 1 to " + strconv.Itoa(maxLimit))
	badCursorBody       = servekit.MessageBody("Invalid cursor: use the X-Next-Cursor value of the previous page")
	tooLargeBody        = servekit.MessageBody("Request body too large: the limit is " + strconv.Itoa(maxBodyBytes) + " bytes")
	unsupportedTypeBody = servekit.MessageBody("Unsupported Content-Type: use application/x-www-form-urlencoded, multipart/form-data or application/json")
	badBodyBody         = servekit.MessageBody("Malformed request body")
	badJSONBody         = servekit.MessageBody(`Malformed JSON body: send exactly one object, {"data": "..."}`)
	emptyDataBody       = servekit.MessageBody("data must not be empty")
	longDataBody        = servekit.MessageBody("data must be at most " + strconv.Itoa(maxDataRunes) + " characters")
	badUTF8Body         = servekit.MessageBody("data must be valid UTF-8")
)

// write sends b with the JSON headers every service sends.
func write(w http.ResponseWriter, r *http.Request, code int, b *servekit.Body) {
	servekit.Write(w, r, code, b)
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	b := servekit.NewBody(v)
	write(w, r, code, &b)
}

// writeNotFound answers a missing or malformed id in the old service's
// words.
func writeNotFound(w http.ResponseWriter, r *http.Request, id string) {
	b := servekit.MessageBody("Todo " + id + " doesn't exist")
	write(w, r, http.StatusNotFound, &b)
}

type server struct {
	logger *slog.Logger
	store  Store
}

// NewServer returns the API's handler over store. Requests are logged only
// when logger has debug enabled; otherwise the logging middleware is not
// installed at all and costs nothing.
func NewServer(logger *slog.Logger, health *servekit.Health, store Store) http.Handler {
	s := &server{logger: logger, store: store}
	// A GET handler also serves HEAD; any other method on these paths gets
	// a JSON 405, and any other path a JSON 404. They, and the health
	// check, go out through write like everything else.
	rt := servekit.NewRouter()
	rt.Route("/todo", servekit.Methods{
		http.MethodGet:  http.HandlerFunc(s.list),
		http.MethodPost: http.HandlerFunc(s.create),
	})
	rt.Route("/todo/{id}", servekit.Methods{
		http.MethodGet:    http.HandlerFunc(s.get),
		http.MethodDelete: http.HandlerFunc(s.delete),
	})
	// Liveness for the load balancer. It never touches the store: an
	// instance whose store is down is still alive, and failing every
	// instance at once because DynamoDB hiccuped would take the whole
	// service out. /readyz is the one that asks the store.
	rt.Health("/healthz", health)
	rt.Route("/readyz", servekit.Methods{http.MethodGet: http.HandlerFunc(s.readyz)})
	return servekit.LogRequests(logger, rt.Handler())
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
	q, err := servekit.Query(r)
	if err != nil {
		body := servekit.MessageBody("Malformed query string: " + err.Error())
		write(w, r, http.StatusBadRequest, &body)
		return
	}
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

// ownedTodo reads the caller and the todo id of a /todo/{id} request. A bad
// owner is a 400; an id that can't exist is the same 404 as a missing todo,
// so ids reveal nothing. It answers itself when it returns false.
func ownedTodo(w http.ResponseWriter, r *http.Request) (owner, id string, ok bool) {
	owner, ok = requestOwner(r)
	if !ok {
		write(w, r, http.StatusBadRequest, &badOwnerBody)
		return "", "", false
	}
	id = r.PathValue("id")
	if !validID(id) {
		writeNotFound(w, r, id)
		return "", "", false
	}
	return owner, id, true
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	owner, id, ok := ownedTodo(w, r)
	if !ok {
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
	owner, id, ok := ownedTodo(w, r)
	if !ok {
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
	servekit.NoContent(w)
}

// readData reads and validates the data of a POST /todo: the form field
// data (url-encoded or multipart, as `curl -d data=...` and `curl -F
// data=...` send it) or a JSON object {"data": "..."}. On failure it
// returns the status and body to answer with.
func readData(w http.ResponseWriter, r *http.Request) (string, int, *servekit.Body) {
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
