// Command loadgen sends HTTP GET requests and reports what came back: how
// many, at what rate, with which statuses, and latency percentiles. `make
// bench-gateway` measures the local gateway with it.
//
//	loadgen [-c N] [-d DURATION] [-rate R] [-strict] URL...
//
// Without -rate, each of -c connections sends its next request as soon as
// its last one is answered (a closed loop), so -c 1 is the latency of one
// connection. With -rate, requests start at R a second in all, round-robin
// over the URLs, whatever the answers' latency (an open loop), each timed
// from when it was due; a request due while every connection is busy waits
// in a queue, and is counted as missed when as many wait already as there
// are connections, so the report says whether the server kept up. With
// -strict the exit status is 1 unless every request was answered 2xx and
// none was missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

var errNotClean = errors.New("not every request was answered 2xx in time")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conns := fs.Int("c", 1, "connections")
	duration := fs.Duration("d", 10*time.Second, "how long to send requests")
	rate := fs.Int("rate", 0, "requests a second in all (0: each connection as fast as it is answered)")
	strict := fs.Bool("strict", false, "exit 1 unless every request was answered 2xx and none was missed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *conns < 1 || *duration <= 0 || *rate < 0 {
		return fmt.Errorf("usage: loadgen [-c N >= 1] [-d DURATION > 0] [-rate R >= 0] [-strict] URL...")
	}
	r := load(ctx, fs.Args(), *conns, *duration, *rate)
	fmt.Fprintln(stdout, r)
	if *strict && !r.clean() {
		return errNotClean
	}
	return nil
}

// report is what a run saw.
type report struct {
	elapsed   time.Duration
	latencies []time.Duration
	statuses  map[int]int
	errors    int
	missed    int
	firstErr  string
}

func (r report) clean() bool {
	for status, n := range r.statuses {
		if n > 0 && (status < 200 || status > 299) {
			return false
		}
	}
	return r.errors == 0 && r.missed == 0 && len(r.latencies) > 0
}

func (r report) String() string {
	slices.Sort(r.latencies)
	pct := func(p float64) string {
		if len(r.latencies) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3fms", float64(r.latencies[int(p*float64(len(r.latencies)-1))].Microseconds())/1000)
	}
	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var statuses []string
	for _, c := range codes {
		statuses = append(statuses, fmt.Sprintf("%d:%d", c, r.statuses[c]))
	}
	line := fmt.Sprintf("requests=%d rate=%.0f/s statuses=%s errors=%d missed=%d p50=%s p90=%s p99=%s max=%s",
		len(r.latencies), float64(len(r.latencies))/r.elapsed.Seconds(), strings.Join(statuses, ","), r.errors, r.missed,
		pct(0.50), pct(0.90), pct(0.99), pct(1))
	if r.firstErr != "" {
		line += " first-error=" + fmt.Sprintf("%q", r.firstErr)
	}
	return line
}

// load runs the requests and gathers what each connection saw.
func load(ctx context.Context, urls []string, conns int, duration time.Duration, rate int) report {
	transport := &http.Transport{MaxConnsPerHost: conns, MaxIdleConnsPerHost: conns, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()

	var mu sync.Mutex
	r := report{statuses: map[int]int{}}
	record := func(due time.Time, status int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			r.errors++
			if r.firstErr == "" {
				r.firstErr = err.Error()
			}
			return
		}
		r.statuses[status]++
		r.latencies = append(r.latencies, time.Since(due))
	}
	get := func(url string) (int, error) {
		resp, err := client.Get(url)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}

	start := time.Now()
	var wg sync.WaitGroup
	if rate == 0 {
		for w := range conns {
			wg.Go(func() {
				for i := w; ctx.Err() == nil; i++ {
					due := time.Now()
					status, err := get(urls[i%len(urls)])
					if ctx.Err() == nil {
						record(due, status, err)
					}
				}
			})
		}
		wg.Wait()
		r.elapsed = time.Since(start)
		return r
	}

	type job struct {
		url string
		due time.Time
	}
	// A job waits at most behind one per connection; more than that and
	// the server (or this generator) isn't keeping up.
	jobs := make(chan job, conns)
	for range conns {
		wg.Go(func() {
			for j := range jobs {
				status, err := get(j.url)
				record(j.due, status, err)
			}
		})
	}
	interval := time.Second / time.Duration(rate)
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- job{urls[i%len(urls)], due}:
		default:
			mu.Lock()
			r.missed++
			mu.Unlock()
		}
	}
	close(jobs)
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}
