package abci

import (
	"context"
	"errors"
	"fmt"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/abci/internal/telemetry"
	"github.com/custody-ledger/custody/abci/snapshot"
	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Defaults for the zero values of Config.
const (
	// DefaultMaxTxBytes bounds one tx. Our txs are a few hundred bytes; the
	// limit only stops abuse of CheckTx and of proposals.
	DefaultMaxTxBytes = 64 << 10
	// DefaultSnapshotChunkBytes is the size a snapshot chunk grows to before
	// the next one starts (CometBFT's state sync channel carries up to 16 MB).
	DefaultSnapshotChunkBytes = 4 << 20
	// defaultSigCacheSize bounds the verified-signature cache (~50 bytes each).
	defaultSigCacheSize = 200_000
	// defaultDecodeCacheSize bounds the decoded-tx cache (a few KB each):
	// room for what a busy mempool holds between blocks.
	defaultDecodeCacheSize = 20_000
	// defaultIAVLCacheNodes is the IAVL node cache size.
	defaultIAVLCacheNodes = 200_000
)

// AppVersion is the application protocol version reported by Info until
// the chain's first upgrade; from then on Info reports the version the last
// applied upgrade recorded in state (upgrade.go). Bump it when a change
// alters the state transition for the same txs.
const AppVersion uint64 = 1

// Config configures an App. The zero value is an in-memory app that keeps
// every version and takes no snapshot.
type Config struct {
	// Dir holds the IAVL goleveldb database ("application.db" under it).
	// Empty means in memory: tests and tools only.
	Dir string
	// Logger receives the app's logs. Nil discards them.
	Logger log.Logger

	// PruneKeepRecent is how many recent versions (heights) of the state to
	// keep; 0 keeps all. Queries and proofs work only at kept heights.
	PruneKeepRecent int64
	// PruneInterval prunes every that many heights (0 or 1: every height).
	PruneInterval int64

	// SnapshotInterval takes a state sync snapshot every that many heights;
	// 0 takes none. Snapshots need SnapshotDir.
	SnapshotInterval uint64
	// SnapshotKeepRecent is how many snapshots to keep; 0 keeps all.
	SnapshotKeepRecent uint32
	// SnapshotDir holds the snapshots, one directory per height.
	SnapshotDir string
	// SnapshotChunkBytes is the target chunk size; 0 means
	// DefaultSnapshotChunkBytes.
	SnapshotChunkBytes int

	// MaxTxBytes bounds one tx in CheckTx and in proposals; 0 means
	// DefaultMaxTxBytes.
	MaxTxBytes int

	// InvariantInterval runs every invariant after every that many commits
	// and logs (and exports as metrics) any broken one; 0 runs them only
	// on demand (CheckInvariants, the /custody/invariants query). The check
	// reads state and changes nothing, so enabling it cannot change results.
	InvariantInterval int64

	// Metrics registers the app's Prometheus metrics; nil means none.
	Metrics prometheus.Registerer

	// Migrations are the upgrades this binary knows (upgrade.go): at the
	// height of a plan of one's name it runs; at a plan's height with none
	// of its name the node stops ("UPGRADE NEEDED").
	Migrations []Migration
}

// App is the Custody Ledger ABCI application: a thin, deterministic adapter
// between CometBFT and the contracts, over one IAVL tree. See the package
// documentation for the life of a tx and the guarantees.
//
// App's methods other than Query are not safe for concurrent use: run it
// behind CometBFT's proxy.NewLocalClientCreator (one mutex for every ABCI
// call) or, so that reads never wait for blocks nor blocks for reads,
// behind ConsensusSerialized (one mutex for every call but Query). Query
// reads an immutable committed version and may run beside the rest. The
// other concurrency inside is the snapshot package's exporter, which reads
// a saved, immutable version.
type App struct {
	abcitypes.BaseApplication // vote extensions only: we use none

	cfg    Config
	logger log.Logger
	db     iavldb.DB
	tree   *iavl.MutableTree
	router *contracts.Router
	invs   []contracts.Invariant
	query  queryFunc
	// reads is what Query shares with Commit (query.go).
	reads queryState

	// chainID is read from state (chainIDKey): set at InitChain, carried by
	// snapshots, so a restarted or state-synced node knows it.
	chainID string

	// checkState is the mempool's view: a Cache over the last committed
	// version, to which every accepted CheckTx applies its effects. Reset
	// after each Commit, before CometBFT rechecks the mempool.
	checkState *store.Cache
	sigs       *sigCache
	// tickets caches verified client ticket signatures (ticketVerifier).
	tickets *sigCache
	// decoded holds the decoded txs not yet delivered (decodeCache).
	decoded *decodeCache
	// lastBlockTime is the time of the last finalized block, the clock
	// CheckTx runs with. It is not persisted: after a restart CheckTx sees
	// the zero time until the next block (CheckTx is not consensus).
	lastBlockTime time.Time

	snapshots *snapshot.Store
	restore   *snapshot.Restorer
	// restoreHash is the trusted app hash of the snapshot being restored.
	restoreHash []byte

	metrics *telemetry.Metrics
}

var _ abcitypes.Application = (*App)(nil)

// chainIDKey is where the chain id lives in state. It sits in the chain
// parameters' key space (contracts.PrefixParams); no contract writes there.
var chainIDKey = append([]byte{contracts.PrefixParams}, "chain_id"...)

// NewApp opens (or creates) the app's state and returns the App, loaded at
// the last saved version. Close it when done.
func NewApp(cfg Config) (*App, error) {
	return newApp(cfg, ledger.NewRouter(), ledger.Invariants())
}

func newApp(cfg Config, router *contracts.Router, invs []contracts.Invariant) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = log.NewNopLogger()
	}
	if cfg.MaxTxBytes <= 0 {
		cfg.MaxTxBytes = DefaultMaxTxBytes
	}
	if cfg.SnapshotChunkBytes <= 0 {
		cfg.SnapshotChunkBytes = DefaultSnapshotChunkBytes
	}
	if cfg.PruneKeepRecent < 0 || cfg.PruneInterval < 0 || cfg.InvariantInterval < 0 {
		return nil, errors.New("abci: negative prune or invariant setting")
	}
	seen := map[string]bool{}
	for _, m := range cfg.Migrations {
		if m.Name == "" || seen[m.Name] {
			return nil, fmt.Errorf("abci: migration %q is unnamed or registered twice", m.Name)
		}
		seen[m.Name] = true
	}
	if cfg.SnapshotInterval > 0 && cfg.SnapshotDir == "" {
		return nil, errors.New("abci: SnapshotInterval needs SnapshotDir")
	}
	if cfg.SnapshotInterval > 0 && cfg.PruneKeepRecent > 0 && cfg.PruneInterval > 0 &&
		cfg.SnapshotInterval%uint64(cfg.PruneInterval) != 0 && cfg.PruneKeepRecent < 2 {
		// harmless, but a snapshot's version may be pruned before export
		cfg.Logger.Info("snapshot and prune intervals are not aligned")
	}

	var db iavldb.DB
	if cfg.Dir == "" {
		db = iavldb.NewMemDB()
	} else {
		ldb, err := iavldb.NewGoLevelDB("application", cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("abci: open state db in %s: %w", cfg.Dir, err)
		}
		db = ldb
	}
	tree, err := loadTree(db)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	metrics, err := telemetry.New(cfg.Metrics)

	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("abci: register metrics: %w", err)
	}
	a := &App{
		cfg:     cfg,
		logger:  cfg.Logger.With("module", "abci"),
		db:      db,
		tree:    tree,
		router:  router,
		invs:    invs,
		sigs:    newSigCache(defaultSigCacheSize),
		tickets: newSigCache(defaultSigCacheSize),
		decoded: newDecodeCache(defaultDecodeCacheSize),
		metrics: metrics,
	}
	a.query = ledger.Query
	if cfg.SnapshotDir != "" {
		a.snapshots, err = snapshot.NewStore(cfg.SnapshotDir, cfg.SnapshotKeepRecent, a.logger)
		if err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	a.loadCommitted()
	return a, nil
}

