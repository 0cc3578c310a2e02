package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/transfers"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLimiterTokenBucket(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(2, 3, 100, clk.now) // 2/s, burst 3
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("4th request: ok %v, wait %s; want refused, wait in (0, 500ms]", ok, wait)
	}
	// Another key has its own bucket.
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("key b refused")
	}
	clk.advance(500 * time.Millisecond) // one token back
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("refilled token refused")
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("second request after one refill passed")
	}
	// The bucket never holds more than the burst.
	clk.advance(time.Hour)
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d after an hour refused", i)
		}
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("burst exceeded after a long idle time")
	}
	if ok, _ := l.peek("a"); ok {
		t.Fatal("peek of an empty bucket says ok")
	}
	if ok, _ := l.peek("never-seen"); !ok {
		t.Fatal("peek of an unknown key says empty")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	l := newLimiter(1, 1, 10, clk.now)
	for i := range 1000 {
		l.allow(fmt.Sprint("caller-", i))
	}
	if n := l.size(); n != 10 {
		t.Fatalf("tracks %d keys, want at most 10", n)
	}
	// The most recent keys are kept (their buckets are empty).
	if ok, _ := l.allow("caller-999"); ok {
		t.Fatal("the most recent caller was forgotten")
	}
}

func TestIdempotencyStore(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	s := newIdemStore(time.Hour, 3, clk.now)
	sum := sha256.Sum256([]byte("request 1"))
	other := sha256.Sum256([]byte("request 2"))

	_, e, st := s.begin("k1", sum)
	if st != idemNew || e == nil {
		t.Fatalf("first use: state %d", st)
	}
	if _, _, st := s.begin("k1", sum); st != idemBusy {
		t.Fatalf("while running: state %d, want busy", st)
	}
	if _, _, st := s.begin("k1", other); st != idemMismatch {
		t.Fatalf("other body: state %d, want mismatch", st)
	}
	s.finish(e, 200, "application/json", []byte(`{"ok":1}`), true)
	got, _, st := s.begin("k1", sum)
	if st != idemReplay || got.status != 200 || string(got.body) != `{"ok":1}` || got.ctype != "application/json" {
		t.Fatalf("replay: state %d, entry %+v", st, got)
	}
	if _, _, st := s.begin("k1", other); st != idemMismatch {
		t.Fatalf("other body after finish: state %d, want mismatch", st)
	}

	// A failure worth retrying is forgotten.
	_, e2, _ := s.begin("k2", sum)
	s.finish(e2, 502, ProblemContentType, nil, false)
	if _, _, st := s.begin("k2", sum); st != idemNew {
		t.Fatalf("after a forgotten failure: state %d, want new", st)
	}

	// Expiry.
	clk.advance(time.Hour)
	if _, _, st := s.begin("k1", sum); st != idemNew {
		t.Fatalf("after the ttl: state %d, want new", st)
	}

	// Bounded: the oldest key goes first.
	for i := range 10 {
		_, e, _ := s.begin(fmt.Sprint("n", i), sum)
		s.finish(e, 200, "", nil, true)
	}
	if n := s.size(); n != 3 {
		t.Fatalf("holds %d keys, want 3", n)
	}
	if _, _, st := s.begin("n9", sum); st != idemReplay {
		t.Fatalf("newest key: state %d, want replay", st)
	}
	if _, _, st := s.begin("n0", sum); st != idemNew {
		t.Fatalf("oldest key: state %d, want new (evicted)", st)
	}
}

func TestProblemOf(t *testing.T) {
	txErr := &client.TxError{Codespace: "funds", Code: 1, Err: funds.ErrOverdraft}
	for _, tc := range []struct {
		err    error
		status int
		code   string
		detail bool
	}{
		{ErrForbidden.Wrapf("account X"), http.StatusForbidden, "api/7", true},
		{fmt.Errorf("wrapped: %w", ErrUnauthenticated), http.StatusUnauthorized, "api/1", true},
		{client.ErrTokenMalformed, http.StatusUnauthorized, "api/2", true},
		{fmt.Errorf("%w: aud", client.ErrTokenAudience), http.StatusUnauthorized, "api/3", true},
		{client.ErrTokenExpired, http.StatusUnauthorized, "api/4", true},
		{&client.QueryError{Codespace: "query", Code: 3, Err: ledger.ErrNotFound}, http.StatusNotFound, "query/3", true},
		{txErr, http.StatusUnprocessableEntity, "funds/1", true},
		{&client.TxError{Codespace: "tx", Code: 7, Err: contracts.ErrBadSequence}, http.StatusConflict, "tx/7", true},
		{transfers.ErrDuplicateTransfer.Wrapf("DEP-1"), http.StatusConflict, "transfers/3", true},
		{contracts.ErrUnauthorizedRole, http.StatusForbidden, "tx/10", true},
		{contracts.ErrTxDecode, http.StatusBadRequest, "tx/1", true},
		{&http.MaxBytesError{Limit: 10}, http.StatusRequestEntityTooLarge, "api/10", true},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), http.StatusGatewayTimeout, "api/16", false},
		{client.ErrTxNotCommitted, http.StatusGatewayTimeout, "api/17", false},
		{errors.New("dial tcp 10.0.0.1:26657: connection refused"), http.StatusBadGateway, "api/18", false},
		{fmt.Errorf("%w: zz/9", client.ErrUnregisteredCode), http.StatusBadGateway, "api/18", false},
	} {
		p := problemOf(tc.err)
		if p.Status != tc.status || p.Code != tc.code {
			t.Errorf("%v: got %d %s, want %d %s", tc.err, p.Status, p.Code, tc.status, tc.code)
		}
		if (p.Detail != "") != tc.detail {
			t.Errorf("%v: detail %q; want detail shown %v (never for 5xx)", tc.err, p.Detail, tc.detail)
		}
		if p.Type != problemTypeBase+p.Code || p.Title == "" {
			t.Errorf("%v: type %q title %q", tc.err, p.Type, p.Title)
		}
	}
}

func TestAPIErrorCodesAreUnique(t *testing.T) {
	seen := map[uint32]string{}
	for _, e := range apiErrors {
		if prev, ok := seen[e.Code]; ok {
			t.Errorf("api/%d is both %q and %q", e.Code, prev, e.Title)
		}
		seen[e.Code] = e.Title
		if e.Status < 400 || e.Status > 599 {
			t.Errorf("api/%d has status %d", e.Code, e.Status)
		}
	}
	for i := uint32(1); i <= uint32(len(apiErrors)); i++ {
		if _, ok := seen[i]; !ok {
			t.Errorf("api/%d is missing from apiErrors", i)
		}
	}
}
