package queue

import (
	"errors"
	"fmt"
	"time"
)

// DiskConfig configures a disk queue; it is the `queue:` section of the
// config file. Start from DefaultDiskConfig: its zero value does not sync.
type DiskConfig struct {
	// Dir holds the queue file (FileName). One process at a time may use it.
	Dir string `yaml:"dir"`
	// MaxBytes bounds the payload and meta bytes of pending and in-flight
	// items; Put blocks beyond it. The file itself grows to somewhat more
	// (page rounding, free pages) and does not shrink.
	MaxBytes int64 `yaml:"max_bytes"`
	// Sync makes every write transaction fsync before Put and Ack return.
	// Without it an item survives a crash of the process but not one of the
	// machine.
	Sync bool `yaml:"sync"`
	// LockTimeout is how long OpenDisk waits for another process to release
	// Dir before it fails with ErrLocked.
	LockTimeout time.Duration `yaml:"lock_timeout"`
}

// DefaultDiskConfig returns the defaults: 1 GiB, fsync on, 1 s lock wait.
// Dir has no default; the caller must set it.
func DefaultDiskConfig() DiskConfig {
	return DiskConfig{
		MaxBytes:    DefaultMaxBytes,
		Sync:        true,
		LockTimeout: time.Second,
	}
}

// Validate reports every problem in c, each naming its YAML key.
func (c DiskConfig) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("queue.dir: must be set to a directory for the disk queue"))
	}
	if c.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("queue.max_bytes: must be greater than 0, got %d", c.MaxBytes))
	}
	if c.LockTimeout <= 0 {
		errs = append(errs, fmt.Errorf("queue.lock_timeout: must be greater than 0 (0 would wait forever for another process), got %s", c.LockTimeout))
	}
	return errors.Join(errs...)
}
