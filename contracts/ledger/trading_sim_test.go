package ledger_test

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	eod "github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/fees"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/interest"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/market"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The trading simulation plays random business days over the real router
// and IAVL tree: hundreds of clients at two brokers and two banks, dozens
// of instruments on every board, random orders (limit and market, buys and
// sells, valid and not), cancels, partial fills, deposits and withdrawals,
// regulator freezes, the clearing house's end of day with its trade file
// (sometimes wrong), and the banks' statements (sometimes wrong). Every op's
// outcome is predicted — success or the exact refusal — and after every
// block the invariants must hold and the holdings must equal a plain model
// of them kept here (which makes the T+1 rule a checked prediction, not
// only an invariant). With a fixed seed the run is reproducible: the same
// seed gives the same app hash.

// simSeeds are the seeds run; -short runs the first on a smaller world.
var simSeeds = []int64{20250102, 7, 1234567}

type simSize struct {
	clients, instruments, days, opsPerDay, opsPerBlock int
}

func TestTradingSimulation(t *testing.T) {
	size := simSize{clients: 300, instruments: 40, days: 15, opsPerDay: 500, opsPerBlock: 25}
	seeds := simSeeds
	if testing.Short() {
		size = simSize{clients: 60, instruments: 12, days: 4, opsPerDay: 120, opsPerBlock: 20}
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			start := time.Now()
			s := runSim(t, seed, size)
			t.Logf("seed %d: %d days, %v in %s; app hash %X", seed, size.days, s.stats, time.Since(start).Round(time.Millisecond), s.e.hash())
		})
	}
}

// TestTradingSimulation_Reproducible: the same seed gives the same state,
// byte for byte.
func TestTradingSimulation_Reproducible(t *testing.T) {
	size := simSize{clients: 20, instruments: 6, days: 2, opsPerDay: 60, opsPerBlock: 15}
	a := runSim(t, 99, size).e.hash()
	b := runSim(t, 99, size).e.hash()
	if string(a) != string(b) {
		t.Fatalf("seed 99 gave %X, then %X", a, b)
	}
}

type simClient struct {
	id             string
	bank, broker   contracts.Signer
	frozen         bool
	pendingWithdrs []string
}

type simOrder struct {
	id, acct, sec string
	broker        contracts.Signer
	buy           bool
	bound         int64
	qty, filled   int64
}

type simHolding struct{ balance, frozen, unsettled int64 }

func (h simHolding) sellable() int64 { return h.balance - h.frozen - h.unsettled }

type sim struct {
	t      *testing.T
	e      *env
	rng    *rand.Rand
	size   simSize
	params *custodyv1.TradingParams
	fp     fees.Params
	rules  market.Rules

	clients []*simClient
	byID    map[string]*simClient
	secs    []string
	day     uint32

	open     []*simOrder
	holdings map[acctSec]*simHolding
	held     []acctSec                         // holdings in the order they first appeared
	lastFill map[string]int64                  // security → today's last fill price
	chFile   map[string]*custodyv1.TradeTotals // broker → today's accepted fills
	execs    []string                          // every accepted exec id
	nOrder   int
	nExec    int
	nXfer    int
	stats    map[string]int

	// Interest: every client's closing balance at each close (ascending),
	// the start of its current interest period, and the banks' rates.
	closes      map[string][]closing
	periodStart uint32
	rates       map[string][]closing
	dayIndex    int
}

type acctSec = struct{ account, security string }

