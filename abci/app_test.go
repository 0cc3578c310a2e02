package abci

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_apphash.txt")

// script is a fixed tx script: blocks of txs mixing accepted and refused
// ones. It is a function of fresh signers so every call yields the same bytes.
func script(t testing.TB, n *testNet) [][][]byte {
	seven := uint64(7)
	return [][][]byte{
		{n.bank.sign(t, credit("t1", "acc-1", 10_000)), n.bank.sign(t, credit("t2", "acc-2", 500))},
		{n.broker.sign(t, debit("acc-1", 2_500)), n.regulator.sign(t, freeze("acc-2"))},
		{
			n.bank.sign(t, credit("t1", "acc-1", 10_000)),                     // duplicate transfer: refused, sequence consumed
			n.broker.sign(t, debit("acc-2", 501)),                             // overdraft: refused
			n.regulator.sign(t, freeze("refuse")),                             // refused after a write: write dropped
			n.bank.signWith(t, credit("t9", "acc-9", 1), txOpts{seq: &seven}), // gapped sequence: nothing
			[]byte("not a tx"),
		},
		{},
		{n.bank.sign(t, credit("t3", "acc-3", 42)), n.broker.sign(t, debit("acc-1", 7_500))},
	}
}

// TestApp_GoldenAppHash pins the app hash after each block of the script.
// A change of the hash is a consensus-breaking change: review it, then run
// go test ./abci -run GoldenAppHash -update.
func TestApp_GoldenAppHash(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	var got strings.Builder
	fmt.Fprintf(&got, "genesis %X\n", c.app.tree.WorkingHash())
	for _, txs := range script(t, net) {
		res := c.block(txs...)
		var codes []string
		for _, r := range res.TxResults {
			codes = append(codes, fmt.Sprintf("%s/%d", r.Codespace, r.Code))
		}
		fmt.Fprintf(&got, "%d %X %s\n", c.height, res.AppHash, strings.Join(codes, ","))
	}
	path := filepath.Join("testdata", "golden_apphash.txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create the golden file")
	require.Equal(t, string(want), got.String())
}

// TestApp_ReplayAgrees feeds the same blocks to two fresh apps, one of which
// saw every tx in CheckTx first (so skips signature checks in FinalizeBlock
// through the signature cache): they agree on every result and hash.
func TestApp_ReplayAgrees(t *testing.T) {
	net := newTestNet()
	blocks := script(t, net)
	a := newChain(t, Config{}, newTestNet())
	b := newChain(t, Config{}, newTestNet())
	for _, txs := range blocks {
		for _, tx := range txs {
			b.checkTx(tx)
		}
		ra, rb := a.block(txs...), b.block(txs...)
		require.Equal(t, ra.AppHash, rb.AppHash, "height %d", a.height)
		for i := range ra.TxResults {
			require.Equal(t, ra.TxResults[i].Code, rb.TxResults[i].Code)
			require.Equal(t, ra.TxResults[i].Data, rb.TxResults[i].Data)
		}
	}
	require.Equal(t, a.info(), b.info())
}

// TestApp_RestartFromDisk commits, closes, reopens from disk mid-chain and
// goes on; Info reports the last height and hash, and the chain ends where an
// app that never stopped ends.
func TestApp_RestartFromDisk(t *testing.T) {
	dir := t.TempDir()
	net := newTestNet()
	blocks := script(t, net)
	ref := newChain(t, Config{}, newTestNet())

	c := newChain(t, Config{Dir: dir}, newTestNet())
	for _, txs := range blocks[:3] {
		c.block(txs...)
		ref.block(txs...)
	}
	before := c.info()
	require.EqualValues(t, 3, before.LastBlockHeight)
	// An uncommitted block is lost on restart, as CometBFT expects (it
	// replays from Info's height).
	c.finalize(blocks[3]...)
	require.NoError(t, c.app.Close())

	app2 := newTestApp(t, Config{Dir: dir})
	c2 := &chain{t: t, app: app2, height: 3}
	after := c2.info()
	require.Equal(t, before.LastBlockHeight, after.LastBlockHeight)
	require.Equal(t, before.LastBlockAppHash, after.LastBlockAppHash)
	require.Equal(t, testChainID, app2.ChainID(), "chain id survives a restart")
	for _, txs := range blocks[3:] {
		require.Equal(t, ref.block(txs...).AppHash, c2.block(txs...).AppHash, "height %d", c2.height)
	}
}

