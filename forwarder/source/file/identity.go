package file

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
)

// fingerprintBytes is how much of the start of a file its fingerprint
// covers. Inode numbers are reused as soon as a file is deleted; the first
// KiB of two different flow-log files (timestamps, ENIs, the gzip header's
// mtime) practically never is.
const fingerprintBytes = 1024

// fileID is what the filesystem says a file is.
type fileID struct{ dev, ino uint64 }

// fingerprint hashes the first n bytes of f (fewer if f is shorter), says
// how many it hashed and whether they start like gzip. It reads with
// ReadAt, so f's offset is unchanged.
func fingerprint(f *os.File, n int) (fp string, got int, gz bool, err error) {
	buf := make([]byte, n)
	got, err = f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return "", 0, false, err
	}
	sum := sha256.Sum256(buf[:got])
	gz = got >= 2 && buf[0] == 0x1f && buf[1] == 0x8b
	return hex.EncodeToString(sum[:8]), got, gz, nil
}

// fingerprintPath is fingerprint of the file at path.
func fingerprintPath(path string, n int) (fp string, got int, gz bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, false, err
	}
	defer f.Close()
	return fingerprint(f, n)
}
