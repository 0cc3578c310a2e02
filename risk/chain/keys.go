package chain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk/admin"
)

// Key registry for the risk core's HTTP surfaces: a bearer token names its
// signer's address; the registry says which public key, role and owner the
// chain holds for it. Records are cached for keyCacheTTL, so a key disabled
// or rotated on chain stops opening the API within that time, and a burst of
// requests costs one proven read per key rather than one per request.
const (
	keyCacheTTL = 10 * time.Second
	// keyCacheMax bounds the cache; when full it is emptied (tokens of
	// unknown subjects are cached too, so a flood of made-up subjects
	// cannot grow it without bound).
	keyCacheMax = 4096
)

// KeyRegistry reads signing-key records from the chain: with an IAVL proof
// checked against a light-client-verified header when the Chain has a
// verifier, else (no [chain] witnesses) from the node's word.
type KeyRegistry struct {
	ch  *Chain
	now func() time.Time

	mu    sync.Mutex // guards cache
	cache map[string]cachedKey
}

type cachedKey struct {
	rec *custodyv1.KeyRecord // nil: unknown
	at  time.Time
}

// NewKeyRegistry returns a registry over ch (now: the clock, nil for
// time.Now).
func NewKeyRegistry(ch *Chain, now func() time.Time) *KeyRegistry {
	if now == nil {
		now = time.Now
	}
	return &KeyRegistry{ch: ch, now: now, cache: map[string]cachedKey{}}
}

// ChainID is the chain the tokens must be made for (their audience).
func (r *KeyRegistry) ChainID() string { return r.ch.c.ChainID() }

// Proven reports whether the records are read with proofs.
func (r *KeyRegistry) Proven() bool { return r.ch.v != nil }

// Key returns the record of the key at address; admin.ErrUnknownKey when
// the chain has none. It implements admin.KeyRegistry. A failed read is not cached.
func (r *KeyRegistry) Key(ctx context.Context, address string) (*custodyv1.KeyRecord, error) {
	now := r.now()
	r.mu.Lock()
	if c, ok := r.cache[address]; ok && now.Sub(c.at) < keyCacheTTL {
		r.mu.Unlock()
		if c.rec == nil {
			return nil, admin.ErrUnknownKey.Wrapf("%s", address)
		}
		return c.rec, nil
	}
	r.mu.Unlock()
	rec, err := r.read(ctx, address)
	if err != nil && !errors.Is(err, admin.ErrUnknownKey) {
		return nil, err
	}
	r.mu.Lock()
	if len(r.cache) >= keyCacheMax {
		clear(r.cache)
	}
	r.cache[address] = cachedKey{rec: rec, at: now}
	r.mu.Unlock()
	return rec, err
}

func (r *KeyRegistry) read(ctx context.Context, address string) (*custodyv1.KeyRecord, error) {
	// "Not found or not yours" (ledger.ErrNotFound): the node does not
	// tell this core's key whether a record it may not read exists, and a
	// proof of absence only goes to the regulator. Either way the key is
	// not one riskd can check: unknown.
	if r.ch.v == nil {
		rec, err := r.ch.c.Signer(ctx, address)
		if errors.Is(err, contracts.ErrUnknownSigner) || errors.Is(err, ledger.ErrNotFound) {
			return nil, admin.ErrUnknownKey.Wrapf("%s", address)
		}
		return rec, err
	}
	r.ch.vmu.Lock()
	rec, _, err := r.ch.c.ProvenSigner(ctx, r.ch.v, address)
	r.ch.vmu.Unlock()
	if errors.Is(err, client.ErrNotFound) || errors.Is(err, ledger.ErrNotFound) {
		return nil, admin.ErrUnknownKey.Wrapf("%s (not on chain, or not readable by this core)", address)
	}
	if err != nil {
		return nil, fmt.Errorf("chain: key %s: %w", address, err)
	}
	return rec, nil
}

// Token makes a bearer token signed with the operator key (a standby
// presents it to its leader's stream). A read-only Chain has none.
func (ch *Chain) Token(now time.Time) (string, error) {
	if ch.key == nil {
		return "", errors.New("chain: read-only: no operator key to sign a token")
	}
	return client.NewToken(ch.key, ch.c.ChainID(), now, 0)
}
