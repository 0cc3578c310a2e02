package node

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/stretchr/testify/require"
)

func TestCometConfig_RoundTrip(t *testing.T) {
	home := t.TempDir()
	want := cmtcfg.DefaultConfig()
	want.SetRoot(home)
	want.Moniker = "bank-1"
	want.P2P.PersistentPeers = "abc@127.0.0.1:1,def@127.0.0.1:2"
	want.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	want.Mempool.Size = 50000
	want.Consensus.TimeoutCommit = 300 * time.Millisecond
	want.StateSync.Enable = true
	want.StateSync.RPCServers = []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}
	want.StateSync.TrustHeight = 42
	want.StateSync.TrustHash = strings.Repeat("AB", 32)
	want.TxIndex.Indexer = "kv"
	want.Instrumentation.Prometheus = true
	require.NoError(t, WriteCometConfig(home, want))

	got, err := LoadCometConfig(home)
	require.NoError(t, err)
	require.Equal(t, want, got, "config.toml written by CometBFT's template must read back equal")
}

func TestParseCometConfig_Errors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", "moniker = \"x\"\nmonikr = \"y\"\n", `unknown key "monikr"`},
		{"unknown section key", "[p2p]\nladdr_x = \"x\"\n", `unknown key "p2p.laddr_x"`},
		{"bad duration", "[consensus]\ntimeout_commit = \"soon\"\n", `key "consensus.timeout_commit"`},
		{"wrong type", "[mempool]\nsize = \"big\"\n", `key "mempool.size"`},
		{"negative uint", "[statesync]\nmax_snapshot_chunks = -1\n", `key "statesync.max_snapshot_chunks"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCometConfig(tc.text)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestAppConfig_RoundTrip(t *testing.T) {
	home := t.TempDir()
	want := DefaultAppConfig()
	want.Snapshots.Interval = 10
	want.API.Address = "tcp://127.0.0.1:4321"
	want.Invariants.Interval = 5
	require.NoError(t, SaveAppConfig(home, want))
	got, err := LoadAppConfig(home)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestLoadAppConfig_MissingFileGivesDefaults(t *testing.T) {
	got, err := LoadAppConfig(filepath.Join(t.TempDir(), "nothing"))
	require.NoError(t, err)
	require.Equal(t, DefaultAppConfig(), got)
}

func TestParseAppConfig_UnknownKey(t *testing.T) {
	_, err := ParseAppConfig(strings.NewReader("[api]\nadress = \"tcp://127.0.0.1:1\"\n"))
	require.ErrorContains(t, err, "api.adress")
}

func TestAppConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*AppConfig)
		field string
	}{
		{"negative keep", func(c *AppConfig) { c.Pruning.KeepRecent = -1 }, "pruning.keep_recent"},
		{"zero interval", func(c *AppConfig) { c.Pruning.Interval = 0 }, "pruning.interval"},
		{"snapshots kept none", func(c *AppConfig) { c.Snapshots.Interval = 10; c.Snapshots.KeepRecent = 0 }, "snapshots.keep_recent"},
		{"pruned before snapshot", func(c *AppConfig) { c.Snapshots.Interval = 100; c.Pruning.KeepRecent = 50 }, "pruning.keep_recent"},
		{"api not tcp", func(c *AppConfig) { c.API.Address = "unix:///tmp/x" }, "api.address"},
		{"api no port", func(c *AppConfig) { c.API.Address = "tcp://127.0.0.1" }, "api.address"},
		{"tx size", func(c *AppConfig) { c.Tx.MaxBytes = 0 }, "tx.max_bytes"},
		{"invariants", func(c *AppConfig) { c.Invariants.Interval = -1 }, "invariants.interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultAppConfig()
			tc.edit(&c)
			err := c.Validate()
			var ve *ConfigValidationError
			require.True(t, errors.As(err, &ve), "got %v, want a *ConfigValidationError", err)
			require.Equal(t, tc.field, ve.Field)
		})
	}
	require.NoError(t, DefaultAppConfig().Validate())
}
