package testnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/calendar"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/node"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// StateFile is the file under a testnet directory that records its nodes.
const StateFile = "testnet.json"

// ErrExists is returned by Generate when the directory already holds a
// testnet and Force is not set.
var ErrExists = errors.New("testnet: directory already holds a testnet (use force)")

// Testnet is a generated network: where its homes are and how to reach each
// node. It is saved as DIR/testnet.json and read back with Load.
type Testnet struct {
	// Dir is the directory holding one home per node (not saved).
	Dir      string   `json:"-"`
	ChainID  string   `json:"chain_id"`
	Manifest Manifest `json:"manifest"`
	Nodes    []*Node  `json:"nodes"`
}

// Node is one node of a testnet.
type Node struct {
	// Name is the node's directory under the testnet dir and its moniker.
	Name string `json:"name"`
	// Participant is the institution's id ("" for a validator-only node or a
	// node added later).
	Participant string         `json:"participant,omitempty"`
	Role        custodyv1.Role `json:"role,omitempty"`
	// Power is its validator power (0: full node).
	Power int64 `json:"power"`
	// NodeID is its p2p id (from config/node_key.json).
	NodeID         p2p.ID `json:"node_id"`
	P2PPort        int    `json:"p2p_port"`
	RPCPort        int    `json:"rpc_port"`
	PrometheusPort int    `json:"prometheus_port"`
	APIPort        int    `json:"api_port"`
	// StateSync says the node joined after genesis and syncs from snapshots.
	StateSync bool `json:"state_sync,omitempty"`
	// Host is the address the node runs on and advertises (Manifest.Hosts);
	// empty means 127.0.0.1, where the node also listens.
	Host string `json:"host,omitempty"`
}

// Addr is the node's host (127.0.0.1 unless Host is set) and port, the
// address others dial (the fault harness's namespaces use it too).
func (n *Node) Addr(port int) string {
	return net.JoinHostPort(n.HostOrLoopback(), strconv.Itoa(port))
}

// HostOrLoopback is the node's host, or 127.0.0.1 for a loopback node.
func (n *Node) HostOrLoopback() string {
	if n.Host == "" {
		return "127.0.0.1"
	}
	return n.Host
}

// listenAddress is where a node listens on port: its loopback address
// for a loopback network, every interface for a node with a host (the
// host name may not be an address of the machine itself, e.g. behind NAT).
func (n *Node) listenAddress(port int) string {
	if n.Host == "" {
		return "127.0.0.1:" + strconv.Itoa(port)
	}
	return "0.0.0.0:" + strconv.Itoa(port)
}

// Standard ports of a node on its own host (Manifest.Hosts).
const (
	StdP2PPort        = 26656
	StdRPCPort        = 26657
	StdPrometheusPort = 26660
	StdAPIPort        = 1317
)

// placeOnHost gives node i of a multi-host network its host and the
// standard ports, offset by 10 for each earlier node on the same host
// (seen counts them).
func placeOnHost(n *Node, i int, hosts []string, seen map[string]int) {
	h := hosts[i%len(hosts)]
	off := 10 * seen[h]
	seen[h]++
	n.Host = h
	n.P2PPort, n.RPCPort, n.PrometheusPort, n.APIPort = StdP2PPort+off, StdRPCPort+off, StdPrometheusPort+off, StdAPIPort+off
}

// Home is the node's home directory.
func (t *Testnet) Home(n *Node) string { return filepath.Join(t.Dir, n.Name) }

// RPCAddress is "tcp://host:port", the form CometBFT's config and clients
// use (host 127.0.0.1 unless the node has one).
func (n *Node) RPCAddress() string {
	return "tcp://" + net.JoinHostPort(n.HostOrLoopback(), strconv.Itoa(n.RPCPort))
}

// RPCURL is "http://host:port", the form RPC clients dial.
func (n *Node) RPCURL() string {
	return "http://" + net.JoinHostPort(n.HostOrLoopback(), strconv.Itoa(n.RPCPort))
}

// APIURL is the node's REST API base, "http://host:port".
func (n *Node) APIURL() string {
	return "http://" + net.JoinHostPort(n.HostOrLoopback(), strconv.Itoa(n.APIPort))
}

// P2PAddress is "id@host:port", a persistent peer entry.
func (n *Node) P2PAddress() string {
	return p2p.IDAddressString(n.NodeID, net.JoinHostPort(n.HostOrLoopback(), strconv.Itoa(n.P2PPort)))
}

