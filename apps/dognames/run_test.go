package main

import (
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
	base, stop, logs := servekittest.RunServer(t, "dognames", run, nil)
	client := &http.Client{Timeout: 2 * time.Second}
	if r := servekittest.Get(client, base+"/dogs/males"); r.Err != nil || r.Code != http.StatusOK || !strings.Contains(r.Body, `"Gender":"male"`) {
		t.Fatalf("GET /dogs/males = %+v", r)
	}
	if err := stop(); err != nil {
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