// useFastStorage turns on IAVL's fast index: a copy of every live key's
// value beside the tree, kept in a node-DB cache, so that a read of the
// latest version (the check state's, a query's) is one lookup instead of a
// walk from the root. It is outside the Merkle tree: the app hash does not
// change. It costs one more write per changed key at SaveVersion; measured
// in docs/benchmarks.md. A database written without it is indexed once on
// the first start with it.
const useFastStorage = false

// openTree is how every tool of this package opens the state tree, so that
// the node, rollback and export keep the fast index alike.
func openTree(db iavldb.DB) *iavl.MutableTree {
	return iavl.NewMutableTree(db, defaultIAVLCacheNodes, !useFastStorage, iavl.NewNopLogger())
}

// loadTree opens the tree at its last saved version.
func loadTree(db iavldb.DB) (*iavl.MutableTree, error) {
	tree := openTree(db)
	if _, err := tree.Load(); err != nil {
		return nil, fmt.Errorf("abci: load state: %w", err)
	}
	return tree, nil
}

// loadCommitted refreshes what the app derives from the last saved version:
// the chain id and a fresh check state.
func (a *App) loadCommitted() {
	if bz := (store.IAVL{Tree: a.tree}).Get(chainIDKey); bz != nil {
		a.chainID = string(bz)
	}
	a.resetCheckState()
}

// resetCheckState starts a new mempool view over the last committed state.
// Before the first Commit the committed state is the genesis state, which
// lives only in the working tree: the view reads it there (nothing writes
// the tree between InitChain and the first FinalizeBlock, and reads through a
// Cache never write back).
func (a *App) resetCheckState() {
	var parent contracts.Store
	if v := a.tree.Version(); v > 0 {
		imm, err := a.tree.GetImmutable(v)
		if err != nil {
			panic(fmt.Sprintf("abci: load committed version %d: %v", v, err))
		}
		parent = store.Immutable{Tree: imm}
		a.publishCommitted(v, imm)
	} else {
		parent = store.IAVL{Tree: a.tree}
	}
	a.checkState = store.NewCache(parent)
}

