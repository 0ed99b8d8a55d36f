package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit"
	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

const formType = "application/x-www-form-urlencoded"

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// api drives a handler in-process.
type api struct {
	t testing.TB
	h http.Handler
}

func newAPI(t testing.TB, s Store) api {
	return api{t, NewServer(discardLogger(), &servekit.Health{}, s)}
}

// do sends a request; hdr is "Key", "Value" pairs.
func (a api) do(method, target, contentType, body string, hdr ...string) *httptest.ResponseRecorder {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

// create posts data as curl -d does and returns the new item.
func (a api) create(data string, hdr ...string) item {
	a.t.Helper()
	rec := a.do("POST", "/todo", formType, "data="+url.QueryEscape(data), hdr...)
	if rec.Code != http.StatusCreated {
		a.t.Fatalf("POST /todo: %d %s", rec.Code, rec.Body)
	}
	return decodeItem(a.t, rec)
}

func decodeItem(t testing.TB, rec *httptest.ResponseRecorder) item {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields() // in particular, no owner
	var it item
	if err := dec.Decode(&it); err != nil {
		t.Fatalf("body is not an item: %v", err)
	}
	return it
}

func decodeItems(t testing.TB, rec *httptest.ResponseRecorder) []item {
	t.Helper()
	if !strings.HasPrefix(rec.Body.String(), "[") {
		t.Fatalf("body %q is not a JSON array", rec.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	var items []item
	if err := dec.Decode(&items); err != nil {
		t.Fatalf("body is not a list of items: %v", err)
	}
	return items
}

// checkHeaders checks what every JSON response carries.
func checkHeaders(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := rec.Result().Header
	servekittest.CheckJSONHeaders(t, h)
	if got, want := h.Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
		t.Errorf("Content-Length = %q, want %q", got, want)
	}
}

// checkMessage checks an error response: status, headers and exact body.
func checkMessage(t testing.TB, rec *httptest.ResponseRecorder, code int, msg string) {
	t.Helper()
	if rec.Code != code {
		t.Errorf("status %d, want %d (body %s)", rec.Code, code, rec.Body)
	}
	checkHeaders(t, rec)
	want, _ := json.Marshal(servekit.Message{Message: msg})
	if got := strings.TrimSuffix(rec.Body.String(), "\n"); got != string(want) {
		t.Errorf("body %s, want %s", got, want)
	}
}

// storeKinds runs f against both real stores.
func storeKinds(t *testing.T, f func(t *testing.T, newStore func(t *testing.T) Store)) {
	t.Run("bolt", func(t *testing.T) { f(t, func(t *testing.T) Store { return newTestBoltStore(t) }) })
	t.Run("dynamodb", func(t *testing.T) { f(t, func(t *testing.T) Store { return newDynaliteStore(t) }) })
}

func TestTodoLifecycle(t *testing.T) {
	storeKinds(t, func(t *testing.T, newStore func(t *testing.T) Store) {
		a := newAPI(t, newStore(t))

		rec := a.do("GET", "/todo", "", "")
		if rec.Code != http.StatusOK || rec.Body.String() != "[]\n" {
			t.Fatalf("empty list: %d %q, want 200 []", rec.Code, rec.Body)
		}
		checkHeaders(t, rec)

		// Exactly what curl -d data="Write new AWS blog post" sends.
		rec = a.do("POST", "/todo", formType, "data=Write new AWS blog post")
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
		checkHeaders(t, rec)
		created := decodeItem(t, rec)
		if !validID(created.ID) || created.Data != "Write new AWS blog post" {
			t.Fatalf("created %+v", created)
		}
		if loc := rec.Header().Get("Location"); loc != "/todo/"+created.ID {
			t.Errorf("Location = %q", loc)
		}
		if want := `{"id":"` + created.ID + `","data":"Write new AWS blog post"}` + "\n"; rec.Body.String() != want {
			t.Errorf("body %q, want %q", rec.Body, want)
		}

		rec = a.do("GET", "/todo/"+created.ID, "", "")
		if rec.Code != http.StatusOK || decodeItem(t, rec) != created {
			t.Errorf("GET item: %d %s", rec.Code, rec.Body)
		}
		checkHeaders(t, rec)

		rec = a.do("HEAD", "/todo/"+created.ID, "", "")
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("HEAD item: %d %q", rec.Code, rec.Body)
		}

		rec = a.do("GET", "/todo", "", "")
		if items := decodeItems(t, rec); rec.Code != http.StatusOK || !slices.Equal(items, []item{created}) {
			t.Errorf("list: %d %v", rec.Code, items)
		}
		if rec.Header().Get("X-Next-Cursor") != "" {
			t.Error("X-Next-Cursor on the only page")
		}

		rec = a.do("DELETE", "/todo/"+created.ID, "", "")
		if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
			t.Errorf("DELETE: %d %q", rec.Code, rec.Body)
		}
		checkMessage(t, a.do("GET", "/todo/"+created.ID, "", ""), 404, "Todo "+created.ID+" doesn't exist")
		checkMessage(t, a.do("DELETE", "/todo/"+created.ID, "", ""), 404, "Todo "+created.ID+" doesn't exist")
	})
}