// Node returns the node with the given name, or nil.
func (t *Testnet) Node(name string) *Node {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Validators returns the nodes with power.
func (t *Testnet) Validators() []*Node {
	var out []*Node
	for _, n := range t.Nodes {
		if n.Power > 0 {
			out = append(out, n)
		}
	}
	return out
}

// Load reads DIR/testnet.json.
func Load(dir string) (*Testnet, error) {
	bz, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	var t Testnet
	if err := json.Unmarshal(bz, &t); err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", StateFile, err)
	}
	t.Dir = dir
	return &t, nil
}

// Save writes DIR/testnet.json.
func (t *Testnet) Save() error {
	bz, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	return os.WriteFile(filepath.Join(t.Dir, StateFile), append(bz, '\n'), 0o600)
}

// GenerateOptions are the generator's knobs beyond the manifest.
type GenerateOptions struct {
	// Force removes an existing testnet in the directory first.
	Force bool
	// GenesisTime defaults to now.
	GenesisTime time.Time
	// Hosts, when set, is the listen and dial address of each node in
	// order (Node.Host); nodes beyond it use 127.0.0.1.
	Hosts []string
}

type institution struct {
	id   string
	role custodyv1.Role
	name string
}

func institutions(m Manifest) []institution {
	var out []institution
	add := func(n int, prefix, label string, role custodyv1.Role) {
		for i := 1; i <= n; i++ {
			out = append(out, institution{
				id:   fmt.Sprintf("%s-%d", prefix, i),
				role: role,
				name: fmt.Sprintf("%s %d", label, i),
			})
		}
	}
	add(m.Banks, "bank", "Custody Bank", custodyv1.Role_ROLE_BANK)
	add(m.Brokers, "broker", "Broker", custodyv1.Role_ROLE_BROKER)
	add(m.Regulators, "regulator", "Regulator", custodyv1.Role_ROLE_REGULATOR)
	add(m.ClearingHouses, "clearing-house", "Clearing House", custodyv1.Role_ROLE_CLEARING_HOUSE)
	return out
}

