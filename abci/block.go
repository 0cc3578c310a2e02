package abci

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
)

// proposalCheck is the one validation routine of PrepareProposal and
// ProcessProposal: the envelope checks that need no state (decodeTx). It is
// deterministic, so every honest validator judges a proposal alike.
// Stateful refusals (signature, sequence, role, the contract) are left to
// FinalizeBlock, which records them as result codes.
func (a *App) proposalCheck(tx []byte) error {
	_, err := a.decode(tx)
	return err
}

// PrepareProposal keeps the mempool's txs that pass proposalCheck and fit
// in req.MaxTxBytes, and puts each signer's txs in sequence order.
//
// The reorder is needed because CometBFT 0.38's mempool can list two txs
// of one signer out of the order in which CheckTx accepted them: when they
// arrive from two peers at once, the app checks N first but the mempool
// appends N+1 first (testnet/load's TestMempool_AppendsOutOfCheckOrder).
// Reaped as listed, N+1 would fail in the block with a bad sequence and the
// signer's later txs would fall out of every mempool on recheck. So each
// signer keeps the positions its txs hold in the list, and those positions
// are filled with its txs by ascending sequence: any prefix of the result,
// and so whatever fits in MaxTxBytes, holds each signer's lowest sequences.
func (a *App) PrepareProposal(_ context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	ordered := a.orderBySequence(req.Txs)
	txs := make([][]byte, 0, len(ordered))
	var total int64
	for _, tx := range ordered {
		if total+int64(len(tx)) > req.MaxTxBytes {
			break
		}
		total += int64(len(tx))
		txs = append(txs, tx)
	}
	return &abcitypes.ResponsePrepareProposal{Txs: txs}, nil
}

// orderBySequence drops the txs that fail proposalCheck and sorts each
// signer's txs by sequence within the positions they occupy.
func (a *App) orderBySequence(in [][]byte) [][]byte {
	type item struct {
		tx  []byte
		seq uint64
	}
	var (
		kept      []item
		signerOf  []string
		positions = map[string][]int{}
	)
	for _, tx := range in {
		dtx, err := a.decode(tx)
		if err != nil {
			continue
		}
		signer := dtx.body.Signer
		positions[signer] = append(positions[signer], len(kept))
		kept = append(kept, item{tx: tx, seq: dtx.body.Sequence})
		signerOf = append(signerOf, signer)
	}
	out := make([][]byte, len(kept))
	for i, signer := range signerOf {
		pos := positions[signer]
		if pos == nil || pos[0] != i {
			continue // this signer's txs were placed at its first position
		}
		group := make([]item, len(pos))
		for j, p := range pos {
			group[j] = kept[p]
		}
		slices.SortStableFunc(group, func(x, y item) int { return cmp.Compare(x.seq, y.seq) })
		for j, p := range pos {
			out[p] = group[j].tx
		}
	}
	return out
}

