package ec2test

import "net/http"

// Fault is an EC2 error reply: EC2's <Response><Errors><Error> document with
// Code and Message, and an HTTP status.
type Fault struct {
	// Code is EC2's error code: RequestLimitExceeded, UnauthorizedOperation,
	// AuthFailure, InvalidParameterValue, InternalError, Unavailable, …
	Code string
	// Status is the HTTP status; 0 means the one EC2 uses with Code
	// (503 for RequestLimitExceeded, 403 for UnauthorizedOperation, 401 for
	// AuthFailure, 500 for InternalError, otherwise 400).
	Status int
	// Message is the error message; empty means the one EC2 writes for
	// Code.
	Message string
}

// The faults a loader must survive.
var (
	// Throttle is EC2's answer when an account's request rate is over its
	// limit.
	Throttle = Fault{Code: "RequestLimitExceeded"}
	// Unauthorized is the answer to a caller whose IAM policy does not
	// allow the action.
	Unauthorized = Fault{Code: "UnauthorizedOperation"}
	// RegionDisabled is what an opt-in region that the account has not
	// enabled answers to every request.
	RegionDisabled = Fault{Code: "AuthFailure"}
	// Internal is a server-side failure, which clients retry.
	Internal = Fault{Code: "InternalError"}
)

// Match selects EC2 requests; an empty field matches anything.
type Match struct {
	Account string
	Region  string
	Action  string
}

func (m Match) matches(account, region, action string) bool {
	return (m.Account == "" || m.Account == account) &&
		(m.Region == "" || m.Region == region) &&
		(m.Action == "" || m.Action == action)
}

type rule struct {
	match Match
	fault Fault
}

type faults struct {
	rules []rule  // standing: every matching request fails
	next  []Fault // the next requests fail, in order
	rate  float64 // this fraction of requests fail, drawn from the seeded generator
	rateF Fault
	// counts
	calls     map[Match]int // by account, region and action
	throttled int
	failed    int
}

// FailWhere makes every EC2 request matching m fail with f until
// ClearFaults: a region that is down or not enabled, an account whose role
// lacks a permission.
func (s *Server) FailWhere(m Match, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rules = append(s.faults.rules, rule{m, f})
}

// FailNext makes the next n EC2 requests fail with f (after any faults
// already queued).
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults.next = append(s.faults.next, f)
	}
}

// ThrottleNext makes the next n EC2 requests fail with RequestLimitExceeded.
func (s *Server) ThrottleNext(n int) { s.FailNext(n, Throttle) }

// SetFaultRate makes a fraction p of EC2 requests fail with f, chosen by the
// generator seeded with Config.Seed. p = 0 turns it off.
func (s *Server) SetFaultRate(p float64, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate, s.faults.rateF = p, f
}

// ClearFaults removes every EC2 fault, standing, queued or random.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rules, s.faults.next, s.faults.rate = nil, nil, 0
}

// Calls counts the EC2 requests (answered or failed) that match m. The
// account of a request signed with an unknown key is "".
func (s *Server) Calls(m Match) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, c := range s.faults.calls {
		if m.matches(k.Account, k.Region, k.Action) {
			n += c
		}
	}
	return n
}

// Throttled counts the RequestLimitExceeded replies sent.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.throttled
}

// Failed counts the EC2 error replies sent, throttling included.
func (s *Server) Failed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.failed
}

func (s *Server) countLocked(account, region, action string) {
	if s.faults.calls == nil {
		s.faults.calls = map[Match]int{}
	}
	s.faults.calls[Match{account, region, action}]++
}

// pickLocked returns the fault a request is to get, if any: standing rules
// first, then the queue, then the random rate.
func (s *Server) pickLocked(account, region, action string) (Fault, bool) {
	for _, r := range s.faults.rules {
		if r.match.matches(account, region, action) {
			return r.fault, true
		}
	}
	if len(s.faults.next) > 0 {
		f := s.faults.next[0]
		s.faults.next = s.faults.next[1:]
		return f, true
	}
	if s.faults.rate > 0 && s.rng.Float64() < s.faults.rate {
		return s.faults.rateF, true
	}
	return Fault{}, false
}

// resolve fills in the status and message EC2 uses with f.Code. principal
// and action complete the messages that name them.
func (f Fault) resolve(principalARN, action string) ec2Fault {
	out := ec2Fault(f)
	if out.Status == 0 {
		switch f.Code {
		case "RequestLimitExceeded", "Unavailable":
			out.Status = http.StatusServiceUnavailable
		case "UnauthorizedOperation":
			out.Status = http.StatusForbidden
		case "AuthFailure":
			out.Status = http.StatusUnauthorized
		case "InternalError":
			out.Status = http.StatusInternalServerError
		case "DryRunOperation":
			out.Status = http.StatusPreconditionFailed
		default:
			out.Status = http.StatusBadRequest
		}
	}
	if out.Message == "" {
		switch f.Code {
		case "RequestLimitExceeded":
			out.Message = "Request limit exceeded."
		case "UnauthorizedOperation":
			out.Message = "You are not authorized to perform this operation. User: " + principalARN +
				" is not authorized to perform: ec2:" + action +
				" because no identity-based policy allows the ec2:" + action + " action"
		case "AuthFailure":
			out.Message = "AWS was not able to validate the provided access credentials"
		case "InternalError":
			out.Message = "An internal error has occurred"
		case "Unavailable":
			out.Message = "The service is unavailable. Please try again shortly."
		default:
			out.Message = f.Code
		}
	}
	return out
}

// ec2Fault is a Fault with its status and message resolved.
type ec2Fault Fault