// Generate writes one home per node under dir for the manifest m: CometBFT's
// config/ (config.toml, genesis.json, node_key.json,
// priv_validator_key.json) and data/ (priv_validator_state.json), our
// config/app.toml, and each institution's test keyring. Ports are free
// loopback ports chosen now; testnet.json records them.
func Generate(dir string, m Manifest, opts GenerateOptions) (*Testnet, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
		if !opts.Force {
			return nil, fmt.Errorf("%w: %s", ErrExists, dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	t := &Testnet{Dir: dir, ChainID: m.ChainID, Manifest: m}
	insts := institutions(m)
	nNodes := max(len(insts), m.ValidatorCount())
	var ports []int
	if len(m.Hosts) == 0 {
		var err error
		if ports, err = FreePorts(4 * nNodes); err != nil {
			return nil, err
		}
	}
	onHost := map[string]int{}

	genesisTime := opts.GenesisTime
	if genesisTime.IsZero() {
		genesisTime = cmttime.Now()
	}
	gen := &types.GenesisDoc{
		GenesisTime:     genesisTime,
		ChainID:         m.ChainID,
		InitialHeight:   1,
		ConsensusParams: types.DefaultConsensusParams(),
	}
	appState := &custodyv1.GenesisState{}
	if !m.BusinessHours {
		// Always open: no transfer hours, no trading calendar, no
		// trading sessions, so a local network works at any hour.
		tp := trading.DefaultParams()
		tp.TradingHours.Enabled = false
		appState.Calendar = &custodyv1.CalendarGenesis{Params: calendar.AlwaysOpen()}
		appState.Trading = &custodyv1.TradingGenesis{Params: tp}
	}
	var keyrings []struct {
		home string
		keys []ParticipantKey
	}

	for i := 0; i < nNodes; i++ {
		n := &Node{}
		if len(m.Hosts) > 0 {
			placeOnHost(n, i, m.Hosts, onHost)
		} else {
			n.P2PPort, n.RPCPort, n.PrometheusPort, n.APIPort = ports[4*i], ports[4*i+1], ports[4*i+2], ports[4*i+3]
		}
		if i < len(opts.Hosts) {
			n.Host = opts.Hosts[i]
		}
		var inst *institution
		if i < len(insts) {
			inst = &insts[i]
			n.Name, n.Participant, n.Role = inst.id, inst.id, inst.role
		} else {
			n.Name = fmt.Sprintf("validator-%d", i-len(insts)+1)
		}
		if i < m.ValidatorCount() {
			n.Power = m.Power
		}
		home := t.Home(n)
		pubKey, err := writeNodeKeys(home, n)
		if err != nil {
			return nil, err
		}
		if n.Power > 0 {
			gen.Validators = append(gen.Validators, types.GenesisValidator{
				Address: pubKey.Address(), PubKey: pubKey, Power: n.Power, Name: n.Name,
			})
		}
		if inst != nil {
			p := &custodyv1.Participant{Id: inst.id, Role: inst.role, Name: inst.name, ValidatorPower: n.Power}
			if n.Power > 0 {
				p.ValidatorPubKey = pubKey.Bytes()
			}
			var keys []ParticipantKey
			for k := 0; k < m.KeysPerParticipant; k++ {
				pk, err := NewParticipantKey(inst.id, inst.role, k)
				if err != nil {
					return nil, err
				}
				p.PubKeys = append(p.PubKeys, pk.PubKey())
				keys = append(keys, pk)
			}
			appState.Participants = append(appState.Participants, p)
			keyrings = append(keyrings, struct {
				home string
				keys []ParticipantKey
			}{home, keys})
		}
		t.Nodes = append(t.Nodes, n)
	}

	// Risk operators run no node: their keys go to DIR/<id> (the layout of
	// AddRiskOperator and RiskOperatorKeyring).
	for i := 1; i <= m.RiskOperators; i++ {
		id := fmt.Sprintf("risk-%d", i)
		pk, err := NewParticipantKey(id, custodyv1.Role_ROLE_RISK_OPERATOR, 0)
		if err != nil {
			return nil, err
		}
		appState.Participants = append(appState.Participants, &custodyv1.Participant{
			Id: id, Role: custodyv1.Role_ROLE_RISK_OPERATOR, Name: "Risk Operator " + id, PubKeys: [][]byte{pk.PubKey()}})
		keyrings = append(keyrings, struct {
			home string
			keys []ParticipantKey
		}{filepath.Join(dir, id), []ParticipantKey{pk}})
	}

	appJSON, err := protojson.MarshalOptions{Indent: "  "}.Marshal(appState)
	if err != nil {
		return nil, fmt.Errorf("testnet: app_state: %w", err)
	}
	gen.AppState = appJSON
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("testnet: genesis: %w", err)
	}
	for _, n := range t.Nodes {
		home := t.Home(n)
		if err := gen.SaveAs(filepath.Join(home, "config", "genesis.json")); err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
		if err := node.WriteCometConfig(home, t.cometConfig(n)); err != nil {
			return nil, err
		}
		if err := node.SaveAppConfig(home, t.appConfig(n)); err != nil {
			return nil, err
		}
	}
	for _, kr := range keyrings {
		if err := SaveKeyring(kr.home, kr.keys); err != nil {
			return nil, err
		}
	}
	// One identity secret for the whole network, in every institution's
	// home and nowhere on chain: the key of the identity and card hashes
	// (client.IdentityHash), shared off chain so that every broker hashes
	// one person alike and the risk core can group a person's accounts
	// across brokers.
	secret, err := client.NewIdentitySecret()
	if err != nil {
		return nil, err
	}
	// Institutions running a node get it; risk operators do not (the risk
	// core groups accounts by equal hashes and never hashes a number).
	for _, n := range t.Nodes {
		if n.Participant == "" {
			continue
		}
		if err := client.SaveIdentitySecret(filepath.Join(t.Home(n), IdentitySecretFile), secret); err != nil {
			return nil, err
		}
	}
	if err := t.Save(); err != nil {
		return nil, err
	}
	return t, nil
}

// IdentitySecretFile is where an institution's home keeps the network's
// identity secret: hex, one line, mode 0600 (client.LoadIdentitySecret).
// It is the HMAC key of identity and card hashes and never goes on chain;
// a real network's institutions agree on it off chain (docs/operations.md).
const IdentitySecretFile = "config/identity_secret.hex"

// IdentitySecret returns the network's identity secret from the first
// institution's home.
func (t *Testnet) IdentitySecret() ([]byte, error) {
	for _, n := range t.Nodes {
		if n.Participant != "" {
			return client.LoadIdentitySecret(filepath.Join(t.Home(n), IdentitySecretFile))
		}
	}
	return nil, fmt.Errorf("testnet: no institution home holds the identity secret")
}

// writeNodeKeys creates home/config and home/data and the node's p2p and
// validator keys, and records the node id. It returns the validator key.
func writeNodeKeys(home string, n *Node) (cmted25519.PubKey, error) {
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
	}
	nodeKey := &p2p.NodeKey{PrivKey: cmted25519.GenPrivKey()}
	if err := nodeKey.SaveAs(filepath.Join(home, "config", "node_key.json")); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	n.NodeID = nodeKey.ID()
	pv := privval.NewFilePV(cmted25519.GenPrivKey(),
		filepath.Join(home, "config", "priv_validator_key.json"),
		filepath.Join(home, "data", "priv_validator_state.json"))
	pv.Save()
	pub, ok := pv.Key.PubKey.(cmted25519.PubKey)
	if !ok {
		return nil, fmt.Errorf("testnet: validator key is %T, want ed25519", pv.Key.PubKey)
	}
	return pub, nil
}

