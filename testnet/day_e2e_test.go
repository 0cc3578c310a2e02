package testnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/adjustments"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/fees"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestE2E_TradingDay plays two business days on the default four-node
// network: the clearing house opens the first day and lists instruments;
// clients (through broker-1) buy, partially fill, cancel, buy and resell an
// ETF the same day (T+0), and are refused selling a T+1 purchase; the
// clearing house clears the day against its trade file and the bank
// reconciles; on day 2 the clients sell what they bought, the trade file is
// wrong by one fen and the bank's statement by one client, so a settlement
// break and a reconciliation break are recorded. On day 3 (issue #18) the
// bank deposits, resends and reverses a transfer, bank and broker resolve
// the reconciliation break with an adjustment, and the clearing house's
// corrected file releases the settlement the break held. Every node must agree on
// the app hash at every height and hold the same settlement reports and
// reconciliation results, byte for byte; the invariants hold everywhere.
func TestE2E_TradingDay(t *testing.T) {
	clients := 24
	if testing.Short() {
		clients = 8
	}
	start := time.Now()
	m := DefaultManifest()
	m.TimeoutCommit = Duration{300 * time.Millisecond}
	m.KeysPerParticipant = 4
	tn, l, _ := startNetwork(t, m)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	h := newHarness(t, ctx, tn, l)
	d := &day{h: h, orders: map[string]*dayOrder{}}

	phase := func(name string, fn func()) {
		t0 := time.Now()
		fn()
		t.Logf("%-28s %s", name, time.Since(t0).Round(10*time.Millisecond))
	}
	phase("open accounts", func() { d.openClients(ctx, clients) })
	phase("open the first day", func() { d.clearing(ctx, 0, day1Date, nil, d.listings(), nil) })
	phase("day 1 trading", func() { d.tradeDay1(ctx) })
	phase("day 1 clearing", func() {
		d.clearing(ctx, day1Date, day2Date, d.tradeFile(0), nil, d.closingPrices())
		d.checkReport(ctx, day1Date, false)
	})
	phase("day 1 reconciliation", func() { d.statement(ctx, day1Date, false) })
	phase("day 2 trading", func() { d.tradeDay2(ctx) })
	var rightFile []*custodyv1.TradeTotals
	phase("day 2 clearing (break)", func() {
		rightFile = d.tradeFile(0)
		d.clearing(ctx, day2Date, day3Date, d.tradeFile(1), nil, d.closingPrices())
		d.checkReport(ctx, day2Date, true)
	})
	phase("day 2 reconciliation (break)", func() { d.statement(ctx, day2Date, true) })
	phase("day 3 reversal and resends", func() { d.reversal(ctx) })
	phase("adjustment resolves the break", func() { d.adjustment(ctx, day2Date) })
	phase("held settlement released", func() { d.releaseHeld(ctx, day2Date, rightFile) })
	phase("outcomes and invariants", func() {
		h.checkOutcomes(ctx)
		h.checkInvariants(ctx)
	})
	phase("same records everywhere", func() { d.sameRecordsEverywhere(ctx) })
	phase("same blocks everywhere", func() { h.sameBlocksEverywhere(ctx, t) })
	t.Logf("trading day e2e: %d clients, %d txs in %s", clients, len(h.sent), time.Since(start).Round(time.Second))
}

const (
	day1Date uint32 = 20250102
	day2Date uint32 = 20250103
	day3Date uint32 = 20250106
)

type dayOrder struct {
	id, acct, sec string
	buy           bool
	qty, filled   int64
	raw           int64 // Σ price × quantity of its fills
}

// day is the trading script's own record of what it sent: orders, fills,
// the values of the clearing house's trade file.
type day struct {
	h        *harness
	accts    []string
	orders   map[string]*dayOrder
	nFill    int
	fills    int   // today's fills
	buyVal   int64 // today's buy value (fen)
	sellVal  int64
	lastFill map[string]int64
	refs     map[string]int64
	v        *client.Verifier
}

