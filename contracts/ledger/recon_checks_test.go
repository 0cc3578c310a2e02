package ledger_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	eod "github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/reconcile"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// reconWorld is one cleared day at bank-a/broker-x: C1 deposits 100 000.00
// (T1), buys 1 000 600000.SH at 10.00 (10 005.64) and withdraws 5 000.00
// (C1/w); C3 deposits 33 333.33 (T3) and buys 100 000001.SZ at 10.00
// (1 005.06). The close of day1 opens 2025-03-21, so it also pays bank-a's
// first quarter of interest (0.35%, settlement day 2025-03-20).
func reconWorld(t *testing.T) *env {
	e := newTradingEnv(t, nil)
	e.must(sBankA, rateMsg(day1, 350_000))
	e.openTrader("C1", bankA, sBrokerX, sBankA)
	e.openTrader("C3", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T1", "C1", 10_000_000))
	e.must(sBankA, depositMsg("T3", "C3", 3_333_333))
	at := china(day1, 10, 0)
	for _, m := range []*custodyv1.Msg{buyMsg("C1/b", secMain, cny(10, 0), 1000), buyMsg("C3/b", secSZ, cny(10, 0), 100)} {
		if _, err := e.execAt(at, sBrokerX, m); err != nil {
			t.Fatal(err)
		}
	}
	e.must(sBrokerX, fillMsg("X1", "C1/b", cny(10, 0), 1000))
	e.must(sBrokerX, fillMsg("X2", "C3/b", cny(10, 0), 100))
	e.must(client("C1"), withdrawMsg("C1/w", "C1", 500_000))
	e.must(sBankA, confirmWithdrawalMsg("C1/w", true, ""))
	e.must(sClearing, eodMsg(day1, 20250321, func(m *custodyv1.MsgEndOfDay) {
		m.TradeTotals = []*custodyv1.TradeTotals{totals(brokerX, 2, 1_100_000, 0)}
	}))
	e.checkInvariants()
	return e
}

const (
	c1Close = 10_000_000 - 1_000_564 - 500_000 // 8 499 436
	c3Close = 3_333_333 - 100_506              // 3 232 827
)

// wantBreaks checks a check's result and its breaks, item by item with
// both figures.
func wantBreaks(t *testing.T, e *env, counterparty string, kind custodyv1.ReconCheckKind, want []*custodyv1.ReconBreak) *custodyv1.ReconCheck {
	t.Helper()
	c, ok := reconcile.GetCheck(e.mem, day1, counterparty, brokerX, kind)
	if !ok {
		t.Fatalf("no %s result", kind)
	}
	status := custodyv1.ReconStatus_RECON_STATUS_MATCH
	if len(want) > 0 {
		status = custodyv1.ReconStatus_RECON_STATUS_BREAK
	}
	if c.Status != status || int(c.Breaks) != len(want) {
		t.Fatalf("%s: %v, want %s with %d breaks", kind, c, status, len(want))
	}
	got := reconcile.ItemBreaks(e.mem, c)
	if len(got) != len(want) {
		t.Fatalf("%s: breaks %v, want %v", kind, got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.ItemKey != w.ItemKey || g.What != w.What || g.ChainAmount != w.ChainAmount || g.FileAmount != w.FileAmount ||
			g.Date != day1 || g.CounterpartyId != counterparty || g.BrokerId != brokerX || g.Check != kind {
			t.Fatalf("%s break %d: %v, want %v", kind, i, g, w)
		}
	}
	return c
}

func brk(item, what string, chain, file int64) *custodyv1.ReconBreak {
	return &custodyv1.ReconBreak{ItemKey: item, What: what, ChainAmount: chain, FileAmount: file}
}

// TestReconChecks_Statement: checks 1 and 2. The bank booked 100.00 of
// C1's on C3: the totals agree, and check 2 names both accounts with both
// amounts.
func TestReconChecks_Statement(t *testing.T) {
	e := reconWorld(t)
	ids, bal := []string{"C1", "C3"}, []int64{c1Close - 10_000, c3Close + 10_000}
	m := statementMsg(day1, brokerX, c1Close+c3Close, 2, eod.ClientsHash(ids, bal))
	m.GetSubmitStatement().Balances = []*custodyv1.AccountAmount{{AccountId: "C1", Amount: bal[0]}, {AccountId: "C3", Amount: bal[1]}}
	e.must(sBankA, m)
	wantBreaks(t, e, bankA, custodyv1.ReconCheckKind_RECON_CHECK_TOTAL, nil)
	c := wantBreaks(t, e, bankA, custodyv1.ReconCheckKind_RECON_CHECK_CLIENTS, []*custodyv1.ReconBreak{
		brk("C1", "amount", c1Close, c1Close-10_000), brk("C3", "amount", c3Close, c3Close+10_000)})
	if c.ChainTotal != c.FileTotal {
		t.Fatalf("the totals agree: %v", c)
	}
	e.checkInvariants()

	// The balances must be the file the hash is of.
	bad := statementMsg(day1, brokerX, 1, 1, eod.ClientsHash([]string{"C1"}, []int64{5}))
	bad.GetSubmitStatement().Balances = []*custodyv1.AccountAmount{{AccountId: "C1", Amount: 6}}
	if _, err := e.exec(sBankB, bad); !errors.Is(err, reconcile.ErrBalancesHash) {
		t.Fatalf("balances not hashing to clients_hash: %v", err)
	}
}

// TestReconChecks_TransferJournal: check 3. The bank's journal has T3 at a
// different amount, lacks the withdrawal C1/w, lists a serial T9 the chain
// never saw, and T1 twice.
func TestReconChecks_TransferJournal(t *testing.T) {
	e := reconWorld(t)
	lines := []*custodyv1.JournalLine{
		{Serial: "T1", AccountId: "C1", Amount: 10_000_000},
		{Serial: "T1", AccountId: "C1", Amount: 10_000_000},
		{Serial: "T3", AccountId: "C3", Amount: 3_333_334},
		{Serial: "T9", AccountId: "C3", Amount: 700},
	}
	e.must(sBankA, &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitTransferJournal{SubmitTransferJournal: &custodyv1.MsgSubmitTransferJournal{
		Date: day1, BrokerId: brokerX, Lines: lines}}})
	wantBreaks(t, e, bankA, custodyv1.ReconCheckKind_RECON_CHECK_TRANSFERS, []*custodyv1.ReconBreak{
		brk("C1/w", "missing in file", -500_000, 0),
		brk("T1/repeat", "repeated in file", 0, 10_000_000),
		brk("T3", "amount", 3_333_333, 3_333_334),
		brk("T9", "missing on chain", 0, 700),
	})
	e.checkInvariants()
}

// TestReconChecks_ClearingFile: check 4. The clearing house's SSE figures
// charge 0.01 more handling fee (so its net is 0.01 more); SZSE agrees.
func TestReconChecks_ClearingFile(t *testing.T) {
	e := reconWorld(t)
	chain := reconcile.ChainSettlement(e.mem, day1, brokerX)
	// By hand: SSE buy 10 000.00, transfer 0.10, handling 0.34, levy 0.20,
	// net 10 000.64; SZSE buy 1 000.00, transfer 0.01, handling 0.03, levy
	// 0.02, net 1 000.06. No stamp duty: nothing was sold.
	sse := &custodyv1.MarketSettlement{Market: custodyv1.Market_MARKET_SSE, BuyValue: 1_000_000, TransferFee: 10, HandlingFee: 34, RegulatorLevy: 20, Net: 1_000_064}
	szse := &custodyv1.MarketSettlement{Market: custodyv1.Market_MARKET_SZSE, BuyValue: 100_000, TransferFee: 1, HandlingFee: 3, RegulatorLevy: 2, Net: 100_006}
	for i, w := range []*custodyv1.MarketSettlement{sse, szse} {
		if g := chain[i]; !proto.Equal(g, w) {
			t.Fatalf("chain settlement %v, by hand %v", g, w)
		}
	}
	wrong := &custodyv1.MarketSettlement{Market: custodyv1.Market_MARKET_SSE, BuyValue: 1_000_000, TransferFee: 10, HandlingFee: 35, RegulatorLevy: 20, Net: 1_000_065}
	m := &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitClearingFile{SubmitClearingFile: &custodyv1.MsgSubmitClearingFile{
		Date: day1, BrokerId: brokerX, Markets: []*custodyv1.MarketSettlement{wrong, szse}}}}
	e.must(sClearing, m)
	c := wantBreaks(t, e, clearing, custodyv1.ReconCheckKind_RECON_CHECK_CLEARING, []*custodyv1.ReconBreak{
		brk("MARKET_SSE/handling_fee", "amount", 34, 35), brk("MARKET_SSE/net", "amount", 1_000_064, 1_000_065)})
	if c.ChainTotal != 1_100_070 || c.FileTotal != 1_100_071 || c.Items != 14 {
		t.Fatalf("check 4: %v", c)
	}
	if _, err := e.exec(sClearing, m); !errors.Is(err, reconcile.ErrFileExists) {
		t.Fatalf("a second file: %v", err)
	}
	e.checkInvariants()
}