// cometConfig is the CometBFT config of node n, tuned for loopback as
// DESIGN.md measured: big mempool, short commit timeout, 10 ms flush and
// gossip sleeps, duplicate IPs allowed.
func (t *Testnet) cometConfig(n *Node) *cmtcfg.Config {
	m := t.Manifest
	c := cmtcfg.DefaultConfig()
	c.SetRoot(t.Home(n))
	c.Moniker = n.Name
	c.LogLevel = m.LogLevel
	c.LogFormat = m.LogFormat
	c.RPC.ListenAddress = "tcp://" + n.listenAddress(n.RPCPort)
	c.RPC.GRPCListenAddress = ""
	c.RPC.PprofListenAddress = ""
	// Tests and load generators send many txs at once over RPC.
	c.RPC.MaxOpenConnections = 0
	c.RPC.MaxSubscriptionClients = 200
	c.RPC.TimeoutBroadcastTxCommit = 30 * time.Second
	c.P2P.ListenAddress = "tcp://" + n.listenAddress(n.P2PPort)
	c.P2P.ExternalAddress = ""
	if n.Host != "" {
		// What the node tells its peers to dial: its host, not 0.0.0.0.
		c.P2P.ExternalAddress = net.JoinHostPort(n.Host, strconv.Itoa(n.P2PPort))
	}
	c.P2P.AddrBookStrict = false
	c.P2P.AllowDuplicateIP = true
	c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	var peers []string
	for _, o := range t.Nodes {
		if o != n && !o.StateSync {
			peers = append(peers, o.P2PAddress())
		}
	}
	c.P2P.PersistentPeers = joinComma(peers)
	c.Mempool.Size = m.MempoolSize
	c.Mempool.CacheSize = 2 * m.MempoolSize
	c.Consensus.TimeoutCommit = m.TimeoutCommit.Duration
	c.Consensus.TimeoutPropose = m.TimeoutPropose.Duration
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	// tx_index kv: clients (client.WaitTx, custodycli) look txs up by hash.
	c.TxIndex.Indexer = m.TxIndex
	c.Instrumentation.Prometheus = m.Prometheus
	c.Instrumentation.PrometheusListenAddr = n.listenAddress(n.PrometheusPort)
	c.Instrumentation.Namespace = "cometbft"
	if n.StateSync {
		// Trust height and hash are filled when the node joins (see Join):
		// a trust root chosen now would be stale by then.
		c.StateSync.Enable = true
		var servers []string
		for _, o := range t.Nodes {
			if !o.StateSync && len(servers) < 2 {
				servers = append(servers, o.RPCURL())
			}
		}
		c.StateSync.RPCServers = servers
		c.StateSync.TrustPeriod = 168 * time.Hour
		c.StateSync.DiscoveryTime = 5 * time.Second
	}
	return c
}

func (t *Testnet) appConfig(n *Node) node.AppConfig {
	c := node.DefaultAppConfig()
	c.Snapshots.Interval = t.Manifest.SnapshotInterval
	// A joining node discovers snapshots, then fetches their chunks; a
	// loopback chain makes a snapshot every few seconds, so with 2 kept the
	// peers had pruned a snapshot before the joiner finished fetching it and
	// the join waited minutes. 20 keep each for about a minute here.
	c.Snapshots.KeepRecent = 20
	c.API.Address = "tcp://" + n.listenAddress(n.APIPort)
	c.Invariants.Interval = 10
	return c
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// FreePorts returns n distinct loopback TCP ports that were free a moment
// ago: it listens on 127.0.0.1:0 n times, holding every listener until all
// are chosen so that none is handed out twice, then releases them.
func FreePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("testnet: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// CheckPortsFree reports the ports of n (P2P, RPC and, when set, REST) that
// something else listens on. A node whose Host is not an address of this
// network namespace (it runs in a namespace of its own) is not checked.
func CheckPortsFree(n *Node) error {
	var errs []error
	ports := []int{n.P2PPort, n.RPCPort}
	if n.APIPort != 0 {
		ports = append(ports, n.APIPort)
	}
	for _, p := range ports {
		if n.Host != "" {
			break // on its own host: this machine's ports say nothing
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			errs = append(errs, fmt.Errorf("testnet: node %s: port %d is taken: %w", n.Name, p, err))
			continue
		}
		l.Close()
	}
	return errors.Join(errs...)
}
