package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	ics23 "github.com/cosmos/ics23/go"
	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/ledger"
)

// Record is the answer of a read of one record: the state version it was
// read at and the record, as the node's JSON query shows it (protojson
// with proto field names; 64-bit integers are strings). With ?prove=true
// it also carries the raw value and its proof (client.RESTProof), which
// client.VerifyRESTProof checks against a light-client-verified header.
type Record struct {
	Height int64             `json:"height"`
	Value  json.RawMessage   `json:"value"`
	Proof  *client.RESTProof `json:"proof,omitempty"`
}

// recordSpec says where one record lives.
type recordSpec struct {
	// path is the node's JSON query path under /custody/ ("account/ACC-1").
	path string
	// key is the raw state key, read with a proof for ?prove=true.
	key []byte
	// codec reads and writes the record's forms.
	codec codec
	// zero, if set, is the record a missing key stands for (a custody total
	// or the supply before any deposit) instead of a 404.
	zero func() any
}

// codec reads a record from its two forms — the node's JSON answer and
// its state bytes — into a value for the access check, and writes a value
// as the answer's JSON (the same JSON the node's query gives).
type codec struct {
	fromJSON  func([]byte) (any, error)
	fromState func([]byte) (any, error)
	toJSON    func(any) (json.RawMessage, error)
}

// protoCodec is the codec of a protobuf record (state bytes are its
// deterministic encoding, the node's JSON is protojson).
func protoCodec(newMsg func() proto.Message) codec {
	return codec{
		fromJSON: func(bz []byte) (any, error) {
			m := newMsg()
			return m, unmarshalJSON(bz, m)
		},
		fromState: func(bz []byte) (any, error) {
			m := newMsg()
			if err := proto.Unmarshal(bz, m); err != nil {
				return nil, ErrUpstream.Wrapf("decode %T: %v", m, err)
			}
			return m, nil
		},
		toJSON: func(v any) (json.RawMessage, error) { return marshalJSON(v.(proto.Message)) },
	}
}

// serveRecord is the handler body of every one-record read: read (with the
// proof if asked) and answer. The node has already kept from the answer
// whatever the caller may not read: a record it may not read is "not
// found", and a proof of absence (which shows the neighbouring records)
// comes only to a caller who may read every record, the regulator.
func (s *Server) serveRecord(c *gin.Context, spec recordSpec) {
	prove, err := boolParam(c, "prove")
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	rec, m, err := s.readRecord(ctx, spec, prove)
	if err != nil {
		p := problemOf(err)
		if rec != nil {
			p.Proof = rec.Proof // the proof of absence
		}
		failProblem(c, p, err)
		return
	}
	_ = m
	c.JSON(http.StatusOK, rec)
}

// readRecord reads spec's record. Without prove it is the node's JSON
// query; with prove it is the raw key at the latest state version, with its
// proof and the app hash of the header that commits to that version. A missing record is
// ledger.ErrNotFound (with prove, rec holds the proof of absence).
func (s *Server) readRecord(ctx context.Context, spec recordSpec, prove bool) (*Record, any, error) {
	if !prove {
		res, err := s.chain.Query(ctx, "/custody/"+spec.path, nil, 0, false)
		if err != nil {
			return nil, nil, err
		}
		v, err := spec.codec.fromJSON(res.Value)
		if err != nil {
			return nil, nil, err
		}
		return &Record{Height: res.Height, Value: res.Value}, v, nil
	}
	res, err := s.chain.Query(ctx, client.QueryPathKey, spec.key, 0, true)
	if err != nil {
		return nil, nil, err
	}
	appHash, err := s.appHashAfter(ctx, res.Height)
	if err != nil {
		return nil, nil, err
	}
	rec := &Record{Height: res.Height, Proof: &client.RESTProof{
		Height: res.Height, AppHash: appHash, Key: spec.key, ProofOps: res.ProofOps,
	}}
	var v any
	switch {
	case len(res.Value) > 0 || !provesAbsence(res.ProofOps):
		// A key set to zero bytes is a record whose every field is zero
		// (a new account's Funds): it exists, though ICS23 cannot prove
		// a leaf with an empty value, so that proof will not verify.
		if len(res.Value) > 0 {
			rec.Proof.Value = res.Value
		}
		if v, err = spec.codec.fromState(res.Value); err != nil {
			return nil, nil, fmt.Errorf("%w (key %X)", err, spec.key)
		}
	case spec.zero != nil:
		v = spec.zero()
	default:
		return rec, nil, ledger.ErrNotFound.Wrapf("%s: proven absent at height %d", spec.path, res.Height)
	}
	if rec.Value, err = spec.codec.toJSON(v); err != nil {
		return nil, nil, err
	}
	return rec, v, nil
}

// provesAbsence says whether a /store/key proof is a proof of absence
// (an ICS23 non-existence proof), as opposed to one of a key set to an
// empty value: over the RPC both come with an empty Value.
func provesAbsence(ops *cmtcrypto.ProofOps) bool {
	if ops == nil || len(ops.Ops) != 1 {
		return true
	}
	var p ics23.CommitmentProof
	if err := p.Unmarshal(ops.Ops[0].Data); err != nil {
		return true
	}
	return p.GetExist() == nil
}

// headerPoll is how often appHashAfter looks for the next header.
const headerPoll = 50 * time.Millisecond

// appHashAfter returns the app hash of state version height: it is in the
// header of block height+1, which may be a block interval away. The proof
// is of the latest state, so a read right after a committed write sees it.
func (s *Server) appHashAfter(ctx context.Context, height int64) ([]byte, error) {
	next := height + 1
	tick := time.NewTicker(headerPoll)
	defer tick.Stop()
	for {
		st, err := s.chain.RPC().Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("api: status: %w", err)
		}
		if st.SyncInfo.LatestBlockHeight >= next {
			h, err := s.chain.RPC().Header(ctx, &next)
			if err != nil {
				return nil, fmt.Errorf("api: header %d: %w", next, err)
			}
			return h.Header.AppHash, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("api: waiting for header %d: %w", next, ctx.Err())
		case <-tick.C:
		}
	}
}

// protojson as the node's ledger.Query writes records.
var (
	pjMarshal   = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	pjUnmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

func marshalJSON(m proto.Message) (json.RawMessage, error) {
	bz, err := pjMarshal.Marshal(m)
	if err != nil {
		return nil, ErrInternal.Wrapf("encode %T: %v", m, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, bz); err != nil {
		return nil, ErrInternal.Wrapf("compact %T: %v", m, err)
	}
	return buf.Bytes(), nil
}

// unmarshalJSON decodes a record of the node's JSON; fields newer than
// this server are skipped.
func unmarshalJSON(bz []byte, m proto.Message) error {
	if err := pjUnmarshal.Unmarshal(bz, m); err != nil {
		return ErrUpstream.Wrapf("decode %T from the node: %v", m, err)
	}
	return nil
}