// order reads the script's record of an order (goroutines share it).
func (d *day) order(id string) *dayOrder {
	d.h.mu.Lock()
	defer d.h.mu.Unlock()
	return d.orders[id]
}

var dayInstruments = []struct {
	sec   string
	board custodyv1.Board
	ref   int64
	cycle custodyv1.SettlementCycle
}{
	{"600000.SH", custodyv1.Board_BOARD_MAIN, 100_000, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1},
	{"000001.SZ", custodyv1.Board_BOARD_MAIN, 120_000, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1},
	{"300750.SZ", custodyv1.Board_BOARD_CHINEXT, 2_000_000, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1},
	{"688981.SH", custodyv1.Board_BOARD_STAR, 500_000, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1},
	{"510300.SH", custodyv1.Board_BOARD_FUND, 40_000, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T0},
}

func (d *day) listings() []*custodyv1.Instrument {
	d.refs = map[string]int64{}
	var out []*custodyv1.Instrument
	for _, in := range dayInstruments {
		out = append(out, &custodyv1.Instrument{Security: in.sec, Name: in.sec, Board: in.board, ReferencePrice: in.ref, Cycle: in.cycle})
		d.refs[in.sec] = in.ref
	}
	return out
}

func (d *day) openClients(ctx context.Context, n int) {
	h := d.h
	brokers, banks := h.keys["broker-1"], h.keys["bank-1"]
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("TR-%03d", i)
		seed := sha256.Sum256([]byte("trading day client " + id))
		h.clKey[id] = ed25519.NewKeyFromSeed(seed[:])
		d.accts = append(d.accts, id)
	}
	hash := func(id, what string) []byte {
		s := sha256.Sum256([]byte("salt|" + what + "|" + id))
		return s[:]
	}
	parallel(len(brokers), func(k int) {
		for i := k; i < n; i += len(brokers) {
			id := d.accts[i]
			h.submit(ctx, h.clientFor(k), brokers[k].Key, h.opening(id, brokers[k].Participant, &custodyv1.OpeningRequest{
				IdentityHash: hash(id, "id"), BankCardHash: hash(id, "card"), BankId: "bank-1",
				ShareholderAccounts: []string{"A000000001", "0000000001"},
			}), "open "+id, nil)
		}
	})
	h.drain(ctx)
	parallel(len(banks), func(k int) {
		for i := k; i < n; i += len(banks) {
			id := d.accts[i]
			h.submit(ctx, h.clientFor(k), banks[k].Key, client.ConfirmAccountMsg(id, h.clKey[id].Public().(ed25519.PublicKey)), "confirm "+id, nil)
			h.submit(ctx, h.clientFor(k), banks[k].Key, &custodyv1.MsgBankToBroker{TransferId: "TD-" + id, AccountId: id, Amount: 100_000_000}, "deposit "+id, nil)
		}
	})
	h.drain(ctx)
}

// clearing sends the clearing house's end of day and waits for its block.
func (d *day) clearing(ctx context.Context, date, next uint32, totals []*custodyv1.TradeTotals, insts []*custodyv1.Instrument, closing []*custodyv1.ClosingPrice) {
	h := d.h
	ch := h.keys["clearing-house-1"][0]
	h.submit(ctx, h.clientFor(3), ch.Key, &custodyv1.MsgEndOfDay{Date: date, NextDate: next, TradeTotals: totals,
		Instruments: insts, ClosingPrices: closing}, fmt.Sprintf("end of day %d", date), nil)
	h.drain(ctx)
	d.fills, d.buyVal, d.sellVal, d.lastFill = 0, 0, 0, map[string]int64{}
}

