// Package config reads the risk core's TOML configuration: associated-account
// groups, rule parameters, and the engine, store, anchoring, admin,
// capture, market, chain and standby settings (docs/risk.md lists each).
// With no file, or for any key a file leaves out, the DOMAIN.md defaults
// apply (risk.DefaultParams).
//
//	[engine]
//	workers = 2                  # partitions (worker goroutines)
//	checkpoint_every = 50000     # inputs per partition between checkpoints
//	data_dir = "riskdata"        # badger directory
//	retention = "720h"           # drop inputs and alerts older than this
//
//	[anchor]
//	max_count = 256
//	max_age = "1m"
//
//	[admin]
//	listen = "127.0.0.1:8089"
//	tls_cert = "riskd.crt"       # PEM; with tls_key the server speaks HTTPS
//	tls_key = "riskd.key"
//
//	[capture]                  # riskd run: iface (live) or pcap, endpoints
//	iface = "lo"
//	szse = ["127.0.0.1:9100"]
//	sse = ["127.0.0.1:9200"]
//
//	[market]
//	listen = "127.0.0.1:9300"
//
//	[chain]                    # node, witnesses, trust root, keyring and keys
//	node = "tcp://127.0.0.1:26657"
//	witnesses = ["tcp://127.0.0.1:26660"]
//	keyring = "keyring"
//	key = "risk-1"
//
//	[standby]
//	leader = ""                # the leader's https admin URL: run as its hot standby
//	leader_cert = "leader.crt" # the leader's certificate, pinned
//
//	[[associated]]
//	accounts = ["0601234567", "0607654321"]
//
//	[rules.spoofing]
//	per_day = 3
//	cancel_within = "60s"
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/custody-ledger/custody/risk"
)

// ErrUnknownKey is returned (wrapped, listing the keys) by Parse for keys
// the configuration does not define: a typo must not silently fall back to
// a default threshold.
var ErrUnknownKey = errors.New("config: unknown keys")

// ValidationError names the field that failed validation.
type ValidationError struct {
	Field string
	Err   error
}

func (e *ValidationError) Error() string { return fmt.Sprintf("config: %s: %v", e.Field, e.Err) }
func (e *ValidationError) Unwrap() error { return e.Err }

// Group is one [[associated]] table.
type Group struct {
	Accounts []string `toml:"accounts"`
}

// Engine configures the runner and its store.
type Engine struct {
	Workers         int           `toml:"workers"`          // default 1
	CheckpointEvery int           `toml:"checkpoint_every"` // default 50 000
	DataDir         string        `toml:"data_dir"`         // default "riskdata"
	Retention       risk.Duration `toml:"retention"`        // default 720h (30 days)
}

// Anchor configures alert batching.
type Anchor struct {
	MaxCount int           `toml:"max_count"` // default 256
	MaxAge   risk.Duration `toml:"max_age"`   // default 1m
}

