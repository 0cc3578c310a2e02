// Package serial holds the little concurrency the ABCI adapter has, apart
// from the replicated path (which the contracts lint keeps free of locks):
// the wrapper that serializes every ABCI call but Query, and the
// lock-free hand-off of the last committed version from Commit to Query.
package serial

import (
	"context"
	"sync"
	"sync/atomic"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// Wrap wraps app for CometBFT's
// proxy.NewConnSyncLocalClientCreator, which gives each ABCI connection
// (consensus, mempool, snapshot, query) its own mutex: the wrapper puts
// every method but Query behind one more, shared mutex, so that CheckTx,
// FinalizeBlock, Commit and the snapshot calls stay serialized as the app
// needs, while Query — answered from an immutable committed version —
// neither waits for a block nor holds one up. With the plain local client
// a slow read (the invariants, a long list) would stall block production.
func Wrap(app abcitypes.Application) abcitypes.Application {
	return &serialized{app: app}
}

type serialized struct {
	mu  sync.Mutex // every call but Query
	app abcitypes.Application
}

func (s *serialized) Query(ctx context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	return s.app.Query(ctx, req)
}

func (s *serialized) Info(ctx context.Context, req *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.Info(ctx, req)
}

func (s *serialized) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.CheckTx(ctx, req)
}

func (s *serialized) InitChain(ctx context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.InitChain(ctx, req)
}

func (s *serialized) PrepareProposal(ctx context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.PrepareProposal(ctx, req)
}

func (s *serialized) ProcessProposal(ctx context.Context, req *abcitypes.RequestProcessProposal) (*abcitypes.ResponseProcessProposal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.ProcessProposal(ctx, req)
}

func (s *serialized) FinalizeBlock(ctx context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.FinalizeBlock(ctx, req)
}

func (s *serialized) ExtendVote(ctx context.Context, req *abcitypes.RequestExtendVote) (*abcitypes.ResponseExtendVote, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.ExtendVote(ctx, req)
}

func (s *serialized) VerifyVoteExtension(ctx context.Context, req *abcitypes.RequestVerifyVoteExtension) (*abcitypes.ResponseVerifyVoteExtension, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.VerifyVoteExtension(ctx, req)
}

func (s *serialized) Commit(ctx context.Context, req *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.Commit(ctx, req)
}

func (s *serialized) ListSnapshots(ctx context.Context, req *abcitypes.RequestListSnapshots) (*abcitypes.ResponseListSnapshots, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.ListSnapshots(ctx, req)
}

func (s *serialized) OfferSnapshot(ctx context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.OfferSnapshot(ctx, req)
}

func (s *serialized) LoadSnapshotChunk(ctx context.Context, req *abcitypes.RequestLoadSnapshotChunk) (*abcitypes.ResponseLoadSnapshotChunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.LoadSnapshotChunk(ctx, req)
}

func (s *serialized) ApplySnapshotChunk(ctx context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.ApplySnapshotChunk(ctx, req)
}

// Latest holds a value that one goroutine publishes and others read
// without a lock: Commit publishes the committed version, Query reads it.
type Latest[T any] struct{ p atomic.Pointer[T] }

// Store publishes v.
func (l *Latest[T]) Store(v *T) { l.p.Store(v) }

// Load returns the last published value, or nil.
func (l *Latest[T]) Load() *T { return l.p.Load() }

// Mutex is a sync.Mutex, for the adapter's bookkeeping shared between
// Commit and Query.
type Mutex struct{ sync.Mutex }
