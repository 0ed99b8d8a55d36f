package main

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/private-apis/private-apis/cmd/localrun/localgw"
)

// printBanner tells the user where everything is and how to try it: the
// blog's curl examples, against the local gateway.
func printBanner(w io.Writer, t *topology, opts options) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nprivate-apis is running locally (no AWS):\n\n")
	apiType := "HTTP"
	if opts.REST != nil {
		apiType = "REST"
	}
	fmt.Fprintf(&b, "  gateway   %s   stand-in for the consumer's %s API\n", t.gatewayURL, apiType)
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
	switch {
	case opts.REST != nil:
		writeREST(&b, t, opts)
	case opts.JWT != nil:
		writeAuthorization(&b, t, opts)
	default:
		writeTryIt(&b, t)
	}
	_, _ = io.WriteString(w, b.String()) // nothing useful to do if the terminal is gone
}

// writeTryIt is the blog's calls, with every route open.
func writeTryIt(b *strings.Builder, t *topology) {
	fmt.Fprintf(b, `
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
}

// writeAuthorization finishes the banner of a run with JWT authorization
// on: which routes need a token, where the keys come from, and the blog's
// calls with a token from make token.
func writeAuthorization(b *strings.Builder, t *topology, opts options) {
	var open, token, scoped []string
	var scopes []string
	for _, s := range t.services {
		for _, route := range s.contract.Routes {
			switch needs, sc := opts.JWT.Route(route); {
			case !needs:
				open = append(open, route)
			case len(sc) == 0:
				token = append(token, route)
			default:
				scoped, scopes = append(scoped, route), sc
			}
		}
	}
	keys := "the local signing key in " + filepath.Join(opts.LocalDir, signingKeyFile) + " (make token signs with it)"
	if opts.JWTKeysFrom == jwtKeysRemote {
		keys = "the issuer's published keys (OpenID discovery); get tokens from the issuer"
	}
	fmt.Fprintf(b, "  JWT       tokens of %s for %s, checked against %s\n", opts.JWT.Issuer, strings.Join(opts.JWT.Audiences, " or "), keys)
	fmt.Fprintf(b, "            open: %s\n", listOrNone(open))
	fmt.Fprintf(b, "            a token: %s\n", listOrNone(token))
	if len(scoped) > 0 {
		fmt.Fprintf(b, "            a token with %s: %s\n", strings.Join(scopes, " or "), strings.Join(scoped, ", "))
	}
	fmt.Fprintf(b, "\nTry it:\n\n  URL=%s\n%s", t.gatewayURL, tokenLine(opts, scopes))
	writeBlogCalls(b, func(route string) string {
		if needs, _ := opts.JWT.Route(route); needs {
			return `-H "Authorization: Bearer $TOKEN" `
		}
		return ""
	}, `401 {"message":"Unauthorized"}`)
}

// writeBlogCalls writes the blog's three calls, each with the options
// credentials gives its route (none on an open one), then a read (or the
// first call) that needs them without them, answered refused, and how the
// logs follow.
func writeBlogCalls(b *strings.Builder, credentials func(route string) string, refused string) {
	var bare string
	for _, call := range []struct{ route, curl string }{
		{"GET /dogs", "$URL/dogs"},
		{"POST /todo", `-d data="Write new AWS blog post" $URL/todo`},
		{"GET /todo", "$URL/todo"},
	} {
		opt := credentials(call.route)
		if opt != "" && (bare == "" || strings.HasPrefix(call.route, "GET ")) {
			bare = call.curl // a read, if there is one, to show the refusal
		}
		fmt.Fprintf(b, "  curl -s %s%s\n", opt, call.curl)
	}
	if bare != "" {
		fmt.Fprintf(b, "  curl -s %s    # %s\n", bare, refused)
	}
	b.WriteString("\nAccess log lines (JSON) follow on stdout, service logs on stderr. Ctrl-C stops everything.\n\n")
}

// tokenLine says how to get a token: from make token, or with remote keys
// from the issuer itself (make token's would be refused).
func tokenLine(opts options, scopes []string) string {
	if opts.JWTKeysFrom == jwtKeysRemote {
		with := ""
		if len(scopes) > 0 {
			with = " with " + strings.Join(scopes, " or ")
		}
		return fmt.Sprintf("  TOKEN=<an access token from %s for %s%s>\n", opts.JWT.Issuer, opts.JWT.Audiences[0], with)
	}
	scope := ""
	if len(scopes) > 0 {
		scope = " SCOPE=" + scopes[0]
	}
	return fmt.Sprintf("  TOKEN=$(make -s token SUB=alice%s)\n", scope)
}

func listOrNone(routes []string) string {
	if len(routes) == 0 {
		return "none"
	}
	return strings.Join(routes, ", ")
}
