package localgw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"

	"golang.org/x/net/http/httpguts"

	"github.com/private-apis/private-apis/apirules"
)

// rewrite is the integration's request: the route's backend, on the
// decoded path the route was matched on (a client can't route by one path
// and reach another), with the user header removed and the backend header
// set, as the deployed integration's request parameters do.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest) {
	x := exchangeOf(pr.In.Context())
	pr.SetURL(x.route.target)
	pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, ""
	// ReverseProxy drops query parameters it can't parse; API Gateway
	// passes the query on, and a service answers 400 for what it can't read.
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery
	pr.SetXForwarded()
	// As the deployed integrations do: the authorized one sets the user
	// from the token's subject (a REST API's, from the API key's id, or
	// 'anonymous' where no key is asked for), the anonymous one removes
	// it, so no client chooses the user id a backend trusts.
	pr.Out.Header.Del(apirules.UserHeader)
	if g.rest != nil {
		// The deployed REST integration maps x-api-key to the static '-',
		// so a backend never gets a client's key, yet always the header.
		pr.Out.Header.Set(apirules.APIKeyHeader, restAPIKeyStandIn)
	}
	if x.user != "" {
		pr.Out.Header.Set(apirules.UserHeader, x.user)
	}
	pr.Out.Header.Set(apirules.BackendHeader, x.route.Backend)
	x.sent = g.now()
}

var errResponseTooLarge = fmt.Errorf("the integration's response is over the %d-byte payload limit", maxPayloadBytes)

// bufferResponse reads the backend's whole response before any of it is
// sent, as API Gateway does (HTTP APIs don't stream): a backend that stalls
// mid-body is a timeout, never half a response. A header that is not valid
// HTTP makes the response malformed, as the consumer's load balancer judges
// it.
func (g *Gateway) bufferResponse(resp *http.Response) error {
	x := exchangeOf(resp.Request.Context())
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPayloadBytes+1))
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reading the response body: %w", err)
	}
	if len(body) > maxPayloadBytes {
		return errResponseTooLarge
	}
	for name, values := range resp.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			return fmt.Errorf("malformed response: header name %q is not a token", name)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("malformed response: header %s has control characters", name)
			}
		}
	}
	x.integrationStatus, x.integrationLatency = resp.StatusCode, g.now().Sub(x.sent)
	if g.cors != nil {
		g.cors.onResponse(resp.Request.Header.Get("Origin"), resp.Header)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.Request.Method != http.MethodHead && bodyAllowed(resp.StatusCode) {
		resp.ContentLength, resp.TransferEncoding = int64(len(body)), nil
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return nil
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// integrationFailed answers what a client of the deployed API gets when the
// integration fails. API Gateway's timeout is its own 503 (AWS doesn't
// document the answer; captured HTTP API responses show this one), a REST
// API's its 504. A
// backend that refuses the connection or answers malformed HTTP is the
// consumer load balancer's 502, which API Gateway passes through.
func (g *Gateway) integrationFailed(w http.ResponseWriter, r *http.Request, err error) {
	x := exchangeOf(r.Context())
	x.integrationError = err.Error()
	switch {
	case errors.Is(r.Context().Err(), context.DeadlineExceeded) && g.rest != nil:
		writeBody(w, http.StatusGatewayTimeout, restTimeoutBody)
	case errors.Is(r.Context().Err(), context.DeadlineExceeded):
		writeMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
	case r.Context().Err() != nil:
		// The client went away: nobody to answer.
	case errors.Is(err, errResponseTooLarge):
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
	default:
		writeLoadBalancerError(w, http.StatusBadGateway)
	}
}

// writeMessage writes one of API Gateway's own answers.
func writeMessage(w http.ResponseWriter, status int, message string) {
	writeBody(w, status, `{"message":"`+message+`"}`)
}

// writeBody writes one of API Gateway's own answers, body and all.
func writeBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// writeLoadBalancerError writes an Application Load Balancer's own error
// page, as the consumer's load balancer answers when it can't get a
// response from a target.
func writeLoadBalancerError(w http.ResponseWriter, status int) {
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n</body>\r\n</html>\r\n"
	w.Header().Set("Server", "awselb/2.0")
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// recorder notes what was sent, for the access log.
type recorder struct {
	http.ResponseWriter
	status  int
	written int64
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
