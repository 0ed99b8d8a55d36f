package localgw

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// requestTimeLayout is $context.requestTime's format (CLF), in UTC.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// accessLog writes one JSON line per request, as the deployed stage's
// format (json.Marshal of apirules.AccessLogFields, or a REST API's
// apirules.RESTAccessLogFields) does: the same keys, every value a string,
// "-" when empty.
type accessLog struct {
	mu  sync.Mutex
	enc *json.Encoder // nil: no log
	err error         // the first write error, reported by close
	// rest logs apirules.RESTAccessLogFields, a REST API's.
	rest bool
}

func newAccessLog(w io.Writer, rest bool) *accessLog {
	l := &accessLog{rest: rest}
	if w != nil {
		l.enc = json.NewEncoder(w)
	}
	return l
}

func (l *accessLog) write(x *exchange, r *http.Request, rec *recorder, end time.Time) {
	if l.enc == nil {
		return
	}
	line := logFields(x, r, rec, end)
	if l.rest {
		// The key's id, never the key; WAF is not reproduced, so it has no
		// verdict, as a stage without a web ACL logs none.
		line["apiKeyId"], line["wafResponseCode"] = orDash(x.apiKeyID), "-"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.enc.Encode(line); err != nil && l.err == nil {
		l.err = err
	}
}

// logFields fills each field of apirules.AccessLogFields from what the
// request went through.
func logFields(x *exchange, r *http.Request, rec *recorder, end time.Time) map[string]string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	f := map[string]string{
		"requestId":          x.id,
		"requestTime":        x.start.UTC().Format(requestTimeLayout),
		"ip":                 ip,
		"httpMethod":         r.Method,
		"path":               r.URL.Path,
		"routeKey":           "",
		"status":             strconv.Itoa(rec.status),
		"protocol":           r.Proto,
		"responseLength":     strconv.FormatInt(rec.written, 10),
		"responseLatency":    strconv.FormatInt(end.Sub(x.start).Milliseconds(), 10),
		"integrationLatency": "",
		"integrationStatus":  "",
		"integrationError":   x.integrationError,
		"authorizerError":    x.authorizerError,
		"userAgent":          r.UserAgent(),
	}
	if x.route != nil {
		f["routeKey"] = x.route.Key
	}
	if rec.status == 0 {
		f["status"] = "" // the client went away before an answer
	}
	if x.integrationLatency >= 0 {
		f["integrationLatency"] = strconv.FormatInt(x.integrationLatency.Milliseconds(), 10)
	}
	if x.integrationStatus != 0 {
		f["integrationStatus"] = strconv.Itoa(x.integrationStatus)
	}
	for k, v := range f {
		f[k] = orDash(v)
	}
	return f
}

// orDash is what the deployed log format shows for an empty value.
func orDash(v string) string {
	if v == "" {
		return "-"
	}
	return v
}

// close reports the first write error, so a full disk is not silent;
// lines after it are dropped.
func (l *accessLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	enc := l.enc
	l.enc = nil
	if enc != nil && l.err != nil {
		return fmt.Errorf("writing the access log: %w", l.err)
	}
	return nil
}
