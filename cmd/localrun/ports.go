package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
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

// freePort picks a free loopback port below the kernel's ephemeral range.
// The kernel hands ports of that range to any outgoing connection (the
// gateway's own, a browser's, a test's), and a service can't bind a port an
// open connection holds, so a port picked there could be gone by the time
// the service starts, which takes a build, or restarts. Below the range only
// another listener can take it.
func freePort() (int, error) {
	const lowest = 10000 // clear of well-known and commonly configured ports
	first := ephemeralPortsFrom()
	for attempt := 0; first > lowest && attempt < 64; attempt++ {
		port := lowest + rand.IntN(first-lowest)
		ln, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
		if err != nil {
			continue // taken: try another
		}
		if err := ln.Close(); err != nil {
			return 0, fmt.Errorf("releasing free port %d: %w", port, err)
		}
		return port, nil
	}
	// No room below the range: let the kernel choose.
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

// ephemeralPortsFrom is the first port of the kernel's ephemeral range:
// Linux says it in /proc (32768 by default); the BSDs, macOS and Windows
// use IANA's 49152.
func ephemeralPortsFrom() int {
	if runtime.GOOS != "linux" {
		return 49152
	}
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 32768
	}
	first, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return first
}
