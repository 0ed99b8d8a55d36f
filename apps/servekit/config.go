package servekit

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config is what every service reads from its environment. A service with
// variables of its own embeds it in its own config type.
type Config struct {
	// Port is PORT, 1-65535.
	Port int
	// Host is HOST, an IP address; empty means all interfaces, which the
	// load balancer needs.
	Host string
	// LogLevel is LOG_LEVEL; debug also logs every request.
	LogLevel slog.Level
	// DrainDelay is DRAIN_DELAY: how long /healthz reports draining before
	// the server stops accepting connections.
	DrainDelay time.Duration
	// ShutdownTimeout is SHUTDOWN_TIMEOUT: how long in-flight requests get
	// to finish after that.
	ShutdownTimeout time.Duration
}

// commonVars are the variables ParseConfig reads, in the order the messages
// name them.
var commonVars = []string{"PORT", "HOST", "LOG_LEVEL", "DRAIN_DELAY", "SHUTDOWN_TIMEOUT"}

// DefaultConfig is the configuration of an empty environment.
func DefaultConfig() Config {
	return Config{
		Port:            8080,
		LogLevel:        slog.LevelInfo,
		DrainDelay:      5 * time.Second,
		ShutdownTimeout: 10 * time.Second,
	}
}

// ParseConfig reads the common variables through getenv. Unset or empty
// variables keep their defaults; a set but malformed one is an error rather
// than a silent zero, because a task that starts with PORT=0 or no drain
// delay fails in ways that are much harder to trace than a refusal to start.
//
// It returns every problem rather than the first, and as a slice, so that a
// service can append the errors of its own variables and report them all
// together with [ConfigError]: a broken task definition then needs one fix.
// Each error names the variable, quotes the value and gives a good example.
func ParseConfig(getenv func(string) string) (Config, []error) {
	cfg := DefaultConfig()
	var errs []error

	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("PORT=%q is not a valid port: use a number from 1 to 65535, e.g. PORT=8080", v))
		} else {
			cfg.Port = p
		}
	}

	if v := getenv("HOST"); v != "" {
		if _, err := netip.ParseAddr(v); err != nil {
			errs = append(errs, fmt.Errorf("HOST=%q is not a valid IP address: use an IP literal, e.g. HOST=127.0.0.1, or leave it unset to listen on all interfaces", v))
		} else {
			cfg.Host = v
		}
	}

	if v := getenv("LOG_LEVEL"); v != "" {
		switch strings.ToLower(v) {
		case "debug":
			cfg.LogLevel = slog.LevelDebug
		case "info":
			cfg.LogLevel = slog.LevelInfo
		case "warn":
			cfg.LogLevel = slog.LevelWarn
		case "error":
			cfg.LogLevel = slog.LevelError
		default:
			errs = append(errs, fmt.Errorf("LOG_LEVEL=%q is not a valid log level: use debug, info, warn or error, e.g. LOG_LEVEL=info", v))
		}
	}

	if v := getenv("DRAIN_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("DRAIN_DELAY=%q is not a valid drain delay: use a Go duration of 0s or more, e.g. DRAIN_DELAY=5s", v))
		} else {
			cfg.DrainDelay = d
		}
	}

	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT=%q is not a valid shutdown timeout: use a Go duration greater than 0, e.g. SHUTDOWN_TIMEOUT=10s", v))
		} else {
			cfg.ShutdownTimeout = d
		}
	}

	return cfg, errs
}

// ConfigError is the one error that reports every problem in errs, or nil
// if there are none.
func ConfigError(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
}

// RejectArgs returns an error if the command line (args, with the program
// name first) has any arguments. Services are configured only through the
// environment, as a task definition sets it, so an argument is a mistake;
// the error names the variables to use instead: the common ones, then
// moreVars.
func RejectArgs(args []string, moreVars ...string) error {
	if len(args) <= 1 {
		return nil
	}
	vars := append(append([]string(nil), commonVars...), moreVars...)
	list := strings.Join(vars[:len(vars)-1], ", ") + " and " + vars[len(vars)-1]
	return fmt.Errorf("%s takes no arguments (got %q): configure it with the %s environment variables", args[0], args[1:], list)
}

// NewLogger is the service's logger: JSON lines on w (stderr in
// production) at c.LogLevel, so every service's log records have the same
// structure and can be queried the same way.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.LogLevel}))
}