func runSim(t *testing.T, seed int64, size simSize) *sim {
	t.Helper()
	s := &sim{t: t, rng: rand.New(rand.NewSource(seed)), size: size, byID: map[string]*simClient{},
		holdings: map[acctSec]*simHolding{}, stats: map[string]int{}}
	s.params = trading.DefaultParams()
	s.params.BrokerCommissions = []*custodyv1.BrokerCommission{{BrokerId: brokerY, Rate: 30_000}}
	s.fp, s.rules = trading.FeeParams(s.params), trading.Rules(s.params)
	g := genesis()
	g.Trading = &custodyv1.TradingGenesis{Params: s.params, BusinessDate: day1, Instruments: s.instruments(size.instruments)}
	s.e = &env{t: t, mem: store.NewMem(), router: ledger.NewRouter(), height: 1}
	if err := ledger.InitGenesis(s.e.mem, g); err != nil {
		t.Fatalf("seed %d: genesis: %v", seed, err)
	}
	s.day = day1
	// The banks' demand-deposit rates; bank-a's falls on 2025-03-01, inside
	// the first interest period.
	s.closes, s.periodStart = map[string][]closing{}, day1
	s.rates = map[string][]closing{bankA: {{day1, 350_000}, {20250301, 200_000}}, bankB: {{day1, 300_000}}}
	for _, bank := range []contracts.Signer{sBankA, sBankB} {
		for _, r := range s.rates[bank.Owner] {
			s.must(bank, rateMsg(r.from, r.balance))
		}
	}
	s.openClients(size.clients)
	for d := 0; d < size.days; d++ {
		s.newDay()
		for op := 0; op < size.opsPerDay; op += size.opsPerBlock {
			for i := 0; i < size.opsPerBlock; i++ {
				s.step()
			}
			s.endBlock()
		}
		s.endOfDay()
		s.endBlock()
		s.statements()
		s.endBlock()
	}
	return s
}

// instruments draws n listings over every board, a few of them cheap.
func (s *sim) instruments(n int) []*custodyv1.Instrument {
	type kind struct {
		prefix string
		suffix string
		board  custodyv1.Board
		cycle  custodyv1.SettlementCycle
		tick   int64
	}
	t1, t0 := custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T0
	kinds := []kind{
		{"60", "SH", custodyv1.Board_BOARD_MAIN, t1, 100},
		{"00", "SZ", custodyv1.Board_BOARD_MAIN, t1, 100},
		{"30", "SZ", custodyv1.Board_BOARD_CHINEXT, t1, 100},
		{"68", "SH", custodyv1.Board_BOARD_STAR, t1, 100},
		{"51", "SH", custodyv1.Board_BOARD_FUND, t0, 10},
	}
	var out []*custodyv1.Instrument
	for i := 0; i < n; i++ {
		k := kinds[i%len(kinds)]
		ref := k.tick * int64(10+s.rng.Intn(9000)) // 0.10 .. 90.00 (funds 0.010 .. 9.000)
		if i%7 == 3 {
			ref = k.tick * int64(5+s.rng.Intn(50)) // cheap: fees exceed small proceeds
		}
		inst := &custodyv1.Instrument{Security: fmt.Sprintf("%s%04d.%s", k.prefix, i, k.suffix), Board: k.board,
			ReferencePrice: ref, Cycle: k.cycle, RiskWarning: i%11 == 5}
		if i%9 == 4 {
			inst.NoLimitDays = uint32(1 + s.rng.Intn(3))
		}
		out = append(out, inst)
		s.secs = append(s.secs, inst.Security)
	}
	return out
}

func (s *sim) openClients(n int) {
	for i := 0; i < n; i++ {
		c := &simClient{id: fmt.Sprintf("S%04d", i), bank: []contracts.Signer{sBankA, sBankB}[s.rng.Intn(2)],
			broker: []contracts.Signer{sBrokerX, sBrokerY}[s.rng.Intn(2)]}
		s.must(c.broker, open(c.id, c.bank.Owner, func(m *custodyv1.OpeningRequest) {
			m.ShareholderAccounts = []string{"A123456789", "0123456789"}
		}))
		s.must(c.bank, confirmMsg(c.id, true, ""))
		s.deposit(c, int64(1+s.rng.Intn(200))*100_000) // 1 000 .. 200 000 CNY
		s.clients = append(s.clients, c)
		s.byID[c.id] = c
		if (i+1)%s.size.opsPerBlock == 0 {
			s.endBlock()
		}
	}
	s.endBlock()
}

func (s *sim) newDay() {
	s.lastFill = map[string]int64{}
	s.chFile = map[string]*custodyv1.TradeTotals{}
}

// exec runs one message and checks the outcome: want nil must succeed,
// otherwise the exact registered refusal.
func (s *sim) expect(signer contracts.Signer, msg *custodyv1.Msg, want error, what string) []byte {
	s.t.Helper()
	data, err := s.e.exec(signer, msg)
	switch {
	case want == nil && err != nil:
		s.t.Fatalf("day %d, %s: refused: %v", s.day, what, err)
	case want != nil && !errors.Is(err, want):
		s.t.Fatalf("day %d, %s: got %v, want %v", s.day, what, err, want)
	}
	if err != nil {
		s.stats["refused "+what]++
	} else {
		s.stats[what]++
	}
	return data
}

