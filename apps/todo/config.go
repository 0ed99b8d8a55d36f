package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// config is everything the service reads from its environment.
type config struct {
	Port            int
	Host            string
	LogLevel        slog.Level
	DrainDelay      time.Duration
	ShutdownTimeout time.Duration

	// TableName selects the DynamoDB store; empty means the bolt store
	// under DataDir.
	TableName string
	// Region overrides the AWS SDK's own region lookup when set.
	Region string
	// DynamoDBEndpoint replaces the regional endpoint, for a local
	// DynamoDB-compatible server such as dynalite.
	DynamoDBEndpoint string
	DataDir          string
}

func defaultConfig() config {
	return config{
		Port:            8080,
		LogLevel:        slog.LevelInfo,
		DrainDelay:      5 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		DataDir:         "./data",
	}
}

var (
	// DynamoDB's own rule for table names.
	tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	// us-west-2, eu-central-1, us-gov-west-1, cn-north-1, ...
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// parseConfig reads the environment through getenv. Unset or empty variables
// keep their defaults; a set but malformed one is an error rather than a
// silent zero, because a task that starts with PORT=0 or no drain delay fails
// in ways that are much harder to trace than a refusal to start. Every bad
// variable is reported at once so a broken configuration needs one fix.
func parseConfig(getenv func(string) string) (config, error) {
	cfg := defaultConfig()
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

	if v := getenv("TABLE_NAME"); v != "" {
		if !tableNameRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("TABLE_NAME=%q is not a valid DynamoDB table name: use 3 to 255 characters of A-Z, a-z, 0-9, '_', '-' and '.', e.g. TABLE_NAME=todo, or leave it unset to use the local store in DATA_DIR", v))
		} else {
			cfg.TableName = v
		}
	}

	if v := getenv("AWS_REGION"); v != "" {
		if !regionRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("AWS_REGION=%q is not a valid AWS region: use a region code, e.g. AWS_REGION=us-west-2", v))
		} else {
			cfg.Region = v
		}
	}

	if v := getenv("DYNAMODB_ENDPOINT"); v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("DYNAMODB_ENDPOINT=%q is not a valid endpoint: use an http or https URL, e.g. DYNAMODB_ENDPOINT=http://127.0.0.1:4567, or leave it unset to use the regional DynamoDB endpoint", v))
		case getenv("TABLE_NAME") == "":
			// Almost certainly a deployment that meant to use DynamoDB
			// and would otherwise quietly write to local disk.
			errs = append(errs, fmt.Errorf("DYNAMODB_ENDPOINT=%q is set but TABLE_NAME is not: set the table too, e.g. TABLE_NAME=todo, or unset DYNAMODB_ENDPOINT to use the local store in DATA_DIR", v))
		default:
			cfg.DynamoDBEndpoint = v
		}
	}

	if v := getenv("DATA_DIR"); v != "" {
		cfg.DataDir = v
	}

	if len(errs) > 0 {
		return config{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return cfg, nil
}
