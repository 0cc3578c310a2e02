package node

import (
	"context"
	"testing"

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