func (s *sim) must(signer contracts.Signer, msg *custodyv1.Msg) []byte {
	s.t.Helper()
	return s.expect(signer, msg, nil, "setup")
}

func (s *sim) deposit(c *simClient, amount int64) {
	s.nXfer++
	s.expect(c.bank, depositMsg(fmt.Sprintf("D%d", s.nXfer), c.id, amount), nil, "deposit")
}

func (s *sim) client() *simClient { return s.clients[s.rng.Intn(len(s.clients))] }

func (s *sim) hold(acct, sec string) *simHolding {
	k := acctSec{acct, sec}
	h := s.holdings[k]
	if h == nil {
		h = &simHolding{}
		s.holdings[k] = h
		s.held = append(s.held, k)
	}
	return h
}

// step plays one random op.
func (s *sim) step() {
	switch r := s.rng.Intn(100); {
	case r < 28:
		s.placeBuy()
	case r < 46:
		s.placeSell()
	case r < 78:
		s.fill()
	case r < 86:
		s.cancel()
	case r < 90:
		s.deposit(s.client(), int64(1+s.rng.Intn(100))*10_000)
	case r < 94:
		s.withdraw()
	case r < 97:
		s.confirmWithdrawal()
	case r < 98:
		s.toggleFreeze()
	default:
		s.badFill()
	}
}

func (s *sim) instrument(sec string) *custodyv1.Instrument {
	inst, err := trading.GetInstrument(s.e.mem, sec)
	if err != nil {
		s.t.Fatalf("instrument %s: %v", sec, err)
	}
	return inst
}

func tickOf(p *custodyv1.TradingParams, inst *custodyv1.Instrument) int64 {
	if inst.Tick > 0 {
		return inst.Tick
	}
	for _, br := range p.BoardRules {
		if br.Board == inst.Board {
			return br.Tick
		}
	}
	panic("no board")
}

// band is the range prices may take today: the daily limits, or for an
// instrument without them half to one and a half times the reference.
func (s *sim) band(inst *custodyv1.Instrument) (lo, hi, tick int64, limited bool) {
	tick = tickOf(s.params, inst)
	up, down, limited, err := s.rules.LimitPrices(trading.MarketInstrument(inst), s.day)
	if err != nil {
		s.t.Fatal(err)
	}
	if !limited {
		return max(tick, inst.ReferencePrice/2/tick*tick), inst.ReferencePrice * 3 / 2 / tick * tick, tick, false
	}
	return down, up, tick, true
}

func (s *sim) priceIn(lo, hi, tick int64) int64 {
	if hi < lo {
		return lo
	}
	return lo + tick*s.rng.Int63n((hi-lo)/tick+1)
}

func (s *sim) newOrderID(acct string) string {
	s.nOrder++
	return fmt.Sprintf("%s/o%d", acct, s.nOrder)
}

func (s *sim) tradeOf(broker string, inst *custodyv1.Instrument, buy bool) fees.Trade {
	side := fees.Sell
	if buy {
		side = fees.Buy
	}
	class := trading.FeeClass(inst)
	c := trading.Commission(s.params, broker, class)
	return fees.Trade{Date: s.day, Side: side, Class: class, CommissionRate: c.Rate, MinCommission: c.Minimum}
}

