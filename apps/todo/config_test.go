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
		{"defaults", nil, config{Port: 8080, LogLevel: slog.LevelInfo, DrainDelay: 5 * time.Second, ShutdownTimeout: 10 * time.Second, DataDir: "./data"}},
		{"empty values keep defaults", map[string]string{"PORT": "", "HOST": "", "LOG_LEVEL": "", "DRAIN_DELAY": "", "SHUTDOWN_TIMEOUT": "", "TABLE_NAME": "", "AWS_REGION": "", "DYNAMODB_ENDPOINT": "", "DATA_DIR": ""}, def},
		{"PORT", map[string]string{"PORT": "9090"}, with(func(c *config) { c.Port = 9090 })},
		{"HOST v6", map[string]string{"HOST": "::1"}, with(func(c *config) { c.Host = "::1" })},
		{"LOG_LEVEL upper case", map[string]string{"LOG_LEVEL": "DEBUG"}, with(func(c *config) { c.LogLevel = slog.LevelDebug })},
		{"LOG_LEVEL warn", map[string]string{"LOG_LEVEL": "warn"}, with(func(c *config) { c.LogLevel = slog.LevelWarn })},
		{"DRAIN_DELAY zero", map[string]string{"DRAIN_DELAY": "0s"}, with(func(c *config) { c.DrainDelay = 0 })},
		{"SHUTDOWN_TIMEOUT", map[string]string{"SHUTDOWN_TIMEOUT": "250ms"}, with(func(c *config) { c.ShutdownTimeout = 250 * time.Millisecond })},
		{"DATA_DIR", map[string]string{"DATA_DIR": "/var/lib/todo"}, with(func(c *config) { c.DataDir = "/var/lib/todo" })},
		{"TABLE_NAME", map[string]string{"TABLE_NAME": "todo-prod.v1_a"}, with(func(c *config) { c.TableName = "todo-prod.v1_a" })},
		{"AWS_REGION", map[string]string{"AWS_REGION": "us-gov-west-1"}, with(func(c *config) { c.Region = "us-gov-west-1" })},
		{"dynalite", map[string]string{"TABLE_NAME": "todo", "AWS_REGION": "us-west-2", "DYNAMODB_ENDPOINT": "http://127.0.0.1:4567"}, with(func(c *config) {
			c.TableName, c.Region, c.DynamoDBEndpoint = "todo", "us-west-2", "http://127.0.0.1:4567"
		})},
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
	// Each error names the variable, shows the bad value and gives a
	// good example.
	tests := []struct {
		key, value, example string
		extra               map[string]string
	}{
		{"PORT", "0", "PORT=8080", nil},
		{"PORT", "65536", "PORT=8080", nil},
		{"PORT", "http", "PORT=8080", nil},
		{"HOST", "localhost", "HOST=127.0.0.1", nil},
		{"LOG_LEVEL", "verbose", "LOG_LEVEL=info", nil},
		{"DRAIN_DELAY", "5", "DRAIN_DELAY=5s", nil},
		{"DRAIN_DELAY", "-1s", "DRAIN_DELAY=5s", nil},
		{"SHUTDOWN_TIMEOUT", "0s", "SHUTDOWN_TIMEOUT=10s", nil},
		{"TABLE_NAME", "ab", "TABLE_NAME=todo", nil},
		{"TABLE_NAME", "todo table", "TABLE_NAME=todo", nil},
		{"TABLE_NAME", strings.Repeat("t", 256), "TABLE_NAME=todo", nil},
		{"AWS_REGION", "US-WEST-2", "AWS_REGION=us-west-2", nil},
		{"AWS_REGION", "oregon", "AWS_REGION=us-west-2", nil},
		{"DYNAMODB_ENDPOINT", "127.0.0.1:4567", "DYNAMODB_ENDPOINT=http://127.0.0.1:4567", map[string]string{"TABLE_NAME": "todo"}},
		{"DYNAMODB_ENDPOINT", "ftp://host", "DYNAMODB_ENDPOINT=http://127.0.0.1:4567", map[string]string{"TABLE_NAME": "todo"}},
		{"DYNAMODB_ENDPOINT", "http://", "DYNAMODB_ENDPOINT=http://127.0.0.1:4567", map[string]string{"TABLE_NAME": "todo"}},
		{"DYNAMODB_ENDPOINT", "http://127.0.0.1:4567", "TABLE_NAME=todo", nil},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			kv := map[string]string{tt.key: tt.value}
			for k, v := range tt.extra {
				kv[k] = v
			}
			_, err := parseConfig(env(kv))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range []string{tt.key + "=" + `"` + tt.value + `"`, tt.example} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestParseConfigReportsAllErrors(t *testing.T) {
	_, err := parseConfig(env(map[string]string{"PORT": "x", "LOG_LEVEL": "y", "TABLE_NAME": "z"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"PORT=", "LOG_LEVEL=", "TABLE_NAME="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