func TestCreateEncodings(t *testing.T) {
	a := newAPI(t, newTestBoltStore(t))
	multipartBody := func(fields ...string) (string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for i := 0; i+1 < len(fields); i += 2 {
			mw.WriteField(fields[i], fields[i+1])
		}
		mw.Close()
		return mw.FormDataContentType(), buf.String()
	}
	mpType, mpBody := multipartBody("data", "from curl -F", "other", "ignored")
	tests := []struct {
		name, contentType, body, want string
	}{
		{"curl -d", formType, "data=Write new AWS blog post", "Write new AWS blog post"},
		{"form encoded", formType, "data=" + url.QueryEscape("a&b=c+d 100% ü"), "a&b=c+d 100% ü"},
		{"form with charset", formType + "; charset=UTF-8", "data=x", "x"},
		{"form plus is space", formType, "data=buy+milk", "buy milk"},
		// curl -d sends the text as it is; the old service kept these.
		{"form semicolon", formType, "data=Buy milk; eggs", "Buy milk; eggs"},
		{"form bare percent", formType, "data=Finish 100% of it", "Finish 100% of it"},
		{"form other fields", formType, "title=x&data=y&done=false", "y"},
		{"form first data wins", formType, "data=first&data=second", "first"},
		{"form encoded key", formType, "d%61ta=z", "z"},
		{"multipart", mpType, mpBody, "from curl -F"},
		{"json", "application/json", `{"data": "Write new AWS blog post"}`, "Write new AWS blog post"},
		{"json charset", "application/json; charset=utf-8", `{"data":"x"}`, "x"},
		{"json trailing space", "application/json", "{\"data\":\"x\"}\n\t ", "x"},
		{"json unicode", "application/json", `{"data":"\u00e9\ud83d\udc36 \"q\""}`, `é🐶 "q"`},
		{"json case-insensitive key", "application/json", `{"Data":"x"}`, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := a.do("POST", "/todo", tt.contentType, tt.body)
			if rec.Code != http.StatusCreated {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if it := decodeItem(t, rec); it.Data != tt.want {
				t.Errorf("data %q, want %q", it.Data, tt.want)
			}
		})
	}
}

