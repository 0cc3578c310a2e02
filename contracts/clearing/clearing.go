// Package clearing closes the business day: the clearing house's
// end_of_day message settles every broker's fills with the central
// counterparty, pays the fees out to their payees, makes the day's T+1
// purchases sellable and its sale proceeds withdrawable, expires the open
// day orders, snapshots the custody figures for reconciliation, stores a
// settlement report per broker (and a settlement break where the clearing
// house's trade file disagrees), rolls the reference prices and the
// instrument master, and opens the next business date.
//
// Money for one broker B on date D (all in fen):
//
//	during D   clients' fills move cash to / from B's settlement account:
//	           settlement(B) = Σ buys (value + fees) − Σ sells (value − fees)
//	                         = net obligation + fees
//	clearing   settlement(B) → clearing house   net obligation (the other
//	                                            way when negative)
//	           settlement(B) → B's commission, the tax authority (stamp
//	                           duty), the clearing house (transfer fee),
//	                           the exchange (handling fee), the regulator
//	                           (levy)
//	after      settlement(B) = 0
//
// The net obligation crosses the custody boundary (the clearing house is
// the counterparty of the off-chain side of every trade): the supply falls
// by what goes to the clearing house and rises by what comes from it
// (Supply.to_clearing, from_clearing). The fees stay in custody, in their
// payees' accounts. Securities mirror it: the clearing house's position in
// each security is the opposite of the clients' holdings.
//
// The work is in fixed order (brokers by id, fills by exec id, accounts and
// securities in first-seen order of that walk), so every validator writes
// the same keys with the same values.
package clearing

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/interest"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Routes of the clearing contract.
func Routes() []contracts.Route {
	return []contracts.Route{
		contracts.Handle("end_of_day", []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}, ValidateEndOfDay, EndOfDay),
	}
}

// MaxItems bounds each list of an end_of_day message before the state's
// own bound (TradingParams.max_eod_items) is known.
const MaxItems = 1_000_000

// ValidateEndOfDay is the stateless check of MsgEndOfDay: dates, and each
// list well-formed without repeats.
func ValidateEndOfDay(m *custodyv1.MsgEndOfDay) error {
	if m.Date != 0 {
		if err := trading.ValidateDate(m.Date); err != nil {
			return err
		}
	}
	if err := trading.ValidateDate(m.NextDate); err != nil {
		return err
	}
	if m.NextDate <= m.Date {
		return ErrNextDate.Wrapf("%d after %d", m.NextDate, m.Date)
	}
	if len(m.ClosingPrices) > MaxItems || len(m.TradeTotals) > MaxItems || len(m.Instruments) > MaxItems {
		return ErrTooManyItems.Wrapf("more than %d", MaxItems)
	}
	seen := map[string]bool{}
	for _, cp := range m.ClosingPrices {
		if err := trading.ValidateSecurity(cp.Security); err != nil {
			return err
		}
		if seen[cp.Security] || cp.Price <= 0 || cp.Price > trading.MaxPrice/2 {
			return ErrBadClosingPrice.Wrapf("%s at %d", cp.Security, cp.Price)
		}
		seen[cp.Security] = true
	}
	brokers := map[string]bool{}
	for _, tt := range m.TradeTotals {
		if tt == nil {
			return ErrBadTotals.Wrapf("empty entry")
		}
		if err := accounts.ValidateParticipantID(tt.BrokerId); err != nil {
			return err
		}
		if brokers[tt.BrokerId] || tt.BuyValue < 0 || tt.SellValue < 0 {
			return ErrBadTotals.Wrapf("%s: %v", tt.BrokerId, tt)
		}
		brokers[tt.BrokerId] = true
	}
	if m.Date == 0 && len(m.TradeTotals) > 0 {
		return ErrBadTotals.Wrapf("no business day to total yet")
	}
	updated := map[string]bool{}
	for _, inst := range m.Instruments {
		if inst == nil {
			return trading.ErrBadInstrument.Wrapf("empty entry")
		}
		if err := trading.ValidateSecurity(inst.Security); err != nil {
			return err
		}
		if updated[inst.Security] {
			return ErrRepeatedUpdate.Wrapf("%s", inst.Security)
		}
		updated[inst.Security] = true
	}
	return nil
}

