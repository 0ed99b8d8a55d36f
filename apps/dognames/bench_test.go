package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit"
	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

// constBody and constHandler are the baseline: a constant JSON body, the
// least a net/http JSON endpoint can do.
var constBody = []byte(`{"Name":"Rex","Gender":"male"}` + "\n")

var constHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(constBody)
})

func BenchmarkHandler(b *testing.B) {
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"dognames", NewServer(slog.New(slog.DiscardHandler), &servekit.Health{})},
		{"constant", constHandler},
	}
	for _, hh := range handlers {
		b.Run(hh.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/dogs", nil)
			w := servekittest.NewDiscardWriter()
			b.ReportAllocs()
			for b.Loop() {
				// net/http hands each request a fresh header map.
				w.Reset()
				hh.h.ServeHTTP(w, req)
			}
			if w.Code != 0 && w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
}

// BenchmarkLoopback runs both handlers behind the production http.Server on
// loopback and drives them with keep-alive connections from many goroutines,
// reporting throughput as req/s. Run both in the same invocation: absolute
// figures vary a lot between machines, the ratio is what matters.
func BenchmarkLoopback(b *testing.B) {
	const parallelism = 16
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"constant", constHandler},
		{"dognames", NewServer(slog.New(slog.DiscardHandler), &servekit.Health{})},
	}
	for _, hh := range handlers {
		b.Run(hh.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := servekit.NewHTTPServer(hh.h, slog.New(slog.DiscardHandler))
			go srv.Serve(ln)
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			}()

			conns := runtime.GOMAXPROCS(0) * parallelism
			tr := &http.Transport{
				MaxIdleConns:        conns,
				MaxIdleConnsPerHost: conns,
				IdleConnTimeout:     time.Minute,
				DisableCompression:  true,
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			url := "http://" + ln.Addr().String() + "/dogs"

			b.SetParallelism(parallelism)
			// Start each side from a clean heap so the first sub-benchmark's
			// garbage is not billed to the second.
			runtime.GC()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
