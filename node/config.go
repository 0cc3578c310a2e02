package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// AppConfigFile is where a home keeps the application's own config, beside
// CometBFT's config.toml.
const AppConfigFile = "app.toml"

// AppConfig is config/app.toml: what the custody application needs beyond
// CometBFT's config.toml. Flags only overlay it (custodyd start --api).
type AppConfig struct {
	Pruning    PruningConfig    `toml:"pruning"`
	Snapshots  SnapshotsConfig  `toml:"snapshots"`
	Metrics    MetricsConfig    `toml:"metrics"`
	API        APIConfig        `toml:"api"`
	Tx         TxConfig         `toml:"tx"`
	Invariants InvariantsConfig `toml:"invariants"`
}

// InvariantsConfig governs the periodic invariant check.
type InvariantsConfig struct {
	// Interval runs every invariant after every that many commits and logs
	// and exports (as a metric) any broken one; 0 runs them only on demand
	// (the /custody/invariants query). The check only reads. Default 0.
	Interval int64 `toml:"interval"`
}

// PruningConfig says which old IAVL versions the node deletes.
type PruningConfig struct {
	// KeepRecent is how many recent versions are kept; 0 keeps every version.
	// Default 1000. Queries with proofs work at any kept height.
	KeepRecent int64 `toml:"keep_recent"`
	// Interval is how often, in heights, pruning runs. Default 10.
	Interval int64 `toml:"interval"`
}

// SnapshotsConfig governs the state sync snapshots this node serves.
type SnapshotsConfig struct {
	// Interval is the height interval between snapshots; 0 takes none.
	// Default 0 (off); the testnet generator turns it on.
	Interval uint64 `toml:"interval"`
	// KeepRecent is how many snapshots are kept. Default 2.
	KeepRecent uint32 `toml:"keep_recent"`
	// Dir holds them, relative to the home. Default "data/snapshots".
	Dir string `toml:"dir"`
}

// MetricsConfig turns the application's Prometheus metrics on. They are
// registered in the same registry CometBFT serves at
// instrumentation.prometheus_listen_addr, so both must be on to be seen.
type MetricsConfig struct {
	// Enabled registers the app metrics (txs by type and code, invariant
	// status). Default true.
	Enabled bool `toml:"enabled"`
}

// APIConfig is where the node serves its REST API (package node/api, with
// api.DefaultConfig for the rest); `custodyd start --api` overrides it.
type APIConfig struct {
	// Address is "tcp://host:port"; empty serves no API. Default
	// "tcp://127.0.0.1:1317".
	Address string `toml:"address"`
	// RiskAdmin is the risk core's admin API ("http://host:port") whose
	// alert reads the console proxies (docs/console.md); empty proxies
	// none. Default empty.
	RiskAdmin string `toml:"risk_admin"`
}

// TxConfig bounds what the application accepts.
type TxConfig struct {
	// MaxBytes is the largest tx CheckTx accepts. Default 65536.
	MaxBytes int `toml:"max_bytes"`
}

// DefaultAppConfig returns the config a fresh home gets.
func DefaultAppConfig() AppConfig {
	return AppConfig{
		Pruning:   PruningConfig{KeepRecent: 1000, Interval: 10},
		Snapshots: SnapshotsConfig{Interval: 0, KeepRecent: 2, Dir: filepath.Join("data", "snapshots")},
		Metrics:   MetricsConfig{Enabled: true},
		API:       APIConfig{Address: "tcp://127.0.0.1:1317"},
		Tx:        TxConfig{MaxBytes: 64 << 10},
		// Invariants are checked on demand; the testnet turns the periodic check on.
		Invariants: InvariantsConfig{Interval: 0},
	}
}

// ConfigValidationError names the field of app.toml that is wrong.
type ConfigValidationError struct {
	Field string
	Err   error
}

func (e *ConfigValidationError) Error() string {
	return "node: app.toml " + e.Field + ": " + e.Err.Error()
}
func (e *ConfigValidationError) Unwrap() error { return e.Err }

