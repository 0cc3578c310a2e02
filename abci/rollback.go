package abci

import (
	"errors"
	"fmt"

	iavldb "github.com/cosmos/iavl/db"
)

// ErrRollback is returned by Rollback when the state cannot go back to the
// asked version.
var ErrRollback = errors.New("abci: cannot roll the state back")

// Rollback moves the application state in dir back to version (deleting
// every later version) and returns that version's root, which is the app
// hash CometBFT's rolled-back state must carry. It is for `custodyd
// rollback`, with the node stopped: after a bad upgrade or a non-
// deterministic block, the node re-executes the last block on restart.
func Rollback(dir string, version int64) ([]byte, error) {
	if version < 1 {
		return nil, fmt.Errorf("%w: to version %d", ErrRollback, version)
	}
	db, err := iavldb.NewGoLevelDB("application", dir)
	if err != nil {
		return nil, fmt.Errorf("abci: open state db in %s: %w", dir, err)
	}
	defer db.Close()
	tree := openTree(db)
	latest, err := tree.Load()
	if err != nil {
		return nil, fmt.Errorf("abci: load state: %w", err)
	}
	if version > latest {
		return nil, fmt.Errorf("%w: to version %d, but the state is at %d", ErrRollback, version, latest)
	}
	if !tree.VersionExists(version) {
		return nil, fmt.Errorf("%w: version %d was pruned", ErrRollback, version)
	}
	if err := tree.LoadVersionForOverwriting(version); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRollback, err)
	}
	return tree.Hash(), nil
}
