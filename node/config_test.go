package node

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/node/api"
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

// TestAppConfig_APIRoundTrip: every [api] setting survives app.toml and
// reaches the server's config, paths resolved against the home.
func TestAppConfig_APIRoundTrip(t *testing.T) {
	home := t.TempDir()
	want := DefaultAppConfig()
	want.API = APIConfig{
		Address:     "tcp://0.0.0.0:1318",
		TLSCertFile: "config/api-cert.pem", TLSKeyFile: "/etc/custody/api-key.pem", TLSClientCAFile: "config/clients-ca.pem",
		CORSAllowedOrigins: []string{"https://console.example.com", "http://localhost:3000"},
		TrustedProxies:     []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"},
		RateLimit:          2.5, RateBurst: 7,
		ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 90 * time.Second,
		RequestTimeout: 4 * time.Second, CommitTimeout: 30 * time.Second,
		MaxBodyBytes: 1 << 20, MaxHeaderBytes: 8 << 10, ReadyMaxBlockAge: 45 * time.Second,
	}
	require.NoError(t, SaveAppConfig(home, want))
	got, err := LoadAppConfig(home)
	require.NoError(t, err)
	require.Equal(t, want, got)

	sc := got.API.ServerConfig(home)
	require.NoError(t, sc.Validate())
	require.Equal(t, filepath.Join(home, "config/api-cert.pem"), sc.TLSCertFile)
	require.Equal(t, "/etc/custody/api-key.pem", sc.TLSKeyFile)
	require.Equal(t, filepath.Join(home, "config/clients-ca.pem"), sc.TLSClientCAFile)
	require.Equal(t, want.API.TrustedProxies, sc.TrustedProxies)
	require.Equal(t, want.API.CORSAllowedOrigins, sc.CORSAllowedOrigins)
	require.Equal(t, 2.5, sc.RateLimit)
	require.Equal(t, 7, sc.RateBurst)
	require.Equal(t, time.Minute, sc.WriteTimeout)
	require.Equal(t, 45*time.Second, sc.ReadyMaxBlockAge)
	require.Equal(t, int64(1<<20), sc.MaxBodyBytes)

	// The defaults written by a fresh home are the server's own.
	require.Equal(t, api.DefaultConfig(), DefaultAppConfig().API.ServerConfig(home))
}

// TestAppConfig_APIHandWritten: an operator's app.toml with integers for
// the rate and Go durations reads as meant, and leaves the rest default.
func TestAppConfig_APIHandWritten(t *testing.T) {
	c, err := ParseAppConfig(strings.NewReader("[api]\nrate_limit = 50\nidle_timeout = \"5m\"\ntrusted_proxies = [\"127.0.0.1\"]\n"))
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	require.Equal(t, 50.0, c.API.RateLimit)
	require.Equal(t, 5*time.Minute, c.API.IdleTimeout)
	require.Equal(t, DefaultAppConfig().API.WriteTimeout, c.API.WriteTimeout)
	require.Equal(t, "tcp://127.0.0.1:1317", c.API.Address)
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
		{"api key without cert", func(c *AppConfig) { c.API.TLSKeyFile = "key.pem" }, "api.tls_cert_file"},
		{"api client CA without TLS", func(c *AppConfig) { c.API.TLSClientCAFile = "ca.pem" }, "api.tls_client_ca_file"},
		{"api bad origin", func(c *AppConfig) { c.API.CORSAllowedOrigins = []string{"console.example.com"} }, "api.cors_allowed_origins"},
		{"api bad proxy", func(c *AppConfig) { c.API.TrustedProxies = []string{"10.0.0.0/33"} }, "api.trusted_proxies"},
		{"api no rate", func(c *AppConfig) { c.API.RateLimit = 0 }, "api.rate_limit"},
		{"api no burst", func(c *AppConfig) { c.API.RateBurst = 0 }, "api.rate_burst"},
		{"api no read header timeout", func(c *AppConfig) { c.API.ReadHeaderTimeout = 0 }, "api.read_header_timeout"},
		{"api commit outlives write", func(c *AppConfig) { c.API.WriteTimeout = 25 * time.Second }, "api.commit_timeout"},
		{"api no body", func(c *AppConfig) { c.API.MaxBodyBytes = 0 }, "api.max_body_bytes"},
		{"api no block age", func(c *AppConfig) { c.API.ReadyMaxBlockAge = 0 }, "api.ready_max_block_age"},
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
