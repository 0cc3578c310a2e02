package abci

import (
	"context"
	"fmt"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"
)

// buildSnapshotChain runs app A with snapshots every 3 heights and small
// chunks through 7 blocks; it returns A and the app hash of each height.
func buildSnapshotChain(t *testing.T, net *testNet) (*chain, map[int64][]byte, map[int64][][]byte) {
	t.Helper()
	a := newChain(t, Config{
		SnapshotInterval: 3, SnapshotKeepRecent: 2, SnapshotDir: t.TempDir(), SnapshotChunkBytes: 512,
	}, net)
	hashes := map[int64][]byte{}
	blocks := map[int64][][]byte{}
	for i := range 7 {
		txs := [][]byte{net.regulator.sign(t, freeze(fmt.Sprintf("acc-%d", i)))}
		for j := range 5 {
			txs = append(txs, net.bank.sign(t, credit(fmt.Sprintf("t%d-%d", i, j), fmt.Sprintf("acc-%d", j), int64(10+i))))
		}
		h := a.height + 1
		blocks[h] = txs
		hashes[h] = a.block(txs...).AppHash
		require.NoError(t, a.app.WaitSnapshot())
	}
	return a, hashes, blocks
}

// TestStateSync_RestoreIntoFreshApp: snapshot app A, restore into a fresh
// app B through OfferSnapshot / LoadSnapshotChunk / ApplySnapshotChunk; B
// reports the same height and hash, answers queries with the same proofs,
// and goes on in step with A.
func TestStateSync_RestoreIntoFreshApp(t *testing.T) {
	ctx := context.Background()
	net := newTestNet()
	a, hashes, blocks := buildSnapshotChain(t, net)

	list, err := a.app.ListSnapshots(ctx, &abcitypes.RequestListSnapshots{})
	require.NoError(t, err)
	require.Len(t, list.Snapshots, 2, "heights 6 and 3 kept (keep 2)")
	snap := list.Snapshots[0]
	require.EqualValues(t, 6, snap.Height)
	require.Greater(t, snap.Chunks, uint32(1), "small chunks: several of them")
	require.EqualValues(t, 3, list.Snapshots[1].Height)

	b := newTestApp(t, Config{})
	offer, err := b.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: hashes[6]})
	require.NoError(t, err)
	require.Equal(t, abcitypes.ResponseOfferSnapshot_ACCEPT, offer.Result)
	for i := range snap.Chunks {
		chunk, err := a.app.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: snap.Height, Format: snap.Format, Chunk: i})
		require.NoError(t, err)
		require.NotEmpty(t, chunk.Chunk)
		res, err := b.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: i, Chunk: chunk.Chunk, Sender: "a"})
		require.NoError(t, err)
		require.Equal(t, abcitypes.ResponseApplySnapshotChunk_ACCEPT, res.Result, "chunk %d", i)
	}
	bc := &chain{t: t, app: b, height: 6}
	info := bc.info()
	require.EqualValues(t, 6, info.LastBlockHeight)
	require.Equal(t, hashes[6], info.LastBlockAppHash)
	require.Equal(t, testChainID, b.ChainID())

	// Until B finalizes a block it knows no block time, so it cannot tell
	// a live credential from an expired one: it refuses them all.
	key := testKey("balance", "acc-3")
	qb := bc.query(QueryPathStoreKey, key, 6, true)
	requireCode(t, ErrQueryCredentialExpired, qb.Codespace, qb.Code, qb.Log)

	// B replays block 7 as CometBFT would after state sync, then both go on.
	require.Equal(t, hashes[7], bc.block(blocks[7]...).AppHash)
	qa := a.query(QueryPathStoreKey, key, 6, true)
	qb = bc.query(QueryPathStoreKey, key, 6, true)
	require.Zero(t, qb.Code, qb.Log)
	require.Equal(t, qa.Value, qb.Value)
	require.Equal(t, qa.ProofOps, qb.ProofOps)
	require.NoError(t, VerifyProof(hashes[6], key, qb.Value, qb.ProofOps))
	next := [][]byte{net.bank.sign(t, credit("later", "acc-1", 5)), net.broker.sign(t, debit("acc-1", 1))}
	require.Equal(t, a.block(next...).AppHash, bc.block(next...).AppHash)
}

