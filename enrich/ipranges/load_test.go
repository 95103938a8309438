package ipranges

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want []string // each in the error; none means valid
	}{
		{"default", DefaultConfig(), nil},
		{"path", Config{Source: "/etc/flowhec/ip-ranges.json"}, nil},
		{"relative path", Config{Source: "ip-ranges.json"}, nil},
		{"https", Config{Source: DefaultURL, Timeout: time.Minute}, nil},
		{"http mirror", Config{Source: "http://mirror.internal/ip-ranges.json"}, nil},
		{"s3", Config{Source: "s3://bucket/ip-ranges.json"}, []string{"enrich.ip_ranges:", `scheme "s3" is not supported`, DefaultURL}},
		{"no host", Config{Source: "https:///ip-ranges.json"}, []string{"enrich.ip_ranges:", "has no host"}},
		{"negative timeout", Config{Timeout: -time.Second}, []string{"enrich.ip_ranges_timeout: -1s"}},
		{"huge timeout", Config{Timeout: time.Hour}, []string{"enrich.ip_ranges_timeout: 1h0m0s"}},
		{"both", Config{Source: "ftp://x/y", Timeout: -1}, []string{"enrich.ip_ranges:", "enrich.ip_ranges_timeout:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadOff(t *testing.T) {
	tab, err := Load(context.Background(), DefaultConfig())
	if tab != nil || err != nil {
		t.Fatalf("Load(no source) = %v, %v; want nil, nil", tab, err)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"syncToken":"1","createDate":"2024-01-02-03-04-05","prefixes":[{"ip_prefix":"1.2.3.4/24","region":"r","service":"S"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    Config
		want []string
	}{
		{"missing", Config{Source: filepath.Join(dir, "nope.json")}, []string{"enrich.ip_ranges: open ", "nope.json", "no such file", "download " + DefaultURL}},
		{"directory", Config{Source: dir}, []string{"enrich.ip_ranges: read " + dir}},
		{"bad entry", Config{Source: bad}, []string{"enrich.ip_ranges: " + bad + ": prefixes[0].ip_prefix:", "host bits"}},
		{"invalid config", Config{Source: bad, Timeout: -1}, []string{"enrich.ip_ranges_timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Load(context.Background(), tt.c)
			if err == nil || tab != nil {
				t.Fatalf("Load = %v, %v; want an error", tab, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadHTTPS(t *testing.T) {
	body, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ip-ranges.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()

	tab, err := Load(context.Background(), Config{Source: srv.URL + "/ip-ranges.json", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := tab.Lookup(netip.MustParseAddr("52.217.10.1")); !ok || m.Service != "S3" {
		t.Errorf("Lookup = %+v, %v", m, ok)
	}
}

func TestLoadHTTPErrors(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"syncToken":`))
			w.(http.Flusher).Flush()
			select {
			case <-block:
			case <-r.Context().Done():
			}
		case "/big":
			w.Write([]byte(strings.Repeat(" ", 2<<10)))
		case "/html":
			w.Write([]byte("<html>captive portal</html>"))
		case "/presigned":
			http.Error(w, "expired", http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	// The untrusted-certificate case makes the server log a failed handshake.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	defer func(n int) { maxFileBytes = n }(maxFileBytes)
	maxFileBytes = 1 << 10

	tests := []struct {
		name   string
		path   string
		client *http.Client
		want   []string
		absent string
	}{
		{"404", "/nope.json", srv.Client(), []string{"enrich.ip_ranges: GET " + srv.URL + "/nope.json: 404 Not Found", "check the URL", DefaultURL}, ""},
		{"untrusted certificate", "/ip-ranges.json", nil, []string{"enrich.ip_ranges: GET " + srv.URL, "certificate", "not trusted", "give its path"}, ""},
		{"timeout", "/slow", srv.Client(), []string{"enrich.ip_ranges: GET " + srv.URL + "/slow", "within 200ms", "enrich.ip_ranges_timeout"}, ""},
		{"too big", "/big", srv.Client(), []string{"more than 1024 bytes"}, ""},
		{"not JSON", "/html", srv.Client(), []string{"enrich.ip_ranges: " + srv.URL + "/html: not an ip-ranges.json document"}, ""},
		{"query hidden", "/presigned?X-Amz-Signature=s3cr3t", srv.Client(), []string{"/presigned?…: 403 Forbidden"}, "s3cr3t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Source: srv.URL + tt.path, Timeout: 200 * time.Millisecond, Client: tt.client}
			tab, err := Load(context.Background(), c)
			if err == nil || tab != nil {
				t.Fatalf("Load = %v, %v; want an error", tab, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.absent != "" && strings.Contains(err.Error(), tt.absent) {
				t.Errorf("error %q shows %q", err, tt.absent)
			}
		})
	}
}
