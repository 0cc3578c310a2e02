package contracts

import (
	"crypto/ed25519"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// SigVerifier checks an ed25519 signature. Contracts verify client-signed
// tickets through Context.VerifySignature, which uses the Context's
// verifier when the abci package gives it one: that one remembers which
// signatures this node has already verified (a tx's ticket is checked in
// CheckTx, again on every recheck and again in FinalizeBlock, over the same
// bytes), so that each is verified once per node. A verifier must answer
// exactly as VerifyEd25519 would: a cache may only save time.
type SigVerifier interface {
	Verify(pub, msg, sig []byte) bool
}

// verifyStdLib are the rules of Go's crypto/ed25519, which this chain has
// always applied: cofactorless verification, canonical S, R compared by its
// encoding, small-order and non-canonical A accepted. curve25519-voi (the
// library under CometBFT's crypto/ed25519) implements them exactly with
// this option set and verifies about 1.3x as fast here. CometBFT's own
// default is ZIP-215 (cofactored, accepting non-canonical R), which accepts
// signatures these rules refuse: switching to it would change which txs are
// valid, and so the state transition, and would need an app version of its
// own.
var verifyStdLib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// VerifyEd25519 reports whether sig is pub's ed25519 signature of msg, under
// crypto/ed25519's rules. Unlike crypto/ed25519.Verify it never panics: a
// key or signature of the wrong length is simply not valid.
func VerifyEd25519(pub, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, verifyStdLib)
}

// VerifySignature checks a signature made outside the tx envelope (a
// client's order or cancel ticket) with the Context's verifier, or with
// VerifyEd25519 when it has none.
func (c *Context) VerifySignature(pub, msg, sig []byte) bool {
	if c.Verifier != nil {
		return c.Verifier.Verify(pub, msg, sig)
	}
	return VerifyEd25519(pub, msg, sig)
}
