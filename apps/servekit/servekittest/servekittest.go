// Package servekittest holds the test helpers that every private-apis
// service's tests use: a log sink that server goroutines and the test can
// share, a fake environment, a free port and one in use, a bounded wait, a
// plain GET, a check of the headers that servekit puts on every JSON
// response, a run of a whole service, and a ResponseWriter for in-process
// benchmarks.
//
// It is imported only by tests, never by a service's program, so none of
// it ends up in a binary or an image.
package servekittest

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is a log sink that server goroutines and the test can share.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Env is a getenv over kv, for a service's run function or
// servekit.ParseConfig. A nil kv is an empty environment.
func Env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// Wait returns what ch yields, and fails the test if it yields nothing
// within d; what says what was being waited for.
func Wait[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %s waiting for %s", d, what)
		panic("unreachable")
	}
}

// BusyPort takes a free port on 127.0.0.1 and holds it until the test
// ends, for tests of a service that is given a port already in use. It
// returns the port as PORT takes it.
func BusyPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// FreePort returns a port on 127.0.0.1 that was free a moment ago, for a
// server the test starts; the tiny window before the server takes it is
// acceptable.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Result is the outcome of [Get]: the status and whole body, or the error.
type Result struct {
	Code int
	Body string
	Err  error
}

// Get sends a GET with client and reads the whole answer.
func Get(client *http.Client, url string) Result {
	resp, err := client.Get(url)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Result{resp.StatusCode, string(b), err}
}

// CheckJSONHeaders checks the headers that servekit.Write puts on every
// JSON response. Content-Length is the caller's to check: whether it is in
// h depends on the write function and the ResponseWriter.
func CheckJSONHeaders(t testing.TB, h http.Header) {
	t.Helper()
	for _, want := range [][2]string{
		{"Content-Type", "application/json"},
		{"Cache-Control", "no-store"},
		{"X-Content-Type-Options", "nosniff"},
	} {
		if got := h.Get(want[0]); got != want[1] {
			t.Errorf("%s = %q, want %s", want[0], got, want[1])
		}
	}
}

// RunError is a start-up that must fail: the arguments after the program
// name, the environment, and what the error must say.
type RunError struct {
	Name string
	Args []string
	Env  map[string]string
	Want []string
}

// CheckRunErrors calls a service's run function (what it passes to
// servekit.Main) once per case, with program as the program name, and
// checks that each call fails, as [CheckError] wants. A call that starts
// serving instead has its context cancelled after 5 s, and fails the test
// when it returns.
func CheckRunErrors(t *testing.T, program string, run func(context.Context, []string, func(string) string, io.Writer) error, cases []RunError) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, append([]string{program}, c.Args...), Env(c.Env), &SyncBuffer{})
			CheckError(t, err, c.Want...)
		})
	}
}

// RunServer calls a service's run function (what it passes to
// servekit.Main) in a goroutine, with program as the program name and env
// plus HOST=127.0.0.1, a free PORT and DRAIN_DELAY=0s as its environment,
// and waits until GET /healthz answers 200. It returns the server's base
// URL, a stop function that cancels run's context and returns what run
// returned (later calls return the same), and run's log. stop also runs
// when the test ends.
func RunServer(t *testing.T, program string, run func(context.Context, []string, func(string) string, io.Writer) error, env map[string]string) (base string, stop func() error, logs *SyncBuffer) {
	t.Helper()
	port := strconv.Itoa(FreePort(t))
	kv := map[string]string{}
	maps.Copy(kv, env)
	kv["HOST"], kv["PORT"], kv["DRAIN_DELAY"] = "127.0.0.1", port, "0s"
	base = "http://127.0.0.1:" + port

	ctx, cancel := context.WithCancel(context.Background())
	logs = &SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{program}, Env(kv), logs) }()
	var stopped bool
	var runErr error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = Wait(t, done, 10*time.Second, "run to return")
		}
		return runErr
	}
	t.Cleanup(func() { stop() })

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := Get(client, base+"/healthz")
		if r.Err == nil && r.Code == http.StatusOK {
			return base, stop, logs
		}
		select {
		case err := <-done:
			stopped, runErr = true, err // nothing left for stop to wait for
			t.Fatalf("run returned early: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never answered: %+v\n%s", r, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// CheckError fails the test if err is nil or its message lacks any of
// wants, which are the parts a user needs to see: the variable, the bad
// value, a good example.
func CheckError(t testing.TB, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", wants)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// DiscardWriter is a ResponseWriter that keeps nothing but the status code
// and a reusable header map, so that an in-process benchmark measures the
// handler and not the recorder. Call Reset between requests: net/http hands
// each request a fresh header map.
type DiscardWriter struct {
	h http.Header
	// Code is the status of the last WriteHeader, 0 if there was none.
	Code int
}

// NewDiscardWriter returns a DiscardWriter with an empty header map.
func NewDiscardWriter() *DiscardWriter { return &DiscardWriter{h: make(http.Header)} }

// Reset empties the header map, keeping its storage.
func (w *DiscardWriter) Reset() { clear(w.h) }

func (w *DiscardWriter) Header() http.Header         { return w.h }
func (w *DiscardWriter) WriteHeader(code int)        { w.Code = code }
func (w *DiscardWriter) Write(p []byte) (int, error) { return len(p), nil }
