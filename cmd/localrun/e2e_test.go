package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/cmd/localrun/localgw"
	"github.com/private-apis/private-apis/contract"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

type dog struct{ Name, Gender string }

type todo struct {
	ID   string `json:"id"`
	Data string `json:"data"`
}

// TestEndToEnd builds both services, starts the topology `make run` starts
// (real processes, real loopback sockets, the repository's throttling
// config) and runs the original sample's flows through the gateway.
func TestEndToEnd(t *testing.T) {
	ctx, root := endToEnd(t)
	stack, err := localgw.LoadStackConfig(root)
	if err != nil {
		t.Fatal(err)
	}
	// The deployed API limits, but a small write burst (POST /todo has
	// limits of its own in the stack file: it too), so the test can reach a
	// 429 in a few requests; each write route has its own bucket.
	throttling := stack.Throttling
	throttling.WriteRateLimit, throttling.WriteBurstLimit = 1, 6
	throttling.Routes = map[string]apirules.RouteLimit{"POST /todo": {RateLimit: 1, BurstLimit: 6}}

	stdout, stderr := &fakeaws.SyncBuffer{}, &fakeaws.SyncBuffer{}
	topo, err := startTopology(ctx, options{
		RepoRoot:     root,
		LocalDir:     t.TempDir(),
		Services:     contract.Services,
		ServicePorts: map[string]int{},
		Throttling:   throttling,
		Stdout:       stdout,
		Stderr:       stderr,
	})
	if err != nil {
		t.Fatalf("starting: %v\nstderr:\n%s", err, stderr)
	}
	t.Cleanup(func() {
		if err := topo.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}
		if t.Failed() {
			t.Logf("service logs:\n%s", stderr)
		}
	})
	gw := topo.gatewayURL
	client := &http.Client{Timeout: 10 * time.Second}

	call := func(t *testing.T, method, path, contentType, body string, header ...string) (int, string) {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, gw+path, r)
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: reading body: %v", method, path, err)
		}
		return resp.StatusCode, string(b)
	}
	expect := func(t *testing.T, method, path, contentType, body string, wantStatus int, out any) string {
		t.Helper()
		status, got := call(t, method, path, contentType, body)
		if status != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, got, wantStatus)
		}
		if out != nil {
			if err := json.Unmarshal([]byte(got), out); err != nil {
				t.Fatalf("%s %s: %q: %v", method, path, got, err)
			}
		}
		t.Logf("%s %s -> %d %s", method, path, status, strings.TrimSpace(got))
		return got
	}

	t.Run("dogs", func(t *testing.T) {
		for path, gender := range map[string]string{"/dogs": "", "/dogs/males": "male", "/dogs/females": "female"} {
			var d dog
			expect(t, "GET", path, "", "", 200, &d)
			if d.Name == "" || (gender != "" && d.Gender != gender) || (gender == "" && d.Gender != "male" && d.Gender != "female") {
				t.Errorf("GET %s: %+v", path, d)
			}
		}
	})

	var formTodo, jsonTodo todo
	t.Run("todo", func(t *testing.T) {
		expect(t, "POST", "/todo", "application/x-www-form-urlencoded", "data="+url.QueryEscape("Write new AWS blog post"), 201, &formTodo)
		expect(t, "POST", "/todo", "application/json", `{"data":"Review the PR"}`, 201, &jsonTodo)
		if formTodo.Data != "Write new AWS blog post" || jsonTodo.Data != "Review the PR" || formTodo.ID == "" {
			t.Fatalf("created %+v and %+v", formTodo, jsonTodo)
		}
		var list []todo
		expect(t, "GET", "/todo", "", "", 200, &list)
		if len(list) != 2 || list[0] != formTodo || list[1] != jsonTodo {
			t.Fatalf("list %+v", list)
		}
		var got todo
		expect(t, "GET", "/todo/"+formTodo.ID, "", "", 200, &got)
		if got != formTodo {
			t.Fatalf("get %+v", got)
		}
		missing := "01ARZ3NDEKTSV4RRFFQ69G5FAV"
		body := expect(t, "GET", "/todo/"+missing, "", "", 404, nil)
		if want := `{"message":"Todo ` + missing + ` doesn't exist"}`; strings.TrimSpace(body) != want {
			t.Fatalf("missing todo: %s, want %s", body, want)
		}
		expect(t, "DELETE", "/todo/"+jsonTodo.ID, "", "", 204, nil)
		expect(t, "GET", "/todo/"+jsonTodo.ID, "", "", 404, nil)

		// A client cannot act as another user: the gateway removes
		// x-user-id, so this is the anonymous user's list.
		status, body := call(t, "GET", "/todo", "", "", "X-User-Id", "someone-else")
		if status != 200 || !strings.Contains(body, formTodo.ID) {
			t.Fatalf("GET /todo as someone-else: %d %s; x-user-id must be removed", status, body)
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, r := range [][2]string{{"GET", "/nope"}, {"GET", "/dogs/"}, {"PUT", "/todo/x"}, {"GET", "/healthz"}} {
			body := expect(t, r[0], r[1], "", "", 404, nil)
			if body != `{"message":"Not Found"}` {
				t.Errorf("%s %s: %s", r[0], r[1], body)
			}
		}
		// HEAD does not match a GET route in API Gateway.
		expect(t, "HEAD", "/dogs", "", "", 404, nil)
	})

	t.Run("throttled", func(t *testing.T) {
		// POST /todo has had 2 of its 6; malformed bodies store nothing
		// but still count.
		for i := range 20 {
			status, body := call(t, "POST", "/todo", "application/json", `not json`)
			if status == 429 {
				if body != `{"message":"Too Many Requests"}` {
					t.Fatalf("429 body %q", body)
				}
				t.Logf("POST /todo #%d -> 429 %s", i+1, body)
				return
			}
			if status != 400 {
				t.Fatalf("POST /todo with a malformed body: %d %s", status, body)
			}
		}
		t.Fatal("20 quick writes were never throttled with a write burst of 6")
	})

	t.Run("backend down and back", func(t *testing.T) {
		if err := topo.stopService("dognames"); err != nil {
			t.Fatal(err)
		}
		// The deployed API passes on what the consumer's load balancer
		// answers for a provider that refuses connections: its 502 page.
		body := expect(t, "GET", "/dogs", "", "", 502, nil)
		if !strings.Contains(body, "<title>502 Bad Gateway</title>") {
			t.Fatalf("502 body %q", body)
		}
		// The other backend is unaffected.
		expect(t, "GET", "/todo", "", "", 200, nil)
		if err := topo.startService(ctx, "dognames"); err != nil {
			t.Fatal(err)
		}
		expect(t, "GET", "/dogs", "", "", 200, &dog{})
	})

	t.Run("todos survive a restart", func(t *testing.T) {
		if err := topo.stopService("todo"); err != nil {
			t.Fatal(err)
		}
		if err := topo.startService(ctx, "todo"); err != nil {
			t.Fatal(err)
		}
		var list []todo
		expect(t, "GET", "/todo", "", "", 200, &list)
		if len(list) != 1 || list[0] != formTodo {
			t.Fatalf("after restart: %+v, want [%+v]", list, formTodo)
		}
	})

	t.Run("access log", func(t *testing.T) {
		if err := topo.Stop(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		seen := map[string]bool{}
		for _, line := range lines {
			var m map[string]string
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("access log line %q: %v", line, err)
			}
			if len(m) != len(apirules.AccessLogFields) {
				t.Fatalf("access log line has %d fields, want %d: %s", len(m), len(apirules.AccessLogFields), line)
			}
			seen[m["routeKey"]+" "+m["status"]] = true
		}
		for _, want := range []string{"GET /dogs 200", "POST /todo 201", "DELETE /todo/{id} 204", "- 404", "POST /todo 429", "GET /dogs 502"} {
			if !seen[want] {
				t.Errorf("no access log line with route and status %q", want)
			}
		}
		t.Logf("%d access log lines", len(lines))
	})
}

func TestRunStopsOnCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both services; skipped with -short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &fakeaws.SyncBuffer{}, &fakeaws.SyncBuffer{}
	local := t.TempDir()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"localrun", "-port", "0", "-local-dir", local}, func(string) string { return "" }, stdout, stderr)
	}()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(stdout.String(), "Ctrl-C stops everything") {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\nstderr:\n%s", err, stderr)
		case <-deadline:
			t.Fatalf("no banner; stderr:\n%s", stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop within 30s of cancel")
	}
	for _, s := range contract.Services {
		if !strings.Contains(stderr.String(), fmt.Sprintf("%s | ", s.Name)) {
			t.Errorf("no log lines of %s on stderr", s.Name)
		}
	}
}

// endToEnd starts an end-to-end test: skipped with -short (it builds and
// runs both services), with a deadline for all of it and the repository's
// root.
func endToEnd(t *testing.T) (context.Context, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs both services; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return ctx, root
}
