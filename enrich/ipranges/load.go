package ipranges

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultURL is where AWS publishes ip-ranges.json.
const DefaultURL = "https://ip-ranges.amazonaws.com/ip-ranges.json"

// DefaultTimeout bounds a download when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxFileBytes bounds the size of the file. The real one is about 2 MB;
// a much larger answer is not ip-ranges.json. Tests lower it.
var maxFileBytes = 64 << 20

// The YAML keys, as errors name them.
const (
	keySource  = "enrich.ip_ranges"
	keyTimeout = "enrich.ip_ranges_timeout"
)

// Config says where ip-ranges.json comes from. Its YAML tags are the keys
// of the enrich section it is inlined into.
type Config struct {
	// Source is a file path or an http(s) URL (DefaultURL, or a mirror
	// of it). "" turns the AWS service lookup off.
	Source string `yaml:"ip_ranges"`
	// Timeout bounds a download, from connecting to the last byte; zero
	// means DefaultTimeout.
	Timeout time.Duration `yaml:"ip_ranges_timeout"`
	// Client, when not nil, downloads URL sources in place of a client
	// that verifies TLS against the system roots and honours
	// HTTPS_PROXY. Tests set it; the config file cannot.
	Client *http.Client `yaml:"-"`
}

// DefaultConfig returns the defaults: no source (lookup off) and
// DefaultTimeout.
func DefaultConfig() Config { return Config{Timeout: DefaultTimeout} }

// Validate reports every bad setting, naming its YAML key. It does not
// touch the file or the network; Load does.
func (c Config) Validate() error {
	var errs []error
	if c.Source != "" && isURL(c.Source) {
		u, err := url.Parse(c.Source)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: not a URL: %v", keySource, unwrapURLError(err)))
		case u.Scheme != "https" && u.Scheme != "http":
			errs = append(errs, fmt.Errorf("%s: scheme %q is not supported: give a file path or an https URL such as %s", keySource, u.Scheme, DefaultURL))
		case u.Host == "":
			errs = append(errs, fmt.Errorf("%s: %q has no host; for example %s", keySource, redact(c.Source), DefaultURL))
		}
	}
	if c.Timeout < 0 || c.Timeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("%s: %v: want a positive duration up to 10m (0 means %v)", keyTimeout, c.Timeout, DefaultTimeout))
	}
	return errors.Join(errs...)
}

// isURL reports whether s is meant as a URL rather than a path.
func isURL(s string) bool { return strings.Contains(s, "://") }

// Load reads, checks and parses the configured ip-ranges.json. With no
// Source it returns a nil *Table, which holds no prefixes. Its errors name
// the enrich.ip_ranges key, the source and what to do.
func Load(ctx context.Context, c Config) (*Table, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Source == "" {
		return nil, nil
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	var data []byte
	var err error
	if isURL(c.Source) {
		data, err = fetch(ctx, c)
	} else {
		data, err = readFile(c.Source)
	}
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", keySource, redact(c.Source), err)
	}
	return t, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; download %s to that path, or set %s to the URL", keySource, err, DefaultURL, keySource)
	}
	defer f.Close()
	data, err := readLimited(f)
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", keySource, path, err)
	}
	return data, nil
}

func fetch(ctx context.Context, c Config) ([]byte, error) {
	shown := redact(c.Source)
	client := c.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		client = &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Source, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", keySource, shown, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: GET %s: %w; %s", keySource, shown, unwrapURLError(err), fetchHint(err, c.Timeout))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused; the body of an
		// error page is not worth showing.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, fmt.Errorf("%s: GET %s: %s; check the URL (AWS publishes the file at %s), or download the file and give its path",
			keySource, shown, resp.Status, DefaultURL)
	}
	data, err := readLimited(resp.Body)
	if err == nil && ctx.Err() != nil {
		// The deadline can cut the body so that the read ends without
		// an error; the parse error that would follow hides the cause.
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: GET %s: %w; %s", keySource, shown, err, fetchHint(err, c.Timeout))
	}
	return data, nil
}

// readLimited reads r whole, refusing more than maxFileBytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(maxFileBytes)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("more than %d bytes: not ip-ranges.json, which is a few MB", maxFileBytes)
	}
	return data, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the
// method and the whole URL (query included) that the message already
// shows without its query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// fetchHint says what to do about a failed download.
func fetchHint(err error, timeout time.Duration) string {
	const orFile = "or download the file and give its path"
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var hostname x509.HostnameError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "flowhec was stopping"
	case errors.As(err, &unknownCA) || errors.As(err, &verify):
		return "the server's certificate is not trusted: add its CA to the system trust store (or point SSL_CERT_FILE at it), " + orFile
	case errors.As(err, &hostname):
		return "the certificate is for another host: use the host name it names, " + orFile
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Sprintf("no complete answer within %v: check that this host can reach it (HTTPS_PROXY is honoured), raise %s, %s", timeout, keyTimeout, orFile)
	}
	return "check that this host can reach it (HTTPS_PROXY is honoured), " + orFile
}

// redact returns a URL without its query and password (a presigned URL's
// query is a credential); a path is returned as it is.
func redact(s string) string {
	if !isURL(s) {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.Fragment = ""
	return u.Redacted()
}
