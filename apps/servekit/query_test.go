package servekit

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestQuery(t *testing.T) {
	tests := []struct {
		raw     string
		want    url.Values
		wantErr string
	}{
		{raw: "", want: url.Values{}},
		{raw: "limit=5&cursor=abc%3D%3D", want: url.Values{"limit": {"5"}, "cursor": {"abc=="}}},
		{raw: "a=1&a=2&&b", want: url.Values{"a": {"1", "2"}, "b": {""}}},
		{raw: "q=a+b%20c", want: url.Values{"q": {"a b c"}}},
		{raw: "cursor=%%%garbage", wantErr: `query parameter "cursor" is not valid percent-encoding ("cursor=%%%garbage")`},
		{raw: "limit=5&%zz=1", wantErr: `query parameter "%zz" is not valid percent-encoding`},
		{raw: "limit=5;cursor=x", wantErr: `query parameter "limit": separate parameters with &, not ;`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/todo", nil)
			r.URL.RawQuery = tt.raw
			got, err := Query(r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Query = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
