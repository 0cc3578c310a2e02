// Package anchor batches stored alerts into Merkle trees, records each
// batch (root, alert range, count, the hash of the rule parameters in
// force), hands it to an Anchorer that puts it on chain, and produces and
// verifies inclusion proofs of single alerts.
//
// The tree is RFC 6962's (Certificate Transparency): leaf = SHA-256(0x00 ||
// alert canonical bytes), node = SHA-256(0x01 || left || right), the left
// subtree holding the largest power of two below the leaf count. Domain
// separation keeps a leaf from passing for a node.
//
// The on-chain anchoring transaction belongs to the chain client; this
// package only defines the seam (Anchorer) it plugs into.
package anchor

import (
	"crypto/sha256"
	"errors"
)

// ErrBadProof is returned by Verify when a proof does not lead to the root.
var ErrBadProof = errors.New("anchor: inclusion proof does not match root")

// Hash is a SHA-256 digest.
type Hash [32]byte

// LeafHash is the hash of a leaf's data.
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

func nodeHash(l, r Hash) Hash {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l[:])
	h.Write(r[:])
	var out Hash
	h.Sum(out[:0])
	return out
}

// split returns the largest power of two smaller than n (n ≥ 2).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// Root returns the Merkle root of leaf hashes (the hash of the empty string
// for no leaves, as RFC 6962 says).
func Root(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return nodeHash(Root(leaves[:k]), Root(leaves[k:]))
}

// Proof returns the audit path of leaf i: the sibling hashes from the leaf
// up to the root.
func Proof(leaves []Hash, i int) []Hash {
	if len(leaves) <= 1 || i < 0 || i >= len(leaves) {
		return nil
	}
	k := split(len(leaves))
	if i < k {
		return append(Proof(leaves[:k], i), Root(leaves[k:]))
	}
	return append(Proof(leaves[k:], i-k), Root(leaves[:k]))
}

// Verify checks that leaf is leaf number index of a tree of count leaves
// with the given root, using the audit path (RFC 9162 §2.1.3.2).
func Verify(leaf Hash, index, count int, path []Hash, root Hash) error {
	if index < 0 || index >= count {
		return ErrBadProof
	}
	fn, sn := index, count-1
	r := leaf
	for _, p := range path {
		if sn == 0 {
			return ErrBadProof
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || r != root {
		return ErrBadProof
	}
	return nil
}
