package genesis

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/custody-ledger/custody/node"
)

// ErrHomeExists is returned by InitHome for a home that already holds a
// validator key: a key is never replaced by accident.
var ErrHomeExists = errors.New("genesis: the home already holds a validator key")

// NodeInfo is what an institution publishes about its node: its p2p id
// and its consensus key.
type NodeInfo struct {
	Moniker      string
	NodeID       p2p.ID
	ValidatorKey cmted25519.PubKey
}

// InitOptions name a new home's node. Empty listen addresses keep the
// defaults: P2P on tcp://0.0.0.0:26656 (peers must reach it), RPC on
// tcp://127.0.0.1:26657, the REST API on tcp://127.0.0.1:1317 and no
// Prometheus listener; put the RPC and REST ports behind a proxy, not on the
// open network.
type InitOptions struct {
	Moniker string
	ChainID string
	// P2PListen, RPCListen and APIListen are "tcp://host:port".
	P2PListen, RPCListen, APIListen string
	// ExternalAddress is "host:port" other nodes dial (p2p.external_address).
	ExternalAddress string
	// Loopback rehearses a network on one machine: several nodes share
	// 127.0.0.1, which CometBFT's defaults refuse (allow_duplicate_ip,
	// addr_book_strict). Never set on a real network.
	Loopback bool
}

// InitHome writes a new node home: CometBFT's config.toml (CometBFT's
// defaults but for the moniker and the addresses given), the application's
// app.toml with its defaults, the node's p2p key and its validator key.
// It writes no institution signing key (those are made with custodycli
// keys add, on the institution's own machine) and no genesis.json (that
// comes from the ceremony's collect).
func InitHome(home string, o InitOptions) (*NodeInfo, error) {
	if strings.TrimSpace(o.Moniker) == "" {
		return nil, errors.New("genesis: the moniker is empty")
	}
	if o.ChainID == "" {
		return nil, errors.New("genesis: the chain id is empty")
	}
	keyPath := filepath.Join(home, "config", "priv_validator_key.json")
	if _, err := os.Stat(keyPath); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrHomeExists, keyPath)
	}
	for _, d := range []string{"config", "data", EntryDir} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return nil, err
		}
	}
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = o.Moniker
	if o.P2PListen != "" {
		c.P2P.ListenAddress = o.P2PListen
	}
	if o.RPCListen != "" {
		c.RPC.ListenAddress = o.RPCListen
	}
	c.P2P.ExternalAddress = o.ExternalAddress
	if o.Loopback {
		c.P2P.AllowDuplicateIP = true
		c.P2P.AddrBookStrict = false
	}
	if err := node.WriteCometConfig(home, c); err != nil {
		return nil, err
	}
	app := node.DefaultAppConfig()
	if o.APIListen != "" {
		app.API.Address = o.APIListen
	}
	if err := app.Validate(); err != nil {
		return nil, err
	}
	if err := node.SaveAppConfig(home, app); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(home, "config", "chain-id"), []byte(o.ChainID+"\n"), 0o600); err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	pv := privval.NewFilePV(cmted25519.GenPrivKey(), c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	pv.Save()
	return &NodeInfo{Moniker: o.Moniker, NodeID: nodeKey.ID(), ValidatorKey: pv.Key.PubKey.(cmted25519.PubKey)}, nil
}

// ChainID is the chain id a home was initialised for.
func ChainID(home string) (string, error) {
	bz, err := os.ReadFile(filepath.Join(home, "config", "chain-id"))
	if err != nil {
		return "", fmt.Errorf("genesis: %w (was the home made with custodyd init?)", err)
	}
	return strings.TrimSpace(string(bz)), nil
}

// ReadNodeInfo reads a home's node id and validator key.
func ReadNodeInfo(home string) (*NodeInfo, error) {
	c, err := node.LoadCometConfig(home)
	if err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	pv := privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	pk, ok := pv.Key.PubKey.(cmted25519.PubKey)
	if !ok {
		return nil, fmt.Errorf("genesis: validator key is %T, want ed25519", pv.Key.PubKey)
	}
	return &NodeInfo{Moniker: c.Moniker, NodeID: nodeKey.ID(), ValidatorKey: pk}, nil
}

// ValidatorSigner signs with a home's validator key (for its entry).
func ValidatorSigner(home string) (Signer, error) {
	c, err := node.LoadCometConfig(home)
	if err != nil {
		return nil, err
	}
	pv := privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	priv, ok := pv.Key.PrivKey.(cmted25519.PrivKey)
	if !ok {
		return nil, fmt.Errorf("genesis: validator key is %T, want ed25519", pv.Key.PrivKey)
	}
	return Ed25519Signer(priv), nil
}

// Install writes gen as the home's genesis.json and sets the home's
// persistent peers (every peer but the home's own node).
func Install(home string, gen *types.GenesisDoc, peers []string) error {
	c, err := node.LoadCometConfig(home)
	if err != nil {
		return err
	}
	if err := gen.SaveAs(c.GenesisFile()); err != nil {
		return err
	}
	info, err := ReadNodeInfo(home)
	if err != nil {
		return err
	}
	var keep []string
	for _, p := range peers {
		if !strings.HasPrefix(p, string(info.NodeID)+"@") {
			keep = append(keep, p)
		}
	}
	c.P2P.PersistentPeers = strings.Join(keep, ",")
	return node.WriteCometConfig(home, c)
}
