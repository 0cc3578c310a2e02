package abci

import (
	"bytes"
	"context"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/credential"
)

// TestQuery_ProofsVerify: a proof at height H verifies against the app hash
// of version H (the AppHash FinalizeBlock H returned, which CometBFT puts in
// header H+1), for present and absent keys; tampered values, keys and
// hashes fail.
func TestQuery_ProofsVerify(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	h1 := c.block(net.bank.sign(t, credit("t1", "acc-1", 100))).AppHash
	h2 := c.block(net.bank.sign(t, credit("t2", "acc-2", 7))).AppHash

	present := testKey("balance", "acc-1")
	absent := testKey("balance", "acc-0")
	q := c.query(QueryPathStoreKey, present, 0, true)
	require.Zero(t, q.Code, q.Log)
	require.EqualValues(t, 2, q.Height)
	require.NoError(t, VerifyProof(h2, present, q.Value, q.ProofOps))

	tampered := bytes.Clone(q.Value)
	tampered[len(tampered)-1]++
	require.ErrorIs(t, VerifyProof(h2, present, tampered, q.ProofOps), ErrProofInvalid)
	require.ErrorIs(t, VerifyProof(h1, present, q.Value, q.ProofOps), ErrProofInvalid, "wrong app hash")
	require.ErrorIs(t, VerifyProof(h2, present, nil, q.ProofOps), ErrProofInvalid, "a membership proof does not prove absence")
	require.ErrorIs(t, VerifyProof(h2, absent, q.Value, q.ProofOps), ErrProofMalformed, "proof for another key")

	q = c.query(QueryPathStoreKey, absent, 0, true)
	require.Zero(t, q.Code, q.Log)
	require.Nil(t, q.Value)
	require.NoError(t, VerifyProof(h2, absent, nil, q.ProofOps))
	require.ErrorIs(t, VerifyProof(h2, absent, []byte{0}, q.ProofOps), ErrProofInvalid, "absence does not prove a value")

	// acc-2 is absent at height 1 and present at 2.
	acc2 := testKey("balance", "acc-2")
	q = c.query(QueryPathStoreKey, acc2, 1, true)
	require.EqualValues(t, 1, q.Height)
	require.Nil(t, q.Value)
	require.NoError(t, VerifyProof(h1, acc2, nil, q.ProofOps))
	require.Error(t, VerifyProof(h2, acc2, nil, q.ProofOps))

	// Malformed proofs are errors, never panics.
	for _, ops := range []*cmtcrypto.ProofOps{
		nil,
		{},
		{Ops: []cmtcrypto.ProofOp{{Type: "other", Key: present}}},
		{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: present, Data: []byte{0xff, 0x01}}}},
		{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: present}}},
	} {
		require.Error(t, VerifyProof(h2, present, []byte{1}, ops))
	}
}

func TestQuery_PathsAndHeights(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	c.block(net.bank.sign(t, credit("t1", "acc-1", 100)))

	// /custody/ goes to ledger.Query over the requested version.
	q := c.query(QueryPathCustody+"participant/bank-a", nil, 1, false)
	require.Zero(t, q.Code, q.Log)
	require.Contains(t, string(q.Value), "Bank A")

	for _, tc := range []struct {
		path   string
		data   []byte
		height int64
		want   *contracts.Error
	}{
		{"/nope", nil, 0, ledger.ErrUnknownPath},
		{QueryPathCustody + "nope", nil, 0, ledger.ErrUnknownPath},
		{QueryPathStoreKey, nil, 0, ledger.ErrBadQuery},
		{QueryPathStoreKey, []byte{1}, 2, ErrQueryHeight},
		{QueryPathStoreKey, []byte{1}, -1, ErrQueryHeight},
	} {
		q := c.query(tc.path, tc.data, tc.height, true)
		requireCode(t, tc.want, q.Codespace, q.Code, q.Log)
	}
	// The chain id and the genesis keys are in the proven state.
	q = c.query(QueryPathStoreKey, chainIDKey, 0, false)
	require.Equal(t, testChainID, string(q.Value))
}

// Before the first block there is no committed version to query.
func TestQuery_BeforeFirstBlock(t *testing.T) {
	c := newChain(t, Config{}, newTestNet())
	q := c.query(QueryPathStoreKey, chainIDKey, 0, false)
	requireCode(t, ErrQueryHeight, q.Codespace, q.Code, q.Log)
	require.Empty(t, c.info().LastBlockAppHash)
	require.Zero(t, c.info().LastBlockHeight)
}

func opsOf(key, data []byte) *cmtcrypto.ProofOps {
	return &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: key, Data: data}}}
}

