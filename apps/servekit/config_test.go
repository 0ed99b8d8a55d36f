package servekit

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

func TestParseConfig(t *testing.T) {
	def := DefaultConfig()
	with := func(f func(*Config)) Config {
		c := def
		f(&c)
		return c
	}
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"defaults", nil, Config{Port: 8080, LogLevel: slog.LevelInfo, DrainDelay: 5 * time.Second, ShutdownTimeout: 10 * time.Second}},
		{"empty values keep defaults", map[string]string{"PORT": "", "HOST": "", "LOG_LEVEL": "", "DRAIN_DELAY": "", "SHUTDOWN_TIMEOUT": ""}, def},
		{"other variables are not read", map[string]string{"TABLE_NAME": "todo", "PORTS": "1"}, def},
		{"PORT", map[string]string{"PORT": "9090"}, with(func(c *Config) { c.Port = 9090 })},
		{"PORT lowest", map[string]string{"PORT": "1"}, with(func(c *Config) { c.Port = 1 })},
		{"PORT highest", map[string]string{"PORT": "65535"}, with(func(c *Config) { c.Port = 65535 })},
		{"HOST v4", map[string]string{"HOST": "127.0.0.1"}, with(func(c *Config) { c.Host = "127.0.0.1" })},
		{"HOST v6", map[string]string{"HOST": "::1"}, with(func(c *Config) { c.Host = "::1" })},
		{"LOG_LEVEL debug", map[string]string{"LOG_LEVEL": "debug"}, with(func(c *Config) { c.LogLevel = slog.LevelDebug })},
		{"LOG_LEVEL info", map[string]string{"LOG_LEVEL": "info"}, def},
		{"LOG_LEVEL warn", map[string]string{"LOG_LEVEL": "warn"}, with(func(c *Config) { c.LogLevel = slog.LevelWarn })},
		{"LOG_LEVEL error", map[string]string{"LOG_LEVEL": "error"}, with(func(c *Config) { c.LogLevel = slog.LevelError })},
		{"LOG_LEVEL upper case", map[string]string{"LOG_LEVEL": "DEBUG"}, with(func(c *Config) { c.LogLevel = slog.LevelDebug })},
		{"DRAIN_DELAY", map[string]string{"DRAIN_DELAY": "1m30s"}, with(func(c *Config) { c.DrainDelay = 90 * time.Second })},
		{"DRAIN_DELAY zero", map[string]string{"DRAIN_DELAY": "0s"}, with(func(c *Config) { c.DrainDelay = 0 })},
		{"SHUTDOWN_TIMEOUT", map[string]string{"SHUTDOWN_TIMEOUT": "250ms"}, with(func(c *Config) { c.ShutdownTimeout = 250 * time.Millisecond })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ParseConfig(servekittest.Env(tt.env))
			if errs != nil {
				t.Fatalf("unexpected errors: %v", errs)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	// Each error names the variable, quotes the bad value and gives a good
	// example, in exactly the words the services have always used.
	tests := []struct {
		name, value, want string
	}{
		{"PORT", "abc", `PORT="abc" is not a valid port: use a number from 1 to 65535, e.g. PORT=8080`},
		{"PORT", "0", `PORT="0" is not a valid port`},
		{"PORT", "-1", `PORT="-1" is not a valid port`},
		{"PORT", "65536", `PORT="65536" is not a valid port`},
		{"PORT", "80.5", `PORT="80.5" is not a valid port`},
		{"PORT", " 8080", `PORT=" 8080" is not a valid port`},
		{"HOST", "localhost", `HOST="localhost" is not a valid IP address: use an IP literal, e.g. HOST=127.0.0.1, or leave it unset to listen on all interfaces`},
		{"HOST", "127.0.0.1:80", `HOST="127.0.0.1:80" is not a valid IP address`},
		{"HOST", "999.1.1.1", `HOST="999.1.1.1" is not a valid IP address`},
		{"LOG_LEVEL", "verbose", `LOG_LEVEL="verbose" is not a valid log level: use debug, info, warn or error, e.g. LOG_LEVEL=info`},
		{"LOG_LEVEL", "warning", `LOG_LEVEL="warning" is not a valid log level`},
		{"LOG_LEVEL", "0", `LOG_LEVEL="0" is not a valid log level`},
		{"DRAIN_DELAY", "5", `DRAIN_DELAY="5" is not a valid drain delay: use a Go duration of 0s or more, e.g. DRAIN_DELAY=5s`},
		{"DRAIN_DELAY", "-1s", `DRAIN_DELAY="-1s" is not a valid drain delay`},
		{"DRAIN_DELAY", "soon", `DRAIN_DELAY="soon" is not a valid drain delay`},
		{"SHUTDOWN_TIMEOUT", "10", `SHUTDOWN_TIMEOUT="10" is not a valid shutdown timeout: use a Go duration greater than 0, e.g. SHUTDOWN_TIMEOUT=10s`},
		{"SHUTDOWN_TIMEOUT", "0s", `SHUTDOWN_TIMEOUT="0s" is not a valid shutdown timeout`},
		{"SHUTDOWN_TIMEOUT", "-5s", `SHUTDOWN_TIMEOUT="-5s" is not a valid shutdown timeout`},
		{"SHUTDOWN_TIMEOUT", "abc", `SHUTDOWN_TIMEOUT="abc" is not a valid shutdown timeout`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, errs := ParseConfig(servekittest.Env(map[string]string{tt.name: tt.value}))
			if len(errs) != 1 {
				t.Fatalf("%d errors (%v), want 1", len(errs), errs)
			}
			servekittest.CheckError(t, errs[0], tt.want, "e.g. "+tt.name+"=")
			err := ConfigError(errs)
			if want := "invalid configuration: " + errs[0].Error(); err == nil || err.Error() != want {
				t.Errorf("ConfigError = %v, want %q", err, want)
			}
		})
	}
}

