package testnet

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/client/keys"
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

	// One identity secret, in every institution's home (not the
	// validator-only node's), never in genesis.
	secret, err := tn.IdentitySecret()
	require.NoError(t, err)
	require.Len(t, secret, client.MinIdentitySecretLen)
	genBytes, err := os.ReadFile(filepath.Join(dir, "bank-1", "config", "genesis.json"))
	require.NoError(t, err)
	require.NotContains(t, string(genBytes), hex.EncodeToString(secret))
	for _, n := range tn.Nodes {
		got, err := client.LoadIdentitySecret(filepath.Join(tn.Home(n), IdentitySecretFile))
		if n.Participant == "" {
			require.Error(t, err, "%s holds the identity secret", n.Name)
			continue
		}
		require.NoError(t, err, n.Name)
		require.Equal(t, secret, got, n.Name)
	}

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

// risk_operators adds ROLE_RISK_OPERATOR participants that run no node,
// each with its key in DIR/<id>/keyring-test for riskd.
func TestGenerate_RiskOperators(t *testing.T) {
	dir := t.TempDir()
	m := DefaultManifest()
	m.RiskOperators = 2
	tn, err := Generate(dir, m, GenerateOptions{})
	require.NoError(t, err)
	require.Len(t, tn.Nodes, 4, "risk operators run no node")
	gen, err := types.GenesisDocFromFile(filepath.Join(dir, "bank-1", "config", "genesis.json"))
	require.NoError(t, err)
	var app custodyv1.GenesisState
	require.NoError(t, protojson.Unmarshal(gen.AppState, &app))
	byID := map[string]*custodyv1.Participant{}
	for _, p := range app.Participants {
		byID[p.Id] = p
	}
	for _, id := range []string{"risk-1", "risk-2"} {
		p := byID[id]
		require.NotNil(t, p, id)
		require.Equal(t, custodyv1.Role_ROLE_RISK_OPERATOR, p.Role)
		kr, err := keys.Open(tn.RiskOperatorKeyring(id), keys.BackendTest)
		require.NoError(t, err)
		k, err := kr.Key(id, nil)
		require.NoError(t, err)
		require.Equal(t, [][]byte{[]byte(k.Public().(ed25519.PublicKey))}, p.PubKeys)
	}
	_, err = tn.AddRiskOperator("risk-1")
	require.ErrorContains(t, err, "exists")
	m.RiskOperators = 51
	require.ErrorContains(t, m.Validate(), "risk_operators")
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
	require.Equal(t, "tcp://0.0.0.0:"+itoa(a.P2PPort), cc.P2P.ListenAddress, "a node with a host listens on every interface of its machine or namespace")
	require.Equal(t, "tcp://0.0.0.0:"+itoa(a.RPCPort), cc.RPC.ListenAddress)
	require.Contains(t, cc.P2P.PersistentPeers, string(b.NodeID)+"@10.77.0.3:"+itoa(b.P2PPort))
	ac, err := node.LoadAppConfig(tn.Home(a))
	require.NoError(t, err)
	require.Equal(t, "tcp://0.0.0.0:"+itoa(a.APIPort), ac.API.Address)
	back, err := Load(dir)
	require.NoError(t, err)
	require.Equal(t, "10.77.0.3", back.Nodes[1].Host, "testnet.json keeps the hosts")
	// An address of another namespace cannot be checked from here.
	require.NoError(t, CheckPortsFree(a))
}
