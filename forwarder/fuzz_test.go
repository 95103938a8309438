package forwarder

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig: any config file loads or fails with an error; never a
// panic. What loads also survives Resolve and Validate.
func FuzzLoadConfig(f *testing.F) {
	if b, err := os.ReadFile("../flowhec.example.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("hec: {urls: [x], token: ${NOPE}}"))
	f.Add([]byte("sources: [{type: file, paths: ['**']}]\nformat: \"${version} ${srcaddr}\""))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			return
		}
		cfg.Resolve()
		_ = cfg.Validate()
	})
}
