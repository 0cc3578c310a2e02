package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// Phase is one step of the scripted day.
type Phase struct {
	// Name is short ("clearing"), Title says what happens.
	Name, Title string
	run         func(*Demo, context.Context) (note string, err error)
}

// phases is the day, in order. Each function reads as its script.
var phases = []Phase{
	{"network", "four validators on loopback: bank, broker, regulator, clearing house", (*Demo).startNetwork},
	{"exchange", "SZSE Binary gateway and SSE order database simulators on loopback", (*Demo).startExchange},
	{"accounts", "the broker opens nine accounts, the bank confirms and funds them", (*Demo).openAccounts},
	{"risk core", "capture on the link, onboarding from the chain, anchoring as risk-1", (*Demo).startRiskCore},
	{"open day", "the clearing house opens the business day and lists five securities", (*Demo).openDay},
	{"trading", "orders, fills and cancels on both markets; a T+1 sale refused", (*Demo).trading},
	{"T+0", "an ETF bought and sold the same day; withdrawing the proceeds refused", (*Demo).sameDay},
	{"spoofing", "three bids of 300 000 shares, each cancelled at once", (*Demo).spoofing},
	{"wash trade", "associated accounts (a married couple) trade the ETF back and forth", (*Demo).washTrade},
	{"burst", "400 orders in well under a second: past the 300-per-second threshold", (*Demo).burst},
	{"clearing", "end of day: net settlement, fees paid out, T+1 rolled, orders expired", (*Demo).clearing},
	{"reconciliation", "the bank's statement against the chain's snapshot, with a deliberate break", (*Demo).reconciliation},
	{"corrections", "a deposit keyed twice reversed (冲正); the break resolved by an adjustment (调账)", (*Demo).corrections},
	{"settled", "ACC-05 withdraws its proceeds, settled by clearing; the bank pays", (*Demo).settled},
	{"alerts", "every alert raised, anchored on chain and verified with proofs", (*Demo).alertsAnchored},
	{"interest", "the quiet days to the bank's settlement day: the quarter's interest (结息), filed by the bank", (*Demo).interest},
	{"checks", "invariants on every node, the same app hash everywhere, REST reads with proofs", (*Demo).checks},
}

// Phases lists the day's phases in order.
func Phases() []Phase { return append([]Phase(nil), phases...) }

// startNetwork generates the default network with risk-1 in its genesis
// and starts every node.
func (d *Demo) startNetwork(ctx context.Context) (string, error) {
	m := testnet.DefaultManifest()
	if d.cfg.TimeoutCommit > 0 {
		m.TimeoutCommit = testnet.Duration{Duration: d.cfg.TimeoutCommit}
	}
	// Ports are picked free, then bound by the nodes; on a busy machine one
	// may be taken in between: generate another network.
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = d.tryNetwork(ctx, m); err == nil || !strings.Contains(err.Error(), "already in use") && !strings.Contains(err.Error(), "is taken") {
			break
		}
		d.logf("network: %v; generating another", err)
		if d.l != nil {
			_ = d.l.StopAll()
		}
	}
	if err != nil {
		return "", err
	}
	d.keys = map[string]ed25519.PrivateKey{}
	ks, err := d.tn.Keys()
	if err != nil {
		return "", err
	}
	for id, list := range ks {
		d.keys[id] = list[0].Key
	}
	d.keys[RiskOperator] = d.opKey
	d.cls = map[string]*client.Client{}
	for _, n := range d.tn.Nodes {
		// Each node's client reads as the institution that runs the node
		// (the node answers a query for the key whose credential it
		// carries); a node no institution runs reads as the regulator.
		reader := d.keys[n.Participant]
		if reader == nil {
			reader = d.keys[Regulator]
		}
		c, err := client.Dial(ctx, n.RPCURL(), d.tn.ChainID, client.Options{ReadKey: reader})
		if err != nil {
			return "", err
		}
		d.cls[n.Name] = c
	}
	// One light client for every proven read: headers from the bank's
	// node, cross-checked by the regulator's, trusting header 1 as the
	// clearing house's node reports it.
	rpc, err := testnet.NewRPC(d.tn.Node(d.nodeOf(ClearingHouse)))
	if err != nil {
		return "", err
	}
	one := int64(1)
	b1, err := rpc.Block(ctx, &one)
	if err != nil {
		return "", err
	}
	d.v, err = client.NewVerifier(ctx, client.LightConfig{ChainID: d.tn.ChainID, Primary: d.tn.Node(d.nodeOf(Bank)).RPCURL(),
		Witnesses: []string{d.tn.Node(d.nodeOf(Regulator)).RPCURL()}, TrustHeight: 1, TrustHash: b1.BlockID.Hash})
	if err != nil {
		return "", err
	}
	d.rest = d.probeREST(ctx)
	return fmt.Sprintf("%d validators of %s running, homes under %s", len(d.tn.Validators()), d.tn.ChainID, d.cfg.Dir), nil
}

