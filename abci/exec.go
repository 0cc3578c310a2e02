package abci

import (
	"strconv"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
)

// execMode says where a tx runs, which decides what a refusal leaves behind.
type execMode int

const (
	// modeCheck runs a tx on the check state for the mempool: a tx refused
	// at any stage leaves nothing, since it never enters the mempool.
	modeCheck execMode = iota
	// modeRecheck re-runs a tx left in the mempool after a block, on the
	// fresh check state. A refusal by authentication drops it as in
	// modeCheck; a refusal by the contract keeps it, with its sequence
	// consumed, as FinalizeBlock would: the block's changes (a freeze, a
	// spent balance) made the contract refuse it now, and dropping it would
	// drop every later tx of its signer in cascade (each would then carry a
	// sequence gap). Kept, it reaches a block, fails there with the
	// contract's code (a final answer for its client instead of a tx that
	// vanished) and its signer's later txs stay valid.
	modeRecheck
	// modeDeliver runs a tx in FinalizeBlock on the working tree.
	modeDeliver
)

// txOutcome is what one tx did: the contract's Data and events, or the
// refusal. signer and msgType are empty when the envelope was refused before
// they were known.
type txOutcome struct {
	data    []byte
	events  []contracts.Event
	err     error
	signer  string
	msgType string
	// verified is true when this call checked the ed25519 signature itself.
	verified bool
	// sequenceKept is true when the contract refused the tx but its
	// sequence increment was written (modeDeliver, modeRecheck).
	sequenceKept bool
}

// execTx authenticates a decoded tx against parent and runs its contract.
//
// The writes are layered so that each refusal leaves exactly what it should:
// parent ← authCache (the signer's sequence increment) ← msgCache (the
// contract's writes).
//
//   - Refused by authentication (unknown or disabled signer, bad signature,
//     wrong sequence) or by the role or operator-grant check: both caches are dropped and the
//     state is untouched, in every mode. Such a tx proves nothing about its
//     signer's intent (it may be a forgery or a stale replay).
//   - Refused by the contract: in modeDeliver the sequence increment is kept
//     and the contract's writes dropped. The signer did sign this tx at this
//     sequence, so it is consumed: the refused tx can never be replayed into
//     a later block where it might succeed (Cosmos SDK's ante-handler rule).
//     In modeCheck nothing is kept: the tx is refused from the mempool. In
//     modeRecheck the increment is kept and the tx stays (see modeRecheck).
//   - Accepted: the contract's writes, then the increment, are written
//     through; each Cache flushes in sorted key order, so the tree sees the
//     same writes in the same order on every node.
//
// Signatures (the envelope's and any client ticket's) are verified once per
// node: the first check that verifies one records it in the app's caches
// (sigCache), and every later check of the same bytes is a lookup.
func (a *App) execTx(parent contracts.Store, dtx *decodedTx, block contracts.Block, mode execMode) (out txOutcome) {
	out.msgType = dtx.route.Name
	authCache := store.NewCache(parent)
	env := &envelopeVerifier{cache: a.sigs, hash: dtx.hash}
	signer, rec, err := auth.Authenticate(authCache, dtx.body, dtx.bodyBytes, dtx.signature, env)
	out.verified = env.verified
	if err != nil {
		out.err = err
		return out
	}
	out.signer = signer.Address
	// The role check and an operator key's grant check are the part of
	// Router.Check that needs the signer; the message's stateless
	// validation already ran in decodeTx.
	if _, _, err := a.router.CheckSigner(signer, dtx.body.Msg); err != nil {
		out.err = err
		return out
	}
	auth.IncrementSequence(authCache, rec)

	msgCache := store.NewCache(authCache)
	ctx := contracts.NewContext(block, signer, msgCache, dtx.hash[:])
	ctx.Verifier = ticketVerifier{cache: a.tickets}
	data, err := a.runContract(ctx, dtx, mode)
	if err != nil {
		out.err = err
		if mode == modeDeliver || mode == modeRecheck {
			authCache.Write()
			out.sequenceKept = true
		}
		return out
	}
	msgCache.Write()
	authCache.Write()
	out.data = data
	out.events = ctx.Events()
	return out
}

// runContract executes the tx's route. A contract that panics is refused
// with ErrInternal, in CheckTx and in FinalizeBlock alike: every node runs
// the same code on the same state, so every node refuses it the same way,
// and a crafted tx (in a mempool or in a proposer's block) cannot halt the
// chain through a contract bug. A storage failure (*store.Failure) is the
// exception: it is local to this node, and recovering would let the node
// diverge from its peers, so in FinalizeBlock it propagates and halts it.
func (a *App) runContract(ctx *contracts.Context, dtx *decodedTx, mode execMode) (data []byte, err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, storage := r.(*store.Failure); storage && mode == modeDeliver {
			panic(r)
		}
		data, err = nil, contracts.ErrInternal.Wrapf("contract %s panicked: %v", dtx.route.Name, r)
	}()
	return dtx.route.Execute(ctx, dtx.inner)
}

// txEvent is the event every executed tx carries: its message type, signer
// and sequence, for indexers and subscribers.
func txEvent(dtx *decodedTx, out txOutcome) contracts.Event {
	ev := contracts.Event{Type: "tx", Attrs: []contracts.EventAttr{
		{Key: "type", Value: dtx.route.Name},
	}}
	if out.signer != "" {
		ev.Attrs = append(ev.Attrs,
			contracts.EventAttr{Key: "signer", Value: out.signer},
			contracts.EventAttr{Key: "sequence", Value: strconv.FormatUint(dtx.body.Sequence, 10)},
		)
	}
	return ev
}