func TestCreateBadInput(t *testing.T) {
	store := newTestBoltStore(t)
	a := newAPI(t, store)
	const (
		tooLarge    = "Request body too large: the limit is 65536 bytes"
		badJSON     = `Malformed JSON body: send exactly one object, {"data": "..."}`
		empty       = "data must not be empty"
		tooLong     = "data must be at most 4096 characters"
		unsupported = "Unsupported Content-Type: use application/x-www-form-urlencoded, multipart/form-data or application/json"
	)
	mpType := "multipart/form-data; boundary=XyZ"
	tests := []struct {
		name, contentType, body string
		code                    int
		msg                     string
	}{
		{"body over 64 KiB", formType, "data=" + strings.Repeat("a", maxBodyBytes-5+1), 413, tooLarge},
		{"json over 64 KiB", "application/json", `{"data":"` + strings.Repeat("a", maxBodyBytes) + `"}`, 413, tooLarge},
		{"multipart over 64 KiB", mpType, strings.Repeat("a", maxBodyBytes+1), 413, tooLarge},
		{"unsupported type", "text/plain", "data=x", 415, unsupported},
		{"xml", "application/xml", "<data>x</data>", 415, unsupported},
		{"no content type", "", "data=x", 415, unsupported},
		{"malformed content type", "application/json; =", `{"data":"x"}`, 415, unsupported},
		{"form without data", formType, "title=x", 400, empty},
		{"form empty data", formType, "data=", 400, empty},
		{"form data without =", formType, "data", 400, empty},
		{"empty body", formType, "", 400, empty},
		{"form 4097 characters", formType, "data=" + strings.Repeat("a", 4097), 400, tooLong},
		{"form 4097 runes", formType, "data=" + url.QueryEscape(strings.Repeat("é", 4097)), 400, tooLong},
		{"form invalid utf-8", formType, "data=%ff%fe", 400, "data must be valid UTF-8"},
		{"json unknown field", "application/json", `{"data":"x","done":true}`, 400, badJSON},
		{"json trailing garbage", "application/json", `{"data":"x"} garbage`, 400, badJSON},
		{"json two values", "application/json", `{"data":"x"}{"data":"y"}`, 400, badJSON},
		{"json malformed", "application/json", `{"data":"x"`, 400, badJSON},
		{"json not an object", "application/json", `["x"]`, 400, badJSON},
		{"json string", "application/json", `"x"`, 400, badJSON},
		{"json wrong type", "application/json", `{"data":42}`, 400, badJSON},
		{"json empty body", "application/json", ``, 400, badJSON},
		{"json null", "application/json", `null`, 400, empty},
		{"json null data", "application/json", `{"data":null}`, 400, empty},
		{"json no data", "application/json", `{}`, 400, empty},
		{"json empty data", "application/json", `{"data":""}`, 400, empty},
		{"json 4097 characters", "application/json", `{"data":"` + strings.Repeat("a", 4097) + `"}`, 400, tooLong},
		{"multipart without boundary", "multipart/form-data", "x", 400, "Malformed request body"},
		{"multipart malformed", mpType, "not multipart", 400, "Malformed request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMessage(t, a.do("POST", "/todo", tt.contentType, tt.body), tt.code, tt.msg)
		})
	}
	if got := listAll(t, store, "anonymous", 100); len(got) != 0 {
		t.Errorf("bad requests created %v", got)
	}
}

func TestCreateDataLimits(t *testing.T) {
	a := newAPI(t, newTestBoltStore(t))
	for _, d := range []string{"a", strings.Repeat("a", 4096), strings.Repeat("é", 4096), strings.Repeat("🐶", 4096)} {
		rec := a.do("POST", "/todo", "application/json", `{"data":"`+d+`"}`)
		if rec.Code != http.StatusCreated || decodeItem(t, rec).Data != d {
			t.Errorf("%d runes, %d bytes: %d %.80s", len([]rune(d)), len(d), rec.Code, rec.Body)
		}
	}
	// A body of exactly 64 KiB is accepted (and then fails on data length).
	rec := a.do("POST", "/todo", formType, "data="+strings.Repeat("a", maxBodyBytes-5))
	checkMessage(t, rec, 400, "data must be at most 4096 characters")
}

func TestGetAndDeleteBadIDs(t *testing.T) {
	a := newAPI(t, newTestBoltStore(t))
	it := a.create("x")
	for _, id := range []string{
		"1", "abc", strings.ToLower(it.ID), it.ID + "0", it.ID[:25],
		"8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "..%2F..%2Fetc", "%00", newID(),
	} {
		path := "/todo/" + id
		want, _ := url.PathUnescape(id)
		checkMessage(t, a.do("GET", path, "", ""), 404, "Todo "+want+" doesn't exist")
		checkMessage(t, a.do("DELETE", path, "", ""), 404, "Todo "+want+" doesn't exist")
	}
	if rec := a.do("GET", "/todo/"+it.ID, "", ""); rec.Code != http.StatusOK {
		t.Errorf("the item is gone: %d", rec.Code)
	}
}

