package abci

import (
	"context"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/evidence"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestFinalizeBlock_RecordsMisbehaviour: evidence CometBFT commits in a
// block becomes a misbehaviour record in state (readable at its key) and
// an event on the block; a block without evidence writes nothing.
func TestFinalizeBlock_RecordsMisbehaviour(t *testing.T) {
	c := newChain(t, Config{}, newTestNet())
	plain := c.block()
	require.Empty(t, plain.Events)
	hashBefore := plain.AppHash

	addr := make([]byte, 20)
	addr[19] = 9
	res, err := c.app.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{
		Height: c.height + 1, Time: blockTime(c.height + 1),
		Misbehavior: []abcitypes.Misbehavior{{
			Type: abcitypes.MisbehaviorType_DUPLICATE_VOTE, Height: 1, Time: blockTime(1),
			Validator: abcitypes.Validator{Address: addr, Power: 10}, TotalVotingPower: 30,
		}},
	})
	require.NoError(t, err)
	c.commit()
	require.Len(t, res.Events, 1)
	require.Equal(t, "misbehaviour", res.Events[0].Type)
	require.NotEqual(t, hashBefore, res.AppHash)

	// Read as the regulator (c.query): the record is for institutions.
	q := c.query(QueryPathStoreKey, evidence.Key(1, addr), 0, false)
	require.NotEmpty(t, q.Value, q.Log)
	var rec custodyv1.MisbehaviourRecord
	contracts.Unmarshal(nil, q.Value, &rec)
	require.Equal(t, evidence.KindDuplicateVote, rec.Kind)
	require.Equal(t, int64(2), rec.CommittedHeight)
	require.Equal(t, uint32(1), rec.Count)
}
