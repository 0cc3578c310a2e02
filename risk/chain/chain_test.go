package chain_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/supervision"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk/admin"

	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/store"
	"github.com/custody-ledger/custody/testnet/nettest"
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

// TestChain runs the risk core's chain side against one running four-node
// network.
func TestChain(t *testing.T) {
	net := nettest.Start(t)
	t.Run("anchor and verify", func(t *testing.T) { testAnchorAndVerify(t, net) })
	t.Run("onboard, feed and freeze", func(t *testing.T) { testOnboardFeedFreeze(t, net) })
}

// testAnchorAndVerify anchors batches of alerts and verifies every alert
// against the roots read back with proofs from other nodes; then checks the
// refusals: a tampered alert, a batch anchored twice (re-sync), a diverging
// batch, an absent one, a batch under parameters not anchored.
func testAnchorAndVerify(t *testing.T, net *nettest.Network) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Submit through node 0; prove through node 2's values and node 1's
	// headers, cross-checked by the others.
	ch, err := chain.New(ctx, net.Client(t, 0), net.Verifier(t, 1), net.Keys[nettest.Operator], "")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Operator() != nettest.Operator {
		t.Fatalf("operator %q", ch.Operator())
	}
	if _, err := chain.New(ctx, net.Client(t, 0), nil, net.Keys["bank-1"], ""); !errors.Is(err, chain.ErrWrongRole) {
		t.Fatalf("bank key as operator: %v", err)
	}
	// A read-only Chain reads as the operator (the node answers a query for
	// the key whose credential it carries).
	reader, err := chain.New(ctx, net.Client(t, 2).WithReadKey(net.Keys[nettest.Operator]), net.Verifier(t, 1), nil, nettest.Operator)
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

	// A standby's store, with the same alerts under the same numbers,
	// records the chain's batches as its own and can then prove them.
	st5 := openStore(t)
	st5.PutAlerts(alerts(1, 10, "x"))
	st5.PutAlerts(alerts(11, 2, "x"))
	// The last batch's block may be reported before the node's app has
	// committed it for queries: Sync again until the node shows all four.
	n, err := reader.Sync(ctx, st5)
	for deadline := time.Now().Add(10 * time.Second); err == nil && n < 4 && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		var more int
		more, err = reader.Sync(ctx, st5)
		n += more
	}
	if err != nil || n != 4 {
		t.Fatalf("sync: %d %v", n, err)
	}
	a11, _ := st5.ListAlerts(store.Filter{AfterSeq: 10, Limit: 1})
	p11, err := anchor.Prove(st5, a11[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.VerifyAlert(ctx, a11[0], p11); err != nil {
		t.Fatalf("alert 11 from the synced store: %v", err)
	}
	if n, err := reader.Sync(ctx, st5); err != nil || n != 0 {
		t.Fatalf("second sync: %d %v", n, err)
	}
	if _, err := reader.Sync(ctx, st3); !errors.Is(err, chain.ErrDiverged) {
		t.Fatalf("sync of other alerts: %v", err)
	}
	st6 := openStore(t)
	st6.PutAlerts(alerts(1, 6, "x"))
	if n, err := reader.Sync(ctx, st6); !errors.Is(err, anchor.ErrIncomplete) || n != 1 {
		t.Fatalf("sync of a store behind: %d %v", n, err)
	}

	last, err := reader.LastBatch(ctx)
	if err != nil || last == nil || last.Seq != 4 || last.LastSeq != 12 {
		t.Fatalf("last batch %+v %v", last, err)
	}
	// An old leader comes back after its standby anchored in its place: its
	// own batches were cut differently and never anchored. Sync replaces
	// them with the chain's (rebuilt and checked) and drops the rest, and
	// the next cut follows on from the chain's last range.
	st7 := openStore(t)
	st7.PutAlerts(alerts(1, 14, "x"))
	old := anchor.NewBatcher(st7, nil, anchor.Config{MaxCount: 2})
	for range 7 {
		if _, err := old.Cut(ctx, now, params, true); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ch.Sync(ctx, st7); err != nil || n != 4 {
		t.Fatalf("sync over unanchored records: %d %v", n, err)
	}
	if last, _ := st7.LastBatchSeq(); last != 4 {
		t.Fatalf("local batches after sync: %d", last)
	}
	b5, err := anchor.NewBatcher(st7, ch, anchor.Config{MaxCount: 10}).Cut(ctx, now, params, true)
	if err != nil || b5.Seq != 5 || b5.FirstSeq != 13 || b5.Count != 2 || b5.TxHash == "" {
		t.Fatalf("batch after sync: %+v %v", b5, err)
	}

	raw, err := reader.Client().QueryJSON(ctx, "anchors/"+nettest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("anchors/%s: %s", nettest.Operator, raw)
}

// testOnboardFeedFreeze opens two client accounts, onboards them with
// proofs, follows a deposit and a withdrawal request through the ledger
// feed, and freezes one account: refused (recorded) with the operator key,
// submitted with the regulator's.
func testOnboardFeedFreeze(t *testing.T, net *nettest.Network) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := net.Client(t, 0)
	commit := client.SubmitOptions{Mode: client.ModeCommit}
	bank, broker := net.Keys["bank-1"], net.Keys["broker-1"]
	clientKeys := map[string]ed25519.PrivateKey{}
	open := func(id string, identity string, holders ...string) {
		_, k, _ := ed25519.GenerateKey(nil)
		clientKeys[id] = k
		secret := bytes.Repeat([]byte{9}, client.MinIdentitySecretLen)
		idHash, err1 := client.IdentityHash(secret, identity)
		cardHash, err2 := client.CardHash(secret, "card-"+id)
		m, err3 := client.OpenAccountMsg(k, &custodyv1.OpeningRequest{ChainId: c.ChainID(), AccountId: id, BrokerId: "broker-1",
			BankId: "bank-1", IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: holders})
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Submit(ctx, broker, m, commit); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Submit(ctx, bank, client.ConfirmAccountMsg(id, k.Public().(ed25519.PublicKey)), commit); err != nil {
			t.Fatal(err)
		}
	}
	open("C-1", "110101199001011234", "0100001111", "A111111111")
	open("C-2", "110101199202022345", "0100002222")
	ch, err := chain.New(ctx, c.WithReadKey(net.Keys[nettest.Operator]), net.Verifier(t, 2), nil, nettest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	base, err := ch.Onboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Accounts) != 2 || !base.Proven || base.Height == 0 {
		t.Fatalf("base data %+v", base)
	}
	wantGroups := [][]string{{"0100001111", "A111111111", "C-1"}, {"0100002222", "C-2"}}
	if !reflect.DeepEqual(base.Groups, wantGroups) {
		t.Fatalf("groups %v", base.Groups)
	}

	// The feed, from the start of the chain: the withdrawal request is the
	// one ledger event so far.
	if _, err := c.Submit(ctx, bank, &custodyv1.MsgBankToBroker{TransferId: "D1", AccountId: "C-1", Amount: 500_000}, commit); err != nil {
		t.Fatal(err)
	}
	res, err := c.Submit(ctx, clientKeys["C-1"], &custodyv1.MsgRequestWithdrawal{TransferId: "C-1/W1", AccountId: "C-1", Amount: 400_000}, commit)
	if err != nil {
		t.Fatal(err)
	}
	feed := chain.NewFeed(ch, base, 100*time.Millisecond, t.Logf)
	fctx, fcancel := context.WithCancel(ctx)
	var (
		mu     sync.Mutex
		events []risk.LedgerEvent
		done   int64
	)
	ferr := make(chan error, 1)
	go func() {
		ferr <- feed.RunBlocks(fctx, 0, func(e risk.LedgerEvent) error {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
			return nil
		}, func(h int64) error { mu.Lock(); done = h; mu.Unlock(); return nil })
	}()
	for {
		mu.Lock()
		d := done
		mu.Unlock()
		if d >= res.Height {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("feed stuck at height %d of %d", d, res.Height)
		case <-time.After(50 * time.Millisecond):
		}
	}
	fcancel()
	if err := <-ferr; err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("ledger events %+v", events)
	}
	w := events[0]
	hdr, err := c.RPC().Header(ctx, &res.Height)
	if err != nil {
		t.Fatal(err)
	}
	if w.Kind != risk.LedgerWithdrawal || w.Account != "C-1" || w.AmountFen != 400_000 ||
		!strings.HasPrefix(w.ID, fmt.Sprintf("%d/0/", res.Height)) || !w.Time.Equal(hdr.Header.Time) {
		t.Fatalf("withdrawal event %+v (block %d at %s)", w, res.Height, hdr.Header.Time)
	}

	// Freezes: the operator key may only ask; the regulator's key freezes.
	if _, err := chain.NewFreezer(c, net.Keys[nettest.Operator]).Freeze(ctx, "C-2", "spoofing", "carol"); !errors.Is(err, admin.ErrMayNotFreeze) {
		t.Fatalf("operator key: %v", err)
	}
	fz := chain.NewFreezer(c, net.Keys["regulator-1"])
	tx, err := fz.Freeze(ctx, "C-2", "spoofing", "carol")
	if err != nil || tx == "" {
		t.Fatalf("regulator key: %q %v", tx, err)
	}
	a, _, err := c.WithReadKey(net.Keys["regulator-1"]).ProvenAccount(ctx, net.Verifier(t, 3), "C-2")
	if err != nil || !a.Frozen || !strings.Contains(a.FreezeReason, "carol") {
		t.Fatalf("account after freeze: %v %v", a, err)
	}
	if _, err := fz.Freeze(ctx, "C-2", "again", "carol"); !errors.Is(err, admin.ErrFreezeRefused) || !errors.Is(err, supervision.ErrAlreadyFrozen) {
		t.Fatalf("second freeze: %v", err)
	}
}