// TestApp_EnvelopeRefusals: every refusal of the envelope has its code in
// both CheckTx and FinalizeBlock and leaves the app hash unchanged.
func TestApp_EnvelopeRefusals(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{MaxTxBytes: 2048}, net)
	c.block(net.bank.sign(t, credit("t1", "acc-1", 100)))

	zero, two := uint64(0), uint64(2)
	valid := net.bank.signWith(t, credit("t2", "acc-1", 1), txOpts{})
	var raw custodyv1.TxRaw
	require.NoError(t, decodeOpt.Unmarshal(valid, &raw))
	// The same fields with signature first: decodes, but is not canonical.
	reordered := protowire.AppendTag(nil, 2, protowire.BytesType)
	reordered = protowire.AppendBytes(reordered, raw.Signature)
	reordered = protowire.AppendTag(reordered, 1, protowire.BytesType)
	reordered = protowire.AppendBytes(reordered, raw.BodyBytes)
	// An unknown field appended.
	unknown := protowire.AppendVarint(protowire.AppendTag(bytes.Clone(valid), 15, protowire.VarintType), 1)

	cases := []struct {
		name string
		tx   []byte
		want *contracts.Error
	}{
		{"malformed bytes", []byte{0xff, 0xff, 0xff}, contracts.ErrTxDecode},
		{"non-canonical field order", reordered, contracts.ErrTxNonCanonical},
		{"unknown field", unknown, contracts.ErrTxNonCanonical},
		{"too large", net.bank.signWith(t, credit("t2", strings.Repeat("a", 3000), 1), txOpts{}), contracts.ErrTxTooLarge},
		{"memo too long", net.bank.signWith(t, credit("t2", "acc-1", 1), txOpts{memo: strings.Repeat("m", MaxMemoBytes+1)}), contracts.ErrMemoTooLong},
		{"wrong chain id", net.bank.signWith(t, credit("t2", "acc-1", 1), txOpts{chainID: "other-chain"}), contracts.ErrWrongChainID},
		{"unknown signer", net.outsider.signWith(t, credit("t2", "acc-1", 1), txOpts{}), contracts.ErrUnknownSigner},
		{"bad signature", net.bank.signWith(t, credit("t2", "acc-1", 1), txOpts{badSig: true}), contracts.ErrBadSignature},
		{"signed by another key", net.outsider.signWith(t, credit("t2", "acc-1", 1), txOpts{asSigner: net.bank.address()}), contracts.ErrBadSignature},
		{"replayed sequence", net.bank.signWith(t, credit("t2", "acc-1", 1), txOpts{seq: &zero}), contracts.ErrBadSequence},
		{"gapped sequence", net.bank.signWith(t, credit("t2", "acc-1", 1), txOpts{seq: &two}), contracts.ErrBadSequence},
		{"wrong role", net.broker.signWith(t, credit("t2", "acc-1", 1), txOpts{}), contracts.ErrUnauthorizedRole},
		{"empty message", net.bank.signWith(t, &custodyv1.Msg{}, txOpts{}), contracts.ErrUnknownMessage},
		{"message without a contract", net.bank.signWith(t, &custodyv1.Msg{Sum: &custodyv1.Msg_CloseAccount{CloseAccount: &custodyv1.MsgCloseAccount{AccountId: "a"}}}, txOpts{}), contracts.ErrUnknownMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hash := c.info().LastBlockAppHash
			ct := c.checkTx(tc.tx)
			requireCode(t, tc.want, ct.Codespace, ct.Code, ct.Log)
			res := c.block(tc.tx)
			r := res.TxResults[0]
			requireCode(t, tc.want, r.Codespace, r.Code, r.Log)
			require.NotEmpty(t, r.Log)
			require.Equal(t, hash, res.AppHash, "a refused envelope changes nothing")
		})
	}
	// Message validation is stateless: it refuses before the signer is read.
	ct := c.checkTx(net.bank.signWith(t, credit("", "acc-1", 1), txOpts{}))
	requireCode(t, errTestInvalid, ct.Codespace, ct.Code, ct.Log)

	// After all that, the bank's next sequence is still 1.
	ct = c.checkTx(net.bank.signWith(t, credit("t2", "acc-1", 1), txOpts{}))
	require.Zero(t, ct.Code, ct.Log)
}

