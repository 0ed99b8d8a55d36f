package servekit

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestLogRequests(t *testing.T) {
	tests := []struct {
		level slog.Level
		lines int
	}{
		{slog.LevelDebug, 1},
		{slog.LevelInfo, 0},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var logs bytes.Buffer
			logger := Config{LogLevel: tt.level}.NewLogger(&logs)
			mux := testRouter(&Health{})
			h := LogRequests(logger, mux)
			if tt.lines == 0 && h != mux {
				t.Error("LogRequests wrapped the handler with debug disabled")
			}
			do(h, http.MethodGet, "/small/nope")

			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if logs.Len() == 0 {
				lines = nil
			}
			if len(lines) != tt.lines {
				t.Fatalf("got %d log lines, want %d:\n%s", len(lines), tt.lines, logs.String())
			}
			if tt.lines == 0 {
				return
			}
			var rec struct {
				Level  string
				Msg    string
				Method string
				Path   string
				Status int
			}
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatalf("log line %q is not JSON: %v", lines[0], err)
			}
			if rec.Level != "DEBUG" || rec.Msg != "request" || rec.Method != "GET" || rec.Path != "/small/nope" || rec.Status != http.StatusNotFound {
				t.Errorf("log line = %s, want a DEBUG request entry for GET /small/nope with status 404", lines[0])
			}
			if !strings.Contains(lines[0], `"duration"`) {
				t.Errorf("log line = %s, want a duration", lines[0])
			}
		})
	}
}

func TestLogRequestsImplicitStatus(t *testing.T) {
	var logs bytes.Buffer
	logger := Config{LogLevel: slog.LevelDebug}.NewLogger(&logs)
	handlers := map[string]http.HandlerFunc{
		"nothing": func(w http.ResponseWriter, r *http.Request) {},
		"write":   func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) },
		"twice": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			w.WriteHeader(http.StatusTeapot) // ignored by net/http too
		},
		"controller": func(w http.ResponseWriter, r *http.Request) {
			// Reaches the recorder's Flush through Unwrap.
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("Flush through the middleware: %v", err)
			}
		},
	}
	want := map[string]int{"nothing": 200, "write": 200, "twice": 202, "controller": 200}
	for name, h := range handlers {
		logs.Reset()
		do(LogRequests(logger, h), "GET", "/")
		if !strings.Contains(logs.String(), `"status":`+strconv.Itoa(want[name])) {
			t.Errorf("%s: log %s, want status %d", name, logs.String(), want[name])
		}
	}
}
