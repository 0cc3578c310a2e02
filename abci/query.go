package abci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
)

// Query paths.
const (
	// QueryPathStoreKey reads one raw state key (Data = the key). With
	// Prove it returns an ICS23 proof of membership, or of absence when the
	// key is not set.
	QueryPathStoreKey = "/store/key"
	// QueryPathCustody prefixes the ledger's JSON queries (ledger.Query,
	// paths in ledger.QueryPaths): "/custody/account/<id>",
	// "/custody/funds/<id>", "/custody/signer/<address>",
	// "/custody/invariants"... The rest of the path and Data go to it.
	QueryPathCustody = "/custody/"
	// QueryPathInvariants runs the invariants on the requested version.
	QueryPathInvariants = "/invariants"
)

// ProofOpType is the type of the one ProofOp a /store/key proof carries:
// Data is a marshalled ics23.CommitmentProof against the IAVL root, which
// is the app hash.
const ProofOpType = "ics23:iavl"

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
)

// queryFunc answers a /custody/ path over one version of the state.
type queryFunc func(st contracts.Store, path string, data []byte) ([]byte, error)

// Query answers reads of committed state. Height semantics are CometBFT's:
// Height 0 means the last committed version; the response's Height is the
// version read. State version H is the state after block H, and its root
// (the app hash of H) is in the header of block H+1: a client verifies a
// proof at Height H against header H+1's AppHash, checked by its light
// client. Pruned or future heights are refused with QueryCodeBadHeight.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	version := req.Height
	if version == 0 {
		version = a.tree.Version()
	}
	if version <= 0 || version > a.tree.Version() || !a.tree.VersionExists(version) {
		return queryErr(ErrQueryHeight.Wrapf("height %d (latest %d)", req.Height, a.tree.Version())), nil
	}
	imm, err := a.tree.GetImmutable(version)
	if err != nil {
		return queryErr(ErrQueryHeight.Wrapf("height %d: %v", version, err)), nil
	}
	st := store.Immutable{Tree: imm}
	switch {
	case req.Path == QueryPathStoreKey:
		return a.queryKey(imm, st, req, version), nil
	case req.Path == QueryPathInvariants:
		return a.queryJSON(version, func() ([]byte, error) {
			return json.Marshal(contracts.CheckInvariants(st, a.invs))
		}), nil
	case strings.HasPrefix(req.Path, QueryPathCustody):
		path := strings.TrimPrefix(req.Path, QueryPathCustody)
		return a.queryJSON(version, func() ([]byte, error) { return a.query(st, path, req.Data) }), nil
	default:
		return queryErr(ledger.ErrUnknownPath.Wrapf("%q", req.Path)), nil
	}
}

func (a *App) queryKey(imm interface {
	GetProof([]byte) (*ics23.CommitmentProof, error)
}, st contracts.Store, req *abcitypes.RequestQuery, version int64) *abcitypes.ResponseQuery {
	if len(req.Data) == 0 {
		return queryErr(ledger.ErrBadQuery.Wrapf("empty key"))
	}
	res := &abcitypes.ResponseQuery{Key: req.Data, Value: st.Get(req.Data), Height: version}
	if !req.Prove {
		return res
	}
	// GetProof returns a membership proof when the key is set and a
	// non-membership proof (its neighbours) when it is not.
	proof, err := imm.GetProof(req.Data)
	if err != nil {
		return queryErr(ErrQueryProof.Wrapf("key %x at %d: %v", req.Data, version, err))
	}
	bz, err := proof.Marshal()
	if err != nil {
		return queryErr(ErrQueryProof.Wrapf("marshal: %v", err))
	}
	res.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: req.Data, Data: bz}}}
	return res
}

// queryJSON runs a JSON query, mapping a contract error to its registered
// code. A panic (a contract reading corrupt state) becomes an error result:
// a query changes nothing, so it must not stop the node.
func (a *App) queryJSON(version int64, fn func() ([]byte, error)) (res *abcitypes.ResponseQuery) {
	defer func() {
		if r := recover(); r != nil {
			res = queryErr(ledger.ErrBadQuery.Wrapf("query panicked: %v", r))
		}
	}()
	bz, err := fn()
	if err != nil {
		space, code, log := contracts.ABCIInfo(err)
		return &abcitypes.ResponseQuery{Code: code, Codespace: space, Log: log, Height: version}
	}
	return &abcitypes.ResponseQuery{Value: bz, Height: version}
}

func queryErr(err error) *abcitypes.ResponseQuery {
	space, code, log := contracts.ABCIInfo(err)
	return &abcitypes.ResponseQuery{Code: code, Codespace: space, Log: log}
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

// Errors of VerifyProof.
var (
	// ErrProofMalformed: the ProofOps are not one ics23:iavl op for the key.
	ErrProofMalformed = errors.New("abci: malformed proof")
	// ErrProofInvalid: the proof does not bind (key, value) — or the key's
	// absence — to the app hash.
	ErrProofInvalid = errors.New("abci: proof does not verify")
)

// VerifyProof checks a /store/key proof: that key holds value in the state
// whose root is appHash, or, when value is nil, that key is absent from it.
// appHash must come from a header the caller trusts (for a response at
// Height H, header H+1's AppHash, verified by a light client).
func VerifyProof(appHash, key, value []byte, ops *cmtcrypto.ProofOps) (err error) {
	// The proof comes from an untrusted node: no input may panic the caller.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrProofMalformed, r)
		}
	}()
	if ops == nil || len(ops.Ops) != 1 {
		return fmt.Errorf("%w: want exactly one proof op", ErrProofMalformed)
	}
	op := ops.Ops[0]
	if op.Type != ProofOpType {
		return fmt.Errorf("%w: op type %q, want %q", ErrProofMalformed, op.Type, ProofOpType)
	}
	if !bytes.Equal(op.Key, key) {
		return fmt.Errorf("%w: proof is for key %x, not %x", ErrProofMalformed, op.Key, key)
	}
	var proof ics23.CommitmentProof
	if err := proof.Unmarshal(op.Data); err != nil {
		return fmt.Errorf("%w: %v", ErrProofMalformed, err)
	}
	if len(appHash) == 0 {
		return fmt.Errorf("%w: empty app hash", ErrProofInvalid)
	}
	if value == nil {
		if !ics23.VerifyNonMembership(ics23.IavlSpec, appHash, &proof, key) {
			return fmt.Errorf("%w: absence of %x", ErrProofInvalid, key)
		}
		return nil
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, appHash, &proof, key, value) {
		return fmt.Errorf("%w: %x = %x", ErrProofInvalid, key, value)
	}
	return nil
}
