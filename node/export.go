package node

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/abci"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Export writes, from a stopped node's home, a genesis a new chain can
// start from: the application state at height (0: the latest) as
// GenesisState.state, for chain newChainID starting at genesisTime, with
// the validators of the home's genesis. The institutions run the same
// ceremony as for any genesis: everyone exports at the agreed height,
// compares the hash, and starts the new chain.
//
// The validators are the genesis ones: the application does not change
// the validator set after genesis yet.
func Export(home string, height int64, newChainID string, genesisTime time.Time) (*types.GenesisDoc, int64, error) {
	cfg, err := LoadCometConfig(home)
	if err != nil {
		return nil, 0, err
	}
	old, err := types.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil {
		return nil, 0, fmt.Errorf("node: export: %w", err)
	}
	entries, version, err := abci.Export(filepath.Join(cfg.DBDir(), "app"), height)
	if err != nil {
		return nil, 0, err
	}
	app, err := protojson.MarshalOptions{Indent: "  ", UseProtoNames: true}.Marshal(&custodyv1.GenesisState{State: entries})
	if err != nil {
		return nil, 0, err
	}
	gen := &types.GenesisDoc{
		GenesisTime:     genesisTime.UTC(),
		ChainID:         newChainID,
		InitialHeight:   1,
		ConsensusParams: old.ConsensusParams,
		Validators:      old.Validators,
		AppState:        app,
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, 0, fmt.Errorf("node: export: %w", err)
	}
	return gen, version, nil
}
