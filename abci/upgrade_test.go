package abci

import (
	"context"
	"errors"
	"strings"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/governance"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// An app at a plan's height: without the migration FinalizeBlock stops
// with UPGRADE NEEDED and writes nothing; with it the migration runs once,
// the app version moves to the migration's and goes to CometBFT as a
// consensus parameter update.
func TestUpgradeHaltsThenMigrates(t *testing.T) {
	schedule := func(a *App) {
		st := store.IAVL{Tree: a.tree}
		st.Set(governance.PlanKey(), contracts.Marshal(&custodyv1.UpgradePlan{Name: "v2", Height: 1, Info: "the v2 binary"}))
	}
	old, err := NewApp(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	schedule(old)
	before := old.tree.WorkingHash()
	_, err = old.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 1})
	var need ErrUpgradeNeeded
	if !errors.As(err, &need) || need.Name != "v2" || !strings.Contains(err.Error(), "UPGRADE NEEDED: v2 at height 1") {
		t.Fatalf("old binary: %v", err)
	}
	if string(before) != string(old.tree.WorkingHash()) {
		t.Fatal("a halted FinalizeBlock wrote state")
	}

	runs := 0
	newer, err := NewApp(Config{Migrations: []Migration{{Name: "v2", AppVersion: 2, Migrate: func(s contracts.Store) error {
		runs++
		return nil
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	schedule(newer)
	res, err := newer.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 1})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 1 || res.ConsensusParamUpdates == nil || res.ConsensusParamUpdates.Version.App != 2 {
		t.Fatalf("runs %d, params %v", runs, res.ConsensusParamUpdates)
	}
	if _, err := newer.Commit(context.Background(), &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	info, _ := newer.Info(context.Background(), &abcitypes.RequestInfo{})
	if info.AppVersion != 2 {
		t.Fatalf("Info's app version %d", info.AppVersion)
	}
	res, err = newer.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 2})
	if err != nil || runs != 1 || res.ConsensusParamUpdates != nil {
		t.Fatalf("the next block: %v, runs %d, params %v", err, runs, res.ConsensusParamUpdates)
	}

	if _, err := NewApp(Config{Migrations: []Migration{{Name: "v2"}, {Name: "v2"}}}); err == nil {
		t.Fatal("two migrations of one name accepted")
	}
}