// EndOfDay closes the chain's business date and opens the next. Checks, in
// order: the date is the chain's, each list within the parameters' bound,
// every closing price for a listed instrument and on its tick, every
// trade-total for a broker participant, every instrument update valid.
// Then, for a date other than 0 (0 only opens the first day): per broker,
// the settlement, the report and any break; the day's T+1 purchases
// sellable and sale proceeds withdrawable; open orders expired; the custody
// snapshots. Then reference prices, the countdown of days without limits,
// the instrument updates and the new date.
func EndOfDay(ctx *contracts.Context, m *custodyv1.MsgEndOfDay) ([]byte, error) {
	day := trading.GetBusinessDay(ctx.Store)
	if m.Date != day.Date {
		return nil, ErrWrongDate.Wrapf("closing %d, the business date is %d", m.Date, day.Date)
	}
	p := trading.GetParams(ctx.Store)
	if n := uint32(max(len(m.ClosingPrices), len(m.TradeTotals), len(m.Instruments))); n > p.MaxEodItems {
		return nil, ErrTooManyItems.Wrapf("%d items, at most %d", n, p.MaxEodItems)
	}
	closing := make([]*custodyv1.Instrument, 0, len(m.ClosingPrices))
	for _, cp := range m.ClosingPrices {
		inst, err := trading.GetInstrument(ctx.Store, cp.Security)
		if err != nil {
			return nil, err
		}
		if tick := tickOf(p, inst); cp.Price%tick != 0 {
			return nil, ErrBadClosingPrice.Wrapf("%s at %d, tick %d", cp.Security, cp.Price, tick)
		}
		inst.ReferencePrice = cp.Price
		closing = append(closing, inst)
	}
	chTotals := map[string]*custodyv1.TradeTotals{}
	for _, tt := range m.TradeTotals {
		if _, err := participants.GetWithRole(ctx.Store, tt.BrokerId, custodyv1.Role_ROLE_BROKER); err != nil {
			return nil, ErrBadTotals.Wrapf("%s: %v", tt.BrokerId, err)
		}
		chTotals[tt.BrokerId] = tt
	}
	for _, inst := range m.Instruments {
		if err := trading.ValidateInstrument(p, inst); err != nil {
			return nil, err
		}
	}

	nReports, nBreaks, nExpired := 0, 0, 0
	if day.Date != 0 {
		var err error
		nReports, nBreaks, err = settle(ctx, day.Date, chTotals)
		if err != nil {
			return nil, err
		}
		nExpired = trading.ExpireOpenOrders(ctx)
		snapshot(ctx, day.Date)
		// Closing figures and interest (package interest): after the
		// snapshot, so the snapshot is the close before any interest.
		interest.Close(ctx, day.Date, m.NextDate)
	}

	// The instrument master for the next day: one day fewer without
	// limits, the closing prices, then the clearing house's updates.
	var counting []*custodyv1.Instrument
	trading.ForEachInstrument(ctx.Store, func(inst *custodyv1.Instrument) {
		if inst.NoLimitDays > 0 {
			counting = append(counting, inst)
		}
	})
	for _, inst := range counting {
		inst.NoLimitDays--
		inst.UpdatedDate = m.NextDate
		trading.SetInstrument(ctx.Store, inst)
	}
	for _, inst := range closing {
		cur, _ := trading.GetInstrument(ctx.Store, inst.Security) // after the countdown
		cur.ReferencePrice, cur.UpdatedDate = inst.ReferencePrice, m.NextDate
		trading.SetInstrument(ctx.Store, cur)
	}
	for _, inst := range m.Instruments {
		n := trading.Normalize(inst)
		n.UpdatedDate = m.NextDate
		trading.SetInstrument(ctx.Store, n)
	}

	next := &custodyv1.BusinessDay{Date: m.NextDate, PreviousDate: day.Date, OpenedHeight: ctx.Block.Height, OpenedTime: ctx.Block.UnixNano()}
	trading.SetBusinessDay(ctx.Store, next)
	ctx.Emit("end_of_day", "date", fmt.Sprint(day.Date), "next_date", fmt.Sprint(m.NextDate),
		"reports", fmt.Sprint(nReports), "breaks", fmt.Sprint(nBreaks), "orders_expired", fmt.Sprint(nExpired),
		"closing_prices", fmt.Sprint(len(m.ClosingPrices)), "instruments", fmt.Sprint(len(m.Instruments)))
	return contracts.Marshal(next), nil
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
	return 1
}

