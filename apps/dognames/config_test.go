package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestParseConfig(t *testing.T) {
	def := defaultConfig()
	with := func(f func(*config)) config {
		c := def
		f(&c)
		return c
	}
	tests := []struct {
		name string
		env  map[string]string
		want config
	}{
		{"defaults", nil, config{Port: 8080, LogLevel: slog.LevelInfo, DrainDelay: 5 * time.Second, ShutdownTimeout: 10 * time.Second}},
		{"empty values keep defaults", map[string]string{"PORT": "", "HOST": "", "LOG_LEVEL": "", "DRAIN_DELAY": "", "SHUTDOWN_TIMEOUT": ""}, def},
		{"PORT", map[string]string{"PORT": "9090"}, with(func(c *config) { c.Port = 9090 })},
		{"PORT lowest", map[string]string{"PORT": "1"}, with(func(c *config) { c.Port = 1 })},
		{"PORT highest", map[string]string{"PORT": "65535"}, with(func(c *config) { c.Port = 65535 })},
		{"HOST v4", map[string]string{"HOST": "127.0.0.1"}, with(func(c *config) { c.Host = "127.0.0.1" })},
		{"HOST v6", map[string]string{"HOST": "::1"}, with(func(c *config) { c.Host = "::1" })},
		{"LOG_LEVEL debug", map[string]string{"LOG_LEVEL": "debug"}, with(func(c *config) { c.LogLevel = slog.LevelDebug })},
		{"LOG_LEVEL info", map[string]string{"LOG_LEVEL": "info"}, def},
		{"LOG_LEVEL warn", map[string]string{"LOG_LEVEL": "warn"}, with(func(c *config) { c.LogLevel = slog.LevelWarn })},
		{"LOG_LEVEL error", map[string]string{"LOG_LEVEL": "error"}, with(func(c *config) { c.LogLevel = slog.LevelError })},
		{"LOG_LEVEL upper case", map[string]string{"LOG_LEVEL": "DEBUG"}, with(func(c *config) { c.LogLevel = slog.LevelDebug })},
		{"DRAIN_DELAY", map[string]string{"DRAIN_DELAY": "1m30s"}, with(func(c *config) { c.DrainDelay = 90 * time.Second })},
		{"DRAIN_DELAY zero", map[string]string{"DRAIN_DELAY": "0s"}, with(func(c *config) { c.DrainDelay = 0 })},
		{"SHUTDOWN_TIMEOUT", map[string]string{"SHUTDOWN_TIMEOUT": "250ms"}, with(func(c *config) { c.ShutdownTimeout = 250 * time.Millisecond })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(env(tt.env))
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"PORT", "abc"},
		{"PORT", "0"},
		{"PORT", "-1"},
		{"PORT", "65536"},
		{"PORT", "80.5"},
		{"PORT", " 8080"},
		{"HOST", "localhost"},
		{"HOST", "127.0.0.1:80"},
		{"HOST", "999.1.1.1"},
		{"LOG_LEVEL", "verbose"},
		{"LOG_LEVEL", "warning"},
		{"LOG_LEVEL", "0"},
		{"DRAIN_DELAY", "5"},
		{"DRAIN_DELAY", "-1s"},
		{"DRAIN_DELAY", "soon"},
		{"SHUTDOWN_TIMEOUT", "10"},
		{"SHUTDOWN_TIMEOUT", "0s"},
		{"SHUTDOWN_TIMEOUT", "-5s"},
		{"SHUTDOWN_TIMEOUT", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := parseConfig(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range []string{tt.name, `"` + tt.value + `"`, "e.g. " + tt.name + "="} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestParseConfigReportsEveryError(t *testing.T) {
	_, err := parseConfig(env(map[string]string{"PORT": "x", "LOG_LEVEL": "y", "DRAIN_DELAY": "z", "SHUTDOWN_TIMEOUT": "w"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, v := range []string{"PORT", "LOG_LEVEL", "DRAIN_DELAY", "SHUTDOWN_TIMEOUT"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not mention %s", err, v)
		}
	}
}
