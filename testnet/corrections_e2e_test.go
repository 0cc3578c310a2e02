package testnet

import (
	"context"
	"sort"
	"strings"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/client"

	"github.com/custody-ledger/custody/contracts/adjustments"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The corrections of TestE2E_TradingDay's third day (issue #18), each
// submitted through a different node and read back with proofs.

// reversal: bank-1 deposits REV-1, resends it (the first outcome, nothing
// credited twice), reverses it and resends the reversal.
func (d *day) reversal(ctx context.Context) {
	h := d.h
	bank := h.keys["bank-1"][0].Key
	acct := d.accts[0]
	var before custodyv1.Funds
	d.proven(ctx, funds.FundsKey(acct), &before)
	dep := &custodyv1.MsgBankToBroker{TransferId: "REV-1", AccountId: acct, Amount: 5_000}
	h.submit(ctx, h.clientFor(0), bank, dep, "deposit REV-1", nil)
	h.drain(ctx)
	h.submit(ctx, h.clientFor(1), bank, dep, "resent deposit REV-1", nil)
	h.drain(ctx)
	var mid custodyv1.Funds
	d.proven(ctx, funds.FundsKey(acct), &mid)
	require.Equal(h.t, before.Balance+5_000, mid.Balance, "a resent deposit credits once")
	rev := &custodyv1.MsgReverseTransfer{TransferId: "REV-1", Reason: "booked twice at the counter"}
	h.submit(ctx, h.clientFor(2), bank, rev, "reverse REV-1", nil)
	h.drain(ctx)
	h.submit(ctx, h.clientFor(3), bank, rev, "resent reversal REV-1", nil)
	h.drain(ctx)
	var after custodyv1.Funds
	d.proven(ctx, funds.FundsKey(acct), &after)
	require.Equal(h.t, before.Balance, after.Balance, "the reversal takes the deposit back")
	r := d.proven(ctx, transfers.TransferKey("bank-1", "REV-1#R"), &custodyv1.Transfer{}).(*custodyv1.Transfer)
	require.Equal(h.t, "REV-1", r.Reverses)
	require.Equal(h.t, int64(5_000), r.TakenBack)
	orig := d.proven(ctx, transfers.TransferKey("bank-1", "REV-1"), &custodyv1.Transfer{}).(*custodyv1.Transfer)
	require.Equal(h.t, "REV-1#R", orig.ReversedBy)
	raw, err := h.cls["regulator-1"].QueryJSON(ctx, "transfers/"+acct)
	require.NoError(h.t, err)
	require.True(h.t, strings.Contains(string(raw), `"id":"REV-1"`) && strings.Contains(string(raw), `"id":"REV-1#R"`), "journal %s", raw)
}

// adjustment: the day-2 statement had one fen more for the first client
// (in id order) than the chain; bank-1 proposes crediting it, broker-1
// approves, and the break is resolved.
func (d *day) adjustment(ctx context.Context, date uint32) {
	h := d.h
	ids := append([]string(nil), d.accts...)
	sort.Strings(ids)
	var before custodyv1.Funds
	d.proven(ctx, funds.FundsKey(ids[0]), &before)
	h.submit(ctx, h.clientFor(0), h.keys["bank-1"][0].Key, &custodyv1.MsgProposeAdjustment{
		AdjustmentId: "ADJ-1",
		Break:        &custodyv1.BreakRef{Kind: custodyv1.BreakKind_BREAK_KIND_RECONCILIATION, Date: date, BankId: "bank-1", BrokerId: "broker-1"},
		Legs:         []*custodyv1.AdjustmentLeg{{AccountId: ids[0], Amount: 1}}, NetBoundary: 1,
		Reason: "counter deposit of 0.01 not sent to the chain",
	}, "propose ADJ-1", nil)
	h.drain(ctx)
	h.submit(ctx, h.clientFor(1), h.keys["broker-1"][0].Key, &custodyv1.MsgApproveAdjustment{AdjustmentId: "ADJ-1"},
		"approve ADJ-1", nil)
	h.drain(ctx)
	a := d.proven(ctx, adjustments.Key("ADJ-1"), &custodyv1.Adjustment{}).(*custodyv1.Adjustment)
	require.Equal(h.t, custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_APPLIED, a.Status)
	r := d.proven(ctx, reconcile.ResultKey(date, "bank-1", "broker-1"), &custodyv1.ReconResult{}).(*custodyv1.ReconResult)
	require.Equal(h.t, "adj/ADJ-1", r.ResolvedBy)
	var after custodyv1.Funds
	d.proven(ctx, funds.FundsKey(ids[0]), &after)
	require.Equal(h.t, before.Balance+1, after.Balance)
}

// releaseHeld: broker-1's day 2 broke against the clearing house's file, so
// its clients' day-2 proceeds and purchases are held; the clearing house
// sends the right file and they settle.
func (d *day) releaseHeld(ctx context.Context, date uint32, right []*custodyv1.TradeTotals) {
	h := d.h
	held := d.proven(ctx, trading.HeldKey(date, "broker-1"), &custodyv1.HeldSettlement{}).(*custodyv1.HeldSettlement)
	require.NotEmpty(h.t, held.Proceeds, "day 2 sold: its proceeds are held")
	var before custodyv1.Funds
	acct := held.Proceeds[0].AccountId
	d.proven(ctx, funds.FundsKey(acct), &before)
	require.GreaterOrEqual(h.t, before.Unsettled, held.Proceeds[0].Amount)
	ch := h.keys["clearing-house-1"][0].Key
	h.submit(ctx, h.clientFor(2), ch, &custodyv1.MsgCorrectTradeTotals{Date: date, TradeTotals: right}, "corrected trade file", nil)
	h.drain(ctx)
	b := d.proven(ctx, clearing.BreakKey(date, "broker-1"), &custodyv1.SettlementBreak{}).(*custodyv1.SettlementBreak)
	require.True(h.t, strings.HasPrefix(b.ResolvedBy, "file/"), "break %v", b)
	res, err := h.cls["broker-1"].Query(ctx, client.QueryPathKey, trading.HeldKey(date, "broker-1"), 0, false)
	require.NoError(h.t, err)
	require.Nil(h.t, res.Value, "the held settlement is gone once released")
	var after custodyv1.Funds
	d.proven(ctx, funds.FundsKey(acct), &after)
	require.Equal(h.t, before.Unsettled-held.Proceeds[0].Amount, after.Unsettled)
}
