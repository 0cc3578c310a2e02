package abci

import (
	"context"
	"errors"
	"strings"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	iavl "github.com/cosmos/iavl"

	"github.com/custody-ledger/custody/abci/internal/serial"
	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/credential"
	"github.com/custody-ledger/custody/proof"
)

// Query paths (package proof holds them, for clients that do not import
// the node).
const (
	// QueryPathStoreKey reads one raw state key (proof.PathStoreKey).
	QueryPathStoreKey = proof.PathStoreKey
	// QueryPathCustody prefixes the ledger's JSON queries (proof.PathCustody).
	QueryPathCustody = proof.PathCustody
)

// ProofOpType is the type of the one ProofOp a /store/key proof carries
// (proof.ProofOpType).
const ProofOpType = proof.ProofOpType

// CodespaceABCI holds the refusals of Query that are the adapter's own (an
// unknown path or malformed arguments are ledger.ErrUnknownPath and
// ledger.ErrBadQuery, in codespace "query").
const CodespaceABCI = "abci"

var (
	// ErrQueryHeight is returned by Query for a height not kept (pruned,
	// future, negative, or before the first block).
	ErrQueryHeight = contracts.Register(CodespaceABCI, 1, "query height not available")
	// ErrQueryProof is returned by Query when a proof cannot be built.
	ErrQueryProof = contracts.Register(CodespaceABCI, 2, "proof could not be built")
	// ErrQueryCredential is returned by Query when the query carries a
	// credential that does not hold: malformed, a bad signature, for another
	// chain. A query without one reads as anonymous.
	ErrQueryCredential = contracts.Register(CodespaceABCI, 3, "query credential rejected")
	// ErrQueryUnknownKey is returned by Query when the credential's key is
	// not registered in the queried state.
	ErrQueryUnknownKey = contracts.Register(CodespaceABCI, 4, "query credential's key is not registered")
	// ErrQueryKeyDisabled is returned by Query when the credential's key is
	// disabled in the queried state.
	ErrQueryKeyDisabled = contracts.Register(CodespaceABCI, 5, "query credential's key is disabled")
	// ErrQueryCredentialExpired is returned by Query when the credential is
	// expired (or not yet valid) at the last committed block's time.
	ErrQueryCredentialExpired = contracts.Register(CodespaceABCI, 6, "query credential expired at the last block's time")
)

// queryFunc answers a /custody/ path over one version of the state for a
// reader (ledger.Query).
type queryFunc func(st contracts.Store, r contracts.Reader, path string, data []byte) ([]byte, error)

// committedView is the last committed version as Query reads it: an
// immutable tree, and the time of the block that made it (the clock a
// query's credential is checked against: no node reads its own clock in
// the app). Commit publishes a new one; Query never touches the working
// tree for the latest version, so it takes no lock that block execution
// holds.
type committedView struct {
	version int64
	tree    *iavl.ImmutableTree
	time    time.Time
}

// queryState is what Query shares with Commit. The ABCI connections run
// apart (node.NewNode wires ConsensusSerialized): Query runs beside
// FinalizeBlock and Commit, not after them.
type queryState struct {
	committed serial.Latest[committedView]
	// versions guards the tree's version bookkeeping between Commit
	// (SaveVersion, pruning) and Query of an older version.
	versions serial.Mutex
}

// ConsensusSerialized wraps app so that CometBFT's
// proxy.NewConnSyncLocalClientCreator runs every ABCI call but Query
// behind one mutex, and Query beside them (serial.Wrap).
func ConsensusSerialized(app *App) abcitypes.Application { return serial.Wrap(app) }

// publishCommitted makes version (whose immutable tree is imm) the one
// Query answers by default.
func (a *App) publishCommitted(version int64, imm *iavl.ImmutableTree) {
	a.reads.committed.Store(&committedView{version: version, tree: imm, time: a.lastBlockTime})
}

// view returns the immutable version req asks for.
func (a *App) view(height int64) (*committedView, error) {
	latest := a.reads.committed.Load()
	if latest == nil {
		return nil, ErrQueryHeight.Wrapf("height %d: nothing committed yet", height)
	}
	if height == 0 || height == latest.version {
		return latest, nil
	}
	if height < 0 || height > latest.version {
		return nil, ErrQueryHeight.Wrapf("height %d (latest %d)", height, latest.version)
	}
	a.reads.versions.Lock()
	defer a.reads.versions.Unlock()
	if !a.tree.VersionExists(height) {
		return nil, ErrQueryHeight.Wrapf("height %d (latest %d)", height, latest.version)
	}
	imm, err := a.tree.GetImmutable(height)
	if err != nil {
		return nil, ErrQueryHeight.Wrapf("height %d: %v", height, err)
	}
	return &committedView{version: height, tree: imm, time: latest.time}, nil
}

