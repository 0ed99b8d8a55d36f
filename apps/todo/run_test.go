package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

func TestRunErrors(t *testing.T) {
	busyPort := servekittest.BusyPort(t)

	lockedDir := t.TempDir()
	held, err := openBoltStore(lockedDir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	servekittest.CheckRunErrors(t, "todo", run, []servekittest.RunError{
		{Name: "bad PORT", Env: map[string]string{"PORT": "abc"}, Want: []string{`PORT="abc"`}},
		{Name: "bad TABLE_NAME", Env: map[string]string{"TABLE_NAME": "a b"}, Want: []string{`TABLE_NAME="a b"`, "TABLE_NAME=todo"}},
		{Name: "arguments", Args: []string{"extra"}, Want: []string{"todo takes no arguments", "extra", "SHUTDOWN_TIMEOUT, TABLE_NAME, AWS_REGION, DYNAMODB_ENDPOINT and DATA_DIR environment variables"}},
		{Name: "port in use", Env: map[string]string{"HOST": "127.0.0.1", "PORT": busyPort, "DATA_DIR": t.TempDir()}, Want: []string{"127.0.0.1:" + busyPort, "in use"}},
		{Name: "DATA_DIR in use", Env: map[string]string{"HOST": "127.0.0.1", "PORT": strconv.Itoa(servekittest.FreePort(t)), "DATA_DIR": lockedDir}, Want: []string{"locked", lockedDir}},
	})
}

// roundTrip creates a todo over HTTP and reads it back.
func roundTrip(t *testing.T, base string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.PostForm(base+"/todo", url.Values{"data": {"Write new AWS blog post"}})
	if err != nil {
		t.Fatal(err)
	}
	var it item
	err = json.NewDecoder(resp.Body).Decode(&it)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /todo: %d %v", resp.StatusCode, err)
	}
	r := servekittest.Get(client, base+"/todo/"+it.ID)
	if r.Err != nil || r.Code != http.StatusOK || !strings.Contains(r.Body, "Write new AWS blog post") {
		t.Fatalf("GET /todo/%s: %+v", it.ID, r)
	}
	if r := servekittest.Get(client, base+"/readyz"); r.Code != http.StatusOK {
		t.Errorf("/readyz: %+v", r)
	}
}

func TestRunBolt(t *testing.T) {
	dir := t.TempDir()
	base, stop, logs := servekittest.RunServer(t, "todo", run, map[string]string{"DATA_DIR": dir + "/nested"})
	roundTrip(t, base)
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	out := logs.String()
	for _, want := range []string{`"msg":"store opened","store":"bolt"`, `"msg":"listening"`, `"msg":"server stopped"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs do not contain %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"msg":"request"`) {
		t.Errorf("a request was logged at info level:\n%s", out)
	}
	// run closed the store: the file can be opened again at once.
	s, err := openBoltStore(dir + "/nested")
	if err != nil {
		t.Fatalf("reopening after run: %v", err)
	}
	defer s.Close()
	if got := listAll(t, s, "anonymous", 100); len(got) != 1 {
		t.Errorf("after run: %v, want the one item", got)
	}
}

func TestRunDynamoDB(t *testing.T) {
	_, table := newDynaliteTable(t)
	// The AWS SDK reads credentials from the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	base, stop, logs := servekittest.RunServer(t, "todo", run, map[string]string{
		"TABLE_NAME":        table,
		"AWS_REGION":        dynaliteRegion,
		"DYNAMODB_ENDPOINT": dynalite.endpoint,
		"DATA_DIR":          t.TempDir(),
	})
	roundTrip(t, base)
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	out := logs.String()
	want := `"msg":"store opened","store":"dynamodb","table":"` + table + `","region":"us-west-2","endpoint":"` + dynalite.endpoint + `"`
	if !strings.Contains(out, want) {
		t.Errorf("logs do not contain %s:\n%s", want, out)
	}
	if strings.Contains(out, "not reachable") {
		t.Errorf("start-up ping failed:\n%s", out)
	}
}

func TestRunDynamoDBMissingTable(t *testing.T) {
	dynaliteClient(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// It starts (liveness is not the store's business) but says so in the
	// log and on /readyz.
	base, _, logs := servekittest.RunServer(t, "todo", run, map[string]string{
		"TABLE_NAME":        "no-such-table",
		"AWS_REGION":        dynaliteRegion,
		"DYNAMODB_ENDPOINT": dynalite.endpoint,
	})
	if r := servekittest.Get(&http.Client{Timeout: 5 * time.Second}, base+"/readyz"); r.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %+v, want 503", r)
	}
	if out := logs.String(); !strings.Contains(out, `"level":"WARN","msg":"DynamoDB table is not reachable yet"`) {
		t.Errorf("no warning at start:\n%s", out)
	}
}

func TestRunDynamoDBNoRegion(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	servekittest.CheckRunErrors(t, "todo", run, []servekittest.RunError{
		{Name: "no region", Env: map[string]string{"TABLE_NAME": "todo", "HOST": "127.0.0.1", "PORT": strconv.Itoa(servekittest.FreePort(t))}, Want: []string{"AWS_REGION=us-west-2"}},
	})
}