// place has the client sign a ticket and its broker (key k) submit it.
func (d *day) place(ctx context.Context, k int, acct, suffix, sec string, buy bool, price, qty int64, date uint32, want error) {
	h := d.h
	side := custodyv1.Side_SIDE_SELL
	if buy {
		side = custodyv1.Side_SIDE_BUY
	}
	tk := &custodyv1.OrderTicket{ChainId: h.tn.ChainID, OrderId: acct + "/" + suffix, AccountId: acct, Security: sec,
		Side: side, Type: custodyv1.OrderType_ORDER_TYPE_LIMIT, Price: price, Quantity: qty, BusinessDate: date}
	msg, err := client.PlaceOrderMsg(h.clKey[acct], tk)
	require.NoError(h.t, err)
	h.submit(ctx, h.clientFor(k), h.keys["broker-1"][k].Key, msg, "place "+tk.OrderId, want)
	if want == nil {
		h.mu.Lock()
		d.orders[tk.OrderId] = &dayOrder{id: tk.OrderId, acct: acct, sec: sec, buy: buy, qty: qty}
		h.mu.Unlock()
	}
}

// fill reports a fill and books its value the way the contract does
// (cumulative over the order, rounded half up to the fen).
func (d *day) fill(ctx context.Context, k int, orderID string, price, qty int64) {
	h := d.h
	h.mu.Lock()
	d.nFill++
	exec := fmt.Sprintf("EX-%05d", d.nFill)
	o := d.orders[orderID]
	before := o.raw
	o.raw += price * qty
	o.filled += qty
	value := fees.ValueFen(o.raw) - fees.ValueFen(before)
	d.fills++
	if o.buy {
		d.buyVal += value
	} else {
		d.sellVal += value
	}
	d.lastFill[o.sec] = price
	h.mu.Unlock()
	h.submit(ctx, h.clientFor(k), h.keys["broker-1"][k].Key, &custodyv1.MsgReportFill{ExecId: exec, OrderId: orderID, Price: price, Quantity: qty}, "fill "+exec, nil)
}

func (d *day) tradeDay1(ctx context.Context) {
	h := d.h
	n := len(d.accts)
	// Each client buys one share class (T+1) and the ETF (T+0).
	parallel(4, func(k int) {
		for i := k; i < n; i += 4 {
			in := dayInstruments[i%4]
			qty := int64(100 * (1 + i%5))
			if in.board == custodyv1.Board_BOARD_STAR {
				qty = 200 + int64(i)
			}
			d.place(ctx, k, d.accts[i], "b1", in.sec, true, in.ref, qty, day1Date, nil)
			d.place(ctx, k, d.accts[i], "e1", "510300.SH", true, 40_000, 1000, day1Date, nil)
		}
	})
	// A ticket for tomorrow is refused today.
	d.place(ctx, 0, d.accts[0], "tomorrow", "600000.SH", true, 100_000, 100, day2Date, trading.ErrWrongBusinessDate)
	h.drain(ctx)
	// Fills: even clients in full, odd ones half, at or below their limit.
	parallel(4, func(k int) {
		for i := k; i < n; i += 4 {
			o := d.order(d.accts[i] + "/b1")
			in := dayInstruments[i%4]
			if i%2 == 0 {
				d.fill(ctx, k, o.id, in.ref, o.qty)
			} else {
				d.fill(ctx, k, o.id, in.ref-100, o.qty/2)
			}
			d.fill(ctx, k, d.accts[i]+"/e1", 39_990, 1000)
		}
	})
	h.drain(ctx)
	parallel(4, func(k int) {
		for i := k; i < n; i += 4 {
			acct := d.accts[i]
			in := dayInstruments[i%4]
			// T+0: the ETF bought today is sold today.
			d.place(ctx, k, acct, "e2", "510300.SH", false, 40_010, 1000, day1Date, nil)
			// T+1: today's purchase may not be sold.
			qty := int64(100)
			if in.board == custodyv1.Board_BOARD_STAR {
				qty = 200
			}
			d.place(ctx, k, acct, "x1", in.sec, false, in.ref, qty, day1Date, trading.ErrInsufficientQty)
			if i%2 == 1 {
				cm, err := client.CancelOrderMsg(h.clKey[acct], h.tn.ChainID, acct+"/b1")
				require.NoError(h.t, err)
				h.submit(ctx, h.clientFor(k), h.keys["broker-1"][k].Key, cm, "cancel "+acct+"/b1", nil)
			}
		}
	})
	h.drain(ctx)
	parallel(4, func(k int) {
		for i := k; i < n; i += 4 {
			d.fill(ctx, k, d.accts[i]+"/e2", 40_010, 1000)
		}
	})
	// A fill reported twice is refused.
	h.submit(ctx, h.clientFor(0), h.keys["broker-1"][0].Key, &custodyv1.MsgReportFill{ExecId: "EX-00001", OrderId: d.accts[0] + "/b1", Price: 100_000, Quantity: 1},
		"fill reported twice", trading.ErrDuplicateExec)
	h.drain(ctx)
}