func TestOwners(t *testing.T) {
	storeKinds(t, func(t *testing.T, newStore func(t *testing.T) Store) {
		a := newAPI(t, newStore(t))
		alice := a.create("alice's", "X-User-Id", "alice@example.com")
		anon := a.create("anonymous's")

		for _, who := range [][]string{{"X-User-Id", "bob"}, {}, {"X-User-Id", "anonymous"}} {
			checkMessage(t, a.do("GET", "/todo/"+alice.ID, "", "", who...), 404, "Todo "+alice.ID+" doesn't exist")
			checkMessage(t, a.do("DELETE", "/todo/"+alice.ID, "", "", who...), 404, "Todo "+alice.ID+" doesn't exist")
			for _, it := range decodeItems(t, a.do("GET", "/todo", "", "", who...)) {
				if it.ID == alice.ID {
					t.Errorf("%v lists alice's item", who)
				}
			}
		}
		// No header is the owner "anonymous".
		if items := decodeItems(t, a.do("GET", "/todo", "", "", "X-User-Id", "anonymous")); !slices.Equal(items, []item{anon}) {
			t.Errorf("anonymous lists %v", items)
		}
		if items := decodeItems(t, a.do("GET", "/todo", "", "", "X-User-Id", "alice@example.com")); !slices.Equal(items, []item{alice}) {
			t.Errorf("alice lists %v", items)
		}
		if rec := a.do("DELETE", "/todo/"+alice.ID, "", "", "X-User-Id", "alice@example.com"); rec.Code != http.StatusNoContent {
			t.Errorf("alice cannot delete her item: %d", rec.Code)
		}

		// The header's format.
		for _, good := range []string{"a", strings.Repeat("x", 128), "Google_123|abc:def-ghi.jkl@m", "4b1f0c2e-6a11-4d3e-9a8f-2c7d1e5b9f00"} {
			if rec := a.do("GET", "/todo", "", "", "X-User-Id", good); rec.Code != http.StatusOK {
				t.Errorf("X-User-Id %q: %d", good, rec.Code)
			}
		}
		const badOwner = "Invalid X-User-Id header: use 1 to 128 characters of A-Z, a-z, 0-9 and ._@|:-"
		for _, bad := range [][]string{
			{"X-User-Id", ""},
			{"X-User-Id", strings.Repeat("x", 129)},
			{"X-User-Id", "alice bob"},
			{"X-User-Id", "alice/bob"},
			{"X-User-Id", "ålice"},
			{"X-User-Id", "a\x00"},
			{"X-User-Id", "alice", "X-User-Id", "bob"},
		} {
			checkMessage(t, a.do("GET", "/todo", "", "", bad...), 400, badOwner)
			checkMessage(t, a.do("POST", "/todo", formType, "data=x", bad...), 400, badOwner)
			checkMessage(t, a.do("GET", "/todo/"+anon.ID, "", "", bad...), 400, badOwner)
			checkMessage(t, a.do("DELETE", "/todo/"+anon.ID, "", "", bad...), 400, badOwner)
		}
	})
}

func TestListPagination(t *testing.T) {
	storeKinds(t, func(t *testing.T, newStore func(t *testing.T) Store) {
		a := newAPI(t, newStore(t))
		var want []item
		for i := range 23 {
			want = append(want, a.create(fmt.Sprint("todo ", i), "X-User-Id", "pager"))
		}
		a.create("someone else's", "X-User-Id", "other")

		// Without limit: the default page size of 50 holds all 23.
		rec := a.do("GET", "/todo", "", "", "X-User-Id", "pager")
		if got := decodeItems(t, rec); !slices.Equal(got, want) || rec.Header().Get("X-Next-Cursor") != "" {
			t.Errorf("default page: %d items, cursor %q", len(got), rec.Header().Get("X-Next-Cursor"))
		}

		for _, limit := range []int{1, 5, 22, 23, 100} {
			var got []item
			target := fmt.Sprintf("/todo?limit=%d", limit)
			for pages := 1; ; pages++ {
				rec := a.do("GET", target, "", "", "X-User-Id", "pager")
				if rec.Code != http.StatusOK {
					t.Fatalf("limit %d page %d: %d %s", limit, pages, rec.Code, rec.Body)
				}
				page := decodeItems(t, rec)
				got = append(got, page...)
				next := rec.Header().Get("X-Next-Cursor")
				if next == "" {
					break
				}
				if len(page) != limit || pages > 30 {
					t.Fatalf("limit %d page %d: %d items and a next cursor", limit, pages, len(page))
				}
				target = fmt.Sprintf("/todo?limit=%d&cursor=%s", limit, url.QueryEscape(next))
			}
			if !slices.Equal(got, want) {
				t.Errorf("limit %d: pages gave %d items, want the %d in creation order", limit, len(got), len(want))
			}
		}
	})
}

