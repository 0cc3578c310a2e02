package testnet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Manifest describes a local network: which institutions take part, how
// many validators run, and how CometBFT is tuned for loopback. Every field's
// comment gives its default (the value DefaultManifest returns and that an
// absent key keeps).
type Manifest struct {
	// ChainID is the chain's id. Default "custody-testnet".
	ChainID string `toml:"chain_id"`
	// Banks is the number of custody banks, ids bank-1, bank-2, ... Default 1.
	Banks int `toml:"banks"`
	// Brokers is the number of brokers, ids broker-1, ... Default 1.
	Brokers int `toml:"brokers"`
	// Regulators is the number of regulators, ids regulator-1, ... Default 1.
	Regulators int `toml:"regulators"`
	// ClearingHouses is the number of clearing houses, ids
	// clearing-house-1, ... Default 1.
	ClearingHouses int `toml:"clearing_houses"`
	// Validators is the number of validator nodes. Every institution runs a
	// node; the first Validators of them (banks, brokers, regulators,
	// clearing houses, in that order) validate and the rest are full nodes.
	// A number above the institutions' count adds validator-only nodes
	// named validator-1, ... 0 means one per institution. Default 0.
	Validators int `toml:"validators"`
	// Power is each validator's voting power. Default 10.
	Power int64 `toml:"power"`
	// RiskOperators is the number of risk operators (ROLE_RISK_OPERATOR
	// participants that run a risk core, not a node), ids risk-1, ...; each
	// gets one key in DIR/<id>/keyring-test, for riskd's [chain] key.
	// Default 0.
	RiskOperators int `toml:"risk_operators"`
	// KeysPerParticipant is how many signing keys each institution gets in
	// genesis (several keys let a load generator sign in parallel). Default 1.
	KeysPerParticipant int `toml:"keys_per_participant"`
	// BusinessHours gives the chain the production calendar and hours:
	// bank-securities transfers only 09:00-16:00 UTC+8 on the clearing
	// house's trading days (which it must then set with
	// set_trading_calendar) and orders only in the exchanges' sessions.
	// Default false: the testnet's genesis is "always open"
	// (calendar.params.always_open, trading_hours.enabled false), so a local
	// network and its tests work at any wall-clock time.
	BusinessHours bool `toml:"business_hours"`

	// TimeoutCommit is consensus.timeout_commit. Default "500ms".
	TimeoutCommit Duration `toml:"timeout_commit"`
	// TimeoutPropose is consensus.timeout_propose, what each height led by a
	// stopped validator waits. Default "1s" (CometBFT's is 3s).
	TimeoutPropose Duration `toml:"timeout_propose"`
	// TxIndex is tx_index.indexer: "kv" or "null". Default "kv", because
	// clients look their txs up by hash; "null" is faster (see DESIGN.md).
	TxIndex string `toml:"tx_index"`
	// MempoolSize is mempool.size. Default 50000 (CometBFT's 5000 caps a block).
	MempoolSize int `toml:"mempool_size"`
	// SnapshotInterval is how often nodes take state sync snapshots, in
	// heights. Default 10.
	SnapshotInterval uint64 `toml:"snapshot_interval"`
	// Prometheus turns CometBFT's metrics server on, one port per node.
	// Default true.
	Prometheus bool `toml:"prometheus"`
	// LogLevel is CometBFT's log_level. Default "info".
	LogLevel string `toml:"log_level"`
	// LogFormat is "plain" (key=value) or "json". Default "plain".
	LogFormat string `toml:"log_format"`

	// Hosts are the addresses (IP or DNS name) the nodes run on, for a
	// network across machines: node i runs on Hosts[i mod len(Hosts)]. Each
	// node then listens on all interfaces, advertises host:port to its
	// peers (external_address, persistent_peers) and uses the standard
	// ports (P2P 26656, RPC 26657, Prometheus 26660, REST 1317), offset by
	// 10 for each earlier node on the same host. Empty: every node on
	// 127.0.0.1 with free ports. Default empty.
	Hosts []string `toml:"hosts"`
}

