package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/cmd/localrun/localgw"
	"github.com/private-apis/private-apis/contract"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseFlags(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	deployed, err := localgw.LoadStackConfig(root)
	if err != nil {
		t.Fatal(err)
	}

	opts, err := parseFlags([]string{"localrun"}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.GatewayPort != 8080 || opts.RepoRoot != root || opts.LocalDir != filepath.Join(root, ".local") || !reflect.DeepEqual(opts.Throttling, deployed.Throttling) || !reflect.DeepEqual(opts.CORS, deployed.CORS) {
		t.Fatalf("defaults: %+v", opts)
	}

	opts, err = parseFlags([]string{"localrun"}, env("PORT", "9090"), io.Discard)
	if err != nil || opts.GatewayPort != 9090 {
		t.Fatalf("PORT=9090: %+v, %v", opts, err)
	}
	opts, err = parseFlags([]string{"localrun", "-port", "9191", "-todo-port", "18001"}, env("PORT", "9090"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.GatewayPort != 9191 || opts.ServicePorts["todo"] != 18001 || opts.ServicePorts["dognames"] != 0 {
		t.Fatalf("flags: %+v", opts)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"bad PORT", nil, env("PORT", "http"), `PORT="http"`},
		{"PORT too big", nil, env("PORT", "70000"), `PORT="70000"`},
		{"bad -port", []string{"-port", "-1"}, env(), "-port -1 is not a TCP port"},
		{"bad service port", []string{"-dognames-port", "99999"}, env(), "-dognames-port 99999"},
		{"argument", []string{"now"}, env(), "unexpected arguments"},
		{"unknown flag", []string{"-nope"}, env(), "not defined"},
		{"no repo", []string{"-repo", "/"}, env(), "Pulumi.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(append([]string{"localrun"}, tt.args...), tt.env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFindRepoRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := findRepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(root, "contract", "contract.go")) {
		t.Fatalf("root %s has no contract/contract.go", root)
	}
	if _, err := findRepoRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "-repo") {
		t.Fatalf("outside a checkout: %v", err)
	}
}

// TestPortInUse checks that a busy gateway or service port is a clear error
// naming the port, before anything is built.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	p := strconv.Itoa(port)

	_, err = startTopology(t.Context(), options{GatewayPort: port, LocalDir: t.TempDir()})
	want := "port " + p + " is already in use: stop what is using it or run make run PORT=" + strconv.Itoa(port+1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("gateway port in use: %v, want %q", err, want)
	}

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := parseFlags([]string{"localrun", "-port", "0", "-todo-port", p}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	opts.RepoRoot, opts.LocalDir = root, t.TempDir()
	_, err = startTopology(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "port "+p+" is already in use") || !strings.Contains(err.Error(), "-todo-port") {
		t.Fatalf("service port in use: %v", err)
	}
}

func TestPrefixWriter(t *testing.T) {
	var out strings.Builder
	shared := &sharedWriter{w: &out}
	a, b := shared.prefixed("a"), shared.prefixed("b")
	for _, w := range []struct {
		w io.Writer
		s string
	}{{a, "one "}, {b, "x\ny"}, {a, "line\ntwo\n"}, {b, "\n"}} {
		if _, err := io.WriteString(w.w, w.s); err != nil {
			t.Fatal(err)
		}
	}
	want := "b | x\na | one line\na | two\nb | y\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

// TestParseFlagsReadsTheConsumersCORS: make run answers browsers as the
// consumer stack file says the deployed API does.
func TestParseFlagsReadsTheConsumersCORS(t *testing.T) {
	project, err := os.ReadFile(filepath.Join("..", "..", localgw.ProjectFile))
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, "contract"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		localgw.ProjectFile:  string(project),
		localgw.ConsumerFile: "config:\n  private-apis:cors:\n    allowOrigins: [https://app.example.com]\n",
	} {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := parseFlags([]string{"localrun", "-repo", repo}, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(opts.CORS.AllowOrigins, []string{"https://app.example.com"}) {
		t.Fatalf("CORS %+v, want the stack file's origins", opts.CORS)
	}
}

// TestServedLimits: a stack file may limit routes of providers that only
// run in AWS; make run limits the routes it serves and says which it skips.
func TestServedLimits(t *testing.T) {
	th := localgw.Throttling{RateLimit: 50, BurstLimit: 100, WriteRateLimit: 10, WriteBurstLimit: 20, Routes: map[string]apirules.RouteLimit{
		"POST /todo": {RateLimit: 5, BurstLimit: 10}, "GET /orders": {RateLimit: 1, BurstLimit: 1},
	}}
	var log strings.Builder
	got := servedLimits(th, []*service{{contract: contract.Todo}, {contract: contract.DogNames}}, &log)
	if !reflect.DeepEqual(got.Routes, map[string]apirules.RouteLimit{"POST /todo": {RateLimit: 5, BurstLimit: 10}}) || got.RateLimit != 50 {
		t.Fatalf("servedLimits = %+v", got)
	}
	if !strings.Contains(log.String(), `routeThrottling "GET /orders": no local service serves it`) {
		t.Fatalf("log %q", log.String())
	}
	if len(th.Routes) != 2 {
		t.Fatal("the caller's map was changed")
	}
}

// TestFreePortIsOutsideTheEphemeralRange: a port the kernel could hand to
// an outgoing connection while a service builds or restarts is never
// picked.
func TestFreePortIsOutsideTheEphemeralRange(t *testing.T) {
	first := ephemeralPortsFrom()
	for range 50 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if first > 10000 && (port < 10000 || port >= first) {
			t.Fatalf("port %d is not in [10000, %d)", port, first)
		}
	}
}