func (d *Demo) tryNetwork(ctx context.Context, m testnet.Manifest) error {
	tn, err := testnet.Generate(d.cfg.Dir, m, testnet.GenerateOptions{Force: true})
	if err != nil {
		return err
	}
	op, err := tn.AddRiskOperator(RiskOperator)
	if err != nil {
		return err
	}
	if err := d.pickRiskAdmin(tn); err != nil {
		return err
	}
	d.opKey = op.Key
	l := testnet.NewLauncher(tn, d.cfg.Nodes)
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	d.mu.Lock()
	d.tn, d.l = tn, l
	d.mu.Unlock()
	if err := l.StartAll(sctx); err != nil {
		return err
	}
	// Wait for height 2 everywhere: header 1 is then signed by the commit
	// of block 2, which the light client needs.
	for _, n := range tn.Nodes {
		if _, err := testnet.WaitForHeight(sctx, n, 2); err != nil {
			return err
		}
	}
	return d.saveClientKeys()
}

// startExchange starts both simulators on loopback.
func (d *Demo) startExchange(context.Context) (string, error) {
	sim, err := exchsim.Start()
	if err != nil {
		return "", err
	}
	d.sim = sim
	return fmt.Sprintf("SZSE gateway %s, SSE order database %s", sim.SZSEAddr(), sim.SSEAddr()), nil
}

