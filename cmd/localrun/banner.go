package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/private-apis/private-apis/cmd/localrun/localgw"
)

// printBanner tells the user where everything is and how to try it: the
// blog's curl examples, against the local gateway.
func printBanner(w io.Writer, t *topology, opts options) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nprivate-apis is running locally (no AWS):\n\n")
	fmt.Fprintf(&b, "  gateway   %s   stand-in for the consumer's HTTP API\n", t.gatewayURL)
	for _, s := range t.services {
		fmt.Fprintf(&b, "  %-9s %s  routes %s", s.contract.Name, "http://"+s.addr(), strings.Join(s.contract.Routes, ", "))
		if s.contract.Name == "todo" {
			fmt.Fprintf(&b, "; data in %s", s.dataDir)
		}
		b.WriteString("\n")
	}
	th := opts.Throttling
	fmt.Fprintf(&b, "  throttling %d req/s, burst %d; writes %d req/s, burst %d", th.RateLimit, th.BurstLimit, th.WriteRateLimit, th.WriteBurstLimit)
	for _, key := range slices.Sorted(maps.Keys(th.Routes)) {
		fmt.Fprintf(&b, "; %s %d req/s, burst %d", key, th.Routes[key].RateLimit, th.Routes[key].BurstLimit)
	}
	fmt.Fprintf(&b, " (each route on its own, from %s, defaults from %s)\n", localgw.ConsumerFile, localgw.ProjectFile)
	if opts.CORS.Enabled() {
		fmt.Fprintf(&b, "  CORS      pages on %s may call it (from %s)\n", strings.Join(opts.CORS.AllowOrigins, ", "), localgw.ConsumerFile)
	}
	fmt.Fprintf(&b, `
Try it:

  URL=%s
  curl -s $URL/dogs
  curl -s $URL/dogs/males
  curl -s $URL/dogs/females
  curl -s -d data="Write new AWS blog post" $URL/todo
  curl -s $URL/todo
  curl -s $URL/todo/<id>
  curl -s -X DELETE $URL/todo/<id>

Access log lines (JSON) follow on stdout, service logs on stderr. Ctrl-C stops everything.

`, t.gatewayURL)
	_, _ = io.WriteString(w, b.String()) // nothing useful to do if the terminal is gone
}
