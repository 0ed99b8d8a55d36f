package localgw

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// What the gateway costs a developer using `make run` (make bench-gateway):
// the latency it adds to a request, and its throughput against the
// throttle rate the consumer configures. The backend is a stand-in that
// answers as the services do, with their headers and bodies of their sizes:
// the gateway's cost depends on those, not on the service's own work.

// dogBody is a dog names answer; todoPage is a todo list of 20 items.
var (
	dogBody  = []byte(`{"Name":"Vera","Gender":"female"}` + "\n")
	todoPage = func() []byte {
		items := make([]string, 20)
		for i := range items {
			items[i] = fmt.Sprintf(`{"id":"01M96RJCBTSWKSEWF88ZR7C%03d","data":"load test item %d"}`, i, i+1)
		}
		return []byte("[" + strings.Join(items, ",") + "]\n")
	}()
)

// standIn answers /todo with todoPage and every other path with dogBody,
// with the headers the services send.
var standIn = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body := dogBody
	if r.URL.Path == "/todo" {
		body = todoPage
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
})

// benchGateway runs a gateway in front of standIn, as `make run` runs it
// (its access log written to a file) but with throttling out of the way,
// and returns the gateway's and the backend's URLs.
func benchGateway(b *testing.B) (gateway, backend string) {
	be := httptest.NewServer(standIn)
	b.Cleanup(be.Close)
	log, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = log.Close() })
	f := gatewayFor(b, be.URL, func(c *Config) {
		c.Throttling = Throttling{RateLimit: 10000, BurstLimit: 10000, WriteRateLimit: 10000, WriteBurstLimit: 10000}
		c.AccessLog = log
	})
	return f.url, be.URL
}

// get sends a GET and reads the answer, which must be a 200.
func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return err
}

// BenchmarkAddedLatency is the latency the gateway adds to a request on
// one kept-alive connection: each iteration sends the same request to the
// backend directly and through the gateway, in turn, on a connection of
// its own each (so ns/op is the two requests). It reports the p50 and p99
// through the gateway, and by how much they exceed the direct request's.
func BenchmarkAddedLatency(b *testing.B) {
	gateway, backend := benchGateway(b)
	for _, path := range []string{"/dogs", "/todo"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			direct, through := &http.Client{Transport: &http.Transport{}}, &http.Client{Transport: &http.Transport{}}
			defer direct.CloseIdleConnections()
			defer through.CloseIdleConnections()
			var directs, throughs []time.Duration
			timed := func(client *http.Client, url string, into *[]time.Duration) {
				start := time.Now()
				if err := get(client, url); err != nil {
					b.Fatal(err)
				}
				*into = append(*into, time.Since(start))
			}
			for i := 0; b.Loop(); i++ {
				// Alternating which goes first, so neither is always the
				// one that finds the caches warm.
				if i%2 == 0 {
					timed(direct, backend+path, &directs)
					timed(through, gateway+path, &throughs)
				} else {
					timed(through, gateway+path, &throughs)
					timed(direct, backend+path, &directs)
				}
			}
			for _, p := range []float64{50, 99} {
				d, g := percentile(directs, p), percentile(throughs, p)
				b.ReportMetric(ms(g), fmt.Sprintf("gateway-p%.0f-ms", p))
				b.ReportMetric(ms(g-d), fmt.Sprintf("added-p%.0f-ms", p))
			}
		})
	}
}

// BenchmarkThroughput is how many requests a second the gateway answers
// on the four read routes `make run` serves, round-robin from many
// connections, every answer 200. x-throttle is each route's share of that
// rate as a multiple of the throttle rate the consumer stack configures for
// it (Pulumi.consumer.yaml, else Pulumi.yaml's defaults), the lowest of
// the four: while it is well above 10, a developer reaches the deployed
// limits long before the gateway's own.
func BenchmarkThroughput(b *testing.B) {
	stack, err := LoadStackConfig(filepath.Join("..", "..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{"/dogs", "/dogs/males", "/dogs/females", "/todo"}
	limit := 0
	for _, p := range paths {
		rate, _, _ := stack.Throttling.RouteLimit(http.MethodGet + " " + p)
		limit = max(limit, rate)
	}
	gateway, _ := benchGateway(b)
	const parallelism = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: runtime.GOMAXPROCS(0) * parallelism}}
	defer client.CloseIdleConnections()
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if err := get(client, gateway+paths[i%len(paths)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(rate/float64(len(paths))/float64(limit), "x-throttle")
}

// percentile is the p-th percentile of d, which it sorts.
func percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[int(p/100*float64(len(d)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
