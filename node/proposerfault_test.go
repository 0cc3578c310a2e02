package node

import (
	"context"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/stretchr/testify/require"
)

// TestProposerFault_MakesEveryProposalInvalid: the wrapped PrepareProposal
// puts its invalid tx first and still fits MaxTxBytes.
func TestProposerFault_MakesEveryProposalInvalid(t *testing.T) {
	inner := abcitypes.NewBaseApplication()
	req := &abcitypes.RequestPrepareProposal{Height: 3, MaxTxBytes: 185, Txs: [][]byte{make([]byte, 90), make([]byte, 90)}}

	bad := &proposerFault{Application: inner, kind: ProposerFaultBadTx, maxBytes: 100, logger: log.NewNopLogger()}
	res, err := bad.PrepareProposal(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, []byte("not a custody tx"), res.Txs[0])
	require.Len(t, res.Txs, 2, "the last tx no longer fits")

	big := &proposerFault{Application: inner, kind: ProposerFaultOversize, maxBytes: 100, logger: log.NewNopLogger()}
	res, err = big.PrepareProposal(context.Background(), &abcitypes.RequestPrepareProposal{MaxTxBytes: 1000})
	require.NoError(t, err)
	require.Len(t, res.Txs, 1)
	require.Len(t, res.Txs[0], 101, "one byte over [tx] max_bytes")
}

func TestNew_RefusesAnUnknownProposerFault(t *testing.T) {
	t.Setenv(EnvProposerFault, "chaos")
	_, err := New(t.TempDir())
	require.ErrorContains(t, err, `CUSTODYD_FAULT_PROPOSER="chaos"`)
}

func TestSlowSyncDB_WritesThrough(t *testing.T) {
	db := &slowSyncDB{DB: dbm.NewMemDB(), delay: time.Millisecond}
	require.NoError(t, db.SetSync([]byte("a"), []byte("1")))
	b := db.NewBatch()
	require.NoError(t, b.Set([]byte("b"), []byte("2")))
	require.NoError(t, b.WriteSync())
	require.NoError(t, db.DeleteSync([]byte("a")))
	got, err := db.Get([]byte("b"))
	require.NoError(t, err)
	require.Equal(t, []byte("2"), got)
	has, err := db.Has([]byte("a"))
	require.NoError(t, err)
	require.False(t, has)
}

func TestNew_RefusesABadSyncDelay(t *testing.T) {
	t.Setenv(EnvSyncDelay, "slow")
	_, err := New(t.TempDir())
	require.ErrorContains(t, err, EnvSyncDelay)
}
