package main

import (
	"context"
	"io"

	"github.com/private-apis/private-apis/apps/servekit"
)

func main() { servekit.Main(run) }

// run is main without the process globals, so tests can drive the whole
// program with their own context, environment and log sink.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if err := servekit.RejectArgs(args); err != nil {
		return err
	}
	cfg, errs := servekit.ParseConfig(getenv)
	if err := servekit.ConfigError(errs); err != nil {
		return err
	}
	logger := cfg.NewLogger(stderr)
	ln, err := servekit.Listen(cfg)
	if err != nil {
		return err
	}
	health := &servekit.Health{}
	return servekit.Serve(ctx, ln, NewServer(logger, health), health, cfg, logger)
}