// TestApp_ContractRefusalConsumesSequence: a tx refused by its contract
// leaves no contract write but consumes its sequence, so it cannot be
// replayed.
func TestApp_ContractRefusalConsumesSequence(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	refused := net.regulator.sign(t, freeze("refuse"))
	res := c.block(refused)
	requireCode(t, errTestRefused, res.TxResults[0].Codespace, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Nil(t, c.query(QueryPathStoreKey, testKey("frozen", "refuse"), 0, false).Value, "the refused contract's write is dropped")

	st, err := c.app.committedStore(0)
	require.NoError(t, err)
	rec, err := auth.Get(st, net.regulator.address())
	require.NoError(t, err)
	require.EqualValues(t, 1, rec.NextSequence)

	res = c.block(refused)
	requireCode(t, contracts.ErrBadSequence, res.TxResults[0].Codespace, res.TxResults[0].Code, res.TxResults[0].Log)

	ok := c.block(net.regulator.sign(t, freeze("acc-1")))
	require.Zero(t, ok.TxResults[0].Code)
	require.Equal(t, "tx", ok.TxResults[0].Events[0].Type)
	require.Equal(t, "freeze", ok.TxResults[0].Events[1].Type)
	require.Equal(t, []byte("test"), c.query(QueryPathStoreKey, testKey("frozen", "acc-1"), 0, false).Value)
}

// TestApp_ContractPanic: a contract bug that panics is a deterministic
// refusal (ErrInternal) in CheckTx and in a block alike, and the rest of the
// block still executes; a storage failure halts the node instead.
func TestApp_ContractPanic(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	bug := net.regulator.sign(t, freeze("panic"))
	requireCode(t, contracts.ErrInternal, c.checkTx(bug).Codespace, c.checkTx(bug).Code, "")
	res := c.block(bug, net.regulator.signWith(t, freeze("acc-1"), txOpts{seq: ptr[uint64](1)}))
	requireCode(t, contracts.ErrInternal, res.TxResults[0].Codespace, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Zero(t, res.TxResults[1].Code, res.TxResults[1].Log)
	require.Equal(t, []byte("test"), c.query(QueryPathStoreKey, testKey("frozen", "acc-1"), 0, false).Value)

	failing := net.regulator.signWith(t, freeze("disk-failure"), txOpts{seq: ptr[uint64](2)})
	require.Panics(t, func() { c.finalize(failing) }, "a storage failure must halt the node, not be refused")
}

// TestCheckTx_CheckState: CheckTx applies accepted txs to the check state,
// so sequences run ahead of the committed state, a tx that would overdraw
// after a pending one is refused, and a duplicate is refused; after Commit
// the check state restarts from the committed state and Recheck re-admits
// what is still valid.
func TestCheckTx_CheckState(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	c1 := net.bank.sign(t, credit("t1", "acc-1", 100))
	c2 := net.bank.sign(t, credit("t2", "acc-1", 50))
	require.Zero(t, c.checkTx(c1).Code)
	require.Zero(t, c.checkTx(c2).Code, "sequence 1 follows the pending sequence 0")

	ct := c.checkTx(c1)
	requireCode(t, contracts.ErrBadSequence, ct.Codespace, ct.Code, ct.Log)
	gap := net.bank.signWith(t, credit("t3", "acc-1", 1), txOpts{seq: ptr(uint64(5))})
	ct = c.checkTx(gap)
	requireCode(t, contracts.ErrBadSequence, ct.Codespace, ct.Code, ct.Log)
	dup := net.bank.sign(t, credit("t1", "acc-1", 100))
	ct = c.checkTx(dup)
	requireCode(t, errTestDup, ct.Codespace, ct.Code, ct.Log)
	net.bank.seq-- // the refused duplicate did not consume sequence 2 in the check state

	d1 := net.broker.sign(t, debit("acc-1", 120))
	d2 := net.broker.sign(t, debit("acc-1", 31))
	require.Zero(t, c.checkTx(d1).Code)
	ct = c.checkTx(d2)
	requireCode(t, errTestOverdraw, ct.Codespace, ct.Code, ct.Log)
	// Every signature that verified is cached, whatever refused the tx
	// after: c1, c2, d1, and the gap, the duplicate and d2.
	require.Equal(t, 6, c.app.sigs.Len(), "each tx whose signature verified is cached once")

	// Block 1 holds c1 only; then CometBFT rechecks c2 and d1.
	c.block(c1)
	for _, tx := range [][]byte{c2, d1} {
		res, err := c.app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: tx, Type: abcitypes.CheckTxType_Recheck})
		require.NoError(t, err)
		require.Zero(t, res.Code, res.Log)
	}
	// c1 was committed: a recheck of it (or a resubmission) is a replay.
	ct = c.checkTx(c1)
	requireCode(t, contracts.ErrBadSequence, ct.Codespace, ct.Code, ct.Log)
	res := c.block(c2, d1)
	for _, r := range res.TxResults {
		require.Zero(t, r.Code, r.Log)
	}
}

func ptr[T any](v T) *T { return &v }

