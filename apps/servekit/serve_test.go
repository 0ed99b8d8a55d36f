package servekit

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// slowServer is a service as the services build theirs (a health check on
// health, an API route, the catch-all 404) plus GET /slow, which blocks
// until release is closed, standing in for a request that is in flight at
// shutdown.
func slowServer(health *Health) (h http.Handler, started, release chan struct{}) {
	started, release = make(chan struct{}), make(chan struct{})
	rt := NewRouter()
	rt.Health("/healthz", health)
	ok := MessageBody("ok")
	rt.Route("/api", Methods{http.MethodGet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Write(w, r, http.StatusOK, &ok)
	})})
	rt.Route("/slow", Methods{http.MethodGet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})})
	return rt.Handler(), started, release
}

func startServe(t *testing.T, h http.Handler, health *Health, cfg Config) (base string, cancel context.CancelFunc, done chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done = make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, health, cfg, discardLogger()) }()
	return "http://" + ln.Addr().String(), cancel, done
}

func TestGracefulShutdown(t *testing.T) {
	const drainDelay = 300 * time.Millisecond
	health := &Health{}
	h, started, release := slowServer(health)
	base, cancel, done := startServe(t, h, health, Config{DrainDelay: drainDelay, ShutdownTimeout: 5 * time.Second})
	client := &http.Client{Timeout: 5 * time.Second}

	if r := servekittest.Get(client, base+"/healthz"); r.Err != nil || r.Code != http.StatusOK {
		t.Fatalf("/healthz before shutdown: %+v, want 200", r)
	}

	slow := make(chan servekittest.Result, 1)
	go func() { slow <- servekittest.Get(client, base+"/slow") }()
	servekittest.Wait(t, started, 5*time.Second, "the slow request to start")

	cancel()
	cancelled := time.Now()

	// While draining, the health check fails but requests are still served.
	var draining bool
	for time.Since(cancelled) < drainDelay {
		if r := servekittest.Get(client, base+"/healthz"); r.Err == nil && r.Code == http.StatusServiceUnavailable {
			if r.Body != `{"status":"draining"}`+"\n" {
				t.Errorf("draining body = %q", r.Body)
			}
			draining = true
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !draining {
		t.Fatal("/healthz never answered 503 during the drain delay")
	}
	if r := servekittest.Get(client, base+"/api"); time.Since(cancelled) < drainDelay && (r.Err != nil || r.Code != http.StatusOK) {
		t.Errorf("/api while draining: %+v, want 200", r)
	}

	// After the drain delay Serve must wait for the slow request.
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v with a request still in flight", err)
	case <-time.After(drainDelay + 200*time.Millisecond):
	}

	close(release)
	if r := servekittest.Wait(t, slow, 5*time.Second, "the slow request"); r.Err != nil || r.Code != http.StatusOK || r.Body != "done" {
		t.Errorf("slow request: %+v, want 200 done", r)
	}
	if err := servekittest.Wait(t, done, 5*time.Second, "Serve to return"); err != nil {
		t.Errorf("Serve: %v, want nil", err)
	}
}

// TestDrainClosesKeepAlives checks that keep-alive connections are told to
// close once draining starts, so that a client's next request opens a new
// connection, which the load balancer can send to a healthy target.
func TestDrainClosesKeepAlives(t *testing.T) {
	const drainDelay = 500 * time.Millisecond
	health := &Health{}
	h, _, _ := slowServer(health)
	base, cancel, done := startServe(t, h, health, Config{DrainDelay: drainDelay, ShutdownTimeout: time.Second})
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	if r := servekittest.Get(client, base+"/api"); r.Code != http.StatusOK {
		t.Fatalf("/api: %+v", r)
	}
	cancel()
	cancelled := time.Now()
	var closed bool
	for !closed && time.Since(cancelled) < drainDelay {
		resp, err := client.Get(base + "/api")
		if err != nil {
			if time.Since(cancelled) >= drainDelay {
				break // too late: the server has stopped accepting
			}
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/api while draining: %d, want 200", resp.StatusCode)
		}
		closed = resp.Close
		time.Sleep(5 * time.Millisecond)
	}
	if !closed {
		t.Error("no response asked to close the connection during the drain delay")
	}
	if err := servekittest.Wait(t, done, 5*time.Second, "Serve to return"); err != nil {
		t.Errorf("Serve: %v, want nil", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	health := &Health{}
	h, started, release := slowServer(health)
	defer close(release)
	base, cancel, done := startServe(t, h, health, Config{DrainDelay: 0, ShutdownTimeout: 100 * time.Millisecond})

	go servekittest.Get(&http.Client{Timeout: 5 * time.Second}, base+"/slow")
	servekittest.Wait(t, started, 5*time.Second, "the slow request to start")
	cancel()

	err := servekittest.Wait(t, done, 5*time.Second, "Serve to give up")
	servekittest.CheckError(t, err, "in-flight requests did not finish within SHUTDOWN_TIMEOUT=100ms", strings.TrimPrefix(base, "http://"))
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
		done <- Serve(context.Background(), ln, http.NotFoundHandler(), &Health{}, DefaultConfig(), discardLogger())
	}()
	err = servekittest.Wait(t, done, 5*time.Second, "Serve to fail")
	servekittest.CheckError(t, err, "serving on "+addr)
}

func TestServeLogs(t *testing.T) {
	var logs servekittest.SyncBuffer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := Config{DrainDelay: 0, ShutdownTimeout: time.Second}
	if err := Serve(ctx, ln, http.NotFoundHandler(), &Health{}, cfg, cfg.NewLogger(&logs)); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	out := logs.String()
	for _, want := range []string{
		`"msg":"listening","addr":"` + ln.Addr().String() + `"`,
		`"msg":"shutting down: draining","drain_delay":0,"shutdown_timeout":1000000000`,
		`"msg":"server stopped"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs do not contain %s:\n%s", want, out)
		}
	}
}

func TestListen(t *testing.T) {
	ln, err := Listen(Config{Host: "127.0.0.1", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if port == 0 {
		t.Fatal("no port")
	}

	// The port is taken now: the error names the address.
	_, err = Listen(Config{Host: "127.0.0.1", Port: port})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	servekittest.CheckError(t, err, "cannot listen on "+addr, "in use")

	// IPv6 addresses get their brackets.
	if ln6, err := Listen(Config{Host: "::1", Port: 0}); err == nil {
		if got := ln6.Addr().String(); !strings.HasPrefix(got, "[::1]:") {
			t.Errorf("listening on %s, want [::1]:port", got)
		}
		ln6.Close()
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	var logs servekittest.SyncBuffer
	srv := NewHTTPServer(http.NotFoundHandler(), Config{}.NewLogger(&logs))
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("unbounded server: %+v", srv)
	}
	// Longer than the load balancer's 60 s idle timeout, so the load
	// balancer closes idle keep-alive connections first.
	if srv.IdleTimeout <= 60*time.Second {
		t.Errorf("IdleTimeout = %s, want more than the load balancer's 60 s", srv.IdleTimeout)
	}
	// net/http's own error messages go to the JSON log.
	srv.ErrorLog.Print("http: TLS handshake error")
	if out := logs.String(); !strings.Contains(out, `"level":"ERROR","msg":"http: TLS handshake error"`) {
		t.Errorf("ErrorLog wrote %q, want a JSON error record", out)
	}
}
