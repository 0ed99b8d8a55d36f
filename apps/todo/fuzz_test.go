package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/private-apis/private-apis/apps/servekit"
)

// FuzzCreateRequest throws arbitrary bodies and content types at POST /todo.
// Whatever the input, the answer is a 201 with a valid item or a 4xx with a
// JSON message: never a 5xx, never a panic.
func FuzzCreateRequest(f *testing.F) {
	seeds := []struct{ contentType, body string }{
		{formType, "data=Write new AWS blog post"},
		{formType, "data=100%+done;%zz&data=x"},
		{formType, "data=%ff%fe"},
		{formType, "data="},
		{formType, "data=" + strings.Repeat("é", 4097)},
		{"application/json", `{"data":"x"}`},
		{"application/json", `{"data":"x","owner":"bob"}`},
		{"application/json", `{"data":"x"} {}`},
		{"application/json", `{"data":"\ud800"}`},
		{"application/json; charset=latin1", `{"data":"x"}`},
		{"application/json", `[`},
		{"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\nhello\r\n--b--\r\n"},
		{"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"x\"\r\n\r\nfile\r\n--b--\r\n"},
		{"multipart/form-data", "--\r\n"},
		{"text/plain", "data=x"},
		{"", ""},
		{"application/x-www-form-urlencoded; =", "data=x"},
	}
	for _, s := range seeds {
		f.Add(s.contentType, []byte(s.body))
	}
	store, err := openBoltStore(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	h := NewServer(discardLogger(), &servekit.Health{}, store)

	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		req := httptest.NewRequest("POST", "/todo", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-User-Id", "fuzz")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", rec.Code, contentType, body, rec.Body)
		}
		if rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("Content-Type %q", rec.Header().Get("Content-Type"))
		}
		switch rec.Code {
		case http.StatusCreated:
			var it item
			if err := json.Unmarshal(rec.Body.Bytes(), &it); err != nil {
				t.Fatalf("201 body %q: %v", rec.Body, err)
			}
			if !validID(it.ID) || it.Data == "" || !utf8.ValidString(it.Data) || utf8.RuneCountInString(it.Data) > maxDataRunes {
				t.Fatalf("201 with item %+v", it)
			}
			if len(body) > maxBodyBytes {
				t.Fatalf("201 for a %d-byte body", len(body))
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			var m servekit.Message
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m.Message == "" {
				t.Fatalf("%d body %q is not a message", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}

// FuzzDecodeCursor feeds arbitrary strings to both stores' cursor decoders:
// they never panic, and either refuse the cursor with ErrBadCursor or return
// a valid id whose canonical encoding is exactly the input.
func FuzzDecodeCursor(f *testing.F) {
	id := newID()
	for _, s := range []string{
		"", "x", encodeBoltCursor(id), encodeDynamoCursor(id),
		encodeDynamoCursor(id) + "=", encodeBoltCursor(strings.ToLower(id)),
		"eyJpZCI6IjAxIn0", "eyJpZCI6IiJ9", "bnVsbA", "W10",
		strings.Repeat("A", 36), strings.Repeat("_", 60),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, c := range []struct {
			name   string
			decode func(string) (string, error)
			encode func(string) string
		}{
			{"bolt", decodeBoltCursor, encodeBoltCursor},
			{"dynamodb", decodeDynamoCursor, encodeDynamoCursor},
		} {
			got, err := c.decode(cursor)
			if err != nil {
				if !errors.Is(err, ErrBadCursor) || got != "" {
					t.Fatalf("%s: decode(%q) = %q, %v; want ErrBadCursor", c.name, cursor, got, err)
				}
				continue
			}
			if !validID(got) {
				t.Fatalf("%s: decode(%q) = invalid id %q", c.name, cursor, got)
			}
			if c.encode(got) != cursor {
				t.Fatalf("%s: decode(%q) = %q, which encodes to %q", c.name, cursor, got, c.encode(got))
			}
		}
	})
}
