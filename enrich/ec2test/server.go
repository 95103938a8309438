package ec2test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// The static credentials every Server accepts, belonging to an IAM user of
// Config.Account.
const (
	AccessKeyID     = "AKIAFLOWHECTEST00001"
	SecretAccessKey = "flowhec/test/secret/access/key/00000000"
)

// DefaultAccount is the account of the static credentials when
// Config.Account is empty.
const DefaultAccount = "111111111111"

// EC2Version is the EC2 API version the SDK sends and the fake answers.
const EC2Version = "2016-11-15"

// Config sets up a Server.
type Config struct {
	// Account owns the static credentials (AccessKeyID); DefaultAccount
	// when empty. Requests signed with them see this account's resources.
	Account string
	// Seed seeds the generator of SetFaultRate, so that a run's faults can
	// be replayed.
	Seed uint64
	// CredentialTTL is how long credentials issued by AssumeRole last
	// (default 1h, or the DurationSeconds asked for).
	CredentialTTL time.Duration
	// Logf, when set, receives a line per request.
	Logf func(format string, args ...any)
}

// Server is a loopback fake of EC2 and STS. EC2 requests see the resources
// of the account whose credentials signed them, in the region of the
// signature's scope, so one Server stands for many accounts and regions.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port) to give the SDK clients
	// as BaseEndpoint, for EC2 and STS alike.
	URL string

	ts     *httptest.Server
	client *http.Client
	cfg    Config

	mu          sync.Mutex
	inv         *inventory.Inventory
	managed     map[string]bool // IDs of ENIs and instances managed by another AWS service
	keys        map[string]principal
	issued      int
	requests    int
	log         []Request
	faults      faults
	rng         *rand.Rand
	deniedRoles map[string]bool
	externalIDs map[string]string
	assumed     []AssumeRoleCall
}

// principal is who a key belongs to.
type principal struct {
	account string
	arn     string // the caller's ARN, as error messages name it
	token   string // session token that must accompany the key ("" for long-term keys)
	expires time.Time
}

// Request is one request the Server answered, as a test may inspect it.
type Request struct {
	Action  string
	Account string // "" when the key was unknown
	Region  string
	Form    url.Values
	Fault   string // the error code answered, "" for success
}

// maxLog bounds the request log so that a long run does not grow without
// end; Calls counts every request regardless.
const maxLog = 10000

// NewServer starts a Server on a loopback port. Close it when done.
func NewServer(cfg Config) *Server {
	if cfg.Account == "" {
		cfg.Account = DefaultAccount
	}
	if cfg.CredentialTTL <= 0 {
		cfg.CredentialTTL = time.Hour
	}
	s := &Server{
		cfg:         cfg,
		inv:         &inventory.Inventory{},
		managed:     map[string]bool{},
		keys:        map[string]principal{},
		rng:         rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)),
		deniedRoles: map[string]bool{},
		externalIDs: map[string]string{},
	}
	s.keys[AccessKeyID] = principal{account: cfg.Account, arn: "arn:aws:iam::" + cfg.Account + ":user/flowhec"}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL
	s.client = &http.Client{Transport: bufferedBody{s.ts.Client().Transport}}
	return s
}

// Close shuts the server down and closes the connections of Client.
func (s *Server) Close() { s.ts.Close() }

// Client returns an HTTP client for the server (see bufferedBody); Close
// closes its idle connections.
func (s *Server) Client() *http.Client { return s.client }

// AWSConfig returns an SDK configuration for region that talks to the
// Server with the static credentials and its Client, and does not retry:
// what a test needs to point ec2.NewFromConfig or sts.NewFromConfig at the
// fake and see every error reply as it was sent.
func (s *Server) AWSConfig(region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint:     aws.String(s.URL),
		HTTPClient:       s.Client(),
		RetryMaxAttempts: 1,
	}
}

// bufferedBody hands the transport its own copy of each request body.
//
// The SDK closes a request's body as soon as the response headers arrive,
// and the closed body's WriteTo returns io.EOF. net/http's transport, which
// after writing Content-Length bytes copies the body once more to make sure
// nothing is left, takes that io.EOF as a failed write and closes the
// connection under the response being read ("use of closed network
// connection"). Against AWS the response comes too late for this to
// happen; against a loopback server it fails a few percent of requests
// under the race detector, and the SDK's retry would make call counts
// vary. With its own copy, the transport never sees the SDK's Close.
type bufferedBody struct{ rt http.RoundTripper }

func (b bufferedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.rt.RoundTrip(r)
	}
	data, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(data))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return b.rt.RoundTrip(c)
}

// SetInventory replaces what the Server holds with a copy of inv. Each
// resource is served to requests of its account and region.
func (s *Server) SetInventory(inv *inventory.Inventory) {
	c := cloneInventory(inv)
	s.mu.Lock()
	s.inv = c
	s.mu.Unlock()
}

// Inventory returns a copy of what the Server holds.
func (s *Server) Inventory() *inventory.Inventory {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneInventory(s.inv)
}

// Edit changes what the Server holds: f runs under the Server's lock, so
// that requests see the inventory before or after the change, never during.
func (s *Server) Edit(f func(inv *inventory.Inventory)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.inv)
}

