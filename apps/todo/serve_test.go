package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wait fails the test if ch yields nothing within d.
func wait[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %s waiting for %s", d, what)
		panic("unreachable")
	}
}

type result struct {
	code int
	body string
	err  error
}

func get(client *http.Client, url string) result {
	resp, err := client.Get(url)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(b), err}
}

// slowServer is the real handler plus GET /slow, which blocks until release
// is closed, standing in for a request that is in flight at shutdown.
func slowServer(t *testing.T, health *Health) (h http.Handler, started, release chan struct{}) {
	started, release = make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", NewServer(discardLogger(), health, newTestBoltStore(t)))
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	return mux, started, release
}

func startServe(t *testing.T, h http.Handler, health *Health, cfg config) (base string, cancel context.CancelFunc, done chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done = make(chan error, 1)
	go func() { done <- serve(ctx, ln, h, health, cfg, discardLogger()) }()
	return "http://" + ln.Addr().String(), cancel, done
}

func TestGracefulShutdown(t *testing.T) {
	const drainDelay = 300 * time.Millisecond
	health := &Health{}
	h, started, release := slowServer(t, health)
	base, cancel, done := startServe(t, h, health, config{DrainDelay: drainDelay, ShutdownTimeout: 5 * time.Second})
	client := &http.Client{Timeout: 5 * time.Second}

	if r := get(client, base+"/healthz"); r.err != nil || r.code != http.StatusOK {
		t.Fatalf("/healthz before shutdown: %+v, want 200", r)
	}

	slow := make(chan result, 1)
	go func() { slow <- get(client, base+"/slow") }()
	wait(t, started, 5*time.Second, "the slow request to start")

	cancel()
	cancelled := time.Now()

	// While draining, the health check fails but requests are still served.
	var draining bool
	for time.Since(cancelled) < drainDelay {
		if r := get(client, base+"/healthz"); r.err == nil && r.code == http.StatusServiceUnavailable {
			if r.body != `{"status":"draining"}`+"\n" {
				t.Errorf("draining body = %q", r.body)
			}
			draining = true
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !draining {
		t.Fatal("/healthz never answered 503 during the drain delay")
	}
	if r := get(client, base+"/todo"); time.Since(cancelled) < drainDelay && (r.err != nil || r.code != http.StatusOK) {
		t.Errorf("/todo while draining: %+v, want 200", r)
	}

	// After the drain delay serve must wait for the slow request.
	select {
	case err := <-done:
		t.Fatalf("serve returned %v with a request still in flight", err)
	case <-time.After(drainDelay + 200*time.Millisecond):
	}

	close(release)
	if r := wait(t, slow, 5*time.Second, "the slow request"); r.err != nil || r.code != http.StatusOK || r.body != "done" {
		t.Errorf("slow request: %+v, want 200 done", r)
	}
	if err := wait(t, done, 5*time.Second, "serve to return"); err != nil {
		t.Errorf("serve: %v, want nil", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	health := &Health{}
	h, started, release := slowServer(t, health)
	defer close(release)
	base, cancel, done := startServe(t, h, health, config{DrainDelay: 0, ShutdownTimeout: 100 * time.Millisecond})

	go get(&http.Client{Timeout: 5 * time.Second}, base+"/slow")
	wait(t, started, 5*time.Second, "the slow request to start")
	cancel()

	err := wait(t, done, 5*time.Second, "serve to give up")
	if err == nil || !strings.Contains(err.Error(), "SHUTDOWN_TIMEOUT=100ms") {
		t.Errorf("serve: %v, want an error naming SHUTDOWN_TIMEOUT=100ms", err)
	}
}

func TestServeListenerError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	done := make(chan error, 1)
	go func() {
		done <- serve(context.Background(), ln, http.NotFoundHandler(), &Health{}, defaultConfig(), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	}()
	err = wait(t, done, 5*time.Second, "serve to fail")
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("serve: %v, want an error naming %s", err, addr)
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), discardLogger())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("unbounded server: %+v", srv)
	}
	// Longer than the load balancer's 60 s idle timeout, so the load
	// balancer closes idle keep-alive connections first.
	if srv.IdleTimeout <= 60*time.Second {
		t.Errorf("IdleTimeout = %s, want more than the load balancer's 60 s", srv.IdleTimeout)
	}
	// Every store call is bounded well inside the write timeout.
	if srv.WriteTimeout <= dynamoTimeout {
		t.Errorf("WriteTimeout %s <= store timeout %s", srv.WriteTimeout, dynamoTimeout)
	}
}
