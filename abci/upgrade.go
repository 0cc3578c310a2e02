package abci

import (
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/governance"
)

// Migration is the state change a new binary makes when the chain reaches
// an upgrade plan of its name (contracts/governance): Migrate runs once, at
// the start of the plan's block, before its txs, and AppVersion becomes the
// application version from then on. A Migrate error stops the node like a
// missing migration: the chain must not go on half migrated.
type Migration struct {
	Name       string
	AppVersion uint64
	Migrate    func(contracts.Store) error
}

// ErrUpgradeNeeded is returned by FinalizeBlock at the height of an upgrade
// plan this binary has no migration for. CometBFT stops consensus on it
// (the block stays in its store), and a node started with the new binary
// executes that block again, migration first.
type ErrUpgradeNeeded struct {
	Name   string
	Height int64
	Info   string
}

func (e ErrUpgradeNeeded) Error() string {
	return fmt.Sprintf("UPGRADE NEEDED: %s at height %d; start the new binary (info: %q)", e.Name, e.Height, e.Info)
}

// appVersion is the application version the state records, or the
// binary's AppVersion before any upgrade.
func (a *App) appVersion() uint64 {
	if v := governance.AppVersion(store.IAVL{Tree: a.tree}); v > 0 {
		return v
	}
	return AppVersion
}

// beginUpgrade runs at the start of FinalizeBlock: at the height of the
// scheduled plan, it runs the registered migration over working and returns
// the consensus parameter update that carries the new app version, or
// halts with ErrUpgradeNeeded. Nothing is written when it halts.
func (a *App) beginUpgrade(working contracts.Store, height int64) (*cmtproto.ConsensusParams, error) {
	plan := governance.GetPlan(working)
	if plan == nil || plan.Height > height {
		return nil, nil
	}
	var m *Migration
	for i := range a.cfg.Migrations {
		if a.cfg.Migrations[i].Name == plan.Name {
			m = &a.cfg.Migrations[i]
		}
	}
	if m == nil {
		err := ErrUpgradeNeeded{Name: plan.Name, Height: plan.Height, Info: plan.Info}
		a.logger.Error(err.Error())
		return nil, err
	}
	if m.AppVersion <= a.appVersion() {
		return nil, fmt.Errorf("abci: migration %q sets app version %d, the chain is already at %d", m.Name, m.AppVersion, a.appVersion())
	}
	cache := store.NewCache(working)
	if m.Migrate != nil {
		if err := m.Migrate(cache); err != nil {
			return nil, fmt.Errorf("abci: upgrade %q at height %d: migration failed: %w", plan.Name, height, err)
		}
	}
	governance.MarkApplied(cache, plan, m.AppVersion)
	cache.Write()
	a.logger.Info("upgrade applied", "name", plan.Name, "height", height, "app_version", m.AppVersion)
	return &cmtproto.ConsensusParams{Version: &cmtproto.VersionParams{App: m.AppVersion}}, nil
}

// endBlock runs after a block's txs: it closes expired proposals and takes
// the validator updates governance queued, for CometBFT to apply at H+2.
func (a *App) endBlock(working contracts.Store, height int64) ([]abcitypes.ValidatorUpdate, []abcitypes.Event) {
	evs := governance.ExpireProposals(working, height)
	var out []abcitypes.ValidatorUpdate
	for _, u := range governance.TakeValidatorUpdates(working) {
		out = append(out, abcitypes.ValidatorUpdate{
			PubKey: cmtcrypto.PublicKey{Sum: &cmtcrypto.PublicKey_Ed25519{Ed25519: u.PubKey}},
			Power:  u.Power,
		})
		a.logger.Info("validator update", "pub_key", fmt.Sprintf("%X", u.PubKey), "power", u.Power, "height", height)
	}
	return out, convertEvents(evs)
}
