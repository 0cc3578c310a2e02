package abci

import (
	"bytes"
	"errors"
	"fmt"

	iavldb "github.com/cosmos/iavl/db"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// ErrImport is returned by InitChain for an exported state it refuses.
var ErrImport = errors.New("abci: exported state refused")

// Export reads every key of the application state in dir at version (0:
// the latest) but the chain id, which the new chain sets, in key order:
// the GenesisState.state a new chain starts from. The node must be
// stopped (the state database is opened exclusively).
func Export(dir string, version int64) ([]*custodyv1.StateEntry, int64, error) {
	db, err := iavldb.NewGoLevelDB("application", dir)
	if err != nil {
		return nil, 0, fmt.Errorf("abci: open state db in %s: %w", dir, err)
	}
	defer db.Close()
	tree := openTree(db)
	latest, err := tree.Load()
	if err != nil {
		return nil, 0, fmt.Errorf("abci: load state: %w", err)
	}
	if version == 0 {
		version = latest
	}
	if version < 1 || version > latest || !tree.VersionExists(version) {
		return nil, 0, fmt.Errorf("abci: export: version %d is not kept (latest %d)", version, latest)
	}
	imm, err := tree.GetImmutable(version)
	if err != nil {
		return nil, 0, fmt.Errorf("abci: export: %w", err)
	}
	it := store.Immutable{Tree: imm}.Iterator(nil, nil)
	defer it.Close()
	var out []*custodyv1.StateEntry
	for ; it.Valid(); it.Next() {
		if bytes.Equal(it.Key(), chainIDKey) {
			continue
		}
		out = append(out, &custodyv1.StateEntry{Key: bytes.Clone(it.Key()), Value: bytes.Clone(it.Value())})
	}
	return out, version, nil
}

// importState writes an exported state into st and refuses it unless every
// invariant holds over it: a new chain must not start from a ledger that
// does not add up.
func importState(st contracts.Store, gen *custodyv1.GenesisState, invs []contracts.Invariant) error {
	if len(gen.Participants) > 0 || gen.Trading != nil || gen.Calendar != nil || gen.Adjustments != nil {
		return fmt.Errorf("%w: an exported state carries its participants, trading, calendar and adjustment state; genesis must not list them again", ErrImport)
	}
	var prev []byte
	for i, e := range gen.State {
		if len(e.Key) == 0 || e.Value == nil {
			return fmt.Errorf("%w: entry %d has an empty key or no value", ErrImport, i)
		}
		if bytes.Equal(e.Key, chainIDKey) {
			return fmt.Errorf("%w: the chain id is the new chain's, not the export's", ErrImport)
		}
		if prev != nil && bytes.Compare(prev, e.Key) >= 0 {
			return fmt.Errorf("%w: entry %d is out of key order or repeated", ErrImport, i)
		}
		prev = e.Key
		st.Set(e.Key, e.Value)
	}
	for _, r := range contracts.CheckInvariants(st, invs) {
		if r.Broken {
			return fmt.Errorf("%w: invariant %s broken: %s", ErrImport, r.Name, r.Msg)
		}
	}
	return nil
}

// CheckGenesis runs a genesis app state through what InitChain would do,
// over an in-memory store, and returns the participants it would hold (for
// an exported state, those in it). It is how `custodyd genesis validate`
// checks a file before anyone starts a node with it.
func CheckGenesis(gen *custodyv1.GenesisState) ([]*custodyv1.Participant, error) {
	mem := store.NewMem()
	if len(gen.State) > 0 {
		if err := importState(mem, gen, ledger.Invariants()); err != nil {
			return nil, err
		}
	} else if err := ledger.InitGenesis(mem, gen); err != nil {
		return nil, err
	}
	return participants.All(mem), nil
}
