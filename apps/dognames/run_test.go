package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

func TestRunErrors(t *testing.T) {
	busyPort := servekittest.BusyPort(t)
	servekittest.CheckRunErrors(t, "dognames", run, []servekittest.RunError{
		{Name: "bad PORT", Env: map[string]string{"PORT": "abc"}, Want: []string{`PORT="abc"`}},
		{Name: "bad DRAIN_DELAY", Env: map[string]string{"DRAIN_DELAY": "5"}, Want: []string{`DRAIN_DELAY="5"`, "DRAIN_DELAY=5s"}},
		{Name: "every bad variable", Env: map[string]string{"PORT": "x", "LOG_LEVEL": "y"}, Want: []string{"invalid configuration: ", `PORT="x"`, `LOG_LEVEL="y"`}},
		{Name: "arguments", Args: []string{"extra"}, Want: []string{"dognames takes no arguments", "extra", "PORT, HOST, LOG_LEVEL, DRAIN_DELAY and SHUTDOWN_TIMEOUT environment variables"}},
		{Name: "port in use", Env: map[string]string{"HOST": "127.0.0.1", "PORT": busyPort}, Want: []string{"127.0.0.1:" + busyPort, "in use"}},
	})
}

func TestRun(t *testing.T) {
	// Find a free port; the tiny window before run takes it is acceptable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs servekittest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dognames"}, servekittest.Env(map[string]string{"HOST": "127.0.0.1", "PORT": port, "DRAIN_DELAY": "0s"}), &logs)
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := servekittest.Get(client, "http://"+addr+"/dogs/males")
		if r.Err == nil {
			if r.Code != http.StatusOK || !strings.Contains(r.Body, `"Gender":"male"`) {
				t.Fatalf("GET /dogs/males = %+v", r)
			}
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never answered: %v", r.Err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	if err := servekittest.Wait(t, done, 5*time.Second, "run to return"); err != nil {
		t.Fatalf("run: %v", err)
	}
	out := logs.String()
	for _, want := range []string{`"msg":"listening"`, `"msg":"server stopped"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs do not contain %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "/dogs/males") {
		t.Errorf("a request was logged at info level:\n%s", out)
	}
}
