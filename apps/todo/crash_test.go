package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

// TestCrashKeepsAcknowledgedCreates runs the real binary on the bolt store,
// SIGKILLs it in the middle of a create load, restarts it on the same
// DATA_DIR and checks that every create that got a 201 is still there.
// Creates that were in flight at the kill may or may not be.
func TestCrashKeepsAcknowledgedCreates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary; skipped with -short")
	}
	bin := buildServer(t)
	dataDir := t.TempDir()
	owner := "crash-test"

	first := startServerProcess(t, bin, dataDir)

	const (
		workers  = 8
		loadFor  = 1500 * time.Millisecond
		killAt   = 750 * time.Millisecond
		reqLimit = 2 * time.Second
	)
	client := &http.Client{
		Timeout:   reqLimit,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers},
	}
	var (
		mu          sync.Mutex
		acked       = map[string]string{} // id -> data
		failed      atomic.Int64
		ackedAtKill int // len(acked) just before the kill
		wg          sync.WaitGroup
	)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := 0; time.Since(start) < loadFor; i++ {
				data := fmt.Sprintf("worker %d create %d", w, i)
				req, _ := http.NewRequest("POST", first.base+"/todo", strings.NewReader("data="+url.QueryEscape(data)))
				req.Header.Set("Content-Type", formType)
				req.Header.Set("X-User-Id", owner)
				resp, err := client.Do(req)
				if err != nil {
					// After the kill: refused, reset or timed out.
					failed.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				var it item
				decErr := json.NewDecoder(resp.Body).Decode(&it)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated || decErr != nil {
					// A cut-off body is not an acknowledgement either.
					failed.Add(1)
					continue
				}
				mu.Lock()
				acked[it.ID] = data
				mu.Unlock()
			}
		})
	}
	time.Sleep(killAt)
	mu.Lock()
	ackedAtKill = len(acked)
	mu.Unlock()
	first.kill() // SIGKILL: no drain, no Close, no chance to flush anything
	wg.Wait()

	if ackedAtKill == 0 {
		t.Fatalf("no create was acknowledged before the kill:\n%s", first.logs)
	}
	if failed.Load() == 0 {
		t.Fatal("no request failed: the kill did not land in the middle of the load")
	}

	second := startServerProcess(t, bin, dataDir)
	listed := map[string]string{}
	cursor := ""
	for page := 0; ; page++ {
		if page > 10000 {
			t.Fatal("pagination does not end")
		}
		target := second.base + "/todo?limit=100"
		if cursor != "" {
			target += "&cursor=" + url.QueryEscape(cursor)
		}
		req, _ := http.NewRequest("GET", target, nil)
		req.Header.Set("X-User-Id", owner)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var items []item
		err = json.NewDecoder(resp.Body).Decode(&items)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", target, resp.StatusCode, err)
		}
		for _, it := range items {
			if _, dup := listed[it.ID]; dup {
				t.Errorf("%s listed twice", it.ID)
			}
			listed[it.ID] = it.Data
		}
		if cursor = resp.Header.Get("X-Next-Cursor"); cursor == "" {
			break
		}
	}

	var lost int
	for id, data := range acked {
		got, ok := listed[id]
		if !ok {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged create %s (%q) is gone after the crash", id, data)
			}
		} else if got != data {
			t.Errorf("%s has data %q, want %q", id, got, data)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged creates lost", lost, len(acked))
	}
	t.Logf("killed after %s: %d creates acknowledged (%d before the kill signal), %d failed; after restart %d listed, all %d acknowledged present (%d more were committed but not acknowledged)",
		killAt, len(acked), ackedAtKill, failed.Load(), len(listed), len(acked)-lost, len(listed)-(len(acked)-lost))
}

// buildServer builds this package's binary into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the server: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "todo")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	// This module is built on its own, as in CI and the Dockerfile.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type serverProcess struct {
	base   string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *servekittest.SyncBuffer
}

// kill SIGKILLs the server and waits until it is gone.
func (p *serverProcess) kill() {
	killProcessGroup(p.cmd)
	<-p.exited
}

// startServerProcess runs bin with the bolt store in dataDir on a free port
// and waits until /healthz answers. The process is killed when the test
// ends.
func startServerProcess(t *testing.T, bin, dataDir string) *serverProcess {
	t.Helper()
	port := servekittest.FreePort(t)
	var env []string
	for _, kv := range os.Environ() {
		// Nothing from the test's environment may switch it to DynamoDB.
		if !strings.HasPrefix(kv, "TABLE_NAME=") && !strings.HasPrefix(kv, "DYNAMODB_ENDPOINT=") {
			env = append(env, kv)
		}
	}
	p := &serverProcess{
		base:   "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:    exec.Command(bin),
		exited: make(chan struct{}),
		logs:   &servekittest.SyncBuffer{},
	}
	p.cmd.Env = append(env, "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "DATA_DIR="+dataDir, "DRAIN_DELAY=0s")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	setProcessGroup(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r := servekittest.Get(client, p.base+"/healthz"); r.Err == nil && r.Code == http.StatusOK {
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("the server exited at start:\n%s", p.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not answer /healthz within 10s:\n%s", p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
