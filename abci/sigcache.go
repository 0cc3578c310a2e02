package abci

// sigCache remembers the hashes of txs whose signature this node has already
// verified in CheckTx, so that FinalizeBlock verifies each signature once per
// node (ed25519 verification is the dominant CPU cost of a tx; see
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