// TestReconChecks_HoldingsFile: check 5. The clearing house records 90
// 000001.SZ for C3 where the chain has 100: the client's line and the
// broker's total per security both break.
func TestReconChecks_HoldingsFile(t *testing.T) {
	e := reconWorld(t)
	e.must(sClearing, &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitHoldingsFile{SubmitHoldingsFile: &custodyv1.MsgSubmitHoldingsFile{
		Date: day1, BrokerId: brokerX, Holdings: []*custodyv1.HoldingLine{
			{AccountId: "C1", Security: secMain, Quantity: 1000},
			{AccountId: "C3", Security: secSZ, Quantity: 90},
		}}}})
	wantBreaks(t, e, clearing, custodyv1.ReconCheckKind_RECON_CHECK_HOLDINGS, []*custodyv1.ReconBreak{
		brk("*/000001.SZ", "amount", 100, 90), brk("C3/000001.SZ", "amount", 100, 90)})
	e.checkInvariants()
}

// TestReconChecks_InterestFile: check 6, and resolving a break by its
// identity. The bank credited C3 one fen more than the chain.
func TestReconChecks_InterestFile(t *testing.T) {
	e := reconWorld(t)
	rate := []closing{{day1, 350_000}}
	c1 := expectedInterest(t, day1, 20250320, []closing{{day1, c1Close}}, rate)
	c3 := expectedInterest(t, day1, 20250320, []closing{{day1, c3Close}}, rate)
	// By hand: 8 499 436 × 78 days × 0.35% / 360 = 64.454 → 64.45.
	if c1 != 6_445 {
		t.Fatalf("C1's interest %d, by hand 6445", c1)
	}
	e.must(sBankA, &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitInterestFile{SubmitInterestFile: &custodyv1.MsgSubmitInterestFile{
		Date: 20250320, BrokerId: brokerX, Interest: []*custodyv1.AccountAmount{{AccountId: "C1", Amount: c1}, {AccountId: "C3", Amount: c3 + 1}}}}})
	c, ok := reconcile.GetCheck(e.mem, 20250320, bankA, brokerX, custodyv1.ReconCheckKind_RECON_CHECK_INTEREST)
	if !ok || c.Status != custodyv1.ReconStatus_RECON_STATUS_BREAK || c.Breaks != 1 || c.ChainTotal != c1+c3 {
		t.Fatalf("check 6: %v", c)
	}
	b := reconcile.ItemBreaks(e.mem, c)
	if len(b) != 1 || b[0].ItemKey != "C3" || b[0].ChainAmount != c3 || b[0].FileAmount != c3+1 {
		t.Fatalf("check 6 breaks: %v", b)
	}

	// An adjustment resolves it by its identity.
	id := reconcile.BreakID{Date: 20250320, Counterparty: bankA, Broker: brokerX, Check: custodyv1.ReconCheckKind_RECON_CHECK_INTEREST, Item: "C3"}
	ctx := contracts.NewContext(contracts.Block{ChainID: "test", Height: 99}, sBankA, e.mem, nil)
	if err := reconcile.MarkResolved(ctx, id, "ADJ-1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := reconcile.GetBreak(e.mem, id); !got.Resolved || got.ResolvedBy != "ADJ-1" || got.ResolvedHeight != 99 {
		t.Fatalf("resolved break: %v", got)
	}
	if err := reconcile.MarkResolved(ctx, id, "ADJ-2"); !errors.Is(err, reconcile.ErrResolved) {
		t.Fatalf("resolved twice: %v", err)
	}
	id.Item = "C9"
	if err := reconcile.MarkResolved(ctx, id, "ADJ-3"); !errors.Is(err, reconcile.ErrNoBreak) {
		t.Fatalf("unknown break: %v", err)
	}
	e.checkInvariants()

	// Before the settlement day has passed, there is nothing to compare.
	if _, err := e.exec(sBankA, &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitInterestFile{SubmitInterestFile: &custodyv1.MsgSubmitInterestFile{
		Date: 20250620, BrokerId: brokerX}}}); !errors.Is(err, reconcile.ErrNotSettledYet) {
		t.Fatalf("a future settlement: %v", err)
	}
}
