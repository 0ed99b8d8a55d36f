package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink that the server goroutines and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"bad PORT", nil, map[string]string{"PORT": "abc"}, []string{`PORT="abc"`}},
		{"bad DRAIN_DELAY", nil, map[string]string{"DRAIN_DELAY": "5"}, []string{`DRAIN_DELAY="5"`, "DRAIN_DELAY=5s"}},
		{"arguments", []string{"extra"}, nil, []string{"dognames takes no arguments", "extra"}},
		{"port in use", nil, map[string]string{"HOST": "127.0.0.1", "PORT": busyPort}, []string{"127.0.0.1:" + busyPort, "in use"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var logs syncBuffer
			err := run(ctx, append([]string{"dognames"}, tt.args...), env(tt.env), &logs)
			if err == nil {
				t.Fatal("run succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
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
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dognames"}, env(map[string]string{"HOST": "127.0.0.1", "PORT": port, "DRAIN_DELAY": "0s"}), &logs)
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := get(client, "http://"+addr+"/dogs/males")
		if r.err == nil {
			if r.code != http.StatusOK || !strings.Contains(r.body, `"Gender":"male"`) {
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
			t.Fatalf("server never answered: %v", r.err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	if err := wait(t, done, 5*time.Second, "run to return"); err != nil {
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
