package servekit

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Query parses a request's query string, refusing what it can't read
// rather than dropping it as r.URL.Query does: a parameter that is not
// valid percent-encoding, or separated by ';' (which net/url no longer
// accepts), is an error naming it, for the service to answer 400.
func Query(r *http.Request) (url.Values, error) {
	values := url.Values{}
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, keyErr := url.QueryUnescape(rawKey)
		if keyErr != nil {
			key = rawKey
		}
		if strings.Contains(part, ";") {
			return nil, fmt.Errorf("query parameter %q: separate parameters with &, not ;", key)
		}
		value, valueErr := url.QueryUnescape(rawValue)
		if keyErr != nil || valueErr != nil {
			return nil, fmt.Errorf("query parameter %q is not valid percent-encoding (%q)", key, part)
		}
		values.Add(key, value)
	}
	return values, nil
}
