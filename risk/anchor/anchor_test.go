package anchor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/store"
)

func leaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		out[i] = LeafHash([]byte(fmt.Sprintf("leaf %d", i)))
	}
	return out
}

func TestMerkle_EveryProofVerifiesAndTamperingFails(t *testing.T) {
	for n := 1; n <= 33; n++ {
		ls := leaves(n)
		root := Root(ls)
		for i := 0; i < n; i++ {
			p := Proof(ls, i)
			require.NoError(t, Verify(ls[i], i, n, p, root), "n=%d i=%d", n, i)
			require.ErrorIs(t, Verify(LeafHash([]byte("x")), i, n, p, root), ErrBadProof)
			if n > 1 {
				require.ErrorIs(t, Verify(ls[i], (i+1)%n, n, p, root), ErrBadProof, "n=%d i=%d wrong index", n, i)
				bad := append([]Hash(nil), p...)
				bad[0][0] ^= 1
				require.ErrorIs(t, Verify(ls[i], i, n, bad, root), ErrBadProof)
			}
		}
	}
}

// RFC 6962's root of two leaves is H(1 || H(0||a) || H(0||b)).
func TestMerkle_RootMatchesDefinition(t *testing.T) {
	a, b, c := LeafHash([]byte("a")), LeafHash([]byte("b")), LeafHash([]byte("c"))
	require.Equal(t, nodeHash(nodeHash(a, b), c), Root([]Hash{a, b, c}))
}

type fakeChain struct {
	fail    bool
	anchors []Batch
}

func (f *fakeChain) Anchor(_ context.Context, b Batch) (string, int64, error) {
	if f.fail {
		return "", 0, errors.New("chain down")
	}
	f.anchors = append(f.anchors, b)
	return fmt.Sprintf("tx%d", b.Seq), int64(100 + b.Seq), nil
}

func TestBatcher_CutsAnchorsAndProves(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	t0 := time.Unix(1_750_000_000, 0).UTC()
	var as []risk.Alert
	for i := 0; i < 7; i++ {
		a := risk.Alert{Rule: risk.RuleLargeOrder, Severity: risk.SeverityLow, Accounts: []string{"A"}, Time: t0.Add(time.Duration(i) * time.Second), Evidence: []string{risk.EventRef(uint64(i + 1))}}
		a.ID = risk.AlertID(a.Rule, a.Accounts, "", a.Evidence)
		as = append(as, a)
	}
	_, err = st.PutAlerts(as[:5])
	require.NoError(t, err)
	chain := &fakeChain{}
	b := NewBatcher(st, chain, Config{MaxCount: 4, MaxAge: time.Minute})
	p := risk.DefaultParams()

	batch, err := b.Cut(t.Context(), t0, p, false)
	require.NoError(t, err)
	require.NotNil(t, batch)
	require.Equal(t, 4, batch.Count)
	require.Equal(t, "tx1", batch.TxHash)
	require.Equal(t, p.HashHex(), batch.ParamsHash)

	// One alert waits: not cut until MaxAge passes on the injected clock.
	batch, err = b.Cut(t.Context(), t0.Add(30*time.Second), p, false)
	require.NoError(t, err)
	require.Nil(t, batch)
	batch, err = b.Cut(t.Context(), t0.Add(91*time.Second), p, false)
	require.NoError(t, err)
	require.Equal(t, uint64(5), batch.FirstSeq)
	require.Equal(t, 1, batch.Count)

	// A failed anchor is recorded and retried.
	_, err = st.PutAlerts(as[5:])
	require.NoError(t, err)
	chain.fail = true
	batch, err = b.Cut(t.Context(), t0, p, true)
	require.Error(t, err)
	require.Empty(t, batch.TxHash)
	chain.fail = false
	require.NoError(t, b.Retry(t.Context()))
	require.Len(t, chain.anchors, 3)

	// Every alert proves against the root the chain received.
	for _, a := range as {
		proof, err := Prove(st, a.ID)
		require.NoError(t, err)
		onChain := chain.anchors[proof.Batch-1].Root
		stored, err := st.GetAlert(a.ID)
		require.NoError(t, err)
		require.NoError(t, VerifyAlert(stored, proof, onChain))
		// A tampered alert does not verify.
		stored.Detail = "edited"
		require.ErrorIs(t, VerifyAlert(stored, proof, onChain), ErrBadProof)
	}
	// Status changes do not affect the proof.
	_, err = st.UpdateAlert(as[0].ID, func(a *risk.Alert) error { return a.Transition(risk.StatusClosed, "bob", t0, "") })
	require.NoError(t, err)
	proof, err := Prove(st, as[0].ID)
	require.NoError(t, err)
	stored, _ := st.GetAlert(as[0].ID)
	require.NoError(t, VerifyAlert(stored, proof, chain.anchors[0].Root))
}

// Rebuild recomputes a batch cut elsewhere from the store's own alerts:
// same root when the store holds the same alerts under the same numbers,
// ErrIncomplete when it lacks some.
func TestRebuild_MatchesTheCutBatch(t *testing.T) {
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2025, 7, 8, 1, 30, 0, 0, time.UTC)
	var as []risk.Alert
	for i := range 7 {
		a := risk.Alert{Rule: risk.RuleLargeOrder, Severity: risk.SeverityLow, Accounts: []string{"A"}, Time: t0.Add(-time.Duration(i) * time.Second), Evidence: []string{risk.EventRef(uint64(i))}}
		a.ID = risk.AlertID(a.Rule, a.Accounts, "", a.Evidence)
		as = append(as, a)
	}
	st.PutAlerts(as[:5])
	b := NewBatcher(st, nil, Config{MaxCount: 3})
	b1, err := b.Cut(context.Background(), t0, risk.DefaultParams(), true)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := b.Cut(context.Background(), t0, risk.DefaultParams(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*Batch{b1, b2} {
		got, err := Rebuild(st, want.Seq, want.FirstSeq, want.LastSeq, want.Count)
		if err != nil {
			t.Fatal(err)
		}
		if got.Root != want.Root || !slices.Equal(got.AlertIDs, want.AlertIDs) || !got.From.Equal(want.From) || !got.To.Equal(want.To) {
			t.Fatalf("rebuilt %+v, cut %+v", got, want)
		}
	}
	if _, err := Rebuild(st, 3, 6, 7, 2); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("alerts not yet stored: %v", err)
	}
}
