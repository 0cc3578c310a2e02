package api

import (
	"container/list"
	"sync"
	"time"
)

// IdempotencyHeader names the request header of an idempotent POST, and
// ReplayedHeader the answer header that marks a replayed first answer.
const (
	IdempotencyHeader = "Idempotency-Key"
	ReplayedHeader    = "Idempotent-Replayed"
	// maxIdempotencyKeyLen bounds the header's value.
	maxIdempotencyKeyLen = 255
)

// idemStore remembers the first answer to each (caller, Idempotency-Key),
// with the fingerprint of the request it answered, for Config.IdempotencyTTL
// and for at most Config.IdempotencyKeys keys (the oldest go first). It is
// a convenience over the chain's own guarantee: the same signed tx bytes can
// never act twice, because the signer's sequence moves on.
type idemStore struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu    sync.Mutex
	byKey map[string]*list.Element // guarded by mu; values are *idemEntry
	order list.List                // guarded by mu; front = newest
}

type idemEntry struct {
	key     string
	sum     [32]byte // fingerprint of method, path, query and body
	expires time.Time
	done    bool // guarded by the store's mu
	status  int
	ctype   string
	body    []byte
}

type idemState int

const (
	idemNew      idemState = iota // first use: run the request, then finish
	idemReplay                    // answered before: send the stored answer
	idemBusy                      // the first request is still running
	idemMismatch                  // the key was used with another request
)

func newIdemStore(ttl time.Duration, max int, now func() time.Time) *idemStore {
	return &idemStore{ttl: ttl, max: max, now: now, byKey: map[string]*list.Element{}}
}

// begin looks key up. For idemNew the caller must call finish with the
// entry; for idemReplay the returned entry is a copy of the stored answer.
func (s *idemStore) begin(key string, sum [32]byte) (idemEntry, *idemEntry, idemState) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	if el, ok := s.byKey[key]; ok {
		e := el.Value.(*idemEntry)
		switch {
		case e.sum != sum:
			return idemEntry{}, nil, idemMismatch
		case !e.done:
			return idemEntry{}, nil, idemBusy
		default:
			return *e, nil, idemReplay
		}
	}
	for s.order.Len() >= s.max {
		s.removeLocked(s.order.Back())
	}
	e := &idemEntry{key: key, sum: sum, expires: now.Add(s.ttl)}
	s.byKey[key] = s.order.PushFront(e)
	return idemEntry{}, e, idemNew
}

// finish records the answer of a request begun with idemNew; keep false
// forgets the key instead (a failure worth retrying).
func (s *idemStore) finish(e *idemEntry, status int, ctype string, body []byte, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byKey[e.key]
	if !ok || el.Value.(*idemEntry) != e {
		return // expired or pushed out meanwhile
	}
	if !keep {
		s.removeLocked(el)
		return
	}
	e.done, e.status, e.ctype, e.body = true, status, ctype, body
}

// expireLocked drops expired entries; they sit at the back, since every
// entry lives for the same ttl.
func (s *idemStore) expireLocked(now time.Time) {
	for el := s.order.Back(); el != nil && !now.Before(el.Value.(*idemEntry).expires); el = s.order.Back() {
		s.removeLocked(el)
	}
}

func (s *idemStore) removeLocked(el *list.Element) {
	s.order.Remove(el)
	delete(s.byKey, el.Value.(*idemEntry).key)
}

// size is the number of keys held.
func (s *idemStore) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
