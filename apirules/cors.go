package apirules

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// KeyCORS is the consumer's CORS config key.
const KeyCORS = "cors"

// CORS is the API's cross-origin resource sharing: which web pages may call
// it from a browser. API Gateway answers preflight requests itself and adds
// the headers to every response; the local gateway does the same. The zero
// value (no AllowOrigins) turns CORS off.
type CORS struct {
	// AllowOrigins are full origins, https://app.example.com[:port], or
	// "*" for any origin (not with AllowCredentials).
	AllowOrigins []string `json:"allowOrigins" yaml:"allowOrigins"`
	// AllowMethods default to the methods of the API's routes.
	AllowMethods []string `json:"allowMethods" yaml:"allowMethods"`
	// AllowHeaders a browser may send; default authorization and
	// content-type, which a JSON API with tokens needs.
	AllowHeaders []string `json:"allowHeaders" yaml:"allowHeaders"`
	// ExposeHeaders a page may read beyond the simple ones, e.g.
	// x-next-cursor.
	ExposeHeaders []string `json:"exposeHeaders" yaml:"exposeHeaders"`
	// MaxAge is how long, in seconds, a browser may cache a preflight
	// answer: 0 to 86400.
	MaxAge int `json:"maxAge" yaml:"maxAge"`
	// AllowCredentials lets pages send cookies and authorization headers
	// they hold for the API.
	AllowCredentials bool `json:"allowCredentials" yaml:"allowCredentials"`
}

// Enabled reports whether any origin may call the API.
func (c CORS) Enabled() bool { return len(c.AllowOrigins) > 0 }

// defaultAllowHeaders are the request headers a JSON API with tokens needs.
var defaultAllowHeaders = []string{"authorization", "content-type"}

// WithDefaults fills what is left out: the methods of routes (ANY routes
// allow every method) and the default headers.
func (c CORS) WithDefaults(routes []string) CORS {
	if !c.Enabled() {
		return c
	}
	if len(c.AllowMethods) == 0 {
		for _, r := range routes {
			method, _, _ := strings.Cut(r, " ")
			if method == "ANY" {
				// A browser reads "*" literally on a request with
				// credentials, so those get every method by name.
				c.AllowMethods = []string{"*"}
				if c.AllowCredentials {
					c.AllowMethods = slices.Clone(corsMethods[1:])
				}
				break
			}
			if !slices.Contains(c.AllowMethods, method) {
				c.AllowMethods = append(c.AllowMethods, method)
			}
		}
		slices.Sort(c.AllowMethods)
	}
	if len(c.AllowHeaders) == 0 {
		c.AllowHeaders = defaultAllowHeaders
	}
	return c
}

// AllowsOrigin reports whether a request from origin may read the answer,
// and the Access-Control-Allow-Origin value to send it.
func (c CORS) AllowsOrigin(origin string) (string, bool) {
	if origin == "" || !c.Enabled() {
		return "", false
	}
	if slices.Contains(c.AllowOrigins, "*") {
		return "*", true
	}
	for _, o := range c.AllowOrigins {
		if strings.EqualFold(o, origin) {
			return origin, true
		}
	}
	return "", false
}

var (
	headerToken   = regexp.MustCompile(`^[!#$%&'*+.^_` + "`" + `|~0-9A-Za-z-]+$`)
	corsMethods   = []string{"*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	hostPattern   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
	maxCORSMaxAge = 86400
)

// Problems lists every part of the CORS config API Gateway would refuse or
// browsers would not honour, each saying what would be right.
func (c CORS) Problems() []string {
	var out []string
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if len(c.AllowOrigins) > 1 {
				out = append(out, `allowOrigins: "*" already allows every origin; list origins or "*" alone`)
			}
			if c.AllowCredentials {
				out = append(out, `allowOrigins: "*" with allowCredentials: browsers refuse credentials for any origin; list the origins, e.g. https://app.example.com`)
			}
			continue
		}
		u, err := url.Parse(o)
		switch {
		case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil:
			out = append(out, fmt.Sprintf("allowOrigins: %q is not an https origin; use e.g. https://app.example.com", o))
		case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "/"):
			out = append(out, fmt.Sprintf("allowOrigins: %q has a path; an origin is scheme, host and port only, e.g. %s", o, u.Scheme+"://"+u.Host))
		case !hostPattern.MatchString(u.Hostname()):
			out = append(out, fmt.Sprintf("allowOrigins: %q: %q is not a lower-case host name", o, u.Hostname()))
		case u.Port() == "443":
			out = append(out, fmt.Sprintf("allowOrigins: %q: browsers send an origin without its default port, so this one never matches; use %s", o, "https://"+u.Hostname()))
		}
	}
	if !c.Enabled() && (len(c.AllowMethods) > 0 || len(c.AllowHeaders) > 0 || len(c.ExposeHeaders) > 0 || c.MaxAge != 0 || c.AllowCredentials) {
		out = append(out, "allowOrigins is empty, so CORS is off and the rest does nothing: list the origins of the pages that call the API")
	}
	for _, m := range c.AllowMethods {
		if !slices.Contains(corsMethods, m) {
			out = append(out, fmt.Sprintf("allowMethods: %q is not one of %v", m, corsMethods))
		}
	}
	for field, values := range map[string][]string{"allowMethods": c.AllowMethods, "allowHeaders": c.AllowHeaders, "exposeHeaders": c.ExposeHeaders} {
		for _, v := range values {
			switch {
			case v == "*" && c.AllowCredentials:
				out = append(out, fmt.Sprintf(`%s: "*" with allowCredentials: browsers read it literally on requests with credentials; list them`, field))
			case field != "allowMethods" && v != "*" && !headerToken.MatchString(v):
				out = append(out, fmt.Sprintf("%s: %q is not a header name", field, v))
			}
		}
	}
	if c.MaxAge < 0 || c.MaxAge > maxCORSMaxAge {
		out = append(out, fmt.Sprintf("maxAge: %d must be 0 to %d seconds", c.MaxAge, maxCORSMaxAge))
	}
	slices.Sort(out)
	return out
}

// ReceivesPreflight reports whether API Gateway hands a browser's CORS
// preflight (an OPTIONS request) to the route's integration instead of
// answering it from the CORS config: an OPTIONS or ANY route matches the
// preflight itself. Behind a JWT authorizer such a route refuses every
// preflight, which carries no token.
func ReceivesPreflight(routeKey string) bool {
	method, _, _ := strings.Cut(routeKey, " ")
	return method == "ANY" || method == "OPTIONS"
}
