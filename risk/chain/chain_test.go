package chain_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/chain/chaintest"
	"github.com/custody-ledger/custody/risk/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// alerts makes n alerts of one account, numbered from first (their evidence).
func alerts(first, n int, tag string) []risk.Alert {
	var out []risk.Alert
	t0 := time.Date(2025, 7, 8, 1, 30, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		ev := []string{risk.EventRef(uint64(i))}
		acct := []string{"0100001111"}
		out = append(out, risk.Alert{ID: risk.AlertID(risk.RuleLargeOrder, acct, "000001", ev), Rule: risk.RuleLargeOrder,
			Severity: risk.SeverityLow, Accounts: acct, Security: "000001", Time: t0.Add(time.Duration(i) * time.Second),
			Evidence: ev, Detail: tag + fmt.Sprint(i), TriggerSeq: uint64(i)})
	}
	return out
}

// TestChain_AnchorAndVerifyOnFourNodes anchors batches of alerts on a
// running four-node chain and verifies every alert against the roots read
// back with proofs from other nodes; then checks the refusals: a tampered
// alert, a batch anchored twice (re-sync), a diverging batch, an absent one.
func TestChain_AnchorAndVerifyOnFourNodes(t *testing.T) {
	net := chaintest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Submit through node 0; prove through node 2's values and node 1's
	// headers, cross-checked by the others.
	ch, err := chain.New(ctx, net.Client(t, 0), net.Verifier(t, 1), net.Keys[chaintest.Operator], "")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Operator() != chaintest.Operator {
		t.Fatalf("operator %q", ch.Operator())
	}
	if _, err := chain.New(ctx, net.Client(t, 0), nil, net.Keys["bank-1"], ""); !errors.Is(err, chain.ErrWrongRole) {
		t.Fatalf("bank key as operator: %v", err)
	}
	reader, err := chain.New(ctx, net.Client(t, 2), net.Verifier(t, 1), nil, chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}

	params := risk.DefaultParams()
	v1 := risk.ParamVersion{Version: 1, Who: "ops", Params: params}
	if err := ch.AnchorParams(ctx, v1); err != nil {
		t.Fatal(err)
	}
	if err := ch.AnchorParams(ctx, v1); err != nil { // already there: nothing sent
		t.Fatal(err)
	}

	st := openStore(t)
	b := anchor.NewBatcher(st, ch, anchor.Config{MaxCount: 4})
	if _, err := st.PutAlerts(alerts(1, 10, "x")); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var batches []*anchor.Batch
	for {
		batch, err := b.Cut(ctx, now, params, true)
		if err != nil {
			t.Fatal(err)
		}
		if batch == nil {
			break
		}
		if batch.TxHash == "" || batch.Height == 0 {
			t.Fatalf("batch %d not anchored: %+v", batch.Seq, batch)
		}
		batches = append(batches, batch)
	}
	if len(batches) != 3 || batches[2].Count != 2 || batches[2].FirstSeq != 9 {
		t.Fatalf("batches %+v", batches)
	}

	all, err := st.ListAlerts(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		p, err := anchor.Prove(st, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, err := reader.VerifyAlert(ctx, a, p)
		if err != nil {
			t.Fatalf("alert %d: %v", a.Seq, err)
		}
		if v.Chain.Seq != p.Batch || v.ProvenHeight < v.Chain.Height || v.AppHash == "" {
			t.Fatalf("verification %+v", v)
		}
	}

	// A tampered alert does not verify against the chain's root.
	p, _ := anchor.Prove(st, all[5].ID)
	forged := all[5]
	forged.Detail = "nothing to see"
	if _, err := reader.VerifyAlert(ctx, forged, p); !errors.Is(err, anchor.ErrBadProof) {
		t.Fatalf("tampered alert: %v", err)
	}
	// A proof whose root is not the chain's.
	p2 := p
	p2.Root = batches[0].Root
	if _, err := reader.VerifyAlert(ctx, all[5], p2); !errors.Is(err, chain.ErrRootMismatch) {
		t.Fatalf("other root: %v", err)
	}
	// A batch the chain does not have: proven absent.
	p3 := p
	p3.Batch = 99
	if _, err := reader.VerifyAlert(ctx, all[5], p3); !errors.Is(err, chain.ErrNotAnchored) {
		t.Fatalf("batch 99: %v", err)
	}

	// A second process with the same alerts (a standby, or a restart that
	// lost its records) anchors batch 1 again: the chain refuses it by seq,
	// and Anchor re-syncs to the block that holds it.
	st2 := openStore(t)
	st2.PutAlerts(alerts(1, 10, "x"))
	again, err := anchor.NewBatcher(st2, ch, anchor.Config{MaxCount: 4}).Cut(ctx, now, params, true)
	if err != nil {
		t.Fatal(err)
	}
	if again.TxHash == "" || again.Height != batches[0].Height || again.Root != batches[0].Root {
		t.Fatalf("re-synced batch %+v, first %+v", again, batches[0])
	}
	// Different alerts under an anchored seq: diverged, not silently accepted.
	st3 := openStore(t)
	st3.PutAlerts(alerts(1, 10, "y"))
	if _, err := anchor.NewBatcher(st3, ch, anchor.Config{MaxCount: 4}).Cut(ctx, now, params, true); !errors.Is(err, chain.ErrDiverged) {
		t.Fatalf("diverging batch: %v", err)
	}
	// A batch under parameters never anchored is refused by the chain; it
	// stays recorded, and goes on chain once the parameters are anchored.
	st.PutAlerts(alerts(11, 2, "x"))
	p4 := params.Clone()
	p4.LargeOrder.MinQty++
	if _, err := b.Cut(ctx, now, p4, true); !errors.Is(err, anchors.ErrParamsNotAnchored) {
		t.Fatalf("batch under unanchored params: %v", err)
	}
	if err := ch.AnchorParams(ctx, risk.ParamVersion{Version: 2, Who: "ops", Params: p4}); err != nil {
		t.Fatal(err)
	}
	if err := b.Retry(ctx); err != nil {
		t.Fatal(err)
	}

	last, err := reader.LastBatch(ctx)
	if err != nil || last == nil || last.Seq != 4 || last.LastSeq != 12 {
		t.Fatalf("last batch %+v %v", last, err)
	}
	raw, err := reader.Client().QueryJSON(ctx, "anchors/"+chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("anchors/%s: %s", chaintest.Operator, raw)
}