func TestListBadQuery(t *testing.T) {
	a := newAPI(t, newTestBoltStore(t))
	a.create("x")
	a.create("y")
	const badLimit = "Invalid limit: use an integer from 1 to 100"
	const badCursor = "Invalid cursor: use the X-Next-Cursor value of the previous page"
	for _, q := range []string{"limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "limit=99999999999999999999", "limit=%20"} {
		checkMessage(t, a.do("GET", "/todo?"+q, "", ""), 400, badLimit)
	}
	for _, q := range []string{"cursor=abc", "cursor=" + newID(), "cursor=" + encodeDynamoCursor(newID()) + "x", "cursor=%00"} {
		checkMessage(t, a.do("GET", "/todo?"+q, "", ""), 400, badCursor)
	}
	// A query it can't read is refused, naming the parameter, rather than
	// dropped (which would list the first page as if no cursor were given).
	for q, want := range map[string]string{
		"cursor=%%%garbage":  `Malformed query string: query parameter "cursor" is not valid percent-encoding ("cursor=%%%garbage")`,
		"limit=5&cursor=%zz": `Malformed query string: query parameter "cursor" is not valid percent-encoding ("cursor=%zz")`,
		"limit=5;cursor=x":   `Malformed query string: query parameter "limit": separate parameters with &, not ;`,
	} {
		checkMessage(t, a.do("GET", "/todo?"+q, "", ""), 400, want)
	}
	for _, q := range []string{"limit=1", "limit=100", "limit=", "cursor=", "unknown=1"} {
		if rec := a.do("GET", "/todo?"+q, "", ""); rec.Code != http.StatusOK {
			t.Errorf("%s: %d %s", q, rec.Code, rec.Body)
		}
	}
}