// TestApp_SignatureCacheIsOnlyAShortcut: a tx never seen in CheckTx is
// verified in FinalizeBlock, so a forged one is refused there.
func TestApp_SignatureCacheIsOnlyAShortcut(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	forged := net.bank.signWith(t, credit("t1", "acc-1", 100), txOpts{badSig: true})
	res := c.block(forged)
	requireCode(t, contracts.ErrBadSignature, res.TxResults[0].Codespace, res.TxResults[0].Code, res.TxResults[0].Log)
	ok := net.bank.sign(t, credit("t1", "acc-1", 100))
	require.Zero(t, c.checkTx(ok).Code)
	require.True(t, c.app.sigs.Has(hashOf(ok)))
	require.Zero(t, c.block(ok).TxResults[0].Code)
}

func hashOf(tx []byte) [32]byte {
	dtx, err := decodeTx(tx, testChainID, 0, testRouter())
	if err != nil {
		panic(err)
	}
	return dtx.hash
}

func TestSigCache_EvictsOldest(t *testing.T) {
	c := newSigCache(2)
	h := func(b byte) [32]byte { return [32]byte{b} }
	c.Add(h(1))
	c.Add(h(2))
	c.Add(h(2))
	c.Add(h(3))
	require.False(t, c.Has(h(1)))
	require.True(t, c.Has(h(2)))
	require.True(t, c.Has(h(3)))
	c.Add(h(4))
	require.False(t, c.Has(h(2)))
	require.Equal(t, 2, c.Len())
}

// TestProposal_SharedValidation: PrepareProposal drops what ProcessProposal
// would reject, and keeps within MaxTxBytes.
func TestProposal_SharedValidation(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	good1 := net.bank.sign(t, credit("t1", "acc-1", 1))
	good2 := net.bank.sign(t, credit("t2", "acc-1", 1))
	bad := []byte("garbage")
	wrongChain := net.bank.signWith(t, credit("t3", "acc-1", 1), txOpts{chainID: "x"})

	prep, err := c.app.PrepareProposal(context.Background(), &abcitypes.RequestPrepareProposal{
		Txs: [][]byte{good1, bad, wrongChain, good2}, MaxTxBytes: 1 << 20, Height: 1,
	})
	require.NoError(t, err)
	require.Equal(t, [][]byte{good1, good2}, prep.Txs)

	prep, err = c.app.PrepareProposal(context.Background(), &abcitypes.RequestPrepareProposal{
		Txs: [][]byte{good1, good2}, MaxTxBytes: int64(len(good1)), Height: 1,
	})
	require.NoError(t, err)
	require.Equal(t, [][]byte{good1}, prep.Txs)

	for _, tc := range []struct {
		txs  [][]byte
		want abcitypes.ResponseProcessProposal_ProposalStatus
	}{
		{[][]byte{good1, good2}, abcitypes.ResponseProcessProposal_ACCEPT},
		{nil, abcitypes.ResponseProcessProposal_ACCEPT},
		{[][]byte{good1, bad}, abcitypes.ResponseProcessProposal_REJECT},
		{[][]byte{wrongChain}, abcitypes.ResponseProcessProposal_REJECT},
	} {
		res, err := c.app.ProcessProposal(context.Background(), &abcitypes.RequestProcessProposal{Txs: tc.txs, Height: 1})
		require.NoError(t, err)
		require.Equal(t, tc.want, res.Status)
	}
}

// TestProposal_OrdersEachSignerBySequence: a mempool that lists a signer's
// txs out of sequence order (CometBFT can, see PrepareProposal) gets them
// back in order within the positions that signer holds; other signers'
// txs keep their places, and a MaxTxBytes cut keeps each signer's lowest
// sequences.
func TestProposal_OrdersEachSignerBySequence(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	b0 := net.bank.sign(t, credit("t0", "acc-1", 1))
	b1 := net.bank.sign(t, credit("t1", "acc-1", 1))
	b2 := net.bank.sign(t, credit("t2", "acc-1", 1))
	r0 := net.regulator.sign(t, freeze("acc-9"))
	r1 := net.regulator.sign(t, freeze("acc-8"))

	prep, err := c.app.PrepareProposal(context.Background(), &abcitypes.RequestPrepareProposal{
		Txs: [][]byte{b2, r1, b0, []byte("garbage"), r0, b1}, MaxTxBytes: 1 << 20, Height: 1,
	})
	require.NoError(t, err)
	require.Equal(t, [][]byte{b0, r0, b1, r1, b2}, prep.Txs)
	res := c.block(prep.Txs...)
	for i, r := range res.TxResults {
		require.Zero(t, r.Code, "tx %d: %s", i, r.Log)
	}

	cut, err := c.app.PrepareProposal(context.Background(), &abcitypes.RequestPrepareProposal{
		Txs: [][]byte{b2, b0, b1}, MaxTxBytes: int64(len(b0) + len(b1)), Height: 2,
	})
	require.NoError(t, err)
	require.Equal(t, [][]byte{b0, b1}, cut.Txs)
}

