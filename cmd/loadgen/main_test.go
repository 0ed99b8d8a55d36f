package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClosedLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-c", "2", "-d", "200ms", "-strict", srv.URL + "/a", srv.URL + "/b"}, &out, &out))
	require.Regexp(t, `^requests=\d+ rate=\d+/s statuses=200:\d+ errors=0 missed=0 p50=[0-9.]+ms p90=[0-9.]+ms p99=[0-9.]+ms max=[0-9.]+ms\n$`, out.String())
}

func TestOpenLoopKeepsItsRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-c", "8", "-d", "500ms", "-rate", "200", "-strict", srv.URL}, &out, &out))
	n, err := strconv.Atoi(regexp.MustCompile(`requests=(\d+)`).FindStringSubmatch(out.String())[1])
	require.NoError(t, err)
	require.InDelta(t, 100, n, 15, "200 a second for half a second: %s", out.String())
}

func TestStrictFailsOnErrorsAndMisses(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }))
	defer failing.Close()
	var out bytes.Buffer
	err := run(context.Background(), []string{"-d", "100ms", "-strict", failing.URL}, &out, &out)
	require.ErrorIs(t, err, errNotClean)
	require.Contains(t, out.String(), "statuses=429:")

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(50 * time.Millisecond) }))
	defer slow.Close()
	out.Reset()
	err = run(context.Background(), []string{"-c", "1", "-d", "300ms", "-rate", "100", "-strict", slow.URL}, &out, &out)
	require.ErrorIs(t, err, errNotClean, "one connection can't keep 100 a second of 50 ms requests")
	require.Regexp(t, `missed=[1-9]`, out.String())

	out.Reset()
	err = run(context.Background(), []string{"-d", "100ms", "http://127.0.0.1:1/"}, &out, &out)
	require.NoError(t, err, "without -strict a report is not a failure")
	require.Regexp(t, `errors=[1-9]\d* .*first-error=`, out.String())
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	require.ErrorContains(t, run(context.Background(), nil, &out, &out), "usage: loadgen")
	require.ErrorContains(t, run(context.Background(), []string{"-c", "0", "http://x"}, &out, &out), "usage: loadgen")
}
