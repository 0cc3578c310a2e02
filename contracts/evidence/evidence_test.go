package evidence_test

import (
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/evidence"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func TestRecord_CountsPerHeightAndValidator(t *testing.T) {
	st := store.NewMem()
	pub := make([]byte, 32)
	pub[0] = 7
	require.NoError(t, participants.InitGenesis(st, []*custodyv1.Participant{
		{Id: "broker-1", Role: custodyv1.Role_ROLE_BROKER, Name: "Broker 1", ValidatorPower: 10, ValidatorPubKey: pub, PubKeys: [][]byte{make([]byte, 32)}},
	}))
	sum := sha256.Sum256(pub)
	addr := sum[:20]
	block := contracts.Block{Height: 12, Time: time.Unix(100, 0)}
	m := evidence.Misbehaviour{Kind: evidence.KindDuplicateVote, Height: 10, Time: time.Unix(90, 0), Address: addr, Power: 10, TotalPower: 40}
	ev := evidence.Record(st, block, m)
	require.Equal(t, "misbehaviour", ev.Type)
	require.Contains(t, ev.Attrs, contracts.EventAttr{Key: "participant", Value: "broker-1"})
	evidence.Record(st, block, m) // the precommit's evidence, say
	other := evidence.Misbehaviour{Kind: evidence.KindDuplicateVote, Height: 11, Address: make([]byte, 20), Power: 10, TotalPower: 40}
	evidence.Record(st, block, other)

	recs := evidence.AtHeight(st, 10)
	require.Len(t, recs, 1)
	require.Equal(t, uint32(2), recs[0].Count)
	require.Equal(t, "broker-1", recs[0].Participant)
	require.Equal(t, int64(12), recs[0].CommittedHeight)
	require.Len(t, evidence.From(st, 0, 0), 2)
	require.Len(t, evidence.From(st, 11, 0), 1)
	require.Empty(t, evidence.From(st, 11, 0)[0].Participant, "an address no participant has")

	out, err := evidence.Query(st, "10", "")
	require.NoError(t, err)
	var res struct {
		Records []map[string]any `json:"records"`
	}
	require.NoError(t, json.Unmarshal(out, &res))
	require.Equal(t, "duplicate-vote", res.Records[0]["kind"])
	_, err = evidence.Query(st, "9", "")
	require.ErrorIs(t, err, evidence.ErrNotFound)
	_, err = evidence.Query(st, "x", "")
	require.ErrorIs(t, err, evidence.ErrBadQuery)
	_, err = evidence.Query(st, "", "from=-1")
	require.ErrorIs(t, err, evidence.ErrBadQuery)
	out, err = evidence.Query(st, "", "from=11&limit=5")
	require.NoError(t, err)
	require.Contains(t, string(out), `"height":"11"`)
}
