package localgw

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/private-apis/private-apis/contract"
)

// requestTimeLayout is $context.requestTime's format (CLF), in UTC.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// flushDelay bounds how long a log line waits in the buffer: short enough
// to watch requests arrive, long enough that a busy gateway writes many
// lines per system call.
const flushDelay = 50 * time.Millisecond

// entry is one request as the access log reports it. Numbers stay numbers
// until they are written, so nothing is formatted twice.
type entry struct {
	requestID          string
	start              time.Time
	ip                 string
	method             string
	path               string
	routeKey           string // "" when unmatched
	status             int
	protocol           string
	responseLength     int64
	responseLatency    time.Duration
	integrationLatency time.Duration // < 0 when there was no integration call
	integrationStatus  int           // 0 when the backend did not answer
	integrationError   string
	userAgent          string
}

// appendEntry writes e as one JSON line in the deployed stage's shape: the
// format there is json.Marshal of contract.AccessLogFields, so keys are in
// sorted order and every value is a quoted string, "-" when empty, as API
// Gateway writes it. Latencies are whole milliseconds. It is hand-written
// because it runs on every request; accessLogMatchesContract checks it
// against the contract once at start-up.
func appendEntry(b []byte, e *entry) []byte {
	b = append(b, `{"authorizerError":"-","httpMethod":`...)
	b = appendString(b, e.method)
	b = append(b, `,"integrationError":`...)
	b = appendString(b, e.integrationError)
	b = append(b, `,"integrationLatency":`...)
	if e.integrationLatency < 0 {
		b = append(b, `"-"`...)
	} else {
		b = appendQuotedInt(b, e.integrationLatency.Milliseconds())
	}
	b = append(b, `,"integrationStatus":`...)
	if e.integrationStatus == 0 {
		b = append(b, `"-"`...)
	} else {
		b = appendQuotedInt(b, int64(e.integrationStatus))
	}
	b = append(b, `,"ip":`...)
	b = appendString(b, e.ip)
	b = append(b, `,"path":`...)
	b = appendString(b, e.path)
	b = append(b, `,"protocol":`...)
	b = appendString(b, e.protocol)
	b = append(b, `,"requestId":`...)
	b = appendString(b, e.requestID)
	b = append(b, `,"requestTime":"`...)
	b = e.start.UTC().AppendFormat(b, requestTimeLayout)
	b = append(b, `","responseLatency":`...)
	b = appendQuotedInt(b, e.responseLatency.Milliseconds())
	b = append(b, `,"responseLength":`...)
	b = appendQuotedInt(b, e.responseLength)
	b = append(b, `,"routeKey":`...)
	b = appendString(b, e.routeKey)
	b = append(b, `,"status":`...)
	b = appendQuotedInt(b, int64(e.status))
	b = append(b, `,"userAgent":`...)
	b = appendString(b, e.userAgent)
	return append(b, "}\n"...)
}

func appendQuotedInt(b []byte, n int64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, n, 10)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string, "-" when empty. Control
// characters, quotes and backslashes are escaped and invalid UTF-8 becomes
// U+FFFD, so a hostile path or user agent cannot break the line.
func appendString(b []byte, s string) []byte {
	if s == "" {
		return append(b, `"-"`...)
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// accessLogMatchesContract checks that appendEntry writes exactly the
// fields of contract.AccessLogFields, every one a string, so the local log
// cannot drift from the deployed one without the gateway refusing to
// start.
func accessLogMatchesContract() error {
	line := appendEntry(nil, &entry{start: time.Unix(0, 0), integrationLatency: -1})
	var fields map[string]any
	if err := json.Unmarshal(line, &fields); err != nil {
		return fmt.Errorf("access log line %q is not JSON: %w", line, err)
	}
	var got, want []string
	for k, v := range fields {
		if _, ok := v.(string); !ok {
			return fmt.Errorf("access log field %s is %T, want a string as in the deployed format", k, v)
		}
		got = append(got, k)
	}
	for k := range contract.AccessLogFields {
		want = append(want, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("access log fields %v do not match contract.AccessLogFields %v", got, want)
	}
	return nil
}

// accessLog writes lines through a buffer under a mutex, and flushes
// shortly after the first unflushed line, so a line costs a copy rather than
// a system call under load and still shows up at once when idle.
type accessLog struct {
	mu      sync.Mutex
	w       *bufio.Writer
	timer   *time.Timer
	pending bool
	closed  bool
	err     error // the first write error, reported by close
}

func newAccessLog(w io.Writer) *accessLog {
	l := &accessLog{w: bufio.NewWriterSize(w, 64<<10)}
	l.timer = time.AfterFunc(time.Hour, l.flush)
	l.timer.Stop()
	return l
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (l *accessLog) write(e *entry) {
	bp := linePool.Get().(*[]byte)
	line := appendEntry((*bp)[:0], e)
	l.mu.Lock()
	if !l.closed {
		if _, err := l.w.Write(line); err != nil && l.err == nil {
			l.err = err
		}
		if !l.pending {
			l.pending = true
			l.timer.Reset(flushDelay)
		}
	}
	l.mu.Unlock()
	*bp = line
	linePool.Put(bp)
}

func (l *accessLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = false
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
}

// close flushes what is buffered; later lines are dropped. It returns the
// first write error, so a full disk is not silent.
func (l *accessLog) close() error {
	l.timer.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
	if l.err != nil {
		return fmt.Errorf("writing the access log: %w", l.err)
	}
	return nil
}