// openAccounts: the three-party agreement. Each client signs its opening
// request with its own key (identity and card only as keyed hashes, its
// public key, a shareholder account per exchange) and hands it to the
// broker, who submits it; the bank confirms, naming the key the client gave
// it at its counter, which registers the client's key, and transfers the
// client's first deposit from the client's own bank account (银转证). One
// more opening shows why the bank names the key: the broker generated a key
// for ACC-10 itself, the bank names the client's own, the chain refuses
// and the bank rejects the opening.
func (d *Demo) openAccounts(ctx context.Context) (string, error) {
	broker, bank := d.nodeOf(Broker), d.nodeOf(Bank)
	secret, err := d.tn.IdentitySecret()
	if err != nil {
		return "", err
	}
	brokersKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xb0}, ed25519.SeedSize))
	for _, c := range append(slices.Clone(Clients), impostor) {
		key := c.Key()
		if c.ID == impostor.ID {
			key = brokersKey
		}
		m, err := c.opening(d.tn.ChainID, secret, key)
		if err != nil {
			return "", err
		}
		if err := d.send(ctx, broker, d.keys[Broker], m, "open "+c.ID); err != nil {
			return "", err
		}
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	if err := d.refuse(ctx, bank, d.keys[Bank], client.ConfirmAccountMsg(impostor.ID, impostor.Key().Public().(ed25519.PublicKey)),
		"bank-1 confirms ACC-10 naming the client's own key, not the one the broker generated", accounts.ErrClientKeyMismatch); err != nil {
		return "", err
	}
	if err := d.send(ctx, bank, d.keys[Bank], client.RejectAccountMsg(impostor.ID, "client key differs from the one the client gave at the counter"), "reject "+impostor.ID); err != nil {
		return "", err
	}
	var total int64
	for _, c := range Clients {
		if err := d.send(ctx, bank, d.keys[Bank], client.ConfirmAccountMsg(c.ID, c.Key().Public().(ed25519.PublicKey)), "confirm "+c.ID); err != nil {
			return "", err
		}
		if err := d.send(ctx, bank, d.keys[Bank], &custodyv1.MsgBankToBroker{TransferId: "D-" + c.ID, AccountId: c.ID, Amount: c.Deposit}, "deposit to "+c.ID); err != nil {
			return "", err
		}
		total += c.Deposit
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	if err := d.setInterestRate(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d accounts opened by %s, confirmed by %s, %s deposited; %s's broker-generated key refused", len(Clients), Broker, Bank, yuan(total), impostor.ID), nil
}

// startRiskCore starts the risk core now that the accounts exist (it
// onboards them from the chain: each client's shareholder accounts form a
// group, joined with the configured family of ACC-07 and ACC-08), then
// checks the link.
func (d *Demo) startRiskCore(ctx context.Context) (string, error) {
	if err := d.startRisk(ctx); err != nil {
		return "", err
	}
	tries, err := d.linkCheck(ctx)
	if err != nil {
		return "", err
	}
	how := "riskd run (child process)"
	if d.cfg.Riskd == "" {
		how = "risk/daemon in process"
	}
	return fmt.Sprintf("%s capturing on %s; link check seen after %d try, admin %s", how, d.cfg.Iface, tries, d.risk.admin), nil
}

// openDay: the clearing house's first end_of_day (date 0) opens the
// business date and lists the day's securities at their reference prices.
func (d *Demo) openDay(ctx context.Context) (string, error) {
	var list []*custodyv1.Instrument
	for _, i := range instruments {
		list = append(list, i.listing())
	}
	m := &custodyv1.MsgEndOfDay{Date: 0, NextDate: d.date, Instruments: list}
	if err := d.send(ctx, d.nodeOf(ClearingHouse), d.keys[ClearingHouse], m, "open the day"); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	bd, err := d.cls[d.nodeOf(Broker)].BusinessDay(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("business date %d, %d securities listed", bd.Date, len(list)), nil
}

// trading: ordinary orders on both markets. The broker places each on
// chain (the client's ticket; the money is frozen), sends it to the
// exchange, and reports the exchange's fills on chain; cancels go to the
// exchange, then to the chain. A sale of today's T+1 purchase is refused
// by the chain before it could reach the exchange.
func (d *Demo) trading(ctx context.Context) (string, error) {
	a1 := d.newOrder("ACC-01", "b1", "600000.SH", true, 100_000, 1_000, 1_000)
	a2 := d.newOrder("ACC-01", "b2", "600000.SH", true, 99_000, 100, 0)
	b1 := d.newOrder("ACC-02", "b1", "000001.SZ", true, 120_000, 2_000, 1_000)
	c1 := d.newOrder("ACC-03", "b1", "300750.SZ", true, 2_000_000, 300, 300)
	e1 := d.newOrder("ACC-04", "b1", "688981.SH", true, 500_000, 200, 200)
	all := []*order{a1, a2, b1, c1, e1}
	if err := d.place(ctx, all...); err != nil {
		return "", err
	}
	if err := d.exchange(ctx, "trading", sendOrder(a1), sendOrder(a2), sendOrder(b1), sendOrder(c1), sendOrder(e1)); err != nil {
		return "", err
	}
	if err := d.reportFills(ctx, all...); err != nil {
		return "", err
	}
	if err := d.exchange(ctx, "cancels", d.cancelOrder(a2), d.cancelOrder(b1)); err != nil {
		return "", err
	}
	if err := d.cancel(ctx, a2, b1); err != nil {
		return "", err
	}
	sell := d.newOrder("ACC-01", "s1", "600000.SH", false, 100_000, 1_000, 0)
	msg, err := client.PlaceOrderMsg(sell.cl.Key(), d.ticket(sell))
	if err != nil {
		return "", err
	}
	if err := d.refuse(ctx, d.nodeOf(Broker), d.keys[Broker], msg, "ACC-01 sells the 600000.SH it bought today (T+1)", trading.ErrInsufficientQty); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d orders, %d fills on SSE and SZSE, 2 cancels; the T+1 sale refused (%s)", len(all), d.fillsOf(all...), d.refusals[len(d.refusals)-1].Code), nil
}

func (d *Demo) fillsOf(orders ...*order) int {
	n := 0
	for _, o := range orders {
		n += len(o.fills)
	}
	return n
}

// sameDay: ACC-05 buys the ETF and sells it again (T+0). The sale's
// proceeds are usable at once but withdrawable only after clearing, so
// asking for the whole balance is refused; ACC-01's withdrawal of cash it
// has had since the morning is paid by the bank.
func (d *Demo) sameDay(ctx context.Context) (string, error) {
	buy := d.newOrder("ACC-05", "e1", "510300.SH", true, 40_000, 10_000, 10_000)
	if err := d.place(ctx, buy); err != nil {
		return "", err
	}
	if err := d.exchange(ctx, "etf buy", sendOrder(buy)); err != nil {
		return "", err
	}
	if err := d.reportFills(ctx, buy); err != nil {
		return "", err
	}
	sell := d.newOrder("ACC-05", "e2", "510300.SH", false, 40_100, 10_000, 10_000)
	if err := d.place(ctx, sell); err != nil {
		return "", err
	}
	if err := d.exchange(ctx, "etf sell", sendOrder(sell)); err != nil {
		return "", err
	}
	if err := d.reportFills(ctx, sell); err != nil {
		return "", err
	}
	c5 := clientByID("ACC-05")
	f, _, err := d.as(Broker).ProvenFunds(ctx, d.v, c5.ID)
	if err != nil {
		return "", err
	}
	w := &custodyv1.MsgRequestWithdrawal{TransferId: c5.ID + "/W1", AccountId: c5.ID, Amount: f.Balance}
	if err := d.refuse(ctx, d.nodeOf(Broker), c5.Key(), w, "ACC-05 withdraws its whole balance, today's sale proceeds included", funds.ErrOverdraft); err != nil {
		return "", err
	}
	if err := d.withdraw(ctx, clientByID("ACC-01"), "W1", 500_000); err != nil {
		return "", err
	}
	return fmt.Sprintf("ACC-05 balance %s, withdrawable %s: withdrawal of %s refused (%s); ACC-01 withdrew 5 000.00",
		yuan(f.Balance), yuan(f.Withdrawable), yuan(f.Balance), d.refusals[len(d.refusals)-1].Code), nil
}

// withdraw: the client signs a broker-to-bank request (证转银), which
// freezes the amount; the bank pays it out and confirms.
func (d *Demo) withdraw(ctx context.Context, c Client, suffix string, amount int64) error {
	id := c.ID + "/" + suffix
	if err := d.send(ctx, d.nodeOf(Broker), c.Key(), &custodyv1.MsgRequestWithdrawal{TransferId: id, AccountId: c.ID, Amount: amount}, "withdrawal "+id); err != nil {
		return err
	}
	if _, err := d.settle(ctx); err != nil {
		return err
	}
	if err := d.send(ctx, d.nodeOf(Bank), d.keys[Bank], &custodyv1.MsgConfirmWithdrawal{TransferId: id, Success: true}, "bank pays "+id); err != nil {
		return err
	}
	h, err := d.settle(ctx)
	d.ledgerH = max(d.ledgerH, h)
	return err
}

// spoofing: ACC-06 bids 300 000 shares of 600000.SH below the market three
// times and cancels each at once: large orders not meant to trade.
func (d *Demo) spoofing(ctx context.Context) (string, error) {
	var orders []*order
	var actions []exchsim.Action
	for i := 1; i <= 3; i++ {
		o := d.newOrder("ACC-06", fmt.Sprintf("s%d", i), "600000.SH", true, 99_000, 300_000, 0)
		orders = append(orders, o)
	}
	if err := d.place(ctx, orders...); err != nil {
		return "", err
	}
	for _, o := range orders {
		actions = append(actions, sendOrder(o), d.cancelOrder(o))
	}
	if err := d.exchange(ctx, "spoofing", actions...); err != nil {
		return "", err
	}
	if err := d.cancel(ctx, orders...); err != nil {
		return "", err
	}
	return "ACC-06 placed and cancelled 3 × 300 000 shares of 600000.SH at 9.90", nil
}

// washTrade: ACC-07 buys 20 000 ETF shares, then ACC-07 and ACC-08
// (spouses: associated accounts) sell 10 000 shares to each other at 4.00,
// four times. The exchange fills each order in two reports, so the
// risk core sees eight matched buy-sell pairs between associated accounts.
func (d *Demo) washTrade(ctx context.Context) (string, error) {
	w0 := d.newOrder("ACC-07", "w0", "510300.SH", true, 39_900, 20_000, 20_000)
	if err := d.place(ctx, w0); err != nil {
		return "", err
	}
	if err := d.exchange(ctx, "wash: first buy", sendOrder(w0)); err != nil {
		return "", err
	}
	if err := d.reportFills(ctx, w0); err != nil {
		return "", err
	}
	for r := 1; r <= 4; r++ {
		seller, buyer := "ACC-07", "ACC-08"
		if r%2 == 0 {
			seller, buyer = buyer, seller
		}
		s := d.newOrder(seller, fmt.Sprintf("w%ds", r), "510300.SH", false, 40_000, 10_000, 10_000)
		b := d.newOrder(buyer, fmt.Sprintf("w%db", r), "510300.SH", true, 40_000, 10_000, 10_000)
		if err := d.place(ctx, s, b); err != nil {
			return "", err
		}
		if err := d.exchange(ctx, fmt.Sprintf("wash round %d", r), sendOrder(s), sendOrder(b)); err != nil {
			return "", err
		}
		if err := d.reportFills(ctx, s, b); err != nil {
			return "", err
		}
	}
	return "ACC-07 ⇄ ACC-08: 4 rounds of 10 000 510300.SH at 4.00", nil
}

// burst: ACC-09's algorithm places 400 small bids on chain, then sends
// them to the exchange back to back; none fills, all expire at clearing.
func (d *Demo) burst(ctx context.Context) (string, error) {
	var orders []*order
	var actions []exchsim.Action
	for i := 0; i < 400; i++ {
		o := d.newOrder("ACC-09", fmt.Sprintf("p%03d", i), "000001.SZ", true, 118_000+int64(i%7)*100, 100, 0)
		orders = append(orders, o)
		actions = append(actions, sendOrder(o))
	}
	if err := d.place(ctx, orders...); err != nil {
		return "", err
	}
	t0 := time.Now()
	if err := d.exchange(ctx, "burst", actions...); err != nil {
		return "", err
	}
	took := time.Since(t0)
	return fmt.Sprintf("ACC-09: 400 orders on chain, then on the SZSE link in %s", took.Round(time.Millisecond)), nil
}

// clearing: the clearing house closes the day against its own trade file
// (the exchange's fills of broker-1) and sets the closing prices.
func (d *Demo) clearing(ctx context.Context) (string, error) {
	var closing []*custodyv1.ClosingPrice
	for _, i := range instruments {
		if p, ok := d.wire.last[i.security]; ok {
			closing = append(closing, &custodyv1.ClosingPrice{Security: i.security, Price: p})
		}
	}
	m := &custodyv1.MsgEndOfDay{Date: d.date, NextDate: d.next, ClosingPrices: closing,
		TradeTotals: []*custodyv1.TradeTotals{{BrokerId: Broker, FillCount: d.wire.fills, BuyValue: d.wire.buyValue, SellValue: d.wire.sellValue}}}
	if err := d.send(ctx, d.nodeOf(ClearingHouse), d.keys[ClearingHouse], m, fmt.Sprintf("end of day %d", d.date)); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	r, _, err := d.as(Broker).ProvenReport(ctx, d.v, d.date, Broker)
	if err != nil {
		return "", err
	}
	brk := "matches the trade file"
	if r.SettlementBreak {
		brk = "SETTLEMENT BREAK"
	}
	return fmt.Sprintf("%s: %d fills, net %s to the clearing house, fees %s; %s; next date %d",
		Broker, r.FillCount, yuan(r.NetObligation), yuan(r.FeeTotal), brk, d.next), nil
}

// breakFrom and breakTo are the deliberate break: the broker's counter
// posted 100.00 of a deposit for ACC-04 to ACC-03 on chain, so the bank's
// mirror accounts (which are right) carry 100.00 less for ACC-03 and more
// for ACC-04 than the chain. The corrections phase resolves it.
const (
	breakFrom   = "ACC-03"
	breakTo     = "ACC-04"
	breakAmount = 10_000
)

// reconciliation: the bank submits its statement for the cleared date from
// its own books — each client's balance, read from the chain with proofs
// after clearing, as its mirror accounts were posted — except that one
// posting went to the wrong client on the chain's side. The totals agree (总分核对 holds); the
// per-client hash does not (明细核对 breaks).
func (d *Demo) reconciliation(ctx context.Context) (string, error) {
	ids := make([]string, 0, len(Clients))
	for _, c := range Clients {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	bals := make([]int64, len(ids))
	var total, height int64
	c := d.as(Bank)
	for i, id := range ids {
		var f custodyv1.Funds
		p, err := c.ProvenMessage(ctx, d.v, funds.FundsKey(id), height, &f)
		if err != nil {
			return "", err
		}
		height = p.Height // every balance at one height
		bals[i] = f.Balance
		total += f.Balance
		switch id {
		case breakFrom:
			bals[i] -= breakAmount
		case breakTo:
			bals[i] += breakAmount
		}
	}
	m := &custodyv1.MsgSubmitStatement{Date: d.date, BrokerId: Broker, CustodyTotal: total,
		ClientCount: uint32(len(ids)), ClientsHash: clearing.ClientsHash(ids, bals)}
	// The mirror balances themselves, so check 2 names the accounts.
	for i, id := range ids {
		m.Balances = append(m.Balances, &custodyv1.AccountAmount{AccountId: id, Amount: bals[i]})
	}
	if err := d.send(ctx, d.nodeOf(Bank), d.keys[Bank], m, fmt.Sprintf("statement %d", d.date)); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	r, _, err := c.ProvenReconciliation(ctx, d.v, d.date, Bank, Broker)
	if err != nil {
		return "", err
	}
	if err := d.fileChecks(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%s %d: %s (bank total %s, chain %s; the chain has 100.00 of %s on %s)", Bank, Broker, d.date,
		statusName(r.Status), yuan(r.BankTotal), yuan(r.ChainTotal), breakTo, breakFrom), nil
}

// Corrections of the demo (issue #18).
const (
	dupDeposit   = "DEP-DUP"
	dupAmount    = 5_000 // 50.00
	adjustmentID = "ADJ-1"
)

// corrections: a teller keyed a 50.00 deposit for ACC-06 twice; the bank's
// system lost the first answer and resends it (the chain answers the first
// outcome, nothing is credited twice), then reverses the deposit (冲正) the
// same business day. Then the broker, having found its counter's misposting
// behind the reconciliation break, proposes an adjustment (调账) moving the
// 100.00 from ACC-03 to ACC-04 — nothing crosses the bank boundary — and
// the bank approves it (dual control): the break is resolved.
func (d *Demo) corrections(ctx context.Context) (string, error) {
	c6 := clientByID("ACC-06")
	before, _, err := d.cls[d.nodeOf(Bank)].ProvenFunds(ctx, d.v, c6.ID)
	if err != nil {
		return "", err
	}
	dep := &custodyv1.MsgBankToBroker{TransferId: dupDeposit, AccountId: c6.ID, Amount: dupAmount}
	for _, what := range []string{"deposit keyed twice", "the same deposit resent"} {
		if err := d.send(ctx, d.nodeOf(Bank), d.keys[Bank], dep, what); err != nil {
			return "", err
		}
		if _, err := d.settle(ctx); err != nil {
			return "", err
		}
	}
	if err := d.send(ctx, d.nodeOf(Bank), d.keys[Bank], &custodyv1.MsgReverseTransfer{TransferId: dupDeposit,
		Reason: "keyed twice at the counter"}, "reversal of the deposit"); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	after, _, err := d.cls[d.nodeOf(Broker)].ProvenFunds(ctx, d.v, c6.ID)
	if err != nil {
		return "", err
	}
	if after.Balance != before.Balance {
		return "", fmt.Errorf("ACC-06 had %s before the deposit and its reversal, %s after", yuan(before.Balance), yuan(after.Balance))
	}

	ref := &custodyv1.BreakRef{Kind: custodyv1.BreakKind_BREAK_KIND_RECONCILIATION, Date: d.date, BankId: Bank, BrokerId: Broker}
	if err := d.send(ctx, d.nodeOf(Broker), d.keys[Broker], &custodyv1.MsgProposeAdjustment{AdjustmentId: adjustmentID, Break: ref,
		Legs:   []*custodyv1.AdjustmentLeg{{AccountId: breakFrom, Amount: -breakAmount}, {AccountId: breakTo, Amount: breakAmount}},
		Reason: "counter posted 100.00 of ACC-04's deposit to ACC-03"}, "adjustment proposed"); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	if err := d.send(ctx, d.nodeOf(Bank), d.keys[Bank], &custodyv1.MsgApproveAdjustment{AdjustmentId: adjustmentID}, "adjustment approved"); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	r, _, err := d.cls[d.nodeOf(Broker)].ProvenReconciliation(ctx, d.v, d.date, Bank, Broker)
	if err != nil {
		return "", err
	}
	if r.ResolvedBy != "adj/"+adjustmentID {
		return "", fmt.Errorf("the break is resolved by %q, want adj/%s", r.ResolvedBy, adjustmentID)
	}
	return fmt.Sprintf("%s reversed (50.00, resent once: credited once); %s moved 100.00 from %s to %s: the break is resolved by %s",
		dupDeposit, adjustmentID, breakFrom, breakTo, r.ResolvedBy), nil
}

// settled: the day is cleared, ACC-05's proceeds are settled and its whole
// balance is now withdrawable. It waits out the risk core's wire-versus-
// ledger bound after the last fill first, so that this withdrawal, a
// chain event, moves the risk core's clock past every fill's deadline:
// a fill on one side only would then be an alert.
func (d *Demo) settled(ctx context.Context) (string, error) {
	if wait := time.Until(d.lastFill.Add(wireLedgerBound + time.Second)); wait > 0 {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(wait):
		}
	}
	c5 := clientByID("ACC-05")
	f, _, err := d.as(Broker).ProvenFunds(ctx, d.v, c5.ID)
	if err != nil {
		return "", err
	}
	if err := d.withdraw(ctx, c5, "W2", f.Balance); err != nil {
		return "", err
	}
	return fmt.Sprintf("ACC-05 withdrew %s, all of it now withdrawable", yuan(f.Balance)), nil
}

// alertsAnchored waits until the risk core has taken every captured event
// and every chain event up to the last withdrawal, and has anchored every
// alert; then checks each alert's inclusion proof against the batch root
// read from the chain with a proof.
func (d *Demo) alertsAnchored(ctx context.Context) (string, error) {
	deadline := time.Now().Add(90 * time.Second)
	var last string
	for {
		ok, why, err := d.riskCaughtUp(ctx)
		if err != nil {
			return "", err
		}
		if ok {
			break
		}
		last = why
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the risk core did not catch up within 90s: %s (see %s)", last, d.risk.logPath)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-d.risk.done:
			return "", fmt.Errorf("the risk core exited:\n%s", tail(d.risk.logPath, 15))
		case <-time.After(250 * time.Millisecond):
		}
	}
	as, err := d.verifyAlerts(ctx)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("%d alerts (%s), %d batches anchored by %s, every alert verified against the chain",
		as.Total, as.byRuleText(), as.Batches, RiskOperator)
	if d.missed > 0 {
		s, _ := d.risk.status(ctx)
		msg += fmt.Sprintf("; live capture missed %d events (%s): the alerts are those of what was captured", d.missed, lossText(s.Capture))
	}
	return msg, nil
}

// riskCaughtUp says whether the risk core has seen every event and
// anchored every alert, or what it still lacks.
func (d *Demo) riskCaughtUp(ctx context.Context) (bool, string, error) {
	s, err := d.risk.status(ctx)
	if err != nil {
		return false, err.Error(), nil
	}
	switch {
	case s.LastEventSeq < d.events && d.captureSettledShort(s):
		// Live capture lost packets (the kernel dropped them on a busy
		// machine, or the mirror did): wait for what was captured, and say
		// so, rather than for a count the link can no longer deliver.
		missed := d.events - s.LastEventSeq
		d.missed += missed
		d.logf("live capture missed %d of %d events (%s); going on with the %d captured", missed, d.events, lossText(s.Capture), s.LastEventSeq)
		d.events = s.LastEventSeq
		return d.riskCaughtUp(ctx)
	case s.LastEventSeq < d.events:
		return false, fmt.Sprintf("captured %d of %d events", s.LastEventSeq, d.events), nil
	case s.LastEventSeq > d.events:
		return false, "", fmt.Errorf("the risk core captured %d events, the exchange sent %d", s.LastEventSeq, d.events)
	case s.LedgerHeight < d.ledgerH:
		return false, fmt.Sprintf("ledger feed at height %d of %d", s.LedgerHeight, d.ledgerH), nil
	case s.AnchorError != "":
		return false, "anchoring: " + s.AnchorError, nil
	case s.Anchored < s.Batches:
		return false, fmt.Sprintf("%d of %d batches anchored", s.Anchored, s.Batches), nil
	}
	// Every alert must be in an anchored batch (the batcher cuts within
	// a second of the last one).
	as, err := d.risk.alerts(ctx)
	if err != nil {
		return false, err.Error(), nil
	}
	if uint64(len(as)) != s.Alerts {
		return false, fmt.Sprintf("listed %d of %d alerts", len(as), s.Alerts), nil
	}
	for _, a := range as {
		p, err := d.risk.proof(ctx, a.ID)
		if err != nil || p.Proof.TxHash == "" {
			return false, fmt.Sprintf("alert %d not anchored yet", a.Seq), nil
		}
	}
	return true, "", nil
}

// checks asks every node to run the contracts' invariants and compares
// every node's block id and app hash at every height.
func (d *Demo) checks(ctx context.Context) (string, error) {
	inv, err := d.invariants(ctx)
	if err != nil {
		return "", err
	}
	if inv.Broken > 0 {
		return "", fmt.Errorf("%d invariants broken: %s", inv.Broken, strings.Join(inv.BrokenNames, "; "))
	}
	top, err := d.sameBlocks(ctx)
	if err != nil {
		return "", err
	}
	d.agreedHeight = top
	note := fmt.Sprintf("%d invariants held on each of %d nodes; blocks and app hashes agree up to height %d", inv.Checked, inv.Nodes, top)
	if !d.rest.served {
		return note + "; no REST API: " + d.rest.note, nil
	}
	if d.restDone, err = d.restChecks(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; %d REST reads as broker and client", note, len(d.restDone)), nil
}

// sameBlocks compares, height by height, the block id and app hash every
// node reports, and returns the height compared up to.
func (d *Demo) sameBlocks(ctx context.Context) (int64, error) {
	var top int64
	for _, n := range d.tn.Nodes {
		st, err := d.cls[n.Name].RPC().Status(ctx)
		if err != nil {
			return 0, err
		}
		if h := st.SyncInfo.LatestBlockHeight; top == 0 || h < top {
			top = h
		}
	}
	type seen struct{ block, app, node string }
	by := map[int64]seen{}
	for _, n := range d.tn.Nodes {
		for lo := int64(1); lo <= top; lo += 20 {
			res, err := d.cls[n.Name].RPC().BlockchainInfo(ctx, lo, min(lo+19, top))
			if err != nil {
				return 0, err
			}
			for _, m := range res.BlockMetas {
				got := seen{m.BlockID.Hash.String(), m.Header.AppHash.String(), n.Name}
				if want, ok := by[m.Header.Height]; !ok {
					by[m.Header.Height] = got
				} else if want.block != got.block || want.app != got.app {
					return 0, fmt.Errorf("height %d: %s has block %s app hash %s, %s has %s and %s",
						m.Header.Height, want.node, want.block, want.app, n.Name, got.block, got.app)
				}
			}
		}
	}
	return top, nil
}

func statusName(s custodyv1.ReconStatus) string {
	switch s {
	case custodyv1.ReconStatus_RECON_STATUS_MATCH:
		return "MATCH"
	case custodyv1.ReconStatus_RECON_STATUS_BREAK:
		return "BREAK"
	}
	return s.String()
}

// yuan formats fen as "13 190 000.00".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	whole := fmt.Sprint(fen / 100)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), fen%100)
}
