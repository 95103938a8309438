package forwarder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/flowhec/flowhec/enrich"
	"github.com/flowhec/flowhec/flowlog"
	"github.com/flowhec/flowhec/forwarder/checkpoint"
	"github.com/flowhec/flowhec/forwarder/encode"
	"github.com/flowhec/flowhec/forwarder/hec"
	"github.com/flowhec/flowhec/forwarder/queue"
	"github.com/flowhec/flowhec/forwarder/source/file"
)

// Config is the whole `flowhec run` configuration file. Every setting has a
// default (DefaultConfig); Validate names each bad key.
type Config struct {
	// StateDir holds checkpoints, the disk queue (unless queue.dir says
	// otherwise) and dead letters.
	StateDir string `yaml:"state_dir"`
	// Format is the format of lines without a header line: "default", an
	// AWS format string, or field names. Sources may override it.
	Format  string           `yaml:"format"`
	Event   encode.Config    `yaml:"event"`
	Enrich  enrich.Config    `yaml:"enrich"`
	Sources []SourceConfig   `yaml:"sources"`
	HEC     hec.Config       `yaml:"hec"`
	Queue   queue.DiskConfig `yaml:"queue"`
	Metrics MetricsConfig    `yaml:"metrics"`
	Log     LogConfig        `yaml:"log"`
	// ShutdownTimeout bounds the drain on SIGINT/SIGTERM; what is not
	// delivered by then stays in the queue for the next run.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// CheckpointInterval is how often checkpoints are saved while running.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}

// SourceConfig is one entry of `sources:`: its type, and the settings of
// the file source (files, directories, globs; stdin uses name and format).
type SourceConfig struct {
	// Type is "file" (files, directories, globs) or "stdin".
	Type        string `yaml:"type"`
	file.Config `yaml:",inline"`
}

// MetricsConfig is the /metrics and /healthz listener.
type MetricsConfig struct {
	// Listen is host:port; empty turns the listener off. Loopback by
	// default: metrics name files and endpoints.
	Listen string `yaml:"listen"`
}

// LogConfig sets up logging.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json, console, or auto (console on a terminal)
}

// DefaultConfig returns a configuration with every default filled in; only
// sources, hec.urls and the token remain to be given.
func DefaultConfig() Config {
	return Config{
		StateDir:           "/var/lib/flowhec",
		Format:             "default",
		Enrich:             enrich.DefaultConfig(),
		HEC:                hec.DefaultConfig(),
		Queue:              queue.DefaultDiskConfig(),
		Metrics:            MetricsConfig{Listen: "127.0.0.1:9108"},
		Log:                LogConfig{Level: "info", Format: "auto"},
		ShutdownTimeout:    30 * time.Second,
		CheckpointInterval: checkpoint.DefaultSaveInterval,
	}
}

// envRef matches ${NAME} references to environment variables, expanded in
// the file's values (not its comments) so that secrets need not be written
// into it. Names are upper case, so AWS format strings such as
// "${version} ${srcaddr}" are left alone.
var envRef = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)\}`)

// LoadConfig reads a YAML config file over the defaults. Unknown keys are
// errors (a typo must not silently fall back to a default).
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	cfg := DefaultConfig()
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return cfg, nil // an empty file: all defaults
	}
	var missing []string
	expandEnv(&doc, &missing)
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("%s: environment variables not set: %s", path, strings.Join(missing, ", "))
	}
	// Decode through a strict decoder: the node API has no KnownFields.
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// expandEnv replaces ${NAME} in every scalar value under n.
func expandEnv(n *yaml.Node, missing *[]string) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := m[2 : len(m)-1]
			v, ok := os.LookupEnv(name)
			if !ok {
				*missing = append(*missing, name)
			}
			return v
		})
	}
	for _, c := range n.Content {
		expandEnv(c, missing)
	}
}

// Resolve fills the settings derived from others: the queue and dead-letter
// directories default to subdirectories of state_dir.
func (c *Config) Resolve() {
	if c.Queue.Dir == "" {
		c.Queue.Dir = filepath.Join(c.StateDir, "queue")
	}
	if c.HEC.DeadLetter == "" {
		c.HEC.DeadLetter = filepath.Join(c.StateDir, "deadletter")
	}
	for i := range c.Sources {
		if c.Sources[i].Format == "" {
			c.Sources[i].Format = c.Format
		}
		if c.Sources[i].Name == "" {
			c.Sources[i].Name = fmt.Sprintf("%s-%d", c.Sources[i].Type, i)
		}
	}
}

// Validate reports every bad setting, each naming its key and the fix.
func (c Config) Validate() error {
	var errs []error
	if c.StateDir == "" {
		errs = append(errs, errors.New("state_dir: empty; set a directory flowhec may write (checkpoints, queue)"))
	}
	if _, err := flowlog.ParseFormat(c.Format); err != nil {
		errs = append(errs, fmt.Errorf("format: %w", err))
	}
	if err := c.Event.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("event.%w", err))
	}
	if len(c.Sources) == 0 {
		errs = append(errs, errors.New("sources: none; add one, e.g. {type: file, paths: [/var/log/flowlogs]}"))
	}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		switch s.Type {
		case "file":
			if err := s.Config.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
			}
		case "stdin":
			if len(s.Paths) > 0 {
				errs = append(errs, fmt.Errorf("%s.paths: a stdin source takes no paths", key))
			}
		default:
			errs = append(errs, fmt.Errorf("%s.type: %q; want file or stdin", key, s.Type))
		}
	}
	if err := c.Enrich.Validate("enrich."); err != nil {
		errs = append(errs, err)
	}
	if err := c.HEC.Validate("hec."); err != nil {
		errs = append(errs, err)
	}
	if err := c.Queue.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level: %q; want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "json", "console", "auto":
	default:
		errs = append(errs, fmt.Errorf("log.format: %q; want json, console or auto", c.Log.Format))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown_timeout: %v; want a positive duration such as 30s", c.ShutdownTimeout))
	}
	if c.CheckpointInterval <= 0 {
		errs = append(errs, fmt.Errorf("checkpoint_interval: %v; want a positive duration such as 1s", c.CheckpointInterval))
	}
	return errors.Join(errs...)
}