func TestParseConfigReportsEveryError(t *testing.T) {
	_, errs := ParseConfig(servekittest.Env(map[string]string{"PORT": "x", "HOST": "h", "LOG_LEVEL": "y", "DRAIN_DELAY": "z", "SHUTDOWN_TIMEOUT": "w"}))
	if len(errs) != 5 {
		t.Fatalf("%d errors (%v), want 5", len(errs), errs)
	}
	// A service appends its own and reports them together.
	err := ConfigError(append(errs, errTest))
	servekittest.CheckError(t, err, "invalid configuration: ", `PORT="x"`, `HOST="h"`, `LOG_LEVEL="y"`, `DRAIN_DELAY="z"`, `SHUTDOWN_TIMEOUT="w"`, errTest.Error())
	if n := strings.Count(err.Error(), "\n"); n != 5 {
		t.Errorf("error %q has %d line breaks, want one line per problem", err, n)
	}
}

var errTest = errors.New(`TABLE_NAME="a b" is not a valid DynamoDB table name`)

func TestConfigErrorNone(t *testing.T) {
	if err := ConfigError(nil); err != nil {
		t.Errorf("ConfigError(nil) = %v, want nil", err)
	}
}

func TestRejectArgs(t *testing.T) {
	tests := []struct {
		args     []string
		moreVars []string
		want     string
	}{
		{[]string{"dognames"}, nil, ""},
		{[]string{"todo"}, []string{"TABLE_NAME"}, ""},
		{[]string{"dognames", "extra"}, nil,
			`dognames takes no arguments (got ["extra"]): configure it with the PORT, HOST, LOG_LEVEL, DRAIN_DELAY and SHUTDOWN_TIMEOUT environment variables`},
		{[]string{"todo", "-port", "80"}, []string{"TABLE_NAME", "AWS_REGION", "DYNAMODB_ENDPOINT", "DATA_DIR"},
			`todo takes no arguments (got ["-port" "80"]): configure it with the PORT, HOST, LOG_LEVEL, DRAIN_DELAY, SHUTDOWN_TIMEOUT, TABLE_NAME, AWS_REGION, DYNAMODB_ENDPOINT and DATA_DIR environment variables`},
	}
	for _, tt := range tests {
		err := RejectArgs(tt.args, tt.moreVars...)
		if tt.want == "" {
			if err != nil {
				t.Errorf("RejectArgs(%q) = %v, want nil", tt.args, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.want {
			t.Errorf("RejectArgs(%q) = %v, want %s", tt.args, err, tt.want)
		}
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := Config{LogLevel: slog.LevelWarn}.NewLogger(&buf)
	logger.Info("hidden")
	logger.Warn("shown", slog.Int("n", 1))
	var rec struct {
		Level string
		Msg   string
		N     int
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log %q is not one JSON line: %v", buf.String(), err)
	}
	if rec.Level != "WARN" || rec.Msg != "shown" || rec.N != 1 {
		t.Errorf("log = %s", buf.String())
	}
}
