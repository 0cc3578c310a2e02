package abci

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
)

// sigCache remembers the hashes of txs whose signature this node has already
// verified (in CheckTx, or in FinalizeBlock for a tx it never checked), so
// that each signature is verified once per node (ed25519 verification is the dominant CPU cost of a tx; see
// DESIGN.md's performance facts).
//
// Skipping the check is sound because the cache key is the SHA-256 of the
// whole tx (body bytes and signature), and the key that must have signed it
// is fixed by the body's signer address: an address is the hash of its public
// key, so the key record found at that address always holds the same public
// key. Only successes are cached, and a hit changes nothing but CPU time: the
// result of FinalizeBlock is the same on a node that verifies again.
//
// The cache is bounded: when full, the oldest entry is evicted (a ring of
// insertion order). The map is for lookup only; nothing iterates it.
type sigCache struct {
	seen map[[32]byte]struct{}
	ring [][32]byte
	next int // index in ring of the oldest entry once the ring is full
	max  int
}

func newSigCache(size int) *sigCache {
	if size <= 0 {
		size = defaultSigCacheSize
	}
	return &sigCache{seen: make(map[[32]byte]struct{}, size), max: size}
}

// Add records a verified tx hash.
func (c *sigCache) Add(h [32]byte) {
	if _, ok := c.seen[h]; ok {
		return
	}
	if len(c.ring) < c.max {
		c.ring = append(c.ring, h)
	} else {
		delete(c.seen, c.ring[c.next])
		c.ring[c.next] = h
		c.next = (c.next + 1) % c.max
	}
	c.seen[h] = struct{}{}
}

// Has reports whether the tx with hash h has a verified signature.
func (c *sigCache) Has(h [32]byte) bool {
	_, ok := c.seen[h]
	return ok
}

// Len is the number of cached hashes.
func (c *sigCache) Len() int { return len(c.seen) }

// envelopeVerifier verifies one tx's envelope signature for
// auth.Authenticate, through the node's cache keyed by the tx hash: a hit
// means this node verified these exact bytes before. The cache is filled as
// soon as the signature verifies, whatever happens to the tx after (a
// sequence gap in CheckTx, a contract's refusal), so that no later check of
// the same bytes verifies it again.
type envelopeVerifier struct {
	cache *sigCache
	hash  [32]byte
	// verified is set when this call ran the ed25519 check itself.
	verified bool
}

func (v *envelopeVerifier) Verify(pub, msg, sig []byte) bool {
	if v.cache.Has(v.hash) {
		return true
	}
	if !contracts.VerifyEd25519(pub, msg, sig) {
		return false
	}
	v.verified = true
	v.cache.Add(v.hash)
	return true
}

// ticketVerifier is the contracts.SigVerifier of every tx's Context: it
// verifies a client's ticket signature (order, cancel) once per node. The
// key is the SHA-256 of the public key, the signature and the signed bytes
// together, so a hit is exactly a triple that verified before: the answer is
// VerifyEd25519's, only faster. Only successes are cached.
type ticketVerifier struct{ cache *sigCache }

func (v ticketVerifier) Verify(pub, msg, sig []byte) bool {
	h := sha256.New()
	var n [4]byte
	for _, part := range [][]byte{pub, sig, msg} {
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var key [32]byte
	h.Sum(key[:0])
	if v.cache.Has(key) {
		return true
	}
	if !contracts.VerifyEd25519(pub, msg, sig) {
		return false
	}
	v.cache.Add(key)
	return true
}