// Validate reports every bad field, each as a *ConfigValidationError.
func (c AppConfig) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigValidationError{Field: field, Err: fmt.Errorf(format, args...)})
	}
	if c.Pruning.KeepRecent < 0 {
		bad("pruning.keep_recent", "must not be negative, got %d", c.Pruning.KeepRecent)
	}
	if c.Pruning.Interval <= 0 {
		bad("pruning.interval", "must be positive, got %d", c.Pruning.Interval)
	}
	if c.Snapshots.Interval > 0 && c.Snapshots.KeepRecent == 0 {
		bad("snapshots.keep_recent", "must be at least 1 when snapshots are on")
	}
	if c.Snapshots.Interval > 0 && c.Pruning.KeepRecent != 0 && uint64(c.Pruning.KeepRecent) < c.Snapshots.Interval {
		bad("pruning.keep_recent", "%d is less than snapshots.interval %d: a snapshot's version could be pruned before it is taken",
			c.Pruning.KeepRecent, c.Snapshots.Interval)
	}
	if c.Snapshots.Dir == "" {
		bad("snapshots.dir", "must not be empty")
	}
	if c.API.Address != "" {
		if _, err := ParseTCPAddress(c.API.Address); err != nil {
			bad("api.address", "%v", err)
		}
	}
	if c.API.RiskAdmin != "" {
		if u, err := url.Parse(c.API.RiskAdmin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("api.risk_admin", "%q is not an address like http://host:port", c.API.RiskAdmin)
		}
	}
	if c.Invariants.Interval < 0 {
		bad("invariants.interval", "must not be negative, got %d", c.Invariants.Interval)
	}
	if c.Tx.MaxBytes <= 0 {
		bad("tx.max_bytes", "must be positive, got %d", c.Tx.MaxBytes)
	}
	return errors.Join(errs...)
}

// ParseTCPAddress turns "tcp://host:port" (or "host:port") into "host:port".
func ParseTCPAddress(addr string) (string, error) {
	hostPort := strings.TrimPrefix(addr, "tcp://")
	if strings.Contains(hostPort, "://") {
		return "", fmt.Errorf("%q: only tcp:// addresses are supported", addr)
	}
	if _, _, err := net.SplitHostPort(hostPort); err != nil {
		return "", fmt.Errorf("%q: %w", addr, err)
	}
	return hostPort, nil
}

// ParseAppConfig reads app.toml text over DefaultAppConfig. Unknown keys are
// an error. It does not validate.
func ParseAppConfig(r io.Reader) (AppConfig, error) {
	c := DefaultAppConfig()
	md, err := toml.NewDecoder(r).Decode(&c)
	if err != nil {
		return AppConfig{}, fmt.Errorf("node: app.toml: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return AppConfig{}, fmt.Errorf("node: app.toml: unknown keys %s", strings.Join(keys, ", "))
	}
	return c, nil
}

// LoadAppConfig reads and validates home/config/app.toml. A missing file
// gives the defaults.
func LoadAppConfig(home string) (AppConfig, error) {
	f, err := os.Open(filepath.Join(home, "config", AppConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return DefaultAppConfig(), nil
	}
	if err != nil {
		return AppConfig{}, fmt.Errorf("node: %w", err)
	}
	defer f.Close()
	c, err := ParseAppConfig(f)
	if err != nil {
		return AppConfig{}, err
	}
	return c, c.Validate()
}

// Encode writes the config as commented TOML.
func (c AppConfig) Encode(w io.Writer) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `# Custody Ledger application config. CometBFT's own settings are in config.toml.

[pruning]
# Recent IAVL versions kept; 0 keeps all. Proofs work at any kept height. (default 1000)
keep_recent = %d
# Run pruning every this many heights. (default 10)
interval = %d

[snapshots]
# Take a state sync snapshot every this many heights; 0 takes none. (default 0)
interval = %d
# Snapshots kept. (default 2)
keep_recent = %d
# Where they are stored, relative to the home. (default "data/snapshots")
dir = %q

[metrics]
# Register app metrics (txs by type and code, invariant status) in the registry
# CometBFT serves; instrumentation.prometheus in config.toml must be on too. (default true)
enabled = %t

[api]
# REST API address (docs/api.md); empty serves none. (default "tcp://127.0.0.1:1317")
address = %q
# The risk core's admin API (http://host:port) whose alerts the console at
# /ui/ reads through this node, with the caller's own token; empty: none.
risk_admin = %q

[tx]
# Largest tx accepted, in bytes. (default 65536)
max_bytes = %d

[invariants]
# Check every invariant after every this many commits, logging and exporting
# any broken one; 0 checks only on demand (the /custody/invariants query). (default 0)
interval = %d
`, c.Pruning.KeepRecent, c.Pruning.Interval, c.Snapshots.Interval, c.Snapshots.KeepRecent, c.Snapshots.Dir,
		c.Metrics.Enabled, c.API.Address, c.API.RiskAdmin, c.Tx.MaxBytes, c.Invariants.Interval)
	_, err := w.Write(buf.Bytes())
	return err
}

// SaveAppConfig writes c to home/config/app.toml.
func SaveAppConfig(home string, c AppConfig) error {
	dir := filepath.Join(home, "config")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, AppConfigFile), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	return nil
}
