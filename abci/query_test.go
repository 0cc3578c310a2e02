package abci

import (
	"bytes"
	"encoding/json"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
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

	q := c.query(QueryPathInvariants, nil, 0, false)
	require.Zero(t, q.Code, q.Log)
	var res []contracts.InvariantResult
	require.NoError(t, json.Unmarshal(q.Value, &res))
	require.Len(t, res, 1)
	require.False(t, res[0].Broken)

	// /custody/ goes to ledger.Query over the requested version.
	q = c.query(QueryPathCustody+"participant/bank-a", nil, 1, false)
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
