package awsinv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// Kind classifies a failure, once, so that callers branch on it and the
// log can say what to do.
type Kind uint8

const (
	// KindOther is a network or server failure that outlasted the
	// retries; the next refresh tries again.
	KindOther Kind = iota
	// KindDenied: the principal lacks an IAM permission, or may not assume
	// the role. Permanent until someone changes a policy.
	KindDenied
	// KindCredentials: there are no credentials, or AWS does not accept
	// them (in that region: an opt-in region not enabled for the account).
	KindCredentials
	// KindThrottled: EC2 still throttled the account after every retry.
	KindThrottled
	// KindTimeout: a call took longer than call_timeout.
	KindTimeout
	// KindCanceled: the caller's context ended.
	KindCanceled
)

func (k Kind) String() string {
	switch k {
	case KindDenied:
		return "denied"
	case KindCredentials:
		return "credentials"
	case KindThrottled:
		return "throttled"
	case KindTimeout:
		return "timeout"
	case KindCanceled:
		return "canceled"
	}
	return "other"
}

// Permissions are the IAM actions a Loader calls in every account.
var Permissions = []string{
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeInstances",
	"ec2:DescribeVpcs",
	"ec2:DescribeSubnets",
	"ec2:DescribeRouteTables",
}

// LoadError is the failure of one account (its role could not be
// assumed: Region is empty) or of one region of one account. Load and
// Refresh return them joined, one per failure.
type LoadError struct {
	AccountID string // "" when not known (default credentials that did not work)
	RoleARN   string // "" for the default credentials
	Region    string // "" when no region of the account could be read
	// Action is the API call that failed: "AssumeRole", "GetCredentials"
	// (finding the default credentials), or an EC2 action such as
	// "DescribeNetworkInterfaces".
	Action string
	Kind   Kind
	// Code is AWS's error code (UnauthorizedOperation, AuthFailure,
	// RequestLimitExceeded, AccessDenied, …), "" when there was no reply.
	Code string
	Err  error

	cfg *Config // for the keys the fix names
}

func (e *LoadError) Error() string {
	msg := fmt.Sprintf("aws inventory: %s: %s: %v", e.where(), e.action(), e.Err)
	if fix := e.Fix(); fix != "" {
		msg += "; " + fix
	}
	return msg
}

func (e *LoadError) Unwrap() error { return e.Err }

func (e *LoadError) action() string {
	switch e.Action {
	case "AssumeRole":
		return "sts:AssumeRole"
	case "GetCredentials":
		return "credentials"
	}
	return "ec2:" + e.Action
}

func (e *LoadError) where() string {
	switch {
	case e.Region == "" && e.RoleARN != "":
		return "role " + e.RoleARN
	case e.Region == "":
		return "default credentials"
	}
	var b strings.Builder
	if e.AccountID != "" {
		b.WriteString("account " + e.AccountID + " ")
	}
	b.WriteString("region " + e.Region)
	if e.RoleARN != "" {
		b.WriteString(" (role " + e.RoleARN + ")")
	} else {
		b.WriteString(" (default credentials)")
	}
	return b.String()
}

func (e *LoadError) principal() string {
	if e.RoleARN != "" {
		return "the role " + e.RoleARN
	}
	return "the principal of the default credentials"
}

// Fix says what to do about the failure.
func (e *LoadError) Fix() string {
	c := e.cfg
	if c == nil {
		d := DefaultConfig()
		c = &d
	}
	switch e.Kind {
	case KindDenied:
		if e.Action == "AssumeRole" {
			ext := ""
			if c.ExternalID != "" {
				ext = " with the external ID of " + keyPrefix + "external_id"
			}
			return "the role's trust policy must let the principal named in the message call sts:AssumeRole" + ext +
				", and that principal's own policy must allow sts:AssumeRole on the role; or remove it from " + keyPrefix + "role_arns"
		}
		return fmt.Sprintf("allow ec2:%s in the IAM policy of %s (flowhec needs %s)",
			e.Action, e.principal(), strings.Join(Permissions, ", "))
	case KindCredentials:
		switch {
		case e.Action == "GetCredentials":
			return "no AWS credentials: list roles in " + keyPrefix + "role_arns, or run flowhec where the SDK finds credentials " +
				"(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance profile or a task role)"
		case e.Region != "" && e.Code == "AuthFailure":
			return fmt.Sprintf("AWS did not accept the credentials in %s: if it is an opt-in region, enable it for the account "+
				"(or remove it from %sregions); otherwise check the credentials of %s", e.Region, keyPrefix, e.principal())
		}
		return "the credentials were refused or have expired; check those of " + e.principal()
	case KindThrottled:
		return fmt.Sprintf("EC2 still throttled the account after %d attempts (other tools may share its request budget): "+
			"raise %sretry.max_attempts or %srefresh_interval, or lower %sconcurrency",
			c.Retry.MaxAttempts, keyPrefix, keyPrefix, keyPrefix)
	case KindTimeout:
		return fmt.Sprintf("no answer within %scall_timeout (%v): check the route to the endpoint of %s "+
			"(%sendpoints for a VPC endpoint), or raise call_timeout", keyPrefix, c.CallTimeout, orAll(e.Region), keyPrefix)
	case KindCanceled:
		return ""
	}
	return fmt.Sprintf("check the network path to AWS in %s; the next refresh tries again", orAll(e.Region))
}

func orAll(region string) string {
	if region == "" {
		return "every region"
	}
	return region
}

// classify names the kind of err and AWS's error code. ctx is the
// caller's context: a deadline that passed inside it is call_timeout's.
func classify(ctx context.Context, err error) (Kind, string) {
	if ctx.Err() != nil {
		return KindCanceled, ""
	}
	var code string
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case code == "UnauthorizedOperation" || code == "AccessDenied" || code == "AccessDeniedException":
		return KindDenied, code
	case code == "AuthFailure" || code == "InvalidClientTokenId" || code == "ExpiredToken" ||
		code == "RequestExpired" || code == "SignatureDoesNotMatch" || code == "OptInRequired" ||
		code == "UnrecognizedClientException" || code == "RegionDisabledException":
		return KindCredentials, code
	case isThrottle(code):
		return KindThrottled, code
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout, code
	case errors.Is(err, context.Canceled):
		return KindCanceled, code
	}
	return KindOther, code
}

func isThrottle(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

// callContext bounds one call by call_timeout.
func callContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
