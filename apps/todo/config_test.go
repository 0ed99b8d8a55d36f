package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/private-apis/private-apis/apps/servekit"
	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

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
		{"defaults", nil, config{Config: servekit.DefaultConfig(), DataDir: "./data"}},
		{"empty values keep defaults", map[string]string{"PORT": "", "HOST": "", "LOG_LEVEL": "", "DRAIN_DELAY": "", "SHUTDOWN_TIMEOUT": "", "TABLE_NAME": "", "AWS_REGION": "", "DYNAMODB_ENDPOINT": "", "DATA_DIR": ""}, def},
		// The common variables are servekit's, and tested there; one
		// shows they arrive.
		{"common variables", map[string]string{"PORT": "9090", "LOG_LEVEL": "DEBUG"}, with(func(c *config) { c.Port, c.LogLevel = 9090, slog.LevelDebug })},
		{"DATA_DIR", map[string]string{"DATA_DIR": "/var/lib/todo"}, with(func(c *config) { c.DataDir = "/var/lib/todo" })},
		{"TABLE_NAME", map[string]string{"TABLE_NAME": "todo-prod.v1_a"}, with(func(c *config) { c.TableName = "todo-prod.v1_a" })},
		{"AWS_REGION", map[string]string{"AWS_REGION": "us-gov-west-1"}, with(func(c *config) { c.Region = "us-gov-west-1" })},
		{"dynalite", map[string]string{"TABLE_NAME": "todo", "AWS_REGION": "us-west-2", "DYNAMODB_ENDPOINT": "http://127.0.0.1:4567"}, with(func(c *config) {
			c.TableName, c.Region, c.DynamoDBEndpoint = "todo", "us-west-2", "http://127.0.0.1:4567"
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(servekittest.Env(tt.env))
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
			_, err := parseConfig(servekittest.Env(kv))
			servekittest.CheckError(t, err, tt.key+"="+`"`+tt.value+`"`, tt.example)
		})
	}
}

func TestParseConfigReportsAllErrors(t *testing.T) {
	_, err := parseConfig(servekittest.Env(map[string]string{"PORT": "x", "LOG_LEVEL": "y", "TABLE_NAME": "z"}))
	servekittest.CheckError(t, err, "invalid configuration: ", `PORT="x"`, `LOG_LEVEL="y"`, `TABLE_NAME="z"`)
}
