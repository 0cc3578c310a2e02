package abci

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// MaxMemoBytes is the longest memo a tx may carry.
const MaxMemoBytes = 256

// decodedTx is a tx whose envelope passed every check that needs no state.
type decodedTx struct {
	hash      [32]byte // SHA-256 of the tx bytes, CometBFT's tx hash
	bodyBytes []byte
	signature []byte
	body      *custodyv1.TxBody
	route     contracts.Route
	inner     proto.Message
}

// canonical marshals deterministically. DESIGN: a tx is canonical when its
// bytes equal this re-encoding of what they decode to; unknown fields are
// discarded while decoding, so a tx carrying any unknown field is refused too.
var (
	canonical = proto.MarshalOptions{Deterministic: true}
	decodeOpt = proto.UnmarshalOptions{DiscardUnknown: true}
)

// DecodeTx checks a tx envelope without any state: size, protobuf decoding
// and canonical encoding of TxRaw and TxBody, memo length, chain id, and the
// message's route and stateless validation. It never panics, whatever the
// input (FuzzDecodeTx holds it to that). It does not check the signer, the
// signature, the sequence or the role: those need state.
//
// maxBytes <= 0 means DefaultMaxTxBytes.
func DecodeTx(raw []byte, chainID string, maxBytes int, router *contracts.Router) (route contracts.Route, body *custodyv1.TxBody, err error) {
	dtx, err := decodeTx(raw, chainID, maxBytes, router)
	if err != nil {
		return contracts.Route{}, nil, err
	}
	return dtx.route, dtx.body, nil
}

func decodeTx(raw []byte, chainID string, maxBytes int, router *contracts.Router) (*decodedTx, error) {
	return decodeTxHashed(raw, sha256.Sum256(raw), chainID, maxBytes, router)
}

// decodeTxHashed is decodeTx for a tx whose hash the caller has computed.
func decodeTxHashed(raw []byte, hash [32]byte, chainID string, maxBytes int, router *contracts.Router) (dtx *decodedTx, err error) {
	// A panic here would be a bug in protobuf or in a contract's Validate;
	// either way it is input from the wire, and must not stop the node.
	defer func() {
		if r := recover(); r != nil {
			dtx, err = nil, contracts.ErrInternal.Wrapf("panic while decoding tx: %v", r)
		}
	}()
	if maxBytes <= 0 {
		maxBytes = DefaultMaxTxBytes
	}
	if len(raw) > maxBytes {
		return nil, contracts.ErrTxTooLarge.Wrapf("%d bytes, limit %d", len(raw), maxBytes)
	}
	var txRaw custodyv1.TxRaw
	if err := decodeOpt.Unmarshal(raw, &txRaw); err != nil {
		return nil, contracts.ErrTxDecode.Wrapf("TxRaw: %v", err)
	}
	if err := checkCanonical(raw, &txRaw, "TxRaw"); err != nil {
		return nil, err
	}
	body := new(custodyv1.TxBody)
	if err := decodeOpt.Unmarshal(txRaw.BodyBytes, body); err != nil {
		return nil, contracts.ErrTxDecode.Wrapf("TxBody: %v", err)
	}
	if err := checkCanonical(txRaw.BodyBytes, body, "TxBody"); err != nil {
		return nil, err
	}
	if len(body.Memo) > MaxMemoBytes {
		return nil, contracts.ErrMemoTooLong.Wrapf("%d bytes, limit %d", len(body.Memo), MaxMemoBytes)
	}
	if body.ChainId != chainID {
		return nil, contracts.ErrWrongChainID.Wrapf("got %q, want %q", body.ChainId, chainID)
	}
	route, inner, err := router.Resolve(body.Msg)
	if err != nil {
		return nil, err
	}
	if err := route.Validate(inner); err != nil {
		return nil, err
	}
	return &decodedTx{
		hash:      hash,
		bodyBytes: txRaw.BodyBytes,
		signature: txRaw.Signature,
		body:      body,
		route:     route,
		inner:     inner,
	}, nil
}

func checkCanonical(raw []byte, m proto.Message, what string) error {
	again, err := canonical.Marshal(m)
	if err != nil {
		return contracts.ErrTxDecode.Wrapf("%s: re-encode: %v", what, err)
	}
	if !bytes.Equal(again, raw) {
		return contracts.ErrTxNonCanonical.Wrapf("%s: %d bytes differ from their %d-byte canonical encoding", what, len(raw), len(again))
	}
	return nil
}

// decodeCache keeps the decoded form of the txs this node has decoded and
// not yet delivered, keyed by tx hash, so that a tx is decoded (protobuf,
// the canonical re-encoding checks, the message's stateless validation, an
// opening's client signature) once per node instead of in CheckTx, every
// recheck, PrepareProposal, ProcessProposal and FinalizeBlock. A hit returns
// what decodeTx would: the key is the SHA-256 of the whole tx, and chain id,
// size limit and router never change under a running App. Only successes are
// kept. FinalizeBlock drops what it delivers (a committed tx is not decoded
// again, short of a replay); the rest is bounded by a ring of insertion
// order, like sigCache. Nothing iterates the map.
//
// The cached messages are shared by every later use: contracts must treat
// the message they execute as read-only (contracts.Route.Execute says so).
type decodeCache struct {
	txs  map[[32]byte]*decodedTx
	ring [][32]byte
	next int
	max  int
}

func newDecodeCache(size int) *decodeCache {
	return &decodeCache{txs: make(map[[32]byte]*decodedTx), max: size}
}

func (c *decodeCache) get(h [32]byte) *decodedTx { return c.txs[h] }

func (c *decodeCache) add(dtx *decodedTx) {
	if _, ok := c.txs[dtx.hash]; ok {
		return
	}
	if len(c.ring) < c.max {
		c.ring = append(c.ring, dtx.hash)
	} else {
		delete(c.txs, c.ring[c.next])
		c.ring[c.next] = dtx.hash
		c.next = (c.next + 1) % c.max
	}
	c.txs[dtx.hash] = dtx
}

// drop forgets a delivered tx. Its hash stays in the ring until it comes
// round (evicting a hash no longer present is a no-op).
func (c *decodeCache) drop(h [32]byte) { delete(c.txs, h) }

// decode is decodeTx through the app's decodeCache.
func (a *App) decode(raw []byte) (*decodedTx, error) {
	h := sha256.Sum256(raw)
	if dtx := a.decoded.get(h); dtx != nil {
		return dtx, nil
	}
	dtx, err := decodeTxHashed(raw, h, a.chainID, a.cfg.MaxTxBytes, a.router)
	if err != nil {
		return nil, err
	}
	a.decoded.add(dtx)
	return dtx, nil
}

// checkDecodeCache makes FinalizeBlock decode every tx afresh and compare
// it with the cached form it is about to execute: a contract that modified
// a message during CheckTx would show here, as a panic. The package's tests
// turn it on (decodecheck_test.go); it costs a decode per tx.
var checkDecodeCache = false

func mustMatchFreshDecode(a *App, raw []byte, cached *decodedTx) {
	fresh, err := decodeTx(raw, a.chainID, a.cfg.MaxTxBytes, a.router)
	if err != nil || !proto.Equal(fresh.body, cached.body) || !proto.Equal(fresh.inner, cached.inner) {
		panic(fmt.Sprintf("abci: the cached decoding of tx %X was modified after it was decoded (err %v)", cached.hash, err))
	}
}
