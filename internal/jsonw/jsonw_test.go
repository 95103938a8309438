package jsonw

import (
	"encoding/json"
	"testing"
)

func TestStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and \ backslash`, "tab\tnewline\ncr\r", "nul\x00bell\x07del\x7f",
		"héllo wörld ✓", "bad utf8 \xff\xfe end", "cut rune \xe2\x9c", "</script>&",
	}
	for _, c := range cases {
		got := String(nil, c)
		if !json.Valid(got) {
			t.Errorf("String(%q) = %s: not valid JSON", c, got)
			continue
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		// encoding/json also turns invalid UTF-8 into U+FFFD, so decoding
		// what it writes must give the same string.
		want, _ := json.Marshal(c)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("String(%q) decodes to %q, want %q", c, back, wantBack)
		}
	}
}

func TestBytesDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 256)
	in := []byte(`eni-1235b8ca123456789 "quoted" \x01`)
	if n := testing.AllocsPerRun(100, func() { buf = Bytes(buf[:0], in) }); n != 0 {
		t.Fatalf("Bytes allocates %v times per call, want 0", n)
	}
}

func FuzzBytes(f *testing.F) {
	f.Add([]byte("eni-1 \"x\" \\ \x00 \xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if out := Bytes(nil, b); !json.Valid(out) {
			t.Fatalf("Bytes(%q) = %s: invalid JSON", b, out)
		}
	})
}