// TestQuery_Credentials: a query reads as the key whose credential it
// carries, checked against the key registry at the queried version and the
// last block's time; without one it reads public records only; a bad one
// is refused, never read as anonymous.
func TestQuery_Credentials(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	c.block(net.bank.sign(t, credit("t1", "acc-1", 100)))
	c.block()

	participant := QueryPathCustody + "participant/bank-a"
	q := c.queryAs("", participant, nil, 0, false)
	require.Zero(t, q.Code, "participants are public: %s", q.Log)

	key := testKey("balance", "acc-1")
	q = c.queryAs("", QueryPathStoreKey, key, 0, true)
	requireCode(t, ledger.ErrNotFound, q.Codespace, q.Code, q.Log)
	require.Nil(t, q.Value)
	require.Nil(t, q.ProofOps)

	bank := c.token(net.bank.priv)
	q = c.queryAs(bank, QueryPathStoreKey, key, 0, true)
	requireCode(t, ledger.ErrNotFound, q.Codespace, q.Code, q.Log)

	// The regulator reads the record, with its proof.
	q = c.query(QueryPathStoreKey, key, 0, true)
	require.Zero(t, q.Code, q.Log)
	require.NotNil(t, q.ProofOps)

	outsider := c.token(net.outsider.priv)
	q = c.queryAs(outsider, participant, nil, 0, false)
	requireCode(t, ErrQueryUnknownKey, q.Codespace, q.Code, q.Log)

	stale, err := credential.NewToken(net.bank.priv, testChainID, blockTime(c.height).Add(-time.Hour), time.Minute)
	require.NoError(t, err)
	q = c.queryAs(stale, participant, nil, 0, false)
	requireCode(t, ErrQueryCredentialExpired, q.Codespace, q.Code, q.Log)

	other, err := credential.NewToken(net.bank.priv, "another-chain", blockTime(c.height), time.Minute)
	require.NoError(t, err)
	q = c.queryAs(other, participant, nil, 0, false)
	requireCode(t, ErrQueryCredential, q.Codespace, q.Code, q.Log)

	q = c.app.mustQuery(t, &abcitypes.RequestQuery{Path: participant, Data: []byte{0xFF, 'c', 'r', '1', 0x7f}})
	requireCode(t, ErrQueryCredential, q.Codespace, q.Code, q.Log)
}

// TestQuery_NotFoundOrNotYours: a key the reader may not read and a key
// that is not set get the same answer, byte for byte; a proof of absence
// (which holds the neighbours in full) goes to the regulator alone.
func TestQuery_NotFoundOrNotYours(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	c.block(net.bank.sign(t, credit("t1", "acc-1", 100)))
	c.block(net.bank.sign(t, credit("t2", "acc-2", 7)))

	// acc-2's key is absent at version 1 and set at version 2.
	key := testKey("balance", "acc-2")
	for _, tok := range []string{"", c.token(net.bank.priv), c.token(net.broker.priv)} {
		absent := c.queryAs(tok, QueryPathStoreKey, key, 1, true)
		present := c.queryAs(tok, QueryPathStoreKey, key, 2, true)
		absent.Height, present.Height = 0, 0
		require.Equal(t, absent, present)
		requireCode(t, ledger.ErrNotFound, present.Codespace, present.Code, present.Log)
	}
	q := c.query(QueryPathStoreKey, key, 1, true)
	require.Zero(t, q.Code, q.Log)
	require.NotNil(t, q.ProofOps, "the regulator gets the proof of absence")
}

func (a *App) mustQuery(t *testing.T, req *abcitypes.RequestQuery) *abcitypes.ResponseQuery {
	t.Helper()
	res, err := a.Query(context.Background(), req)
	require.NoError(t, err)
	return res
}

// TestQuery_ReadsTheCommittedVersion: between FinalizeBlock and Commit the
// working tree holds the block's writes; Query answers from the committed
// version, never from the working tree, so it may run beside the block.
func TestQuery_ReadsTheCommittedVersion(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	c.block(net.bank.sign(t, credit("t1", "acc-1", 100)))
	key := testKey("balance", "acc-1")
	before := c.query(QueryPathStoreKey, key, 0, false)
	c.finalize(net.bank.sign(t, credit("t2", "acc-1", 5)))
	during := c.query(QueryPathStoreKey, key, 0, false)
	require.Equal(t, before.Height, during.Height)
	require.Equal(t, before.Value, during.Value, "the open block's write is not visible")
	c.commit()
	after := c.query(QueryPathStoreKey, key, 0, false)
	require.Equal(t, before.Height+1, after.Height)
	require.NotEqual(t, before.Value, after.Value)
}
