package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// newHTTPServer is the production http.Server around h.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
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

// serve runs h on ln until ctx is done, then shuts down in the order a load
// balancer needs: report unhealthy, keep serving for cfg.DrainDelay while the
// load balancer notices and stops sending traffic, then stop accepting and
// give in-flight requests up to cfg.ShutdownTimeout to finish. It returns nil
// after a clean shutdown. The caller closes the store afterwards, once no
// handler can still be using it.
func serve(ctx context.Context, ln net.Listener, h http.Handler, health *Health, cfg config, logger *slog.Logger) error {
	srv := newHTTPServer(h, logger)
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
	// a healthy instance.
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
