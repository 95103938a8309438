package file

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/flowhec/flowhec/flowlog"
)

// DefaultPollInterval is how often a daemon looks for new and grown files.
const DefaultPollInterval = 10 * time.Second

// Config is one file source: the sources[] entry of type file.
type Config struct {
	// Name identifies the source in logs and metrics.
	Name string `yaml:"name"`
	// Paths are files, directories (read recursively) and glob patterns.
	// See the package documentation for what a pattern may contain.
	Paths []string `yaml:"paths"`
	// Format is the format of files that have no header line: "default",
	// an AWS format string ("${version} ${vpc-id} …") or field names
	// separated by blanks. A file's own header line always wins.
	Format string `yaml:"format"`
	// PollInterval is how often a daemon looks for new files and for
	// plain files that grew.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MaxLineBytes bounds a line; a longer one is delivered cut and
	// flagged.
	MaxLineBytes int `yaml:"max_line_bytes"`
	// Once reads what is there and returns instead of polling (flowhec run
	// --once). It is set from the command line, not the file.
	Once bool `yaml:"-"`
}

// DefaultConfig returns the defaults; Paths has none and must be set.
func DefaultConfig() Config {
	return Config{
		Name:         "file",
		Format:       "default",
		PollInterval: DefaultPollInterval,
		MaxLineBytes: flowlog.DefaultMaxLineBytes,
	}
}

// Limits of max_line_bytes. The upper one keeps an event well inside a
// chunk (source.MaxChunkBytes) and matches the reader's own buffer.
const (
	minLineBytes = 512
	maxLineBytes = 64 << 10
)

// withDefaults fills zero settings with their defaults, so that a config
// that leaves a key out (poll_interval: 0 included) gets the default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Name == "" {
		c.Name = d.Name
	}
	if c.Format == "" {
		c.Format = d.Format
	}
	if c.PollInterval == 0 {
		c.PollInterval = d.PollInterval
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = d.MaxLineBytes
	}
	return c
}

// Validate reports every bad setting, naming its YAML key. Zero settings
// take their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Paths) == 0 {
		errs = append(errs, errors.New("sources[].paths: at least one file, directory or glob pattern is required"))
	}
	for i, p := range c.Paths {
		if _, err := compilePattern(p); err != nil {
			errs = append(errs, fmt.Errorf("sources[].paths[%d]: %w", i, err))
		}
	}
	if _, err := flowlog.ParseFormat(c.Format); err != nil {
		errs = append(errs, fmt.Errorf("sources[].format: %w", err))
	}
	if !c.Once && (c.PollInterval < 10*time.Millisecond || c.PollInterval > 24*time.Hour) {
		errs = append(errs, fmt.Errorf("sources[].poll_interval: %v: want between 10ms and 24h (default %v)", c.PollInterval, DefaultPollInterval))
	}
	if c.MaxLineBytes < minLineBytes || c.MaxLineBytes > maxLineBytes {
		errs = append(errs, fmt.Errorf("sources[].max_line_bytes: %d: want between %d and %d (default %d)", c.MaxLineBytes, minLineBytes, maxLineBytes, flowlog.DefaultMaxLineBytes))
	}
	return errors.Join(errs...)
}

// pattern is one entry of paths, ready to match.
type pattern struct {
	raw string
	// glob is the whole pattern for a path without "**", else the part
	// before "**": a directory, or a glob that matches directories.
	glob string
	// deep: the pattern had "**"; rest is what follows it, matched against
	// the last elements of each file's path below the directories glob
	// matches ("" matches every file).
	deep bool
	rest string
}

func compilePattern(p string) (pattern, error) {
	if strings.TrimSpace(p) == "" {
		return pattern{}, errors.New("empty path")
	}
	if p == "-" {
		return pattern{}, errors.New(`"-" (standard input) is not a path: use the stdin source`)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return pattern{}, fmt.Errorf("%q: %w", p, err)
	}
	pat := pattern{raw: p, glob: abs}
	elems := strings.Split(filepath.ToSlash(abs), "/")
	deepAt := -1
	for i, e := range elems {
		switch {
		case e == "**" && deepAt >= 0:
			return pattern{}, fmt.Errorf("%q: only one ** is supported", p)
		case e == "**":
			deepAt = i
		case strings.Contains(e, "**"):
			return pattern{}, fmt.Errorf("%q: ** must be a whole path element, as in /data/**/*.log.gz", p)
		}
	}
	if deepAt >= 0 {
		pat.deep = true
		pat.glob = filepath.FromSlash(strings.Join(elems[:deepAt], "/"))
		if pat.glob == "" {
			pat.glob = string(filepath.Separator)
		}
		pat.rest = strings.Join(elems[deepAt+1:], "/")
		if _, err := filepath.Match(pat.rest, ""); err != nil {
			return pattern{}, fmt.Errorf("%q: %w", p, err)
		}
	}
	if _, err := filepath.Match(pat.glob, ""); err != nil {
		return pattern{}, fmt.Errorf("%q: %w", p, err)
	}
	return pat, nil
}