// ProcessProposal rejects a block holding any tx that fails proposalCheck
// (undecodable, non-canonical, oversize, wrong chain, unknown or invalid
// message): an honest proposer never includes one.
func (a *App) ProcessProposal(_ context.Context, req *abcitypes.RequestProcessProposal) (*abcitypes.ResponseProcessProposal, error) {
	for i, tx := range req.Txs {
		if err := a.proposalCheck(tx); err != nil {
			a.logger.Info("rejecting proposal", "height", req.Height, "tx", i, "err", err)
			return &abcitypes.ResponseProcessProposal{Status: abcitypes.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abcitypes.ResponseProcessProposal{Status: abcitypes.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes the block's txs in order on the working tree, each
// in its own Cache (see execTx for what a refusal leaves), and returns one
// ExecTxResult per tx at the same index and the working hash as AppHash.
// Block height and time come from the request. A bad tx is a result code; a
// Go error is returned only when the request itself cannot belong to this
// state (a height out of sequence), which must stop the node.
func (a *App) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	if want := a.tree.WorkingVersion(); req.Height != want {
		return nil, fmt.Errorf("abci: FinalizeBlock at height %d, state expects %d", req.Height, want)
	}
	block := contracts.Block{ChainID: a.chainID, Height: req.Height, Time: req.Time}
	working := store.IAVL{Tree: a.tree}
	// An upgrade plan at this height runs its migration first, or stops
	// the node here (upgrade.go).
	params, err := a.beginUpgrade(working, req.Height)
	if err != nil {
		return nil, err
	}
	blockEvents := a.recordMisbehaviour(working, block, req.Misbehavior)
	results := make([]*abcitypes.ExecTxResult, len(req.Txs))
	for i, tx := range req.Txs {
		results[i] = a.deliverTx(working, tx, block)
	}
	updates, events := a.endBlock(working, req.Height)
	a.lastBlockTime = req.Time
	a.metrics.Block(len(req.Txs))
	return &abcitypes.ResponseFinalizeBlock{
		TxResults: results, AppHash: a.tree.WorkingHash(),
		ValidatorUpdates: updates, ConsensusParamUpdates: params, Events: append(blockEvents, events...),
	}, nil
}

func (a *App) deliverTx(working contracts.Store, tx []byte, block contracts.Block) *abcitypes.ExecTxResult {
	dtx, err := a.decode(tx)
	if err != nil {
		res := execResult(err)
		a.metrics.Tx("", res.Codespace, res.Code)
		return res
	}
	a.decoded.drop(dtx.hash)
	if checkDecodeCache {
		mustMatchFreshDecode(a, tx, dtx)
	}
	out := a.execTx(working, dtx, block, modeDeliver)
	res := execResult(out.err)
	res.Data = out.data
	res.Events = convertEvents(append([]contracts.Event{txEvent(dtx, out)}, out.events...))
	a.metrics.Tx(dtx.route.Name, res.Codespace, res.Code)
	return res
}

func execResult(err error) *abcitypes.ExecTxResult {
	space, code, log := contracts.ABCIInfo(err)
	return &abcitypes.ExecTxResult{Code: code, Codespace: space, Log: log}
}

// convertEvents turns contract events into ABCI events, in emission order.
// Every attribute is indexed: the node decides what its indexer keeps.
func convertEvents(evs []contracts.Event) []abcitypes.Event {
	out := make([]abcitypes.Event, 0, len(evs))
	for _, ev := range evs {
		attrs := make([]abcitypes.EventAttribute, 0, len(ev.Attrs))
		for _, at := range ev.Attrs {
			attrs = append(attrs, abcitypes.EventAttribute{Key: at.Key, Value: at.Value, Index: true})
		}
		out = append(out, abcitypes.Event{Type: ev.Type, Attributes: attrs})
	}
	return out
}

// Commit saves the working tree as the block's version, prunes old versions
// and snapshots by the config, resets the mempool's check state, and returns
// the height below which CometBFT may drop blocks (RetainHeight).
//
// Retention: with PruneKeepRecent = 0 every version is kept and so is every
// block (RetainHeight 0). Otherwise blocks are kept from the oldest state
// version still queryable, and never above the oldest snapshot kept, since a
// node restoring snapshot H fetches blocks H and H+1 from its peers.
func (a *App) Commit(_ context.Context, _ *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	done := a.metrics.StartCommit()
	// Query of an older version reads the version bookkeeping this changes.
	a.reads.versions.Lock()
	_, version, err := a.tree.SaveVersion()
	if err != nil {
		a.reads.versions.Unlock()
		return nil, fmt.Errorf("abci: save version: %w", err)
	}
	a.maybeSnapshot(version)
	a.maybePrune(version)
	a.reads.versions.Unlock()
	a.resetCheckState()
	a.maybeCheckInvariants(version)
	done(version)
	return &abcitypes.ResponseCommit{RetainHeight: a.retainHeight(version)}, nil
}

// pruneTarget is the highest version that pruning may delete after saving
// version, or 0 when nothing is to be pruned.
func (a *App) pruneTarget(version int64) int64 {
	if a.cfg.PruneKeepRecent <= 0 {
		return 0
	}
	return max(version-a.cfg.PruneKeepRecent, 0)
}

func (a *App) maybePrune(version int64) {
	target := a.pruneTarget(version)
	if target <= 0 {
		return
	}
	if iv := a.cfg.PruneInterval; iv > 1 && version%iv != 0 {
		return
	}
	first := int64(0)
	if vs := a.tree.AvailableVersions(); len(vs) > 0 {
		first = int64(vs[0])
	}
	if first > target {
		return
	}
	// Deleting versions changes no hash: only what can be queried. A version
	// being exported for a snapshot refuses deletion; the next prune retries.
	if err := a.tree.DeleteVersionsTo(target); err != nil {
		a.logger.Info("pruning deferred", "to", target, "err", err)
	}
}

func (a *App) retainHeight(version int64) int64 {
	target := a.pruneTarget(version)
	if target <= 0 {
		return 0
	}
	retain := target + 1
	if a.snapshots != nil {
		if oldest := a.snapshots.Oldest(); oldest > 0 && int64(oldest) < retain {
			retain = int64(oldest)
		}
	}
	return retain
}

// CheckInvariants runs every invariant on the last committed state and
// records the results in the metrics. Before the first commit it checks the
// genesis state in the working tree.
func (a *App) CheckInvariants() []contracts.InvariantResult {
	st, err := a.committedStore(0)
	if err != nil {
		panic(fmt.Sprintf("abci: committed state: %v", err))
	}
	res := contracts.CheckInvariants(st, a.invs)
	broken := 0
	for _, r := range res {
		a.metrics.Invariant(r.Name, r.Broken)
		if r.Broken {
			broken++
		}
	}
	a.metrics.InvariantsBroken(broken)
	return res
}

func (a *App) maybeCheckInvariants(version int64) {
	iv := a.cfg.InvariantInterval
	if iv <= 0 || version%iv != 0 {
		return
	}
	for _, r := range a.CheckInvariants() {
		if r.Broken {
			a.logger.Error("invariant broken", "height", version, "invariant", r.Name, "msg", r.Msg)
		}
	}
}
