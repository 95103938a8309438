package hec

// Secret holds a token. It prints, marshals and logs as "[redacted]" so that
// a config dump, an error or a log line can never carry it.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// MarshalText keeps the token out of JSON and YAML dumps of a Config.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// UnmarshalText lets a Secret be read from config like a plain string.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// Reveal returns the token, for the Authorization header only.
func (s Secret) Reveal() string { return string(s) }
