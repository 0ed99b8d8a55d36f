package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/internal/fakeaws"
)

// TestEndToEndREST runs localrun itself (run, as make run does: flags,
// stack file, keys file, build, services, gateway, banner) on a checkout
// whose consumer stack file chooses a REST API with two clients, one with
// a quota of 3 a month, and calls it with the keys the banner prints.
func TestEndToEndREST(t *testing.T) {
	ctx, root := endToEnd(t)
	ctx, cancel := context.WithCancel(ctx) // stops run at the end
	defer cancel()
	// The services are built from the repository's apps/ (linked), the
	// gateway configured from this stack file. The quota's period is a
	// MONTH, not a DAY: run takes no clock, so the quota counts on the
	// real one, and a run across UTC midnight would start a new day's
	// quota mid-test; a month's end is crossed far more rarely.
	repo := restRepo(t, `config:
  private-apis:apiType: rest
  private-apis:clients:
    trial: {rateLimit: 10, burstLimit: 10, quotaLimit: 3, quotaPeriod: MONTH}
    partner: {rateLimit: 10, burstLimit: 10}
  private-apis:publicRoutes: [GET /dogs]
`)
	require.NoError(t, os.Symlink(filepath.Join(root, "apps"), filepath.Join(repo, "apps")))
	local := t.TempDir()

	stdout, stderr := &fakeaws.SyncBuffer{}, &fakeaws.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"localrun", "-port", "0", "-repo", repo, "-local-dir", local}, func(string) string { return "" }, stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})
	banner := waitForBanner(t, stdout, done)
	gw := regexp.MustCompile(`gateway   (http://\S+)`).FindStringSubmatch(banner)
	require.NotNil(t, gw, banner)
	// The keys as a user copies them from the banner's calls: they are
	// the keys file's.
	trial, partner := keyFromBanner(t, banner, "trial"), keyFromBanner(t, banner, "partner")
	body, err := os.ReadFile(filepath.Join(local, apiKeysFile))
	require.NoError(t, err)
	var file map[string]struct{ Value string }
	require.NoError(t, json.Unmarshal(body, &file))
	require.Equal(t, file["trial"].Value, trial)
	require.Equal(t, file["partner"].Value, partner)
	require.Regexp(t, `^[A-Za-z0-9]{40}$`, trial)
	require.NotEqual(t, trial, partner)

	call := func(method, path, key string, want int, header ...string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, gw[1]+path, strings.NewReader(`{"data":"from `+path+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set(apirules.APIKeyHeader, key)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, body)
		return string(body)
	}

	require.Equal(t, apirules.RESTForbiddenBody, call("GET", "/todo", "", 403))
	require.Equal(t, apirules.RESTForbiddenBody, call("GET", "/todo", "not-a-key-of-anyone-at-all", 403))
	call("GET", "/dogs", "", 200)
	// The trial client's 3 requests: its todo is its own (x-user-id is
	// its key's id, whatever it sends), then its quota is spent.
	var todo struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(call("POST", "/todo", trial, 201, apirules.UserHeader, "partner")), &todo))
	require.Contains(t, call("GET", "/todo", trial, 200), todo.ID)
	require.NotContains(t, call("GET", "/todo", partner, 200), todo.ID, "another client has its own todos")
	call("GET", "/todo/"+todo.ID, trial, 200)
	require.Equal(t, apirules.RESTLimitExceededBody, call("GET", "/todo", trial, 429))
	call("GET", "/todo", partner, 200)

	info, err := os.Stat(filepath.Join(local, apiKeysFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	// The banner has the keys; what follows it on stdout, the access log,
	// has none.
	require.True(t, strings.HasPrefix(stdout.String(), banner))
	accessLog := strings.TrimPrefix(stdout.String(), banner)
	require.Regexp(t, `"apiKeyId":"[a-z0-9]{10}"`, accessLog)
	require.NotContains(t, accessLog, trial, "the access log has the key's id, never the key")
	require.NotContains(t, accessLog, partner, "the access log has the key's id, never the key")
	require.NotContains(t, stderr.String(), trial, "nor do the service logs: the backends get x-api-key '-'")
	require.NotContains(t, stderr.String(), partner, "nor do the service logs: the backends get x-api-key '-'")
}

// waitForBanner waits for run's banner on stdout, failing if run ends
// first.
func waitForBanner(t *testing.T, stdout *fakeaws.SyncBuffer, done chan error) string {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(stdout.String(), "Ctrl-C stops everything") {
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("run returned early: %v", err)
		case <-deadline:
			t.Fatal("no banner within 2 minutes")
		case <-time.After(50 * time.Millisecond):
		}
	}
	return stdout.String()
}