// settle clears every broker participant's day (brokers in id order), and
// returns how many reports and breaks it wrote.
func settle(ctx *contracts.Context, date uint32, chTotals map[string]*custodyv1.TradeTotals) (int, int, error) {
	var brokers []string
	for _, p := range participants.All(ctx.Store) {
		if p.Role == custodyv1.Role_ROLE_BROKER {
			brokers = append(brokers, p.Id)
		}
	}
	nBreaks := 0
	for _, b := range brokers {
		fills := trading.FillsOfDay(ctx.Store, date, b, "", 0)
		r := Report(date, b, fills)
		ch := chTotals[b]
		if ch == nil {
			ch = &custodyv1.TradeTotals{BrokerId: b}
		}
		r.ClearingHouseTotals = ch
		chain := ChainTotals(r)
		r.SettlementBreak = chain.FillCount != ch.FillCount || chain.BuyValue != ch.BuyValue || chain.SellValue != ch.SellValue
		r.Height, r.Time = ctx.Block.Height, ctx.Block.UnixNano()
		if err := payOut(ctx, r, fills); err != nil {
			return 0, 0, err
		}
		settleClients(ctx, date, fills)
		ctx.Store.Set(ReportKey(date, b), contracts.Marshal(r))
		if r.SettlementBreak {
			nBreaks++
			ctx.Store.Set(BreakKey(date, b), contracts.Marshal(&custodyv1.SettlementBreak{
				Date: date, BrokerId: b, Chain: chain, ClearingHouse: ch}))
			ctx.Emit("settlement_break", "date", fmt.Sprint(date), "broker_id", b,
				"chain_fills", fmt.Sprint(chain.FillCount), "clearing_house_fills", fmt.Sprint(ch.FillCount),
				"chain_buy_value", fmt.Sprint(chain.BuyValue), "clearing_house_buy_value", fmt.Sprint(ch.BuyValue),
				"chain_sell_value", fmt.Sprint(chain.SellValue), "clearing_house_sell_value", fmt.Sprint(ch.SellValue))
		}
		ctx.Emit("settlement_report", "date", fmt.Sprint(date), "broker_id", b,
			"fills", fmt.Sprint(r.FillCount), "net_obligation", fmt.Sprint(r.NetObligation),
			"fee_total", fmt.Sprint(r.FeeTotal), "detail_hash", fmt.Sprintf("%x", r.DetailHash),
			"break", strconv.FormatBool(r.SettlementBreak))
	}
	return len(brokers), nBreaks, nil
}

// Report computes a broker's settlement report for a date from its fills
// (in exec-id order). It is a pure function, so a broker can compute the
// same report from its own copy of the fills.
func Report(date uint32, brokerID string, fills []*custodyv1.Fill) *custodyv1.SettlementReport {
	r := &custodyv1.SettlementReport{Date: date, BrokerId: brokerID, Fees: &custodyv1.Fees{}}
	var fb = trading.Breakdown(nil)
	for _, f := range fills {
		r.FillCount++
		if f.Side == custodyv1.Side_SIDE_BUY {
			r.BuyCount++
			r.BuyQuantity += f.Quantity
			r.BuyValue += f.Value
		} else {
			r.SellCount++
			r.SellQuantity += f.Quantity
			r.SellValue += f.Value
		}
		fb = fb.Add(trading.Breakdown(f.Fees))
		r.NetCash -= f.Cash
	}
	r.Fees = trading.FeesProto(fb)
	r.FeeTotal = fb.Total()
	r.NetObligation = r.BuyValue - r.SellValue
	r.DetailHash = DetailHash(fills)
	return r
}

