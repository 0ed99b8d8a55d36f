package localgw

import (
	"io"
	"log"
	"net/http"
	"sync"
	"time"
)

// discardLogger silences ReverseProxy's error log.
var discardLogger = log.New(io.Discard, "", 0)

// recorder wraps the client's ResponseWriter to see what the access log
// needs: the status, the body length, and when the backend's response
// headers arrived (the integration latency). Recorders are pooled, as one is
// needed per request.
type recorder struct {
	http.ResponseWriter
	now func() time.Time

	status      int
	bytes       int64
	wroteHeader bool

	integrated         bool // the request reached the proxy
	integrationStart   time.Time
	integrationLatency time.Duration
	integrationErr     string
}

var recorders = sync.Pool{New: func() any { return new(recorder) }}

func (r *recorder) reset(w http.ResponseWriter, now func() time.Time) {
	*r = recorder{ResponseWriter: w, now: now}
}

func (r *recorder) WriteHeader(code int) {
	// 1xx informational responses (other than 101) precede the real one.
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		r.ResponseWriter.WriteHeader(code)
		return
	}
	if !r.wroteHeader {
		r.wroteHeader = true
		r.status = code
		if r.integrated && r.integrationErr == "" {
			r.integrationLatency = r.now().Sub(r.integrationStart)
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush lets a streamed response (server-sent events, chunked bodies) go
// out as the backend sends it.
func (r *recorder) Flush() {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController, which ReverseProxy uses, the
// underlying writer (for hijacking an upgraded connection, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
