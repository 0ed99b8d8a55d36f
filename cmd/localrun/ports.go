package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// loopback is the only address anything local listens on: nothing started
// here is reachable from the network.
const loopback = "127.0.0.1"

// gatewayPortHint says how to pick another gateway port.
func gatewayPortHint(port int) string {
	return fmt.Sprintf("run make run PORT=%d (or localrun -port %d)", port+1, port+1)
}

// servicePortHint says how to pick another port for a service.
func servicePortHint(name string) func(int) string {
	return func(int) string {
		return fmt.Sprintf("pass -%s-port with another port, or 0 for a free one", name)
	}
}

// listenLoopback listens on 127.0.0.1:port (0 for a free port) and turns
// "address already in use" into a message that names the port and says
// what to do.
func listenLoopback(port int, hint func(int) string) (net.Listener, error) {
	addr := net.JoinHostPort(loopback, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("port %d is already in use: stop what is using it or %s", port, hint(port))
	}
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// checkPortFree fails, naming the port, if something already listens on it,
// before a service is started there and fails less clearly.
func checkPortFree(port int, hint func(int) string) error {
	ln, err := listenLoopback(port, hint)
	if err != nil {
		return err
	}
	if err := ln.Close(); err != nil {
		return fmt.Errorf("releasing port %d after checking it: %w", port, err)
	}
	return nil
}

// freePort asks the kernel for a free loopback port. Another program could
// take it before the service binds it; the service then fails to start
// with its own "address already in use" error.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("releasing free port %d: %w", port, err)
	}
	return port, nil
}