func (s *sim) placeBuy() {
	c := s.client()
	sec := s.secs[s.rng.Intn(len(s.secs))]
	inst := s.instrument(sec)
	lo, hi, tick, limited := s.band(inst)
	price := s.priceIn(lo, hi, tick)
	bound := price
	if limited && s.rng.Intn(10) == 0 {
		price, bound = 0, hi
	}
	// Mostly what the client can afford; now and then more.
	avail := funds.Get(s.e.mem, c.id).Available
	lots := avail * 100 / (bound * 100) / 2 // lots of 100 within half the cash
	var qty int64
	switch {
	case inst.Board == custodyv1.Board_BOARD_STAR && (lots < 2 || s.rng.Intn(8) == 0):
		qty = 200 + int64(s.rng.Intn(400))
	case inst.Board == custodyv1.Board_BOARD_STAR:
		qty = 200 + s.rng.Int63n(min(lots, 50)*100-199)
	case lots < 1 || s.rng.Intn(8) == 0:
		qty = 100 * int64(1+s.rng.Intn(20))
	default:
		qty = 100 * (1 + s.rng.Int63n(min(lots, 30)))
	}
	tk := ticket(s.newOrderID(c.id), sec, custodyv1.Side_SIDE_BUY, price, qty)
	tk.BusinessDate = s.day
	freeze, err := trading.BuyFreeze(s.fp, s.tradeOf(c.broker.Owner, inst, true), bound, qty)
	if err != nil {
		s.t.Fatal(err)
	}
	var want error
	switch {
	case c.frozen:
		want = accounts.ErrFrozen
	case inst.Halted:
		want = market.ErrHalted
	case freeze > funds.Get(s.e.mem, c.id).Available:
		want = funds.ErrInsufficient
	}
	if s.expect(c.broker, placeMsg(tk), want, "buy") != nil {
		s.open = append(s.open, &simOrder{id: tk.OrderId, acct: c.id, sec: sec, broker: c.broker, buy: true, bound: bound, qty: qty})
	}
}

func (s *sim) placeSell() {
	c := s.client()
	sec := s.secs[s.rng.Intn(len(s.secs))]
	// Mostly a holding the client has.
	for try := 0; try < 6 && len(s.held) > 0 && s.rng.Intn(5) > 0; try++ {
		k := s.held[s.rng.Intn(len(s.held))]
		if s.holdings[k].balance > 0 {
			c, sec = s.byID[k.account], k.security
			break
		}
	}
	inst := s.instrument(sec)
	h := s.hold(c.id, sec)
	sellable := h.sellable()
	star := inst.Board == custodyv1.Board_BOARD_STAR
	var qty int64
	var want error
	// One probe in three of a holding with today's T+1 purchase: one lot
	// more than is settled, which those shares would cover.
	probeT1 := !star && h.unsettled > 0 && s.rng.Intn(3) == 0
	if probeT1 {
		qty = 100 * (sellable/100 + 1)
		if qty <= sellable+h.unsettled {
			want = trading.ErrInsufficientQty
		} else {
			probeT1 = false
		}
	}
	if !probeT1 {
		switch {
		case sellable == 0:
			qty, want = 200, trading.ErrInsufficientQty
		case star && sellable < 200:
			qty = sellable // below STAR's minimum: the whole holding at once
		case star:
			qty = 200 + s.rng.Int63n(sellable-199)
		case sellable%100 != 0 && s.rng.Intn(2) == 0:
			qty = sellable % 100 // the odd lot
		case sellable >= 100:
			qty = 100 * (1 + s.rng.Int63n(sellable/100))
		default:
			qty = sellable
		}
	}
	lo, hi, tick, limited := s.band(inst)
	price := s.priceIn(lo, hi, tick)
	bound := price
	if limited && s.rng.Intn(10) == 0 {
		price, bound = 0, lo
	}
	tk := ticket(s.newOrderID(c.id), sec, custodyv1.Side_SIDE_SELL, price, qty)
	tk.BusinessDate = s.day
	reserve, err := trading.SellReserve(s.fp, s.tradeOf(c.broker.Owner, inst, false), bound, qty)
	if err != nil {
		s.t.Fatal(err)
	}
	switch {
	case c.frozen:
		want = accounts.ErrFrozen
	case inst.Halted:
		want = market.ErrHalted
	case want != nil:
	case reserve > funds.Get(s.e.mem, c.id).Available:
		want = funds.ErrInsufficient
	}
	if s.expect(c.broker, placeMsg(tk), want, "sell") != nil {
		h.frozen += qty
		s.open = append(s.open, &simOrder{id: tk.OrderId, acct: c.id, sec: sec, broker: c.broker, bound: bound, qty: qty})
	}
}

func (s *sim) pickOpen() (int, *simOrder) {
	if len(s.open) == 0 {
		return -1, nil
	}
	i := s.rng.Intn(len(s.open))
	return i, s.open[i]
}

func (s *sim) closeOpen(i int) {
	s.open = append(s.open[:i], s.open[i+1:]...)
}