func (d *day) tradeDay2(ctx context.Context) {
	h := d.h
	n := len(d.accts)
	parallel(4, func(k int) {
		for i := k; i < n; i += 4 {
			o := d.order(d.accts[i] + "/b1")
			d.place(ctx, k, d.accts[i], "s1", o.sec, false, d.refs[o.sec], o.filled, day2Date, nil)
		}
	})
	h.drain(ctx)
	parallel(4, func(k int) {
		for i := k; i < n; i += 4 {
			o := d.order(d.accts[i] + "/s1")
			d.fill(ctx, k, o.id, d.refs[o.sec], o.qty)
		}
	})
	h.drain(ctx)
}

// tradeFile is the clearing house's own totals for broker-1, off by wrong
// fen.
func (d *day) tradeFile(wrong int64) []*custodyv1.TradeTotals {
	return []*custodyv1.TradeTotals{{BrokerId: "broker-1", FillCount: uint32(d.fills), BuyValue: d.buyVal + wrong, SellValue: d.sellVal}}
}

func (d *day) closingPrices() []*custodyv1.ClosingPrice {
	var out []*custodyv1.ClosingPrice
	for _, in := range dayInstruments {
		if p, ok := d.lastFill[in.sec]; ok {
			out = append(out, &custodyv1.ClosingPrice{Security: in.sec, Price: p})
			d.refs[in.sec] = p
		}
	}
	return out
}

// checkReport reads broker-1's report of date with a proof and checks it
// against the script's own figures.
func (d *day) checkReport(ctx context.Context, date uint32, wantBreak bool) {
	h := d.h
	r := d.proven(ctx, clearing.ReportKey(date, "broker-1"), &custodyv1.SettlementReport{}).(*custodyv1.SettlementReport)
	require.Equal(h.t, wantBreak, r.SettlementBreak, "report %v", r)
	require.Equal(h.t, r.NetObligation+r.FeeTotal, r.NetCash)
	require.Equal(h.t, r.ClearingHouseTotals.FillCount, r.FillCount)
	require.Positive(h.t, r.FillCount)
	if !wantBreak {
		require.Equal(h.t, r.ClearingHouseTotals.BuyValue, r.BuyValue)
		require.Equal(h.t, r.ClearingHouseTotals.SellValue, r.SellValue)
	}
	h.t.Logf("report %d: %d fills, buys %d, sells %d, fees %d, net obligation %d, break %v",
		date, r.FillCount, r.BuyValue, r.SellValue, r.FeeTotal, r.NetObligation, r.SettlementBreak)
	s := d.proven(ctx, funds.SystemAccountKey(funds.BrokerSettlement("broker-1")), &custodyv1.SystemAccount{}).(*custodyv1.SystemAccount)
	require.Zero(h.t, s.Balance, "broker-1's settlement account after clearing")
}

