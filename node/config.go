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
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/custody-ledger/custody/node/api"
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

// APIConfig is the node's REST server (package node/api; docs/api.md,
// "Operation", and docs/operations.md, "The REST API"). Every field but
// Address defaults to api.DefaultConfig's value; `custodyd start --api`
// overrides Address. File paths are relative to the home unless absolute.
type APIConfig struct {
	// Address is "tcp://host:port"; empty serves no API. Default
	// "tcp://127.0.0.1:1317".
	Address string `toml:"address"`
	// TLSCertFile and TLSKeyFile, both set, serve HTTPS; a renewed pair is
	// picked up without a restart. TLSClientCAFile additionally demands a
	// client certificate from those CAs (mutual TLS). Default empty.
	TLSCertFile     string `toml:"tls_cert_file"`
	TLSKeyFile      string `toml:"tls_key_file"`
	TLSClientCAFile string `toml:"tls_client_ca_file"`
	// CORSAllowedOrigins are the browser origins allowed to call the API
	// ("https://app.example.com", or "*"). Default none: CORS off.
	CORSAllowedOrigins []string `toml:"cors_allowed_origins"`
	// TrustedProxies are the reverse proxies' addresses or CIDR ranges
	// whose X-Forwarded-For is believed. Default none.
	TrustedProxies []string `toml:"trusted_proxies"`
	// RateLimit (requests per second) and RateBurst are each key's token
	// bucket, and each client IP's for unauthenticated calls. Defaults 20
	// and 40.
	RateLimit float64 `toml:"rate_limit"`
	RateBurst int     `toml:"rate_burst"`
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// HTTP server's. Defaults 5s, 15s, 45s, 2m.
	ReadHeaderTimeout time.Duration `toml:"read_header_timeout"`
	ReadTimeout       time.Duration `toml:"read_timeout"`
	WriteTimeout      time.Duration `toml:"write_timeout"`
	IdleTimeout       time.Duration `toml:"idle_timeout"`
	// RequestTimeout bounds a request's node work, CommitTimeout how long
	// POST /v1/txs waits for the block. Defaults 10s and 20s; their sum
	// must stay below WriteTimeout.
	RequestTimeout time.Duration `toml:"request_timeout"`
	CommitTimeout  time.Duration `toml:"commit_timeout"`
	// MaxBodyBytes and MaxHeaderBytes bound a request. Defaults 262144
	// and 16384.
	MaxBodyBytes   int64 `toml:"max_body_bytes"`
	MaxHeaderBytes int   `toml:"max_header_bytes"`
	// ReadyMaxBlockAge is the oldest latest block with which /readyz still
	// says ready. Default 30s.
	ReadyMaxBlockAge time.Duration `toml:"ready_max_block_age"`
	// RiskAdmin is the risk core's admin API ("http://host:port") whose
	// alert reads the console proxies (docs/console.md); empty proxies
	// none. Default empty.
	RiskAdmin string `toml:"risk_admin"`
}

// defaultAPIConfig is [api] as api.DefaultConfig has it.
func defaultAPIConfig() APIConfig {
	d := api.DefaultConfig()
	return APIConfig{
		Address:           "tcp://127.0.0.1:1317",
		RateLimit:         d.RateLimit,
		RateBurst:         d.RateBurst,
		ReadHeaderTimeout: d.ReadHeaderTimeout, ReadTimeout: d.ReadTimeout,
		WriteTimeout: d.WriteTimeout, IdleTimeout: d.IdleTimeout,
		RequestTimeout: d.RequestTimeout, CommitTimeout: d.CommitTimeout,
		MaxBodyBytes: d.MaxBodyBytes, MaxHeaderBytes: d.MaxHeaderBytes,
		ReadyMaxBlockAge: d.ReadyMaxBlockAge,
	}
}

// ServerConfig is the api.Config these settings give, with file paths
// resolved against home; fields app.toml does not carry keep
// api.DefaultConfig's values.
func (c APIConfig) ServerConfig(home string) api.Config {
	inHome := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(home, p)
	}
	s := api.DefaultConfig()
	s.Address = c.Address
	s.RiskAdminURL = c.RiskAdmin
	s.TLSCertFile, s.TLSKeyFile, s.TLSClientCAFile = inHome(c.TLSCertFile), inHome(c.TLSKeyFile), inHome(c.TLSClientCAFile)
	s.CORSAllowedOrigins, s.TrustedProxies = c.CORSAllowedOrigins, c.TrustedProxies
	s.RateLimit, s.RateBurst = c.RateLimit, c.RateBurst
	s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout = c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout
	s.RequestTimeout, s.CommitTimeout = c.RequestTimeout, c.CommitTimeout
	s.MaxBodyBytes, s.MaxHeaderBytes = c.MaxBodyBytes, c.MaxHeaderBytes
	s.ReadyMaxBlockAge = c.ReadyMaxBlockAge
	return s
}

