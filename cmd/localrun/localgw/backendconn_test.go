package localgw

import "testing"

func TestHeaderEnd(t *testing.T) {
	for head, want := range map[string]int{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":                      38,
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nA: b\r\n\r\n{}": 55,
		"HTTP/1.1 200 OK\r\nContent-Le":                                       -1,
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n":                      -1,
	} {
		got, ok := headerEnd([]byte(head))
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("headerEnd(%q) = %d, want %d", head, got, want)
		}
	}
}
