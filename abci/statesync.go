package abci

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	iavldb "github.com/cosmos/iavl/db"

	"github.com/custody-ledger/custody/abci/snapshot"
)

// maybeSnapshot starts a snapshot of the version just saved when it falls on
// SnapshotInterval. The export runs in the snapshot package's goroutine over
// the immutable saved version; consensus goes on meanwhile. An export still
// running at the next interval makes that height skip its snapshot.
func (a *App) maybeSnapshot(version int64) {
	iv := a.cfg.SnapshotInterval
	if iv == 0 || a.snapshots == nil || uint64(version)%iv != 0 {
		return
	}
	imm, err := a.tree.GetImmutable(version)
	if err != nil {
		a.logger.Error("snapshot skipped", "height", version, "err", err)
		return
	}
	if err := a.snapshots.Take(imm, uint64(version), a.cfg.SnapshotChunkBytes); err != nil {
		a.logger.Error("snapshot skipped", "height", version, "err", err)
	}
}

// WaitSnapshot waits for a running snapshot export and returns its error
// (tests and orderly shutdown).
func (a *App) WaitSnapshot() error {
	if a.snapshots == nil {
		return nil
	}
	return a.snapshots.Wait()
}

// ListSnapshots lists the kept snapshots, newest first.
func (a *App) ListSnapshots(_ context.Context, _ *abcitypes.RequestListSnapshots) (*abcitypes.ResponseListSnapshots, error) {
	if a.snapshots == nil {
		return &abcitypes.ResponseListSnapshots{}, nil
	}
	list, err := a.snapshots.List()
	if err != nil {
		a.logger.Error("list snapshots", "err", err)
		return &abcitypes.ResponseListSnapshots{}, nil
	}
	return &abcitypes.ResponseListSnapshots{Snapshots: list}, nil
}

// LoadSnapshotChunk serves one chunk of a kept snapshot (empty if gone).
func (a *App) LoadSnapshotChunk(_ context.Context, req *abcitypes.RequestLoadSnapshotChunk) (*abcitypes.ResponseLoadSnapshotChunk, error) {
	if a.snapshots == nil {
		return &abcitypes.ResponseLoadSnapshotChunk{}, nil
	}
	bz, err := a.snapshots.LoadChunk(req.Height, req.Format, req.Chunk)
	if err != nil {
		a.logger.Info("load snapshot chunk", "height", req.Height, "chunk", req.Chunk, "err", err)
		return &abcitypes.ResponseLoadSnapshotChunk{}, nil
	}
	return &abcitypes.ResponseLoadSnapshotChunk{Chunk: bz}, nil
}

// OfferSnapshot starts restoring a snapshot into this app, which must hold no
// saved state. req.AppHash is the app hash of the snapshot's height as
// verified by CometBFT's light client; the restored tree must match it.
func (a *App) OfferSnapshot(_ context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	if a.restore != nil {
		a.restore.Close()
		a.restore = nil
	}
	if a.tree.Version() > 0 {
		a.logger.Error("snapshot offered to a node with state", "height", a.tree.Version())
		return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_ABORT}, nil
	}
	if len(req.AppHash) == 0 {
		return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_REJECT}, nil
	}
	// Drop any genesis state written by an InitChain: the snapshot replaces it.
	a.tree.Rollback()
	r, err := snapshot.NewRestorer(a.tree, req.Snapshot)
	switch {
	case errors.Is(err, snapshot.ErrFormat):
		return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_REJECT_FORMAT}, nil
	case errors.Is(err, snapshot.ErrInvalid):
		a.logger.Info("snapshot rejected", "err", err)
		return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_REJECT}, nil
	case err != nil:
		a.logger.Error("snapshot restore failed to start", "err", err)
		return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_ABORT}, nil
	}
	a.restore = r
	a.restoreHash = bytes.Clone(req.AppHash)
	a.logger.Info("restoring snapshot", "height", req.Snapshot.Height, "chunks", req.Snapshot.Chunks)
	return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_ACCEPT}, nil
}

// ApplySnapshotChunk imports the next chunk. A chunk that does not match its
// hash is fetched again from another peer; a malformed snapshot is rejected.
// After the last chunk the restored root must equal the trusted app hash.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	if a.restore == nil {
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_ABORT}, nil
	}
	done, err := a.restore.Apply(req.Index, req.Chunk)
	switch {
	case errors.Is(err, snapshot.ErrChunkHash):
		a.logger.Info("snapshot chunk refused", "chunk", req.Index, "sender", req.Sender, "err", err)
		return &abcitypes.ResponseApplySnapshotChunk{
			Result:        abcitypes.ResponseApplySnapshotChunk_RETRY,
			RefetchChunks: []uint32{req.Index},
			RejectSenders: []string{req.Sender},
		}, nil
	case err != nil:
		a.logger.Info("snapshot rejected", "err", err)
		a.abandonRestore()
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
	case !done:
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_ACCEPT}, nil
	}
	height := a.restore.Height()
	a.restore = nil
	if got := a.tree.Hash(); !bytes.Equal(got, a.restoreHash) {
		a.logger.Error("restored state does not match the trusted app hash", "height", height, "got", fmt.Sprintf("%X", got), "want", fmt.Sprintf("%X", a.restoreHash))
		// The app held no state before the offer (OfferSnapshot refuses
		// otherwise), so everything in its database is the wrong import.
		if err := wipeDB(a.db); err != nil {
			return nil, fmt.Errorf("abci: remove a wrong snapshot at %d: %w", height, err)
		}
		tree, err := loadTree(a.db)
		if err != nil {
			return nil, err
		}
		a.tree = tree
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
	}
	a.loadCommitted()
	a.logger.Info("snapshot restored", "height", height, "chain_id", a.chainID)
	return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_ACCEPT}, nil
}

func (a *App) abandonRestore() {
	if a.restore != nil {
		a.restore.Close()
		a.restore = nil
	}
}

// wipeDB deletes every key of the app's state database.
func wipeDB(db iavldb.DB) error {
	it, err := db.Iterator(nil, nil)
	if err != nil {
		return err
	}
	var keys [][]byte
	for ; it.Valid(); it.Next() {
		keys = append(keys, bytes.Clone(it.Key()))
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	batch := db.NewBatch()
	defer batch.Close()
	for _, k := range keys {
		if err := batch.Delete(k); err != nil {
			return err
		}
	}
	return batch.WriteSync()
}