// apiFieldKeys names, for each api.Config field app.toml carries, its key.
var apiFieldKeys = map[string]string{
	"Address": "api.address", "TLSCertFile": "api.tls_cert_file", "TLSKeyFile": "api.tls_key_file",
	"TLSClientCAFile": "api.tls_client_ca_file", "CORSAllowedOrigins": "api.cors_allowed_origins",
	"TrustedProxies": "api.trusted_proxies", "RateLimit": "api.rate_limit", "RateBurst": "api.rate_burst",
	"ReadHeaderTimeout": "api.read_header_timeout", "ReadTimeout": "api.read_timeout",
	"WriteTimeout": "api.write_timeout", "IdleTimeout": "api.idle_timeout",
	"RequestTimeout": "api.request_timeout", "CommitTimeout": "api.commit_timeout",
	"MaxBodyBytes": "api.max_body_bytes", "MaxHeaderBytes": "api.max_header_bytes",
	"ReadyMaxBlockAge": "api.ready_max_block_age",
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
		API:       defaultAPIConfig(),
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
		// The server's own Validate is the one rule book; its field names
		// are turned into app.toml keys.
		for _, err := range unjoin(c.API.ServerConfig("").Validate()) {
			var ve *api.ConfigValidationError
			if errors.As(err, &ve) {
				field := apiFieldKeys[ve.Field]
				if field == "" {
					field = "api." + ve.Field
				}
				bad(field, "%v", ve.Err)
				continue
			}
			errs = append(errs, err)
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

// unjoin splits an errors.Join result into its errors.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
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
	// "[]" and an absent key mean the same: none.
	if len(c.API.CORSAllowedOrigins) == 0 {
		c.API.CORSAllowedOrigins = nil
	}
	if len(c.API.TrustedProxies) == 0 {
		c.API.TrustedProxies = nil
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
# The REST API (docs/api.md; each setting in docs/operations.md, "The REST API").
# Address to serve it on; empty serves none. (default "tcp://127.0.0.1:1317")
address = %q
# HTTPS: PEM certificate chain and key, relative to the home unless absolute;
# both empty serve plain HTTP. Replaced files are picked up without a restart.
tls_cert_file = %q
tls_key_file = %q
# Mutual TLS: demand a client certificate signed by a CA in this PEM file
# (needs tls_cert_file). Tokens are still required. (default "": off)
tls_client_ca_file = %q
# Browser origins allowed to call the API, e.g. ["https://console.example.com"],
# or ["*"]. (default []: CORS off, browsers refuse cross-origin calls)
cors_allowed_origins = %s
# Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed;
# from any other peer the header is ignored. (default []: none)
trusted_proxies = %s
# Token bucket per key (authenticated calls) and per client IP (unauthenticated
# calls only): sustained requests per second, and burst. (defaults 20, 40)
rate_limit = %s
rate_burst = %d
# HTTP server timeouts. (defaults "5s", "15s", "45s", "2m0s")
read_header_timeout = %q
read_timeout = %q
write_timeout = %q
idle_timeout = %q
# Node work per request, and how long POST /v1/txs waits for its block; their
# sum must stay below write_timeout. (defaults "10s", "20s")
request_timeout = %q
commit_timeout = %q
# Largest request body and request header, in bytes. (defaults 262144, 16384)
max_body_bytes = %d
max_header_bytes = %d
# /readyz says not ready once the latest block is older than this. (default "30s")
ready_max_block_age = %q
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
		c.Metrics.Enabled,
		c.API.Address, c.API.TLSCertFile, c.API.TLSKeyFile, c.API.TLSClientCAFile,
		tomlStrings(c.API.CORSAllowedOrigins), tomlStrings(c.API.TrustedProxies),
		strconv.FormatFloat(c.API.RateLimit, 'f', -1, 64), c.API.RateBurst,
		c.API.ReadHeaderTimeout.String(), c.API.ReadTimeout.String(), c.API.WriteTimeout.String(), c.API.IdleTimeout.String(),
		c.API.RequestTimeout.String(), c.API.CommitTimeout.String(),
		c.API.MaxBodyBytes, c.API.MaxHeaderBytes, c.API.ReadyMaxBlockAge.String(), c.API.RiskAdmin,
		c.Tx.MaxBytes, c.Invariants.Interval)
	_, err := w.Write(buf.Bytes())
	return err
}

// tomlStrings writes a TOML array of strings.
func tomlStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
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