// statement: bank-1 reconciles date from balances read (with proofs) right
// after clearing; wrong adds a fen to one client.
func (d *day) statement(ctx context.Context, date uint32, wrong bool) {
	h := d.h
	ids := append([]string(nil), d.accts...)
	sort.Strings(ids)
	bals := make([]int64, len(ids))
	var total, height int64
	for i, id := range ids {
		var f custodyv1.Funds
		height = d.provenAt(ctx, funds.FundsKey(id), height, &f) // all at one height
		bals[i] = f.Balance
		total += f.Balance
	}
	if wrong {
		bals[0]++
	}
	bank := h.keys["bank-1"][0]
	h.submit(ctx, h.clientFor(0), bank.Key, &custodyv1.MsgSubmitStatement{Date: date, BrokerId: "broker-1", CustodyTotal: total,
		ClientCount: uint32(len(ids)), ClientsHash: clearing.ClientsHash(ids, bals)}, fmt.Sprintf("statement %d", date), nil)
	h.drain(ctx)
	r := d.proven(ctx, reconcile.ResultKey(date, "bank-1", "broker-1"), &custodyv1.ReconResult{}).(*custodyv1.ReconResult)
	want := custodyv1.ReconStatus_RECON_STATUS_MATCH
	if wrong {
		want = custodyv1.ReconStatus_RECON_STATUS_BREAK
	}
	require.Equal(h.t, want, r.Status, "reconciliation %v", r)
	require.Equal(h.t, r.BankTotal, r.ChainTotal)
}

// proven reads key from broker-1's node with a proof against headers from
// bank-1's, cross-checked by the regulator's (one light client, trusting
// block 1, for the whole test).
func (d *day) proven(ctx context.Context, key []byte, m proto.Message) proto.Message {
	d.provenAt(ctx, key, 0, m)
	return m
}

// provenAt is proven at a height (0: the latest) and returns the height read.
func (d *day) provenAt(ctx context.Context, key []byte, height int64, m proto.Message) int64 {
	h := d.h
	if d.v == nil {
		one := int64(1)
		b1, err := h.rpcs["bank-1"].Block(ctx, &one)
		require.NoError(h.t, err)
		d.v, err = client.NewVerifier(ctx, client.LightConfig{ChainID: h.tn.ChainID, Primary: h.tn.Node("bank-1").RPCURL(),
			Witnesses: []string{h.tn.Node("regulator-1").RPCURL()}, TrustHeight: 1, TrustHash: b1.BlockID.Hash})
		require.NoError(h.t, err)
		h.t.Cleanup(func() { _ = d.v.Close() })
	}
	p, err := h.cls["broker-1"].ProvenMessage(ctx, d.v, key, height, m)
	require.NoError(h.t, err, "proven read of %x", key)
	return p.Height
}

// sameRecordsEverywhere reads the settlement reports, breaks, snapshots
// and reconciliation results of both days at one height from every node:
// the same bytes.
func (d *day) sameRecordsEverywhere(ctx context.Context) {
	h := d.h
	height := h.height(ctx, h.t, "bank-1") - 1
	keys := [][]byte{trading.BusinessDayKey()}
	for _, date := range []uint32{day1Date, day2Date} {
		keys = append(keys, clearing.ReportKey(date, "broker-1"), clearing.BreakKey(date, "broker-1"),
			clearing.SnapshotKey(date, "bank-1", "broker-1"), reconcile.ResultKey(date, "bank-1", "broker-1"),
			reconcile.BreakKey(date, "bank-1", "broker-1"))
	}
	keys = append(keys, transfers.TransferKey("bank-1", "REV-1"), transfers.TransferKey("bank-1", "REV-1#R"),
		adjustments.Key("ADJ-1"), trading.HeldKey(day2Date, "broker-1"))
	present := 0
	for _, k := range keys {
		var first []byte
		for i, n := range h.running() {
			res, err := h.cls[n.Name].Query(ctx, client.QueryPathKey, k, height, false)
			require.NoError(h.t, err)
			if i == 0 {
				first = res.Value
				if first != nil {
					present++
				}
				continue
			}
			require.True(h.t, bytes.Equal(first, res.Value), "key %x at %d: %s differs", k, height, n.Name)
		}
	}
	// Day 1 matched (no settlement or reconciliation break), day 2 broke
	// twice: 1 + 2 × 3 + 2 keys present; then the day-3 reversal and its
	// original, and the adjustment (the held settlement is gone).
	require.Equal(h.t, 12, present, "records present at height %d", height)
	raw, err := h.cls["regulator-1"].QueryJSON(ctx, "reconciliation-breaks")
	require.NoError(h.t, err)
	require.Contains(h.t, string(raw), `"date":20250103`)
}
