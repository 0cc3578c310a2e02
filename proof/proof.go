// Package proof is what a client needs to check the node's answers
// without importing the node: the ABCI query paths, the credential a
// query carries, and the verification of an ICS23 proof against an app
// hash. It imports ics23, CometBFT's proto types and the standard library
// alone, so the SDK (package client) and everything outside the node
// depend on it instead of on package abci and IAVL.
package proof

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	ics23 "github.com/cosmos/ics23/go"
)

// Query paths the node serves (abci.App.Query).
const (
	// PathStoreKey reads one raw state key (the query data is the key,
	// after the credential). With prove it returns an ICS23 proof: of
	// membership when the key is set and the caller may read its record,
	// of absence only to a caller who may read every record (the
	// regulator), since a proof of absence carries its neighbours in full.
	PathStoreKey = "/store/key"
	// PathCustody prefixes the ledger's JSON queries (contracts/ledger
	// Query, paths in ledger.QueryPaths): "/custody/account/<id>",
	// "/custody/funds/<id>", "/custody/signer/<address>", ...
	PathCustody = "/custody/"
)

// ProofOpType is the type of the one ProofOp a /store/key proof carries:
// Data is a marshalled ics23.CommitmentProof against the IAVL root, which
// is the app hash.
const ProofOpType = "ics23:iavl"

// Errors of VerifyProof.
var (
	// ErrProofMalformed: the ProofOps are not one ics23:iavl op for the key.
	ErrProofMalformed = errors.New("proof: malformed proof")
	// ErrProofInvalid: the proof does not bind (key, value) — or the key's
	// absence — to the app hash.
	ErrProofInvalid = errors.New("proof: proof does not verify")
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
	p, err := Decode(key, ops)
	if err != nil {
		return err
	}
	if len(appHash) == 0 {
		return fmt.Errorf("%w: empty app hash", ErrProofInvalid)
	}
	if value == nil {
		if !ics23.VerifyNonMembership(ics23.IavlSpec, appHash, p, key) {
			return fmt.Errorf("%w: absence of %x", ErrProofInvalid, key)
		}
		return nil
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, appHash, p, key, value) {
		return fmt.Errorf("%w: %x = %x", ErrProofInvalid, key, value)
	}
	return nil
}

// Decode returns the ICS23 proof in ops, checking that ops is one
// ics23:iavl op for key.
func Decode(key []byte, ops *cmtcrypto.ProofOps) (*ics23.CommitmentProof, error) {
	if ops == nil || len(ops.Ops) != 1 {
		return nil, fmt.Errorf("%w: want exactly one proof op", ErrProofMalformed)
	}
	op := ops.Ops[0]
	if op.Type != ProofOpType {
		return nil, fmt.Errorf("%w: op type %q, want %q", ErrProofMalformed, op.Type, ProofOpType)
	}
	if !bytes.Equal(op.Key, key) {
		return nil, fmt.Errorf("%w: proof is for key %x, not %x", ErrProofMalformed, op.Key, key)
	}
	var p ics23.CommitmentProof
	if err := p.Unmarshal(op.Data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProofMalformed, err)
	}
	return &p, nil
}

// Leaves returns every (key, value) pair a proof shows in full: the leaf
// of an existence proof, the two neighbours of an absence proof. Inner
// nodes carry only hashes. A reader must be allowed to read every one.
func Leaves(p *ics23.CommitmentProof) [][2][]byte {
	var out [][2][]byte
	add := func(e *ics23.ExistenceProof) {
		if e != nil {
			out = append(out, [2][]byte{e.Key, e.Value})
		}
	}
	switch {
	case p.GetExist() != nil:
		add(p.GetExist())
	case p.GetNonexist() != nil:
		add(p.GetNonexist().Left)
		add(p.GetNonexist().Right)
	case p.GetBatch() != nil:
		for _, e := range p.GetBatch().Entries {
			add(e.GetExist())
			if n := e.GetNonexist(); n != nil {
				add(n.Left)
				add(n.Right)
			}
		}
	}
	return out
}

// The credential of a query. CometBFT's abci_query carries no caller
// identity, so a query that is to read more than public records carries a
// credential/Token in its data: credentialMagic, the token's length as a
// uvarint, the token, then the query's own data (a raw key, a page). No
// state key starts with 0xFF, so data without the magic is read as before:
// an anonymous query.
var credentialMagic = []byte{0xFF, 'c', 'r', '1'}

// maxCredential bounds the token a query may carry.
const maxCredential = 4096

// ErrBadEnvelope is returned by SplitCredential for data that starts with
// the magic but does not frame a token.
var ErrBadEnvelope = errors.New("proof: malformed query credential")

// WithCredential frames token before data. An empty token returns data.
func WithCredential(token string, data []byte) []byte {
	if token == "" {
		return data
	}
	out := append([]byte(nil), credentialMagic...)
	out = binary.AppendUvarint(out, uint64(len(token)))
	out = append(out, token...)
	return append(out, data...)
}

// SplitCredential undoes WithCredential: the token ("" when data carries
// none) and the query's own data.
func SplitCredential(data []byte) (token string, rest []byte, err error) {
	if !bytes.HasPrefix(data, credentialMagic) {
		return "", data, nil
	}
	b := data[len(credentialMagic):]
	n, w := binary.Uvarint(b)
	if w <= 0 || n == 0 || n > maxCredential || uint64(len(b)-w) < n {
		return "", nil, ErrBadEnvelope
	}
	return string(b[w : w+int(n)]), b[w+int(n):], nil
}
