package client

import (
	"bytes"
	"context"
	"fmt"

	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/proof"
)

// RESTProof is the "proof" member of a REST answer read with ?prove=true
// (node/api): the raw state key and value with the IAVL proof that binds
// them to an app hash. The REST server fills it from the same /store/key
// query ProvenQuery makes; VerifyRESTProof checks it on the caller's side
// against a header its own light client verified. Nothing in it is to be
// believed before that.
type RESTProof struct {
	// Height is the state version read: the state after block Height.
	Height int64 `json:"height"`
	// AppHash is the app hash the node says header Height+1 carries.
	AppHash cmtbytes.HexBytes `json:"app_hash"`
	// Key is the raw state key (for example accounts.AccountKey(id)).
	Key cmtbytes.HexBytes `json:"key"`
	// Value is the record's protobuf bytes, absent when the proof shows the
	// key is not set.
	Value []byte `json:"value,omitempty"`
	// ProofOps is the ICS23 proof (one op of type proof.ProofOpType).
	ProofOps *cmtcrypto.ProofOps `json:"proof_ops"`
}

// VerifyRESTProof checks a REST proof of key: it gets the header at
// p.Height+1 through v (verified by the light client, cross-checked with
// its witnesses), checks that the node's claimed app hash is that header's,
// and that the proof binds key to p.Value — or to nothing — under it. It
// returns what the proof holds; a proof that does not hold is ErrProof.
func VerifyRESTProof(ctx context.Context, v *Verifier, key []byte, p *RESTProof) (*Proven, error) {
	if p == nil || p.ProofOps == nil || len(p.ProofOps.Ops) == 0 {
		return nil, fmt.Errorf("%w: the answer carries no proof for %X", ErrProof, key)
	}
	if !bytes.Equal(p.Key, key) {
		return nil, fmt.Errorf("%w: asked for key %X, answer is for %X", ErrProof, key, []byte(p.Key))
	}
	if p.Height <= 0 {
		return nil, fmt.Errorf("%w: height %d", ErrProof, p.Height)
	}
	header, err := v.Header(ctx, p.Height+1)
	if err != nil {
		return nil, err
	}
	if len(p.AppHash) > 0 && !bytes.Equal(p.AppHash, header.AppHash) {
		return nil, fmt.Errorf("%w: the node says app hash %X at header %d, the verified header has %X",
			ErrProof, []byte(p.AppHash), p.Height+1, []byte(header.AppHash))
	}
	var value []byte
	if len(p.Value) > 0 {
		value = p.Value
	}
	if err := proof.VerifyProof(header.AppHash, key, value, p.ProofOps); err != nil {
		return nil, fmt.Errorf("%w: key %X at height %d: %w", ErrProof, key, p.Height, err)
	}
	return &Proven{Key: key, Value: value, Height: p.Height, Header: header}, nil
}

// VerifyRESTMessage is VerifyRESTProof followed by decoding the proven value
// into out. A proven absence is ErrNotFound (with the Proven still
// returned), as with ProvenMessage.
func VerifyRESTMessage(ctx context.Context, v *Verifier, key []byte, p *RESTProof, out proto.Message) (*Proven, error) {
	pr, err := VerifyRESTProof(ctx, v, key, p)
	if err != nil {
		return nil, err
	}
	if pr.Value == nil {
		return pr, fmt.Errorf("%w: key %X at height %d", ErrNotFound, key, pr.Height)
	}
	if err := proto.Unmarshal(pr.Value, out); err != nil {
		return nil, fmt.Errorf("client: decode %T at %X: %w", out, key, err)
	}
	return pr, nil
}
