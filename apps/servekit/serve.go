package servekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Main runs a service's run function with the process's arguments,
// environment and stderr, and a context that is cancelled on SIGTERM (how
// ECS and docker stop end a container) or os.Interrupt (Ctrl-C when run
// locally). If run fails, Main prints the error to stderr and exits with
// status 1.
//
// run is main without the process globals, so tests can drive the whole
// program with their own context, environment and log sink.
func Main(run func(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Listen opens the TCP listener for cfg.Host and cfg.Port. It is separate
// from [Serve] so that a service can fail on a port that is in use before
// it starts anything, and so that tests can serve on a listener of their
// own. The error names the address, which is what needs fixing.
func Listen(cfg Config) (net.Listener, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

// NewHTTPServer is the production http.Server around h. Benchmarks use it
// too, so what they measure is what runs.
func NewHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler: h,
		// Bounds on slow or stuck clients, so they cannot hold connections
		// and goroutines open indefinitely.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		// Longer than the AWS load balancer's 60 s idle timeout, so the
		// load balancer always closes an idle keep-alive connection first.
		// If the backend closed it, the load balancer could pick it for a
		// new request at that same moment and the client would get a reset.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 16 << 10,
		// net/http reports connection-level problems through a *log.Logger;
		// bridge them into the JSON log stream rather than lose them in
		// unstructured stderr lines.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}
}

// Serve runs h on ln until ctx is done, then shuts down in the order a load
// balancer needs: report unhealthy through health, keep serving for
// cfg.DrainDelay while the load balancer notices and stops sending traffic,
// then stop accepting and give in-flight requests up to cfg.ShutdownTimeout
// to finish. After a clean shutdown it returns nil and no handler is
// running any more, so the caller can then close whatever the handlers use
// (a store, say).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, health *Health, cfg Config, logger *slog.Logger) error {
	srv := NewHTTPServer(h, logger)
	addr := ln.Addr().String()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", slog.String("addr", addr))

	select {
	case err := <-serveErr:
		return fmt.Errorf("serving on %s: %w", addr, err)
	case <-ctx.Done():
	}

	health.StartDraining()
	// Ask keep-alive clients to reconnect: a network load balancer passes
	// connections straight through, so only a new connection can be sent to
	// a healthy task or instance.
	srv.SetKeepAlivesEnabled(false)
	logger.Info("shutting down: draining",
		slog.Duration("drain_delay", cfg.DrainDelay),
		slog.Duration("shutdown_timeout", cfg.ShutdownTimeout))

	drain := time.NewTimer(cfg.DrainDelay)
	defer drain.Stop()
	select {
	case <-drain.C:
	case err := <-serveErr:
		// Nothing is being served any more, so there is nothing to drain.
		return fmt.Errorf("serving on %s: %w", addr, err)
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Whatever is still running is cut off now; the process is exiting.
		_ = srv.Close()
		return fmt.Errorf("shutting down server on %s: in-flight requests did not finish within SHUTDOWN_TIMEOUT=%s: %w", addr, cfg.ShutdownTimeout, err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", addr, err)
	}
	logger.Info("server stopped")
	return nil
}
