package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	// ECS stops a task with SIGTERM; Ctrl-C sends os.Interrupt when run locally.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process globals, so tests can drive the whole
// program with their own context, environment and log sink.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("%s takes no arguments (got %q): configure it with the PORT, HOST, LOG_LEVEL, DRAIN_DELAY and SHUTDOWN_TIMEOUT environment variables", args[0], args[1:])
	}
	cfg, err := parseConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	health := &Health{}
	return serve(ctx, ln, NewServer(logger, health), health, cfg, logger)
}
