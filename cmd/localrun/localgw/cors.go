package localgw

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/private-apis/private-apis/apirules"
)

// cors answers browsers as an HTTP API with a CORS configuration does:
// it answers preflights itself, unless a route (OPTIONS or ANY) matches the
// preflight, which then goes to that route's integration; and it puts its
// own CORS headers on integrations' responses in place of any the backend
// sent, which API Gateway ignores once CORS is configured.
type cors struct {
	config apirules.CORS
	// The configured lists as header values.
	methods, headers, expose, maxAge string
}

func newCORS(c apirules.CORS) *cors {
	if !c.Enabled() {
		return nil
	}
	out := &cors{
		config:  c,
		methods: strings.Join(c.AllowMethods, ","),
		headers: strings.Join(c.AllowHeaders, ","),
		expose:  strings.Join(c.ExposeHeaders, ","),
	}
	if c.MaxAge > 0 {
		out.maxAge = strconv.Itoa(c.MaxAge)
	}
	return out
}

// isPreflight reports whether r is a browser's CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers a preflight: 204, with the allowed methods and headers
// when the origin is allowed, and without any CORS header (which the
// browser reads as a refusal) when it is not.
func (c *cors) preflight(w http.ResponseWriter, r *http.Request) {
	if allow, ok := c.config.AllowsOrigin(r.Header.Get("Origin")); ok {
		h := w.Header()
		c.grant(h, allow)
		h.Set("Access-Control-Allow-Methods", c.methods)
		h.Set("Access-Control-Allow-Headers", c.headers)
		if c.maxAge != "" {
			h.Set("Access-Control-Max-Age", c.maxAge)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// grant sets what every answer to an allowed origin carries: the origin
// (or "*") and credentials; an answer that names the origin varies by it.
func (c *cors) grant(h http.Header, allow string) {
	h.Set("Access-Control-Allow-Origin", allow)
	if c.config.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
}

// onResponse replaces a backend response's CORS headers with the API's.
func (c *cors) onResponse(origin string, h http.Header) {
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(h, name)
		}
	}
	allow, ok := c.config.AllowsOrigin(origin)
	if !ok {
		return
	}
	c.grant(h, allow)
	if c.expose != "" {
		h.Set("Access-Control-Expose-Headers", c.expose)
	}
}
