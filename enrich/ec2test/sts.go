package ec2test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// STSVersion is the STS API version the SDK sends.
const STSVersion = "2011-06-15"

// AssumeRoleCall is one AssumeRole request the Server answered.
type AssumeRoleCall struct {
	RoleARN     string
	SessionName string
	ExternalID  string
	Caller      string // the ARN of the principal that asked
	Denied      bool
}

// DenyRole makes AssumeRole into arn fail with AccessDenied, as when the
// role's trust policy does not name the caller.
func (s *Server) DenyRole(arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deniedRoles[arn] = true
}

// RequireExternalID makes AssumeRole into arn fail with AccessDenied unless
// the request carries the external ID id, as a trust policy with an
// sts:ExternalId condition does.
func (s *Server) RequireExternalID(arn, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.externalIDs[arn] = id
}

// AssumeRoleCalls returns every AssumeRole request, in order.
func (s *Server) AssumeRoleCalls() []AssumeRoleCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.assumed)
}

// AssumedRoles returns the ARNs of the roles assumed successfully, each
// once, in the order they were first assumed.
func (s *Server) AssumedRoles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.assumed {
		if !c.Denied && !slices.Contains(out, c.RoleARN) {
			out = append(out, c.RoleARN)
		}
	}
	return out
}

// roleARN is an IAM role's ARN: partition, account, and the role's name
// (the last part of its path).
var roleARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$`)

var sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// serveSTS answers AssumeRole the way STS does: the caller must hold valid
// credentials; the issued credentials belong to the role's account and
// are accepted by the fake EC2 with their session token.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, form url.Values, key, region string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	id := fmt.Sprintf("5f4e3d2c-1b0a-4987-8a6b-%012x", s.requests)
	fail := func(status int, code, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		s.logf("ec2test: sts %s: %d %s: %s", form.Get("Action"), status, code, msg)
		writeXML(w, status, stsErrorResponse{
			Xmlns:     stsNamespace,
			Error:     stsErrorXML{Type: "Sender", Code: code, Message: msg},
			RequestID: id,
		})
	}
	caller, authErr := s.authenticateLocked(key, r.Header.Get("X-Amz-Security-Token"), now)
	switch {
	case authErr != nil && authErr.Code == "RequestExpired":
		fail(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		return
	case authErr != nil:
		fail(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	case form.Get("Action") != "AssumeRole":
		fail(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", form.Get("Action"), form.Get("Version"))
		return
	case form.Get("Version") != STSVersion:
		fail(http.StatusBadRequest, "InvalidAction", "Could not find operation AssumeRole for version %s", form.Get("Version"))
		return
	}
	arn, session, ext := form.Get("RoleArn"), form.Get("RoleSessionName"), form.Get("ExternalId")
	m := roleARN.FindStringSubmatch(arn)
	if m == nil {
		fail(http.StatusBadRequest, "ValidationError", "%s is invalid", arn)
		return
	}
	if !sessionName.MatchString(session) {
		fail(http.StatusBadRequest, "ValidationError",
			"1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64, and match [\\w+=,.@-]*", session)
		return
	}
	ttl := time.Hour
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 43200 {
			fail(http.StatusBadRequest, "ValidationError",
				"1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
			return
		}
		ttl = time.Duration(n) * time.Second
	}
	ttl = min(ttl, s.cfg.CredentialTTL)
	call := AssumeRoleCall{RoleARN: arn, SessionName: session, ExternalID: ext, Caller: caller.arn}
	want, needExt := s.externalIDs[arn]
	if s.deniedRoles[arn] || (needExt && ext != want) {
		call.Denied = true
		s.assumed = append(s.assumed, call)
		fail(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, arn)
		return
	}
	s.assumed = append(s.assumed, call)
	s.issued++
	account, role := m[2], m[3]
	akid := fmt.Sprintf("ASIAFLOWHEC%09d", s.issued)
	p := principal{
		account: account,
		arn:     "arn:" + m[1] + ":sts::" + account + ":assumed-role/" + role + "/" + session,
		token:   "FwoGZXIvYXdzEFLOWHEC" + strings.Repeat("x", 16) + strconv.Itoa(s.issued),
		expires: now.Add(ttl),
	}
	s.keys[akid] = p
	s.logf("ec2test: sts AssumeRole %s by %s in %s: 200", arn, caller.arn, region)
	writeXML(w, http.StatusOK, assumeRoleResponse{
		Xmlns: stsNamespace,
		AssumeRoleResult: assumeRoleResult{
			AssumedRoleUser: assumedRoleUserXML{AssumedRoleID: "AROA" + strings.ToUpper(hexID(arn, 17)) + ":" + session, Arn: p.arn},
			Credentials: credentialsXML{
				AccessKeyID:     akid,
				SecretAccessKey: "flowhec/test/secret/" + hexID(akid, 16),
				SessionToken:    p.token,
				Expiration:      p.expires.UTC().Format(time.RFC3339),
			},
		},
		RequestID: id,
	})
}