// Query answers reads of committed state. Height semantics are CometBFT's:
// Height 0 means the last committed version; the response's Height is the
// version read. State version H is the state after block H, and its root
// (the app hash of H) is in the header of block H+1: a client verifies a
// proof at Height H against header H+1's AppHash, checked by its light
// client. Pruned or future heights are ErrQueryHeight.
//
// Who asks decides what is answered (ledger.Policy). The query data may
// carry a credential (proof.WithCredential): a credential.Token signed by
// a key the queried state registers, for this chain, valid at the time of
// the last committed block. Without one the query is anonymous and reads
// public records only. A record the reader may not read is answered
// exactly as one that does not exist.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (res *abcitypes.ResponseQuery, _ error) {
	// A query changes nothing: a panic (a contract reading corrupt state, a
	// version pruned under a long read) must not stop the node.
	defer func() {
		if r := recover(); r != nil {
			res = queryErr(ledger.ErrBadQuery.Wrapf("query panicked: %v", r))
		}
	}()
	v, err := a.view(req.Height)
	if err != nil {
		return queryErr(err), nil
	}
	st := store.Immutable{Tree: v.tree}
	token, data, err := proof.SplitCredential(req.Data)
	if err != nil {
		return queryErrAt(ErrQueryCredential.Wrapf("%v", err), v.version), nil
	}
	reader, err := a.reader(st, token, v.time)
	if err != nil {
		return queryErrAt(err, v.version), nil
	}
	switch {
	case req.Path == QueryPathStoreKey:
		return a.queryKey(v, st, reader, data, req.Prove), nil
	case strings.HasPrefix(req.Path, QueryPathCustody):
		path := strings.TrimPrefix(req.Path, QueryPathCustody)
		bz, err := a.query(st, reader, path, data)
		if err != nil {
			return queryErrAt(err, v.version), nil
		}
		return &abcitypes.ResponseQuery{Value: bz, Height: v.version}, nil
	default:
		return queryErrAt(ledger.ErrUnknownPath.Wrapf("%q", req.Path), v.version), nil
	}
}

// reader checks a query's credential against the key registry of st and
// the time now (the last block's): the anonymous reader without one.
func (a *App) reader(st contracts.Store, token string, now time.Time) (contracts.Reader, error) {
	if token == "" {
		return contracts.Reader{}, nil
	}
	tok, err := credential.ParseToken(token)
	if err != nil {
		return contracts.Reader{}, ErrQueryCredential.Wrapf("%v", err)
	}
	rec, err := auth.Get(st, tok.Claims.Subject)
	if err != nil {
		return contracts.Reader{}, ErrQueryUnknownKey.Wrapf("%s", tok.Claims.Subject)
	}
	if err := tok.Verify(rec.PubKey, a.chainID, now); errors.Is(err, credential.ErrTokenExpired) {
		return contracts.Reader{}, ErrQueryCredentialExpired.Wrapf("%v", err)
	} else if err != nil {
		return contracts.Reader{}, ErrQueryCredential.Wrapf("%v", err)
	}
	if rec.Disabled {
		return contracts.Reader{}, ErrQueryKeyDisabled.Wrapf("%s", tok.Claims.Subject)
	}
	return contracts.Reader{Address: tok.Claims.Subject, Role: rec.Role, Owner: rec.Owner}, nil
}

// queryKey answers a raw key read. The value, and a proof of existence,
// go to a reader who may read the record (ledger.Policy). That a key is
// not set goes, without a proof, to the readers its key names (a kind
// declared ByKey: an account's funds to the account's readers), and with
// its proof of absence only to a reader who may read both neighbouring
// records that proof carries in full. Everyone else gets
// ledger.ErrNotFound, worded the same whether the key is set or not.
func (a *App) queryKey(v *committedView, st contracts.Store, r contracts.Reader, key []byte, prove bool) *abcitypes.ResponseQuery {
	if len(key) == 0 {
		return queryErrAt(ledger.ErrBadQuery.Wrapf("empty key"), v.version)
	}
	value := st.Get(key)
	notFound := queryErrAt(ledger.ErrNotFound.Wrapf("key %X", key), v.version)
	if !ledger.Policy().MayRead(st, r, key, value) {
		return notFound
	}
	res := &abcitypes.ResponseQuery{Key: key, Value: value, Height: v.version}
	if !prove {
		return res
	}
	// GetProof returns a membership proof when the key is set and a
	// non-membership proof (its neighbours) when it is not.
	p, err := v.tree.GetProof(key)
	if err != nil {
		return queryErrAt(ErrQueryProof.Wrapf("key %x at %d: %v", key, v.version, err), v.version)
	}
	// A proof shows its leaves in full: the record asked for, or, for a
	// proof of absence, the two records around the key. It goes only to a
	// reader who may read every one of them (in practice, for an absence,
	// the regulator); anyone else gets the same not-found answer as for a
	// record it may not read.
	for _, leaf := range proof.Leaves(p) {
		if !ledger.Policy().MayRead(st, r, leaf[0], leaf[1]) {
			return notFound
		}
	}
	bz, err := p.Marshal()
	if err != nil {
		return queryErrAt(ErrQueryProof.Wrapf("marshal: %v", err), v.version)
	}
	res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: key, Data: bz}}}
	return res
}

func queryErr(err error) *abcitypes.ResponseQuery {
	space, code, log := contracts.ABCIInfo(err)
	return &abcitypes.ResponseQuery{Code: code, Codespace: space, Log: log}
}

func queryErrAt(err error, version int64) *abcitypes.ResponseQuery {
	res := queryErr(err)
	res.Height = version
	return res
}

// committedStore returns a read-only store over version (0: the last
// committed one; before the first commit, the genesis working state).
func (a *App) committedStore(version int64) (contracts.Store, error) {
	if version == 0 {
		version = a.tree.Version()
	}
	if version == 0 {
		return store.NewCache(store.IAVL{Tree: a.tree}), nil
	}
	imm, err := a.tree.GetImmutable(version)
	if err != nil {
		return nil, err
	}
	return store.Immutable{Tree: imm}, nil
}

// Errors of VerifyProof (package proof's).
var (
	ErrProofMalformed = proof.ErrProofMalformed
	ErrProofInvalid   = proof.ErrProofInvalid
)

// VerifyProof checks a /store/key proof (proof.VerifyProof).
func VerifyProof(appHash, key, value []byte, ops *cmtcrypto.ProofOps) error {
	return proof.VerifyProof(appHash, key, value, ops)
}