// fill reports a valid fill of a random open order: it must succeed.
func (s *sim) fill() {
	i, o := s.pickOpen()
	if o == nil {
		return
	}
	inst := s.instrument(o.sec)
	lo, hi, tick, _ := s.band(inst)
	if o.buy {
		hi = min(hi, o.bound)
	} else {
		lo = max(lo, o.bound)
	}
	price := s.priceIn(lo, hi, tick)
	rest := o.qty - o.filled
	qty := rest
	if s.rng.Intn(3) > 0 {
		qty = 1 + s.rng.Int63n(rest)
	}
	s.nExec++
	exec := fmt.Sprintf("X%d", s.nExec)
	data := s.expect(o.broker, fillMsg(exec, o.id, price, qty), nil, "fill")
	var f custodyv1.Fill
	contracts.Unmarshal(nil, data, &f)
	s.execs = append(s.execs, exec)
	tt := s.chFile[o.broker.Owner]
	if tt == nil {
		tt = &custodyv1.TradeTotals{BrokerId: o.broker.Owner}
		s.chFile[o.broker.Owner] = tt
	}
	tt.FillCount++
	h := s.hold(o.acct, o.sec)
	if o.buy {
		tt.BuyValue += f.Value
		h.balance += qty
		if inst.Cycle == custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1 {
			h.unsettled += qty
		}
	} else {
		tt.SellValue += f.Value
		h.balance -= qty
		h.frozen -= qty
	}
	s.lastFill[o.sec] = price
	o.filled += qty
	if o.filled == o.qty {
		s.closeOpen(i)
	}
}

// badFill reports fills the chain must refuse, each with its own code.
func (s *sim) badFill() {
	i, o := s.pickOpen()
	if o == nil || len(s.execs) == 0 {
		return
	}
	_ = i
	dup := s.execs[s.rng.Intn(len(s.execs))]
	s.expect(o.broker, fillMsg(dup, o.id, o.bound, 1), trading.ErrDuplicateExec, "duplicate exec")
	s.nExec++
	s.expect(o.broker, fillMsg(fmt.Sprintf("X%d", s.nExec), o.id, o.bound, o.qty-o.filled+1), trading.ErrOverfill, "overfill")
	tick := tickOf(s.params, s.instrument(o.sec))
	worse := o.bound + tick
	if !o.buy {
		worse = o.bound - tick
	}
	if worse > 0 {
		s.expect(o.broker, fillMsg(fmt.Sprintf("X%d", s.nExec), o.id, worse, 1), trading.ErrFillPrice, "worse price")
	}
	other := sBrokerX
	if o.broker.Owner == brokerX {
		other = sBrokerY
	}
	s.expect(other, fillMsg(fmt.Sprintf("X%d", s.nExec), o.id, o.bound, 1), accounts.ErrWrongBroker, "other broker's fill")
}

func (s *sim) cancel() {
	i, o := s.pickOpen()
	if o == nil {
		return
	}
	s.expect(o.broker, cancelMsg(o.id), nil, "cancel")
	if !o.buy {
		s.hold(o.acct, o.sec).frozen -= o.qty - o.filled
	}
	s.closeOpen(i)
	if s.rng.Intn(4) == 0 {
		s.expect(o.broker, cancelMsg(o.id), trading.ErrOrderNotOpen, "cancel twice")
	}
}

func (s *sim) withdraw() {
	c := s.client()
	f := funds.Get(s.e.mem, c.id)
	s.nXfer++
	id := fmt.Sprintf("%s/w%d", c.id, s.nXfer)
	amount := f.Withdrawable + 1
	var want error = funds.ErrOverdraft
	if f.Withdrawable > 0 && s.rng.Intn(5) > 0 {
		amount, want = 1+s.rng.Int63n(f.Withdrawable), nil
	}
	if c.frozen {
		want = transfers.ErrSenderFrozen
	}
	if amount > transfers.MaxAmount {
		return
	}
	if s.expect(client(c.id), withdrawMsg(id, c.id, amount), want, "withdraw") != nil {
		c.pendingWithdrs = append(c.pendingWithdrs, id)
	}
}

