package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/private-apis/private-apis/apps/servekit"
	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

func newTestServer(t *testing.T) (http.Handler, *servekit.Health) {
	t.Helper()
	health := &servekit.Health{}
	return NewServer(slog.New(slog.DiscardHandler), health), health
}

func do(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// decodeDog checks that body is exactly what the old service's json.Encoder
// wrote for a dog, and returns that dog.
func decodeDog(t *testing.T, body []byte) dog {
	t.Helper()
	var d dog
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("body %q is not a dog: %v", body, err)
	}
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(struct {
		Name   string
		Gender string
	}{d.Name, d.Gender}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want.Bytes()) {
		t.Fatalf("body = %q, want exactly %q", body, want.Bytes())
	}
	return d
}

func TestDogRoutes(t *testing.T) {
	h, _ := newTestServer(t)
	tests := []struct {
		path    string
		genders []string
	}{
		{"/dogs", []string{"male", "female"}},
		{"/dogs/males", []string{"male"}},
		{"/dogs/females", []string{"female"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			for range 50 {
				rec := do(t, h, http.MethodGet, tt.path)
				if rec.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200", rec.Code)
				}
				servekittest.CheckJSONHeaders(t, rec.Result().Header)
				d := decodeDog(t, rec.Body.Bytes())
				if !slices.Contains(tt.genders, d.Gender) {
					t.Fatalf("gender = %q, want one of %q", d.Gender, tt.genders)
				}
				names := maleNames
				if d.Gender == "female" {
					names = femaleNames
				}
				if !slices.Contains(names, d.Name) {
					t.Fatalf("%q is not in the %s names list", d.Name, d.Gender)
				}
			}
		})
	}
}

func TestHead(t *testing.T) {
	h, _ := newTestServer(t)
	for _, path := range []string{"/dogs", "/dogs/males", "/dogs/females", "/healthz"} {
		t.Run(path, func(t *testing.T) {
			rec := do(t, h, http.MethodHead, path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("HEAD body = %q, want empty", rec.Body)
			}
			if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") == "" {
				t.Errorf("HEAD headers = %v, want the GET headers", rec.Header())
			}
		})
	}
}

func TestErrors(t *testing.T) {
	h, _ := newTestServer(t)
	const (
		notFound = `{"message":"Not Found"}` + "\n"
		notAllow = `{"message":"Method Not Allowed"}` + "\n"
	)
	type tc struct {
		method, path string
		code         int
		body         string
	}
	var tests []tc
	for _, path := range []string{"/dogs", "/dogs/males", "/dogs/females", "/healthz"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
			tests = append(tests, tc{m, path, http.StatusMethodNotAllowed, notAllow})
		}
	}
	for _, path := range []string{"/", "/dogs/", "/dogs/males/x", "/dogs/cats", "/dog", "/healthz/", "/DOGS", "/favicon.ico"} {
		tests = append(tests,
			tc{http.MethodGet, path, http.StatusNotFound, notFound},
			tc{http.MethodPost, path, http.StatusNotFound, notFound},
		)
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := do(t, h, tt.method, tt.path)
			if rec.Code != tt.code {
				t.Fatalf("status = %d, want %d", rec.Code, tt.code)
			}
			if rec.Body.String() != tt.body {
				t.Errorf("body = %q, want %q", rec.Body, tt.body)
			}
			servekittest.CheckJSONHeaders(t, rec.Result().Header)
			allow := rec.Header().Get("Allow")
			if tt.code == http.StatusMethodNotAllowed && allow != "GET, HEAD" {
				t.Errorf("Allow = %q, want %q", allow, "GET, HEAD")
			}
			if tt.code != http.StatusMethodNotAllowed && allow != "" {
				t.Errorf("Allow = %q on a %d, want none", allow, tt.code)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	h, health := newTestServer(t)
	rec := do(t, h, http.MethodGet, "/healthz")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"status":"ok"}`+"\n" {
		t.Errorf("before draining: got %d %q", rec.Code, rec.Body)
	}
	servekittest.CheckJSONHeaders(t, rec.Result().Header)
	health.StartDraining()
	rec = do(t, h, http.MethodGet, "/healthz")
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != `{"status":"draining"}`+"\n" {
		t.Errorf("while draining: got %d %q", rec.Code, rec.Body)
	}
	// Draining still serves the API.
	if rec := do(t, h, http.MethodGet, "/dogs"); rec.Code != http.StatusOK {
		t.Errorf("GET /dogs while draining: %d", rec.Code)
	}
}

func TestRandomness(t *testing.T) {
	h, _ := newTestServer(t)
	genders := map[string]int{}
	names := map[string]bool{}
	const n = 2000
	for range n {
		d := decodeDog(t, do(t, h, http.MethodGet, "/dogs").Body.Bytes())
		genders[d.Gender]++
		names[d.Gender+"/"+d.Name] = true
	}
	// With ~500 equally likely dogs, 2000 draws cover about 98% of them;
	// these bounds fail only for a broken generator, not bad luck.
	for _, g := range []string{"male", "female"} {
		if genders[g] < n/4 {
			t.Errorf("%s dogs: %d of %d, want at least %d", g, genders[g], n, n/4)
		}
	}
	if want := (len(maleNames) + len(femaleNames)) / 2; len(names) < want {
		t.Errorf("%d distinct dogs in %d requests, want at least %d", len(names), n, want)
	}
}

func TestNames(t *testing.T) {
	for _, l := range []struct {
		gender string
		names  []string
	}{{"male", maleNames}, {"female", femaleNames}} {
		t.Run(l.gender, func(t *testing.T) {
			if len(l.names) < 220 {
				t.Errorf("%d names, want at least 220", len(l.names))
			}
			seen := map[string]bool{}
			for _, n := range l.names {
				if n == "" {
					t.Error("empty name")
				}
				if seen[n] {
					t.Errorf("duplicate name %q", n)
				}
				seen[n] = true
				// The bodies are pre-encoded, so a name that JSON would
				// escape would still work, but the lists are meant to be
				// plain names.
				if q, _ := json.Marshal(n); string(q) != `"`+n+`"` {
					t.Errorf("name %q needs JSON escaping", n)
				}
				if strings.TrimSpace(n) != n {
					t.Errorf("name %q has surrounding space", n)
				}
			}
		})
	}
}

// TestDebugLogging checks that NewServer logs requests at debug level; what
// a request log says is servekit's business.
func TestDebugLogging(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var logs bytes.Buffer
		h := NewServer(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: level})), &servekit.Health{})
		do(t, h, http.MethodGet, "/dogs/nope")
		if got, want := strings.Contains(logs.String(), `"path":"/dogs/nope","status":404`), level == slog.LevelDebug; got != want {
			t.Errorf("LOG_LEVEL %s: request logged %v, want %v:\n%s", level, got, want, logs.String())
		}
	}
}
