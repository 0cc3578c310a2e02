package node

import (
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/stretchr/testify/require"
)

// TestClosableDB_ReadsAfterCloseFindNothing: a CometBFT goroutine that reads
// a store after the node closed it must see an empty store, not an error
// that the block store turns into a panic; writes still fail.
func TestClosableDB_ReadsAfterCloseFindNothing(t *testing.T) {
	inner, err := dbm.NewGoLevelDB("blockstore", t.TempDir())
	require.NoError(t, err)
	db := &closableDB{DB: inner}
	require.NoError(t, db.Set([]byte("H:1"), []byte("commit")))
	got, err := db.Get([]byte("H:1"))
	require.NoError(t, err)
	require.Equal(t, []byte("commit"), got)

	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "close is idempotent")
	got, err = db.Get([]byte("H:1"))
	require.NoError(t, err)
	require.Nil(t, got)
	has, err := db.Has([]byte("H:1"))
	require.NoError(t, err)
	require.False(t, has)
	require.Error(t, db.Set([]byte("H:2"), []byte("x")), "a stopped node's store takes no writes")
}