func (s *sim) confirmWithdrawal() {
	// The first client with a pending request from a random place on.
	var c *simClient
	for i, start := 0, s.rng.Intn(len(s.clients)); i < len(s.clients) && c == nil; i++ {
		if cl := s.clients[(start+i)%len(s.clients)]; len(cl.pendingWithdrs) > 0 {
			c = cl
		}
	}
	if c == nil {
		return
	}
	id := c.pendingWithdrs[0]
	ok := s.rng.Intn(4) > 0
	var want error
	if ok && c.frozen {
		want = transfers.ErrSenderFrozen
	}
	if s.expect(c.bank, confirmWithdrawalMsg(id, ok, "card closed"), want, "confirm withdrawal") != nil {
		c.pendingWithdrs = c.pendingWithdrs[1:]
	}
}

func (s *sim) toggleFreeze() {
	c := s.client()
	if c.frozen {
		s.expect(sRegulator, unfreezeMsg(c.id, "cleared"), nil, "unfreeze")
	} else {
		s.expect(sRegulator, freezeMsg(c.id, "inquiry"), nil, "freeze")
	}
	c.frozen = !c.frozen
}

func nextBusinessDate(d uint32) uint32 {
	t := time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return uint32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

// endOfDay clears the day: the trade file is the fills this simulation
// saw accepted, wrong for one broker now and then; closing prices are the
// last fills; an instrument is halted, resumed or listed now and then.
func (s *sim) endOfDay() {
	next := nextBusinessDate(s.day)
	s.dayIndex++
	if s.dayIndex%3 == 2 {
		// Every third close jumps to the next settlement day (结息日), so
		// the run pays interest every few days.
		next = nextSettlementDay(s.day)
	}
	for _, c := range s.clients {
		s.closes[c.id] = append(s.closes[c.id], closing{s.day, funds.Get(s.e.mem, c.id).Balance})
	}
	m := &custodyv1.MsgEndOfDay{Date: s.day, NextDate: next}
	wrong := map[string]bool{}
	for _, b := range []string{brokerX, brokerY} {
		tt := s.chFile[b]
		if tt == nil {
			tt = &custodyv1.TradeTotals{BrokerId: b}
		}
		if s.rng.Intn(8) == 0 {
			tt.BuyValue++
			wrong[b] = true
		}
		m.TradeTotals = append(m.TradeTotals, tt)
	}
	for _, sec := range s.secs {
		if p, ok := s.lastFill[sec]; ok {
			m.ClosingPrices = append(m.ClosingPrices, &custodyv1.ClosingPrice{Security: sec, Price: p})
		}
	}
	switch s.rng.Intn(3) {
	case 0:
		inst := s.instrument(s.secs[s.rng.Intn(len(s.secs))])
		if p, ok := s.lastFill[inst.Security]; ok {
			inst.ReferencePrice = p
		}
		inst.Halted = !inst.Halted
		m.Instruments = append(m.Instruments, inst)
	case 1:
		sec := fmt.Sprintf("60%04d.SH", 5000+len(s.secs))
		m.Instruments = append(m.Instruments, &custodyv1.Instrument{Security: sec, Board: custodyv1.Board_BOARD_MAIN,
			ReferencePrice: 100 * int64(100+s.rng.Intn(2000)), Cycle: custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, NoLimitDays: 5})
		s.secs = append(s.secs, sec)
	}
	s.expect(sClearing, &custodyv1.Msg{Sum: &custodyv1.Msg_EndOfDay{EndOfDay: m}}, nil, "end of day")
	for _, b := range []string{brokerX, brokerY} {
		r := report(s.t, s.e, s.day, b)
		var n uint32
		if tt := s.chFile[b]; tt != nil {
			n = tt.FillCount
		}
		if r.FillCount != n || r.SettlementBreak != wrong[b] {
			s.t.Fatalf("day %d: report of %s: %d fills, break %v; the simulation saw %d, wrong file %v", s.day, b, r.FillCount, r.SettlementBreak, n, wrong[b])
		}
		if got := funds.GetSystem(s.e.mem, funds.BrokerSettlement(b)).Balance; got != 0 {
			s.t.Fatalf("day %d: settlement account of %s holds %d after clearing", s.day, b, got)
		}
	}
	for _, o := range s.open {
		if !o.buy {
			s.hold(o.acct, o.sec).frozen -= o.qty - o.filled
		}
	}
	s.open = nil
	for _, h := range s.holdings {
		h.unsettled = 0
	}
	if end, ok := interest.SettlementIn(0, s.day, next); ok {
		s.checkInterest(end)
	}
	s.day = next
	s.newDay()
}

// nextSettlementDay is the first 20th of March, June, September or
// December after d.
func nextSettlementDay(d uint32) uint32 {
	for y := d / 10000; ; y++ {
		for _, m := range []uint32{3, 6, 9, 12} {
			if s := y*10000 + m*100 + 20; s > d {
				return s
			}
		}
	}
}

// checkInterest: the close just paid the period ending on end; every
// client's posting is the day-by-day calculation over the closing
// balances recorded at each close.
func (s *sim) checkInterest(end uint32) {
	s.t.Helper()
	credit := interest.AddDays(end, 1)
	for _, c := range s.clients {
		want := expectedInterest(s.t, s.periodStart, end, s.closes[c.id], s.rates[c.bank.Owner])
		var got int64
		if p := interest.GetPosting(s.e.mem, end, c.id); p != nil {
			got = p.Amount
		}
		if got != want {
			s.t.Fatalf("day %d: interest of %s for the period %d..%d is %d, the day-by-day calculation %d", s.day, c.id, s.periodStart, end, got, want)
		}
		s.closes[c.id] = append(s.closes[c.id], closing{credit, funds.Get(s.e.mem, c.id).Balance})
		if want > 0 {
			s.stats["interest postings"]++
		}
	}
	s.periodStart = credit
}

// statements: each bank reconciles the day just cleared with every broker,
// from the balances as they stand right after clearing; one in eight
// statements is wrong and must break.
func (s *sim) statements() {
	date := trading.GetBusinessDay(s.e.mem).PreviousDate
	for _, bank := range []contracts.Signer{sBankA, sBankB} {
		for _, broker := range []string{brokerX, brokerY} {
			var ids []string
			for _, c := range s.clients {
				if c.bank.Owner == bank.Owner && c.broker.Owner == broker {
					ids = append(ids, c.id)
				}
			}
			sort.Strings(ids)
			bal := make([]int64, len(ids))
			total := funds.GetCustodyTotal(s.e.mem, bank.Owner, broker)
			for i, id := range ids {
				// The bank's mirror at the close: before any interest the
				// close credited (the bank credits it the next day).
				cl := s.closes[id]
				bal[i] = cl[len(cl)-1].balance
				if len(cl) > 1 && cl[len(cl)-1].from > date {
					bal[i] = cl[len(cl)-2].balance
					total -= cl[len(cl)-1].balance - bal[i]
				}
			}
			status := custodyv1.ReconStatus_RECON_STATUS_MATCH
			if s.rng.Intn(8) == 0 && len(bal) > 0 {
				bal[s.rng.Intn(len(bal))]++
				status = custodyv1.ReconStatus_RECON_STATUS_BREAK
			}
			s.expect(bank, statementMsg(date, broker, total, uint32(len(ids)), eod.ClientsHash(ids, bal)), nil, "statement")
			if r, _ := reconcile.GetResult(s.e.mem, date, bank.Owner, broker); r.Status != status {
				s.t.Fatalf("day %d: reconciliation %s/%s is %s, want %s", date, bank.Owner, broker, r.Status, status)
			}
		}
	}
}

// endBlock checks the invariants and the holdings against the model.
func (s *sim) endBlock() {
	s.t.Helper()
	for _, r := range contracts.CheckInvariants(s.e.mem, ledger.Invariants()) {
		if r.Broken {
			s.t.Fatalf("day %d, height %d: invariant %s broken: %s", s.day, s.e.height, r.Name, r.Msg)
		}
	}
	n := 0
	for k, h := range s.holdings {
		got := trading.GetHolding(s.e.mem, k.account, k.security)
		if got.Balance != h.balance || got.Frozen != h.frozen || got.Unsettled != h.unsettled {
			s.t.Fatalf("day %d: holding %s/%s is %v, the model says balance %d frozen %d unsettled %d",
				s.day, k.account, k.security, got, h.balance, h.frozen, h.unsettled)
		}
		if h.balance != 0 {
			n++
		}
	}
	chain := 0
	trading.ForEachHolding(s.e.mem, func(*custodyv1.Holding) { chain++ })
	if chain != n {
		s.t.Fatalf("day %d: %d holdings on chain, %d in the model", s.day, chain, n)
	}
}