func TestRouting(t *testing.T) {
	a := newAPI(t, newTestBoltStore(t))
	id := a.create("x").ID
	for _, path := range []string{"/", "/todos", "/todo/", "/todo/" + id + "/x", "/dogs", "/healthz/x", "/TODO"} {
		checkMessage(t, a.do("GET", path, "", ""), 404, "Not Found")
	}
	tests := []struct {
		method, path, allow string
	}{
		{"PUT", "/todo", "GET, HEAD, POST"},
		{"DELETE", "/todo", "GET, HEAD, POST"},
		{"PATCH", "/todo", "GET, HEAD, POST"},
		{"POST", "/todo/" + id, "DELETE, GET, HEAD"},
		{"PUT", "/todo/" + id, "DELETE, GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
		{"DELETE", "/readyz", "GET, HEAD"},
	}
	for _, tt := range tests {
		rec := a.do(tt.method, tt.path, formType, "data=x")
		checkMessage(t, rec, 405, "Method Not Allowed")
		if got := rec.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
	if rec := a.do("GET", "/todo/"+id, "", ""); rec.Code != http.StatusOK {
		t.Errorf("a 405 changed the item: %d", rec.Code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	health := &servekit.Health{}
	h := NewServer(discardLogger(), health, newTestBoltStore(t))
	a := api{t, h}
	rec := a.do("GET", "/healthz", "", "")
	checkHeaders(t, rec)
	if rec.Code != 200 || rec.Body.String() != `{"status":"ok"}`+"\n" {
		t.Errorf("/healthz: %d %s", rec.Code, rec.Body)
	}
	rec = a.do("GET", "/readyz", "", "")
	if rec.Code != 200 || rec.Body.String() != `{"status":"ready"}`+"\n" {
		t.Errorf("/readyz: %d %s", rec.Code, rec.Body)
	}
	health.StartDraining()
	rec = a.do("GET", "/healthz", "", "")
	if rec.Code != 503 || rec.Body.String() != `{"status":"draining"}`+"\n" {
		t.Errorf("/healthz while draining: %d %s", rec.Code, rec.Body)
	}
	// Draining still serves the API.
	if rec := a.do("GET", "/todo", "", ""); rec.Code != 200 {
		t.Errorf("GET /todo while draining: %d", rec.Code)
	}
}

// brokenStore fails every call, as a store does when DynamoDB is down, and
// counts them.
type brokenStore struct{ calls atomic.Int64 }

var errBroken = errors.New("connection refused (internal detail: 10.0.0.1)")

func (s *brokenStore) Create(context.Context, string, string) (Todo, error) {
	s.calls.Add(1)
	return Todo{}, errBroken
}
func (s *brokenStore) Get(context.Context, string, string) (Todo, error) {
	s.calls.Add(1)
	return Todo{}, errBroken
}
func (s *brokenStore) Delete(context.Context, string, string) error {
	s.calls.Add(1)
	return errBroken
}
func (s *brokenStore) List(context.Context, string, int, string) ([]Todo, string, error) {
	s.calls.Add(1)
	return nil, "", errBroken
}
func (s *brokenStore) Ping(context.Context) error {
	s.calls.Add(1)
	return errBroken
}
func (s *brokenStore) Close() error { return nil }

func TestStoreUnavailable(t *testing.T) {
	store := &brokenStore{}
	var logs servekittest.SyncBuffer
	a := api{t, NewServer(slog.New(slog.NewJSONHandler(&logs, nil)), &servekit.Health{}, store)}

	// Liveness never touches the store.
	for range 3 {
		if rec := a.do("GET", "/healthz", "", ""); rec.Code != 200 {
			t.Errorf("/healthz with a broken store: %d", rec.Code)
		}
	}
	if n := store.calls.Load(); n != 0 {
		t.Errorf("/healthz made %d store calls", n)
	}

	checkMessage(t, a.do("GET", "/readyz", "", ""), 503, "store unavailable")
	const unavailable = "store unavailable, try again"
	id := newID()
	for _, rec := range []*httptest.ResponseRecorder{
		a.do("POST", "/todo", formType, "data=x"),
		a.do("POST", "/todo", "application/json", `{"data":"x"}`),
		a.do("GET", "/todo", "", ""),
		a.do("GET", "/todo/"+id, "", ""),
		a.do("DELETE", "/todo/"+id, "", ""),
	} {
		checkMessage(t, rec, 503, unavailable)
		if rec.Header().Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
	}
	// The details are in the log, at warn, and not in any response.
	out := logs.String()
	if n := strings.Count(out, `"level":"WARN","msg":"store unavailable"`); n != 5 {
		t.Errorf("%d store warnings in the log, want 5:\n%s", n, out)
	}
	if !strings.Contains(out, errBroken.Error()) || !strings.Contains(out, `"op":"create"`) {
		t.Errorf("the log lacks the error:\n%s", out)
	}
	// Bad input is still the client's fault, whatever the store's state.
	checkMessage(t, a.do("POST", "/todo", "text/plain", "x"), 415, "Unsupported Content-Type: use application/x-www-form-urlencoded, multipart/form-data or application/json")
	checkMessage(t, a.do("GET", "/todo/x", "", ""), 404, "Todo x doesn't exist")
}

// slowStore is a bolt store whose Ping hangs until its context ends.
type slowStore struct{ Store }

func (s slowStore) Ping(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestReadyzTimeout(t *testing.T) {
	t.Parallel()
	a := newAPI(t, slowStore{newTestBoltStore(t)})
	start := time.Now()
	checkMessage(t, a.do("GET", "/readyz", "", ""), 503, "store unavailable")
	if d := time.Since(start); d < pingTimeout || d > pingTimeout+time.Second {
		t.Errorf("/readyz took %s, want about %s", d, pingTimeout)
	}
}

func TestDynamoStoreUnavailableHTTP(t *testing.T) {
	// A real DynamoDB error (the table is missing) is a 503, not a 500.
	a := newAPI(t, newDynamoStore(dynaliteClient(t), "missing-table"))
	checkMessage(t, a.do("POST", "/todo", formType, "data=x"), 503, "store unavailable, try again")
	checkMessage(t, a.do("GET", "/todo", "", ""), 503, "store unavailable, try again")
	checkMessage(t, a.do("GET", "/readyz", "", ""), 503, "store unavailable")
	if rec := a.do("GET", "/healthz", "", ""); rec.Code != 200 {
		t.Errorf("/healthz: %d", rec.Code)
	}
}

func TestDebugLogsRequests(t *testing.T) {
	var logs servekittest.SyncBuffer
	h := NewServer(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), &servekit.Health{}, newTestBoltStore(t))
	api{t, h}.do("GET", "/todo", "", "")
	if out := logs.String(); !strings.Contains(out, `"msg":"request"`) || !strings.Contains(out, `"status":200`) {
		t.Errorf("no request log at debug level:\n%s", out)
	}
}