// TestStateSync_RefusesBadSnapshots: a corrupted chunk is fetched again from
// another sender; a snapshot whose restored root is not the trusted app hash
// is rejected and leaves the app empty, ready for another snapshot.
func TestStateSync_RefusesBadSnapshots(t *testing.T) {
	ctx := context.Background()
	net := newTestNet()
	a, hashes, _ := buildSnapshotChain(t, net)
	list, err := a.app.ListSnapshots(ctx, &abcitypes.RequestListSnapshots{})
	require.NoError(t, err)
	snap := list.Snapshots[0]
	chunk := func(i uint32) []byte {
		res, err := a.app.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: snap.Height, Format: snap.Format, Chunk: i})
		require.NoError(t, err)
		return res.Chunk
	}

	b := newTestApp(t, Config{})
	for _, tc := range []struct {
		name string
		snap *abcitypes.Snapshot
		want abcitypes.ResponseOfferSnapshot_Result
	}{
		{"unknown format", &abcitypes.Snapshot{Height: snap.Height, Format: 9, Chunks: snap.Chunks, Hash: snap.Hash, Metadata: snap.Metadata}, abcitypes.ResponseOfferSnapshot_REJECT_FORMAT},
		{"hash not over the metadata", &abcitypes.Snapshot{Height: snap.Height, Format: snap.Format, Chunks: snap.Chunks, Hash: hashes[1], Metadata: snap.Metadata}, abcitypes.ResponseOfferSnapshot_REJECT},
		{"chunk count mismatch", &abcitypes.Snapshot{Height: snap.Height, Format: snap.Format, Chunks: snap.Chunks + 1, Hash: snap.Hash, Metadata: snap.Metadata}, abcitypes.ResponseOfferSnapshot_REJECT},
		{"height 0", &abcitypes.Snapshot{Format: snap.Format, Chunks: snap.Chunks, Hash: snap.Hash, Metadata: snap.Metadata}, abcitypes.ResponseOfferSnapshot_REJECT},
	} {
		res, err := b.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: tc.snap, AppHash: hashes[6]})
		require.NoError(t, err)
		require.Equal(t, tc.want, res.Result, tc.name)
	}

	// Offered with the app hash of another height: every chunk applies, the
	// root does not match, the snapshot is rejected.
	res, err := b.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: hashes[5]})
	require.NoError(t, err)
	require.Equal(t, abcitypes.ResponseOfferSnapshot_ACCEPT, res.Result)
	bad := append([]byte(nil), chunk(0)...)
	bad[len(bad)/2] ^= 0xff
	ap, err := b.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: 0, Chunk: bad, Sender: "evil"})
	require.NoError(t, err)
	require.Equal(t, abcitypes.ResponseApplySnapshotChunk_RETRY, ap.Result)
	require.Equal(t, []uint32{0}, ap.RefetchChunks)
	require.Equal(t, []string{"evil"}, ap.RejectSenders)
	var last *abcitypes.ResponseApplySnapshotChunk
	for i := range snap.Chunks {
		last, err = b.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: i, Chunk: chunk(i), Sender: "a"})
		require.NoError(t, err)
	}
	require.Equal(t, abcitypes.ResponseApplySnapshotChunk_REJECT_SNAPSHOT, last.Result)
	bi, err := b.Info(ctx, &abcitypes.RequestInfo{})
	require.NoError(t, err)
	require.Zero(t, bi.LastBlockHeight, "the wrong state was removed")

	// The same app then restores the right snapshot.
	res, err = b.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: hashes[6]})
	require.NoError(t, err)
	require.Equal(t, abcitypes.ResponseOfferSnapshot_ACCEPT, res.Result)
	for i := range snap.Chunks {
		last, err = b.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: i, Chunk: chunk(i), Sender: "a"})
		require.NoError(t, err)
	}
	require.Equal(t, abcitypes.ResponseApplySnapshotChunk_ACCEPT, last.Result)
	bi, err = b.Info(ctx, &abcitypes.RequestInfo{})
	require.NoError(t, err)
	require.Equal(t, hashes[6], bi.LastBlockAppHash)

	// A node with state refuses to be overwritten.
	res, err = b.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: hashes[6]})
	require.NoError(t, err)
	require.Equal(t, abcitypes.ResponseOfferSnapshot_ABORT, res.Result)
}