// Close waits for a running snapshot and closes the state database.
func (a *App) Close() error {
	var errs []error
	if a.snapshots != nil {
		errs = append(errs, a.snapshots.Close())
	}
	if a.restore != nil {
		a.restore.Close()
		a.restore = nil
	}
	errs = append(errs, a.db.Close())
	return errors.Join(errs...)
}

// ChainID returns the chain id (empty before InitChain).
func (a *App) ChainID() string { return a.chainID }

// Info reports the last committed height and app hash, so that CometBFT's
// handshake replays exactly the blocks the app has not saved.
func (a *App) Info(_ context.Context, _ *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	res := &abcitypes.ResponseInfo{
		Data:            "custody-ledger",
		Version:         "custody/" + fmt.Sprint(a.appVersion()),
		AppVersion:      a.appVersion(),
		LastBlockHeight: a.tree.Version(),
	}
	if res.LastBlockHeight > 0 {
		res.LastBlockAppHash = a.tree.Hash()
	}
	return res, nil
}

// InitChain writes the genesis state: the chain id, and app_state (the
// protojson of a custodyv1.GenesisState) through ledger.InitGenesis. The
// returned app hash is the hash of that working state; it is saved as part of
// the first block's version. A bad genesis is a Go error: the node must not
// start. Validators are taken from genesis.json as they are (none returned).
func (a *App) InitChain(_ context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	if a.tree.Version() > 0 {
		return nil, fmt.Errorf("abci: InitChain on a state already at height %d", a.tree.Version())
	}
	if req.ChainId == "" {
		return nil, errors.New("abci: InitChain: empty chain id")
	}
	var gen custodyv1.GenesisState
	if err := protojson.Unmarshal(req.AppStateBytes, &gen); err != nil {
		return nil, fmt.Errorf("abci: InitChain: app_state is not a custody.v1.GenesisState: %w", err)
	}
	if req.InitialHeight > 1 {
		a.tree.SetInitialVersion(uint64(req.InitialHeight))
	}
	st := store.IAVL{Tree: a.tree}
	cache := store.NewCache(st)
	cache.Set(chainIDKey, []byte(req.ChainId))
	if len(gen.State) > 0 {
		// A chain started from another's exported state (custodyd export).
		if err := importState(cache, &gen, a.invs); err != nil {
			return nil, fmt.Errorf("abci: InitChain: %w", err)
		}
	} else if err := ledger.InitGenesis(cache, &gen); err != nil {
		return nil, fmt.Errorf("abci: InitChain: %w", err)
	}
	cache.Write()
	a.chainID = req.ChainId
	a.resetCheckState()
	a.logger.Info("genesis written", "chain_id", req.ChainId, "participants", len(gen.Participants))
	return &abcitypes.ResponseInitChain{AppHash: a.tree.WorkingHash()}, nil
}

// CheckTx admits a tx to the mempool if FinalizeBlock would accept it now:
// the envelope checks, then authentication and the contract against the check
// state, whose effects it keeps (so a second tx from the same signer needs
// the next sequence, and a tx that would overdraw after an earlier pending one
// is refused). A refusal is a Code, never a Go error.
//
// A Recheck (after each Commit, over the txs left in the mempool) runs the
// same path on the fresh check state, except that a tx the contract now
// refuses is kept with its sequence consumed (modeRecheck), so that its
// signer's later txs are not dropped in cascade; no signature is verified
// again (the envelope's and the tickets' are in the app's signature caches).
func (a *App) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	dtx, err := a.decode(req.Tx)
	if err != nil {
		return checkTxResponse(err), nil
	}
	mode := modeCheck
	if req.Type == abcitypes.CheckTxType_Recheck {
		mode = modeRecheck
	}
	out := a.execTx(a.checkState, dtx, a.checkBlock(), mode)
	if out.err != nil && out.sequenceKept {
		// Kept in the mempool for its block to refuse (modeRecheck).
		_, _, log := contracts.ABCIInfo(out.err)
		return &abcitypes.ResponseCheckTx{Code: abcitypes.CodeTypeOK, Log: "kept for its block to refuse: " + log}, nil
	}
	if out.err != nil {
		return checkTxResponse(out.err), nil
	}
	return &abcitypes.ResponseCheckTx{Code: abcitypes.CodeTypeOK, Data: out.data}, nil
}

// checkBlock is the block context CheckTx runs in: the next height, with the
// last block's time (CheckTx has no block time of its own; contracts that
// depend on time see a conservative one).
func (a *App) checkBlock() contracts.Block {
	return contracts.Block{ChainID: a.chainID, Height: a.tree.Version() + 1, Time: a.lastBlockTime}
}

func checkTxResponse(err error) *abcitypes.ResponseCheckTx {
	space, code, log := contracts.ABCIInfo(err)
	return &abcitypes.ResponseCheckTx{Code: code, Codespace: space, Log: log}
}