// Duration is a time.Duration written as "500ms" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	d.Duration = v
	return err
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultManifest is the default four-node network: a bank, a broker, a
// regulator and a clearing house, each a validator (networks/simple.toml).
func DefaultManifest() Manifest {
	return Manifest{
		ChainID:            "custody-testnet",
		Banks:              1,
		Brokers:            1,
		Regulators:         1,
		ClearingHouses:     1,
		Validators:         0,
		Power:              10,
		KeysPerParticipant: 1,
		TimeoutCommit:      Duration{500 * time.Millisecond},
		TimeoutPropose:     Duration{time.Second},
		TxIndex:            "kv",
		MempoolSize:        50000,
		SnapshotInterval:   10,
		Prometheus:         true,
		LogLevel:           "info",
		LogFormat:          "plain",
	}
}

// ParseManifest reads a manifest over DefaultManifest; unknown keys are an
// error. It does not validate.
func ParseManifest(r io.Reader) (Manifest, error) {
	m := DefaultManifest()
	md, err := toml.NewDecoder(r).Decode(&m)
	if err != nil {
		return Manifest{}, fmt.Errorf("testnet: manifest: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Manifest{}, fmt.Errorf("testnet: manifest: unknown keys %s", strings.Join(keys, ", "))
	}
	return m, nil
}

// LoadManifest reads and validates a manifest file.
func LoadManifest(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("testnet: %w", err)
	}
	defer f.Close()
	m, err := ParseManifest(f)
	if err != nil {
		return Manifest{}, err
	}
	return m, m.Validate()
}

// Institutions is the number of participant institutions.
func (m Manifest) Institutions() int {
	return m.Banks + m.Brokers + m.Regulators + m.ClearingHouses
}

// ValidatorCount is the number of validators the network will have.
func (m Manifest) ValidatorCount() int {
	if m.Validators == 0 {
		return m.Institutions()
	}
	return m.Validators
}

// Validate reports every bad field by its TOML name.
func (m Manifest) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("testnet: manifest %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if m.ChainID == "" || len(m.ChainID) > 50 {
		bad("chain_id", "must be 1 to 50 characters, got %q", m.ChainID)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"banks", m.Banks}, {"brokers", m.Brokers}, {"regulators", m.Regulators}, {"clearing_houses", m.ClearingHouses}} {
		if c.n < 1 || c.n > 50 {
			bad(c.name, "must be 1 to 50, got %d", c.n)
		}
	}
	if m.RiskOperators < 0 || m.RiskOperators > 50 {
		bad("risk_operators", "must be 0 to 50, got %d", m.RiskOperators)
	}
	if m.Validators < 0 || m.Validators > 100 {
		bad("validators", "must be 0 to 100, got %d", m.Validators)
	}
	if m.Power <= 0 {
		bad("power", "must be positive, got %d", m.Power)
	}
	if m.KeysPerParticipant < 1 || m.KeysPerParticipant > 64 {
		bad("keys_per_participant", "must be 1 to 64, got %d", m.KeysPerParticipant)
	}
	if m.TimeoutCommit.Duration <= 0 {
		bad("timeout_commit", "must be positive")
	}
	if m.TimeoutPropose.Duration <= 0 {
		bad("timeout_propose", "must be positive")
	}
	for i, h := range m.Hosts {
		if h == "" || strings.ContainsAny(h, " ,:/@") || len(h) > 253 {
			bad("hosts", "entry %d %q is not a host name or IPv4 address", i, h)
		}
	}
	if m.TxIndex != "kv" && m.TxIndex != "null" {
		bad("tx_index", `must be "kv" or "null", got %q`, m.TxIndex)
	}
	if m.MempoolSize <= 0 {
		bad("mempool_size", "must be positive, got %d", m.MempoolSize)
	}
	if m.SnapshotInterval == 0 {
		bad("snapshot_interval", "must be positive: joining nodes state sync from snapshots")
	}
	if m.LogFormat != "plain" && m.LogFormat != "json" {
		bad("log_format", `must be "plain" or "json", got %q`, m.LogFormat)
	}
	return errors.Join(errs...)
}
