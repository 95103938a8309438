package ipranges

import (
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics and that what it accepts
// answers for the first address of each of its prefixes with that prefix
// or a longer one.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(fixture); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"syncToken":"1","createDate":"2024-01-02-03-04-05","prefixes":[{"ip_prefix":"0.0.0.0/0","region":"r","service":"AMAZON"},{"ip_prefix":"0.0.0.0/0","region":"r","service":"EC2"}]}`))
	f.Add([]byte(`{"syncToken":"1","createDate":"2024-01-02-03-04-05","ipv6_prefixes":[{"ipv6_prefix":"::/0","region":"r","service":"S3"},{"ipv6_prefix":"::ffff:0.0.0.0/96","region":"r","service":"S3"}]}`))
	f.Add([]byte(`{"prefixes":[{"ip_prefix":"1.2.3.4/33"}],"ipv6_prefixes":[{"ip_prefix":"::/0"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data)
		if err != nil {
			if tab != nil {
				t.Fatal("a table with an error")
			}
			return
		}
		for _, m := range tab.matches {
			got, ok := tab.Lookup(m.Prefix.Addr())
			if !ok || got.Prefix.Bits() < m.Prefix.Bits() || !got.Prefix.Contains(m.Prefix.Addr()) {
				t.Fatalf("Lookup(%s) = %+v, %v; want %s or a longer prefix", m.Prefix.Addr(), got, ok, m.Prefix)
			}
			if got.Prefix == m.Prefix && got != m {
				t.Fatalf("Lookup(%s) = %+v, want %+v", m.Prefix.Addr(), got, m)
			}
			if m.Service == "" || m.Region == "" || m.Prefix != m.Prefix.Masked() {
				t.Fatalf("accepted %+v", m)
			}
			if m.Prefix.Addr().Is4In6() {
				t.Fatalf("accepted a mapped prefix %s", m.Prefix)
			}
		}
	})
}