// Admin configures the admin API server (the admin API, status, the
// standby stream and onboarding share it).
type Admin struct {
	Listen string `toml:"listen"` // default 127.0.0.1:8089
	// TLSCert and TLSKey are PEM files: given (both), the server speaks
	// only HTTPS. A leader followed by a standby must set them (the
	// standby pins TLSCert). Relative paths are from the working directory.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// Chain says how the risk core reaches the custody chain: where it submits
// and reads, how its light client verifies headers, and which keys sign.
// An empty Node runs the core without a chain (no anchoring, no ledger feed,
// no freeze).
type Chain struct {
	// Node is the RPC address of the node txs go to and values come from.
	Node string `toml:"node"`
	// Witnesses are other nodes' RPC addresses; the light client
	// cross-checks every header with them (at least one for proven reads).
	Witnesses []string `toml:"witnesses"`
	// ChainID defaults to the node's.
	ChainID string `toml:"chain_id"`
	// TrustHeight and TrustHash (hex) pin the light client's root of trust.
	// Both zero: trust header 1 as the first witness reports it (trust on
	// first use, for local testnets; riskd logs it).
	TrustHeight int64  `toml:"trust_height"`
	TrustHash   string `toml:"trust_hash"`
	// Keyring is the directory of the signing keys (client/keys);
	// KeyringBackend is "file" (encrypted, default) or "test".
	Keyring        string `toml:"keyring"`
	KeyringBackend string `toml:"keyring_backend"`
	// Key names the ROLE_RISK_OPERATOR key that anchors.
	Key string `toml:"key"`
	// FreezeKey optionally names a key that freezes accounts; the freeze is
	// submitted only if that key has ROLE_REGULATOR on chain, and recorded
	// as a request otherwise. Default: Key.
	FreezeKey string `toml:"freeze_key"`
	// PassphraseEnv is the environment variable holding the keyring
	// passphrase (file backend). Default RISKD_KEY_PASSPHRASE.
	PassphraseEnv string `toml:"passphrase_env"`
	// Operator is the risk operator's participant id; default: the owner
	// of Key on chain.
	Operator string `toml:"operator"`
	// Poll is how often the ledger feed asks for new blocks. Default 1s.
	Poll risk.Duration `toml:"poll"`
}

// Capture configures the order-flow source: live capture of the mirrored
// exchange links, or a recorded capture file.
type Capture struct {
	// Iface is the interface to capture on (AF_PACKET, needs root).
	Iface string `toml:"iface"`
	// Pcap is a capture file to decode instead (with its packets' clock);
	// the daemon keeps running after its end.
	Pcap string   `toml:"pcap"`
	SZSE []string `toml:"szse"` // SZSE Binary gateways host:port
	SSE  []string `toml:"sse"`  // SSE order databases host:port
}

// Market configures the market snapshot feed.
type Market struct {
	// Listen is where feed connections send snapshot lines ("" : none).
	Listen string `toml:"listen"`
}

// Standby configures a hot standby.
type Standby struct {
	// Leader is the https admin API URL of the leader to follow ("" : this
	// process leads from the start). The standby presents a token of its
	// own operator key (chain.key) and the leader must show LeaderCert.
	Leader string `toml:"leader"`
	// LeaderCert is the PEM file of the leader's TLS certificate (its
	// admin.tls_cert): the standby accepts exactly that certificate, so
	// no other server can feed it inputs. Required with Leader.
	LeaderCert string `toml:"leader_cert"`
	// TakeoverAfter is how long the leader's stream may be silent (it
	// sends a heartbeat every second) before the standby takes over.
	// Default 3s.
	TakeoverAfter risk.Duration `toml:"takeover_after"`
}

// Config is the whole file.
type Config struct {
	Engine     Engine      `toml:"engine"`
	Anchor     Anchor      `toml:"anchor"`
	Admin      Admin       `toml:"admin"`
	Chain      Chain       `toml:"chain"`
	Capture    Capture     `toml:"capture"`
	Market     Market      `toml:"market"`
	Standby    Standby     `toml:"standby"`
	Associated []Group     `toml:"associated"`
	Rules      risk.Params `toml:"rules"`
}

// Default returns the configuration used when there is no file.
func Default() Config {
	return Config{
		Engine: Engine{Workers: 1, CheckpointEvery: 50_000, DataDir: "riskdata", Retention: risk.Duration(720 * time.Hour)},
		Anchor: Anchor{MaxCount: 256, MaxAge: risk.Duration(time.Minute)},
		Admin:  Admin{Listen: "127.0.0.1:8089"},
		Chain: Chain{KeyringBackend: "file", PassphraseEnv: "RISKD_KEY_PASSPHRASE",
			Poll: risk.Duration(time.Second)},
		Standby: Standby{TakeoverAfter: risk.Duration(3 * time.Second)},
		Rules:   risk.DefaultParams(),
	}
}

// Parse reads a TOML document over the defaults and validates the result.
func Parse(r io.Reader) (Config, error) {
	c := Default()
	md, err := toml.NewDecoder(r).Decode(&c)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("%w: %s", ErrUnknownKey, strings.Join(keys, ", "))
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Load reads the file at path; an empty path yields Default().
func Load(path string) (Config, error) {
	if path == "" {
		return Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Validate checks every section; errors are *ValidationError (joined).
func (c Config) Validate() error {
	var errs []error
	if c.Engine.Workers < 1 {
		errs = append(errs, &ValidationError{"engine.workers", fmt.Errorf("must be ≥ 1, got %d", c.Engine.Workers)})
	}
	if c.Engine.CheckpointEvery < 1 {
		errs = append(errs, &ValidationError{"engine.checkpoint_every", fmt.Errorf("must be ≥ 1, got %d", c.Engine.CheckpointEvery)})
	}
	if c.Anchor.MaxCount < 1 {
		errs = append(errs, &ValidationError{"anchor.max_count", fmt.Errorf("must be ≥ 1, got %d", c.Anchor.MaxCount)})
	}
	if c.Chain.KeyringBackend != "file" && c.Chain.KeyringBackend != "test" {
		errs = append(errs, &ValidationError{"chain.keyring_backend", fmt.Errorf("must be file or test, got %q", c.Chain.KeyringBackend)})
	}
	if c.Chain.Poll <= 0 {
		errs = append(errs, &ValidationError{"chain.poll", fmt.Errorf("must be > 0, got %s", c.Chain.Poll.D())})
	}
	if (c.Chain.TrustHeight > 0) != (c.Chain.TrustHash != "") {
		errs = append(errs, &ValidationError{"chain.trust_hash", errors.New("give trust_height and trust_hash together")})
	}
	if c.Capture.Iface != "" && c.Capture.Pcap != "" {
		errs = append(errs, &ValidationError{"capture.pcap", errors.New("give iface or pcap, not both")})
	}
	if (c.Capture.Iface != "" || c.Capture.Pcap != "") && len(c.Capture.SZSE)+len(c.Capture.SSE) == 0 {
		errs = append(errs, &ValidationError{"capture.szse", errors.New("capture needs szse and/or sse endpoints")})
	}
	if (c.Admin.TLSCert != "") != (c.Admin.TLSKey != "") {
		errs = append(errs, &ValidationError{"admin.tls_key", errors.New("give tls_cert and tls_key together")})
	}
	if c.Standby.Leader != "" {
		if !strings.HasPrefix(c.Standby.Leader, "https://") {
			errs = append(errs, &ValidationError{"standby.leader", fmt.Errorf("must be an https:// URL (the standby authenticates its leader by its certificate), got %q", c.Standby.Leader)})
		}
		if c.Standby.LeaderCert == "" {
			errs = append(errs, &ValidationError{"standby.leader_cert", errors.New("a standby pins its leader's certificate: give the leader's admin.tls_cert file")})
		}
		if c.Chain.Node == "" || c.Chain.Key == "" {
			errs = append(errs, &ValidationError{"standby.leader", errors.New("a standby needs [chain] node and key: it signs its token to the leader with its operator key")})
		}
	}
	if c.Standby.TakeoverAfter <= 0 {
		errs = append(errs, &ValidationError{"standby.takeover_after", fmt.Errorf("must be > 0, got %s", c.Standby.TakeoverAfter.D())})
	}
	for i, g := range c.Associated {
		if len(g.Accounts) < 2 {
			errs = append(errs, &ValidationError{fmt.Sprintf("associated[%d].accounts", i), errors.New("a group needs at least two accounts")})
		}
	}
	if err := c.Rules.Validate(); err != nil {
		errs = append(errs, &ValidationError{"rules", err})
	}
	return errors.Join(errs...)
}

// Groups returns the associated-account groups.
func (c Config) Groups() *risk.Groups {
	lists := make([][]string, len(c.Associated))
	for i, g := range c.Associated {
		lists[i] = g.Accounts
	}
	return risk.NewGroups(lists)
}