// MoveAddress moves the private address a from the interface that holds it
// (if any) to the interface with ID to, as when an address is released and
// assigned again. The receiving interface takes it as a secondary address.
func (s *Server) MoveAddress(a netip.Addr, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst := s.inv.InterfaceByID(to)
	if dst == nil {
		return fmt.Errorf("ec2test: move %v: no interface %s", a, to)
	}
	for i := range s.inv.NetworkInterfaces {
		ni := &s.inv.NetworkInterfaces[i]
		if a.Is4() {
			ni.PrivateIPAddresses = slices.DeleteFunc(ni.PrivateIPAddresses, func(p netip.Addr) bool { return p == a })
		} else {
			ni.IPv6Addresses = slices.DeleteFunc(ni.IPv6Addresses, func(p netip.Addr) bool { return p == a })
		}
	}
	if a.Is4() {
		dst.PrivateIPAddresses = append(dst.PrivateIPAddresses, a)
	} else {
		dst.IPv6Addresses = append(dst.IPv6Addresses, a)
	}
	return nil
}

// SetManaged marks the interfaces and instances with the given IDs as
// managed by another AWS service (EC2's "managed resources", such as the
// instances of EKS Auto Mode): DescribeNetworkInterfaces and
// DescribeInstances hide them unless IncludeManagedResources is true.
func (s *Server) SetManaged(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.managed[id] = true
	}
}

// Requests returns the most recent requests (up to 10,000), oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.Form = cloneValues(r.Form)
		out[i] = r
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// serve reads a Query-protocol request (a form-encoded POST, or a GET with
// the same parameters in the query string, both of which AWS accepts) and
// hands it to STS or EC2 by its Action.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.ec2Error(w, "", ec2Fault{Code: "MalformedQueryString", Status: 400, Message: err.Error()})
		return
	}
	form := r.Form
	key, region, service := parseAuthorization(r.Header.Get("Authorization"))
	action := form.Get("Action")
	if service == "sts" || action == "AssumeRole" {
		s.serveSTS(w, r, form, key, region)
		return
	}
	s.serveEC2(w, r, form, key, region)
}

// parseAuthorization reads the access key and the scope's region and
// service from a SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=…, Signature=…
//
// The signature itself is not checked: a request signed with a known key
// is taken as that key's owner.
func parseAuthorization(h string) (key, region, service string) {
	_, rest, ok := strings.Cut(h, "Credential=")
	if !ok {
		return "", "", ""
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return "", "", ""
	}
	return parts[0], parts[2], parts[3]
}

// authenticate finds the owner of key; an unknown key, a missing or wrong
// session token, or expired credentials fail as EC2 and STS fail them.
func (s *Server) authenticateLocked(key, token string, now time.Time) (principal, *ec2Fault) {
	p, ok := s.keys[key]
	switch {
	case !ok, p.token != "" && token != p.token:
		f := RegionDisabled.resolve("", "")
		return p, &f
	case !p.expires.IsZero() && now.After(p.expires):
		f := Fault{Code: "RequestExpired", Message: "Request has expired."}.resolve("", "")
		return p, &f
	}
	return p, nil
}

func (s *Server) recordLocked(req Request) {
	s.requests++
	if len(s.log) == maxLog {
		copy(s.log, s.log[1:])
		s.log = s.log[:maxLog-1]
	}
	s.log = append(s.log, req)
}

func (s *Server) requestIDLocked() string {
	return fmt.Sprintf("0f1e2d3c-4b5a-4987-8a6b-%012x", s.requests)
}

// writeXML writes v as the body of an XML reply.
func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	_ = enc.Encode(v) // a failed write is the client's to notice
}

// cloneInventory copies inv deeply enough that the copy and the original
// can be changed independently.
func cloneInventory(inv *inventory.Inventory) *inventory.Inventory {
	if inv == nil {
		return &inventory.Inventory{}
	}
	c := *inv
	c.Accounts = slices.Clone(inv.Accounts)
	c.VPCs = slices.Clone(inv.VPCs)
	for i := range c.VPCs {
		c.VPCs[i].Tags = cloneTags(c.VPCs[i].Tags)
	}
	c.Subnets = slices.Clone(inv.Subnets)
	for i := range c.Subnets {
		c.Subnets[i].Tags = cloneTags(c.Subnets[i].Tags)
	}
	c.NetworkInterfaces = slices.Clone(inv.NetworkInterfaces)
	for i := range c.NetworkInterfaces {
		ni := &c.NetworkInterfaces[i]
		ni.PrivateIPAddresses = slices.Clone(ni.PrivateIPAddresses)
		ni.IPv6Addresses = slices.Clone(ni.IPv6Addresses)
		ni.SecurityGroups = slices.Clone(ni.SecurityGroups)
		if ni.Attachment != nil {
			a := *ni.Attachment
			ni.Attachment = &a
		}
		ni.Tags = cloneTags(ni.Tags)
	}
	c.Instances = slices.Clone(inv.Instances)
	for i := range c.Instances {
		c.Instances[i].NetworkInterfaces = slices.Clone(c.Instances[i].NetworkInterfaces)
		c.Instances[i].Tags = cloneTags(c.Instances[i].Tags)
	}
	return &c
}

func cloneTags(m map[string]string) map[string]string { return maps.Clone(m) }
