package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/store"

	"github.com/custody-ledger/custody/abci"
)

// Rollback moves a stopped node back one height: CometBFT's state to the
// previous height (as `cometbft rollback` does) and the application state
// to the same version, and checks the two agree. On restart the node
// replays the last block from its block store (or, with removeBlock, fetches
// it again from its peers). It is the way out of a block applied by a bad
// binary; the operator must not run it on more than a third of the power
// at once.
func Rollback(home string, removeBlock bool) (height int64, appHash []byte, err error) {
	cfg, err := LoadCometConfig(home)
	if err != nil {
		return 0, nil, err
	}
	for _, f := range []string{"blockstore.db", "state.db"} {
		if _, err := os.Stat(filepath.Join(cfg.DBDir(), f)); err != nil {
			return 0, nil, fmt.Errorf("node: rollback: %w", err)
		}
	}
	backend := dbm.BackendType(cfg.DBBackend)
	bdb, err := dbm.NewDB("blockstore", backend, cfg.DBDir())
	if err != nil {
		return 0, nil, err
	}
	defer bdb.Close()
	sdb, err := dbm.NewDB("state", backend, cfg.DBDir())
	if err != nil {
		return 0, nil, err
	}
	defer sdb.Close()
	ss := state.NewStore(sdb, state.StoreOptions{DiscardABCIResponses: cfg.Storage.DiscardABCIResponses})
	before, err := ss.Load()
	if err != nil {
		return 0, nil, fmt.Errorf("node: rollback: load CometBFT's state: %w", err)
	}
	height, appHash, err = state.Rollback(store.NewBlockStore(bdb), ss, removeBlock)
	if err != nil {
		return 0, nil, fmt.Errorf("node: rollback CometBFT's state: %w", err)
	}
	// CometBFT 0.38's Rollback takes the app version from the consensus
	// parameters, which still say the genesis value (0) when the app
	// reported its version through Info instead; the next block header
	// would then carry the wrong version and the node refuse to start.
	// Keep the version the state had: a rollback does not change it.
	after, err := ss.Load()
	if err != nil {
		return 0, nil, err
	}
	if after.Version.Consensus.App != before.Version.Consensus.App {
		after.Version.Consensus.App = before.Version.Consensus.App
		if err := ss.Save(after); err != nil {
			return 0, nil, fmt.Errorf("node: rollback: save CometBFT's state: %w", err)
		}
	}
	got, err := abci.Rollback(filepath.Join(cfg.DBDir(), "app"), height)
	if err != nil {
		return 0, nil, err
	}
	if !bytes.Equal(got, appHash) {
		return 0, nil, errors.New("node: rollback: the application state at the rolled-back height does not match CometBFT's app hash")
	}
	return height, appHash, nil
}
