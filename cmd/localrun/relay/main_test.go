package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRelayCarriesHTTP(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte(r.Method+" "+r.URL.Path+" "), b...))
	}))
	defer be.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, be.Listener.Addr().String()) }()

	client := &http.Client{Timeout: 5 * time.Second}
	for _, body := range []string{"", "hello", string(make([]byte, 100<<10))} {
		resp, err := client.Post("http://"+ln.Addr().String()+"/x", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != "POST /x "+body {
			t.Fatalf("relayed %d bytes back, err %v; want %d", len(got), err, len(body)+8)
		}
	}
	client.CloseIdleConnections()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
}

func TestRunRejectsArguments(t *testing.T) {
	if err := run(context.Background(), []string{"127.0.0.1:0"}, io.Discard); err == nil {
		t.Fatal("expected an error for a missing target")
	}
}