// ChainTotals are a report's figures in the form the clearing house's
// trade file gives them.
func ChainTotals(r *custodyv1.SettlementReport) *custodyv1.TradeTotals {
	return &custodyv1.TradeTotals{BrokerId: r.BrokerId, FillCount: r.FillCount, BuyValue: r.BuyValue, SellValue: r.SellValue}
}

// DetailLine is one fill's line in a report's detail hash:
//
//	exec_id,order_id,account_id,security,B|S,price,quantity,value,
//	commission,stamp_duty,transfer_fee,handling_fee,regulator_levy,cash\n
//
// (one line, integers in decimal).
func DetailLine(f *custodyv1.Fill) string {
	side := "B"
	if f.Side == custodyv1.Side_SIDE_SELL {
		side = "S"
	}
	fe := f.Fees
	if fe == nil {
		fe = &custodyv1.Fees{}
	}
	return fmt.Sprintf("%s,%s,%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", f.ExecId, f.OrderId, f.AccountId, f.Security, side,
		f.Price, f.Quantity, f.Value, fe.Commission, fe.StampDuty, fe.TransferFee, fe.HandlingFee, fe.RegulatorLevy, f.Cash)
}

// DetailHash is SHA-256 over the fills' DetailLines in exec-id order
// (fills are sorted here, so any order of input gives the same hash).
func DetailHash(fills []*custodyv1.Fill) []byte {
	sorted := slices.Clone(fills)
	slices.SortFunc(sorted, func(a, b *custodyv1.Fill) int {
		switch {
		case a.ExecId < b.ExecId:
			return -1
		case a.ExecId > b.ExecId:
			return 1
		}
		return 0
	})
	h := sha256.New()
	for _, f := range sorted {
		h.Write([]byte(DetailLine(f)))
	}
	return h.Sum(nil)
}

// payOut empties a broker's settlement account: the net obligation to (or
// from) the clearing house, then each fee to its payee. The account must
// hold exactly the report's net cash; anything else is a broken invariant.
func payOut(ctx *contracts.Context, r *custodyv1.SettlementReport, fills []*custodyv1.Fill) error {
	settlement := funds.BrokerSettlement(r.BrokerId)
	if bal := funds.GetSystem(ctx.Store, settlement).Balance; bal != r.NetCash || r.NetCash != r.NetObligation+r.FeeTotal {
		panic(fmt.Sprintf("clearing: invariant broken: settlement account of %s holds %d, its fills net %d (obligation %d + fees %d)",
			r.BrokerId, bal, r.NetCash, r.NetObligation, r.FeeTotal))
	}
	ref := fmt.Sprintf("settle/%d/%s", r.Date, r.BrokerId)
	move := func(from, to funds.SystemKey, amount int64) error {
		if amount == 0 {
			return nil
		}
		return funds.MoveSystem(ctx, from, to, amount, ref)
	}
	err := funds.SettleWithClearing(ctx, r.BrokerId, r.NetObligation, ref)
	// Handling fees go to the exchange of each fill: split by market below.
	for _, step := range []struct {
		to     funds.SystemKey
		amount int64
	}{
		{funds.Commission(r.BrokerId), r.Fees.Commission},
		{funds.StampDuty(), r.Fees.StampDuty},
		{funds.TransferFee(), r.Fees.TransferFee},
		{funds.RegulatorLevy(), r.Fees.RegulatorLevy},
	} {
		if err == nil {
			err = move(settlement, step.to, step.amount)
		}
	}
	if err != nil {
		return err
	}
	sse, szse := handlingByMarket(fills)
	if sse+szse != r.Fees.HandlingFee {
		panic(fmt.Sprintf("clearing: handling fees of %s split %d + %d, report %d", r.BrokerId, sse, szse, r.Fees.HandlingFee))
	}
	if err := move(settlement, funds.HandlingFee("SSE"), sse); err != nil {
		return err
	}
	if err := move(settlement, funds.HandlingFee("SZSE"), szse); err != nil {
		return err
	}
	if bal := funds.GetSystem(ctx.Store, settlement).Balance; bal != 0 {
		panic(fmt.Sprintf("clearing: invariant broken: settlement account of %s holds %d after clearing", r.BrokerId, bal))
	}
	return nil
}

