package testnet

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/node"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func TestSimpleManifest_IsTheDefault(t *testing.T) {
	m, err := LoadManifest(filepath.Join("networks", "simple.toml"))
	require.NoError(t, err)
	require.Equal(t, DefaultManifest(), m, "networks/simple.toml must spell out DefaultManifest")
}

func TestParseManifest_Errors(t *testing.T) {
	_, err := ParseManifest(strings.NewReader("bankz = 2\n"))
	require.ErrorContains(t, err, "bankz")
	m, err := ParseManifest(strings.NewReader("banks = 0\ntx_index = \"psql\"\n"))
	require.NoError(t, err)
	err = m.Validate()
	require.ErrorContains(t, err, "banks")
	require.ErrorContains(t, err, "tx_index")
}

func TestGenerate_Homes(t *testing.T) {
	dir := t.TempDir()
	m := DefaultManifest()
	m.Banks, m.Brokers, m.Validators, m.KeysPerParticipant = 2, 2, 7, 2
	tn, err := Generate(dir, m, GenerateOptions{})
	require.NoError(t, err)

	// 6 institutions, 7 validators: one validator-only node.
	require.Len(t, tn.Nodes, 7)
	require.Equal(t, "validator-1", tn.Nodes[6].Name)
	require.Len(t, tn.Validators(), 7)

	loaded, err := Load(dir)
	require.NoError(t, err)
	require.Equal(t, tn, loaded)

	gen, err := types.GenesisDocFromFile(filepath.Join(dir, "bank-1", "config", "genesis.json"))
	require.NoError(t, err)
	require.Len(t, gen.Validators, 7)
	var app custodyv1.GenesisState
	require.NoError(t, protojson.Unmarshal(gen.AppState, &app))
	require.Len(t, app.Participants, 6)

	keys, err := tn.Keys()
	require.NoError(t, err)
	ports := map[int]string{}
	for _, n := range tn.Nodes {
		home := tn.Home(n)
		for _, f := range []string{"config/node_key.json", "config/priv_validator_key.json", "data/priv_validator_state.json"} {
			_, err := os.Stat(filepath.Join(home, f))
			require.NoError(t, err, f)
		}
		other, err := types.GenesisDocFromFile(filepath.Join(home, "config", "genesis.json"))
		require.NoError(t, err)
		require.Equal(t, gen, other, "every node has the same genesis")

		cfg, err := node.LoadCometConfig(home)
		require.NoError(t, err)
		require.Equal(t, n.RPCAddress(), cfg.RPC.ListenAddress)
		require.Equal(t, "kv", cfg.TxIndex.Indexer)
		require.Equal(t, 50000, cfg.Mempool.Size)
		require.True(t, cfg.P2P.AllowDuplicateIP)
		require.False(t, cfg.P2P.AddrBookStrict)
		require.Len(t, strings.Split(cfg.P2P.PersistentPeers, ","), 6, "peers are every other node")
		require.NotContains(t, cfg.P2P.PersistentPeers, string(n.NodeID))
		appCfg, err := node.LoadAppConfig(home)
		require.NoError(t, err)
		require.Equal(t, uint64(10), appCfg.Snapshots.Interval)

		for _, p := range []int{n.P2PPort, n.RPCPort, n.PrometheusPort, n.APIPort} {
			require.Empty(t, ports[p], "port %d given to %s and %s", p, ports[p], n.Name)
			ports[p] = n.Name
		}
	}
	// Each participant's genesis keys are the keys in its keyring.
	for _, p := range app.Participants {
		ks := keys[p.Id]
		require.Len(t, ks, 2, p.Id)
		for i, k := range ks {
			require.Equal(t, p.PubKeys[i], k.PubKey(), "%s key %d", p.Id, i)
			require.Equal(t, p.Role, k.Role)
		}
	}
	_, err = Generate(dir, m, GenerateOptions{})
	require.True(t, errors.Is(err, ErrExists), "got %v, want ErrExists", err)
	_, err = Generate(dir, DefaultManifest(), GenerateOptions{Force: true})
	require.NoError(t, err)
}

// TestGenerate_Hosts: a node given a host listens and is dialled there for
// p2p, RPC, REST and metrics; the others stay on 127.0.0.1.
func TestGenerate_Hosts(t *testing.T) {
	dir := t.TempDir()
	tn, err := Generate(dir, DefaultManifest(), GenerateOptions{Hosts: []string{"10.77.0.2", "10.77.0.3"}})
	require.NoError(t, err)
	a, b, c := tn.Nodes[0], tn.Nodes[1], tn.Nodes[2]
	require.Equal(t, "10.77.0.2", a.Host)
	require.Equal(t, "http://10.77.0.3:"+itoa(b.RPCPort), b.RPCURL())
	require.Equal(t, "http://127.0.0.1:"+itoa(c.RPCPort), c.RPCURL())
	cc, err := node.LoadCometConfig(tn.Home(a))
	require.NoError(t, err)
	require.Equal(t, "tcp://10.77.0.2:"+itoa(a.P2PPort), cc.P2P.ListenAddress)
	require.Equal(t, "tcp://10.77.0.2:"+itoa(a.RPCPort), cc.RPC.ListenAddress)
	require.Contains(t, cc.P2P.PersistentPeers, string(b.NodeID)+"@10.77.0.3:"+itoa(b.P2PPort))
	ac, err := node.LoadAppConfig(tn.Home(a))
	require.NoError(t, err)
	require.Equal(t, "tcp://10.77.0.2:"+itoa(a.APIPort), ac.API.Address)
	back, err := Load(dir)
	require.NoError(t, err)
	require.Equal(t, "10.77.0.3", back.Nodes[1].Host, "testnet.json keeps the hosts")
	// An address of another namespace cannot be checked from here.
	require.NoError(t, CheckPortsFree(a))
}

func itoa(i int) string { return strconv.Itoa(i) }
