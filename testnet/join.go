package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/custody-ledger/custody/node"
)

// AddNode writes the home of a new full node (no validator power, no
// participant) that joins the running network by state sync: its
// config.toml names two genesis nodes as state sync RPC servers and every
// genesis node as a persistent peer. The trust root (height and hash) is
// left empty; StartNode fills it from a live node just before the first
// start, because a root fixed now would be stale by then.
func (t *Testnet) AddNode(name string) (*Node, error) {
	if t.Node(name) != nil {
		return nil, fmt.Errorf("testnet: node %q exists", name)
	}
	if len(t.Nodes) < 2 {
		return nil, errors.New("testnet: state sync needs two nodes to serve it")
	}
	ports, err := FreePorts(4)
	if err != nil {
		return nil, err
	}
	n := &Node{Name: name, P2PPort: ports[0], RPCPort: ports[1], PrometheusPort: ports[2], APIPort: ports[3], StateSync: true}
	home := t.Home(n)
	if _, err := os.Stat(home); err == nil {
		return nil, fmt.Errorf("testnet: %s exists", home)
	}
	if _, err := writeNodeKeys(home, n); err != nil {
		return nil, err
	}
	gen, err := os.ReadFile(filepath.Join(t.Home(t.Nodes[0]), "config", "genesis.json"))
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	if err := os.WriteFile(filepath.Join(home, "config", "genesis.json"), gen, 0o600); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	t.Nodes = append(t.Nodes, n)
	if err := node.WriteCometConfig(home, t.cometConfig(n)); err != nil {
		return nil, err
	}
	if err := node.SaveAppConfig(home, t.appConfig(n)); err != nil {
		return nil, err
	}
	if err := t.Save(); err != nil {
		return nil, err
	}
	return n, nil
}

// setTrustRoot asks a live genesis node for its latest block and writes its
// height and hash into n's [statesync] trust_height and trust_hash. The
// light client inside state sync verifies every header from there.
func (t *Testnet) setTrustRoot(ctx context.Context, n *Node) error {
	var errs []error
	for _, o := range t.Nodes {
		if o.StateSync {
			continue
		}
		c, err := NewRPC(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := c.Status(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.Name, err))
			continue
		}
		h := st.SyncInfo.LatestBlockHeight
		b, err := c.Block(ctx, &h)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.Name, err))
			continue
		}
		home := t.Home(n)
		// Not LoadCometConfig: it validates, and state sync without a trust
		// root is exactly what this fills in.
		text, err := os.ReadFile(filepath.Join(home, "config", "config.toml"))
		if err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
		cfg, err := node.ParseCometConfig(string(text))
		if err != nil {
			return fmt.Errorf("testnet: %s: %w", n.Name, err)
		}
		cfg.SetRoot(home)
		cfg.StateSync.TrustHeight = h
		cfg.StateSync.TrustHash = b.BlockID.Hash.String()
		return node.WriteCometConfig(home, cfg)
	}
	return fmt.Errorf("testnet: no live node gives %s a trust root: %w", n.Name, errors.Join(errs...))
}
