package main

import (
	"net/http"
	"testing"

	"github.com/private-apis/private-apis/apps/servekit"
)

// TestHTTPServerTimeouts checks the one thing about servekit's server that
// is todo's business: every store call is bounded well inside its write
// timeout, so a request whose store call times out still gets its 503
// before the write deadline cuts the connection.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := servekit.NewHTTPServer(http.NotFoundHandler(), discardLogger())
	if srv.WriteTimeout <= dynamoTimeout {
		t.Errorf("WriteTimeout %s <= store timeout %s", srv.WriteTimeout, dynamoTimeout)
	}
}
