// Command relay copies bytes between each client connection and a new
// connection to a target, and does nothing else: no parsing, no routing, no
// logging. It is not part of the system: it is the floor that
// `make bench-gateway` (cmd/localrun/loadtest.sh) measures the gateway
// against, showing what any proxy, however little it does, costs on the
// same machine next to the service behind it.
//
// Usage: relay LISTEN_ADDR TARGET_ADDR, e.g. relay 127.0.0.1:18283 127.0.0.1:18281
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("want LISTEN_ADDR TARGET_ADDR, got %q", args)
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	fmt.Fprintf(stderr, "relay: %s -> %s\n", ln.Addr(), args[1])
	return serve(ctx, ln, args[1])
}

// serve relays every connection accepted on ln to target until ctx ends,
// then closes ln and every relayed connection.
func serve(ctx context.Context, ln net.Listener, target string) error {
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accepting: %w", err)
		}
		wg.Go(func() { relay(ctx, c, target) })
	}
}

// relay pumps both directions with plain buffers: on small messages,
// splice (what io.Copy between TCP connections uses) costs more system
// calls than it saves.
func relay(ctx context.Context, c net.Conn, target string) {
	defer c.Close()
	var d net.Dialer
	u, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return
	}
	defer u.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close(); _ = u.Close() })
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pump(u, c)
		if tc, ok := u.(*net.TCPConn); ok {
			_ = tc.CloseWrite() // the client is done sending
		}
	}()
	pump(c, u)
	_ = c.Close()
	<-done
}

func pump(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = dst.Close()
			}
			return
		}
	}
}