// TestApp_FinalizeBlockHeightOutOfSequence stops the node rather than apply
// a block to the wrong state.
func TestApp_FinalizeBlockHeightOutOfSequence(t *testing.T) {
	c := newChain(t, Config{}, newTestNet())
	_, err := c.app.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 5})
	require.Error(t, err)
}

func TestApp_InitChainRefusesBadGenesis(t *testing.T) {
	for name, appState := range map[string]string{
		"not json":        "{",
		"no participants": "{}",
		"unknown field":   `{"participants":[],"extra":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			app := newTestApp(t, Config{})
			_, err := app.InitChain(context.Background(), &abcitypes.RequestInitChain{ChainId: testChainID, AppStateBytes: []byte(appState)})
			require.Error(t, err)
		})
	}
}

func TestApp_Pruning(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{PruneKeepRecent: 2}, net)
	var retain int64
	for i := range 5 {
		c.block(net.bank.sign(t, credit(fmt.Sprintf("t%d", i), "acc-1", 1)))
		retain = c.retain
	}
	require.EqualValues(t, 4, retain, "blocks from the oldest kept version (5-2+1)")
	require.Equal(t, []int{4, 5}, c.app.tree.AvailableVersions(), "the 2 most recent versions")
	q := c.query(QueryPathStoreKey, testKey("total"), 3, false)
	requireCode(t, ErrQueryHeight, q.Codespace, q.Code, q.Log)
	q = c.query(QueryPathStoreKey, testKey("total"), 4, false)
	require.Zero(t, q.Code, q.Log)
	require.Equal(t, "0000000000000004", hex.EncodeToString(q.Value))
}

// TestTicketVerifier_CachesOnlySuccesses: a client ticket's signature is
// verified once; a forged one is refused every time and never cached.
func TestTicketVerifier_CachesOnlySuccesses(t *testing.T) {
	v := ticketVerifier{cache: newSigCache(10)}
	s := newSigner("client")
	msg := []byte("order ticket")
	sig := ed25519.Sign(s.priv, msg)
	require.True(t, v.Verify(s.pub(), msg, sig))
	require.Equal(t, 1, v.cache.Len())
	require.True(t, v.Verify(s.pub(), msg, sig), "a hit")
	require.Equal(t, 1, v.cache.Len())
	require.False(t, v.Verify(s.pub(), []byte("other ticket"), sig), "the key covers the signed bytes")
	bad := append([]byte(nil), sig...)
	bad[0] ^= 1
	require.False(t, v.Verify(s.pub(), msg, bad))
	require.False(t, v.Verify(s.pub(), msg, bad))
	require.Equal(t, 1, v.cache.Len())
}

// TestRecheck_KeepsSignersLaterTxs: after a block, a pending tx that its
// contract now refuses stays in the mempool with its sequence consumed, so
// the signer's next tx is not dropped for a sequence gap; in the block the
// first fails with the contract's code (consuming the sequence) and the
// second commits.
func TestRecheck_KeepsSignersLaterTxs(t *testing.T) {
	net := newTestNet()
	c := newChain(t, Config{}, net)
	c.block(net.bank.sign(t, credit("t1", "acc-1", 100)))

	d1 := net.broker.sign(t, debit("acc-1", 150)) // the block left too little
	d2 := net.broker.sign(t, debit("acc-1", 10))
	recheck := func(tx []byte) *abcitypes.ResponseCheckTx {
		res, err := c.app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: tx, Type: abcitypes.CheckTxType_Recheck})
		require.NoError(t, err)
		return res
	}
	res := recheck(d1)
	require.Zero(t, res.Code, res.Log)
	require.Contains(t, res.Log, "kept for its block to refuse")
	require.Zero(t, recheck(d2).Code, "sequence 1 follows the consumed sequence 0")

	// A new tx is still refused outright when its contract refuses it.
	ct := c.checkTx(net.broker.signWith(t, debit("acc-1", 1000), txOpts{}))
	requireCode(t, errTestOverdraw, ct.Codespace, ct.Code, ct.Log)

	out := c.block(d1, d2)
	requireCode(t, errTestOverdraw, out.TxResults[0].Codespace, out.TxResults[0].Code, out.TxResults[0].Log)
	require.Zero(t, out.TxResults[1].Code, out.TxResults[1].Log)
}
