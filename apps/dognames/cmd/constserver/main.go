// Command constserver answers every request with the same small JSON body.
// It is not part of the service: it is the baseline that dognames is
// load-tested against (see scripts/loadtest.sh), showing how fast a bare
// net/http server with the same settings can go on the same machine.
package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/private-apis/private-apis/apps/servekit"
)

var body = []byte(`{"Name":"Rex","Gender":"male"}` + "\n")

func main() {
	port := 8081
	if v := os.Getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			fmt.Fprintf(os.Stderr, "PORT=%q is not a valid port: use a number from 1 to 65535, e.g. PORT=8081\n", v)
			os.Exit(1)
		}
		port = p
	}
	addr := net.JoinHostPort(os.Getenv("HOST"), strconv.Itoa(port))
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	// dognames' own server settings (servekit.NewHTTPServer), so a load
	// comparison measures the handlers and not the server configuration.
	srv := servekit.NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}), logger)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error(err.Error())
		os.Exit(1)
	}
	logger.Info("constserver listening on " + addr)
	logger.Error(srv.Serve(ln).Error())
	os.Exit(1)
}