// handlingByMarket splits a broker's day of handling fees by exchange.
func handlingByMarket(fills []*custodyv1.Fill) (sse, szse int64) {
	for _, f := range fills {
		if f.Fees == nil {
			continue
		}
		if trading.MarketOf(f.Security) == custodyv1.Market_MARKET_SSE {
			sse += f.Fees.HandlingFee
		} else {
			szse += f.Fees.HandlingFee
		}
	}
	return sse, szse
}

// settleClients makes the day's T+1 purchases sellable and its sale
// proceeds withdrawable, each holding and account once, in the order the
// fills first name them.
func settleClients(ctx *contracts.Context, date uint32, fills []*custodyv1.Fill) {
	type acctSec struct{ account, security string }
	doneHolding := map[acctSec]bool{}
	doneFunds := map[string]bool{}
	ref := fmt.Sprintf("settle/%d", date)
	for _, f := range fills {
		if f.Side == custodyv1.Side_SIDE_BUY {
			k := acctSec{f.AccountId, f.Security}
			if !doneHolding[k] {
				doneHolding[k] = true
				trading.SettleHolding(ctx.Store, f.AccountId, f.Security)
			}
			continue
		}
		if !doneFunds[f.AccountId] {
			doneFunds[f.AccountId] = true
			funds.SettleSales(ctx, f.AccountId, ref)
		}
	}
}

// snapshot records, for every (bank, broker) with clients, the custody
// total and the count and hash of the active clients' balances at the
// close of date: what the banks' statements are reconciled against.
func snapshot(ctx *contracts.Context, date uint32) {
	type pair struct{ bank, broker string }
	type acc struct {
		lines []byte
		count uint32
	}
	byPair := map[pair]*acc{}
	var pairs []pair
	note := func(p pair) *acc {
		a := byPair[p]
		if a == nil {
			a = &acc{}
			byPair[p] = a
			pairs = append(pairs, p)
		}
		return a
	}
	accounts.ForEach(ctx.Store, func(a *custodyv1.Account) {
		if a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
			return
		}
		f := funds.Get(ctx.Store, a.Id)
		s := note(pair{a.BankId, a.BrokerId})
		s.lines = append(s.lines, ClientLine(a.Id, f.Balance)...)
		s.count++
	})
	funds.ForEachCustodyTotal(ctx.Store, func(t *custodyv1.CustodyTotal) { note(pair{t.BankId, t.BrokerId}) })
	slices.SortFunc(pairs, func(x, y pair) int {
		switch {
		case x.bank != y.bank:
			return cmpString(x.bank, y.bank)
		default:
			return cmpString(x.broker, y.broker)
		}
	})
	for _, p := range pairs {
		a := byPair[p]
		sum := sha256.Sum256(a.lines)
		ctx.Store.Set(SnapshotKey(date, p.bank, p.broker), contracts.Marshal(&custodyv1.CustodySnapshot{
			Date: date, BankId: p.bank, BrokerId: p.broker,
			Total:       funds.GetCustodyTotal(ctx.Store, p.bank, p.broker),
			ClientCount: a.count, ClientsHash: sum[:],
		}))
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ClientLine is one client's line in a custody snapshot's clients hash:
// "<account id>,<balance in fen>\n". A bank hashes the same lines, in
// account-id byte order, from its own books.
func ClientLine(accountID string, balance int64) string {
	return accountID + "," + strconv.FormatInt(balance, 10) + "\n"
}

// ClientsHash is SHA-256 over the ClientLines of (account id, balance)
// pairs, which must be in account-id byte order.
func ClientsHash(ids []string, balances []int64) []byte {
	h := sha256.New()
	for i, id := range ids {
		h.Write([]byte(ClientLine(id, balances[i])))
	}
	return h.Sum(nil)
}
