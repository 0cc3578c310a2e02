package interest

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of the interest contract's refusals.
const Codespace = "interest"

// Refusals of set_interest_rate. Never renumber.
var (
	ErrBadRate          = contracts.Register(Codespace, 1, "annual rate outside 0..10%")
	ErrBackdated        = contracts.Register(Codespace, 2, "a rate cannot take effect before the business date")
	ErrBadSettlementDay = contracts.Register(Codespace, 3, "settlement day outside 1..28")
)

// RateScale: annual rates are parts per 10^8 (0.35% = 350 000).
const RateScale = 100_000_000

// MaxRate bounds an annual rate: 10%.
const MaxRate = RateScale / 10

// DayCountBasis: interest is actual/360 (DOMAIN.md).
const DayCountBasis = 360

// DefaultSettlementDay is the quarterly settlement day (结息日) of the
// quarter's last month: the 20th.
const DefaultSettlementDay = 20

// settlementMonths are the quarters' last months.
var settlementMonths = [4]uint32{3, 6, 9, 12}

// Routes of the interest contract.
func Routes() []contracts.Route {
	return []contracts.Route{
		contracts.Handle("set_interest_rate", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateSetRate, SetRate),
	}
}

// ValidateSetRate is the stateless check of MsgSetInterestRate.
func ValidateSetRate(m *custodyv1.MsgSetInterestRate) error {
	if err := trading.ValidateDate(m.Effective); err != nil {
		return err
	}
	if m.AnnualRate < 0 || m.AnnualRate > MaxRate {
		return ErrBadRate.Wrapf("%d", m.AnnualRate)
	}
	if m.SettlementDay > 28 {
		return ErrBadSettlementDay.Wrapf("%d", m.SettlementDay)
	}
	return nil
}

// GetSchedule returns a bank's schedule: no rates and the default
// settlement day when it never set one.
func GetSchedule(store contracts.Store, bankID string) *custodyv1.InterestSchedule {
	k := ScheduleKey(bankID)
	s := &custodyv1.InterestSchedule{BankId: bankID, SettlementDay: DefaultSettlementDay}
	if bz := store.Get(k); bz != nil {
		contracts.Unmarshal(k, bz, s)
	}
	return s
}

// SetRate adds (or replaces, for the same date) a dated rate in the signing
// bank's schedule. A rate may not take effect before the business date:
// days already accrued keep the rate they accrued at.
func SetRate(ctx *contracts.Context, m *custodyv1.MsgSetInterestRate) ([]byte, error) {
	bank := ctx.Signer.Owner
	if day := trading.GetBusinessDay(ctx.Store).Date; day != 0 && m.Effective < day {
		return nil, ErrBackdated.Wrapf("%d before the business date %d", m.Effective, day)
	}
	s := GetSchedule(ctx.Store, bank)
	if m.SettlementDay != 0 {
		s.SettlementDay = m.SettlementDay
	}
	var rates []*custodyv1.InterestRate
	for _, r := range s.Rates {
		if r.Effective < m.Effective {
			rates = append(rates, r)
		}
	}
	// Later rates than this one are dropped: the bank's newest message is
	// its schedule from m.Effective on.
	s.Rates = append(rates, &custodyv1.InterestRate{Effective: m.Effective, AnnualRate: m.AnnualRate})
	bz := contracts.Marshal(s)
	ctx.Store.Set(ScheduleKey(bank), bz)
	ctx.Emit("interest_rate", "bank_id", bank, "effective", fmt.Sprint(m.Effective),
		"annual_rate", fmt.Sprint(m.AnnualRate), "settlement_day", fmt.Sprint(s.SettlementDay))
	return bz, nil
}

// RateOn is the bank's annual rate on a calendar day (0 before its first).
func RateOn(s *custodyv1.InterestSchedule, date uint32) int64 {
	var r int64
	for _, x := range s.Rates {
		if x.Effective > date {
			break
		}
		r = x.AnnualRate
	}
	return r
}

// GetAccrual returns an account's accrual state, if any.
func GetAccrual(store contracts.Store, bankID, accountID string) (*custodyv1.Accrual, bool) {
	k := AccrualKey(bankID, accountID)
	bz := store.Get(k)
	if bz == nil {
		return nil, false
	}
	var a custodyv1.Accrual
	contracts.Unmarshal(k, bz, &a)
	return &a, true
}

// integrate adds the days [a.LastDate, to) at a.LastBalance to the
// accrual's 积数, split at the bank's rate changes, and moves LastDate to
// to.
func integrate(a *custodyv1.Accrual, s *custodyv1.InterestSchedule, to uint32) {
	if to <= a.LastDate {
		return
	}
	from := a.LastDate
	a.LastDate = to
	if a.LastBalance == 0 {
		return
	}
	for from < to {
		// The segment ends at the next rate change after from, or at to.
		end := to
		for _, r := range s.Rates {
			if r.Effective > from && r.Effective < end {
				end = r.Effective
				break
			}
		}
		addSegment(a, RateOn(s, from), a.LastBalance*DaysBetween(from, end))
		from = end
	}
}

func addSegment(a *custodyv1.Accrual, rate, balanceDays int64) {
	if n := len(a.Segments); n > 0 && a.Segments[n-1].AnnualRate == rate {
		a.Segments[n-1].BalanceDays += balanceDays
		return
	}
	a.Segments = append(a.Segments, &custodyv1.AccrualSegment{AnnualRate: rate, BalanceDays: balanceDays})
}

// Amount is the interest of a period's 积数 by rate, in fen:
// round_half_up(Σ balance_days × annual_rate / (360 × RateScale)), the
// products in 128 bits. It panics on a sum beyond 128 bits (a balance of
// more than 10^20 fen-days: a broken invariant).
func Amount(segments []*custodyv1.AccrualSegment) int64 {
	var hi, lo uint64
	for _, s := range segments {
		if s.BalanceDays <= 0 || s.AnnualRate <= 0 {
			continue
		}
		h, l := bits.Mul64(uint64(s.BalanceDays), uint64(s.AnnualRate))
		var c uint64
		lo, c = bits.Add64(lo, l, 0)
		hi, _ = bits.Add64(hi, h, c)
	}
	const den = DayCountBasis * RateScale
	var c uint64
	lo, c = bits.Add64(lo, den/2, 0)
	hi += c
	if hi >= den {
		panic("interest: invariant broken: accrual beyond 128 bits")
	}
	q, _ := bits.Div64(hi, lo, den)
	return int64(q)
}

// Close is the interest and closing step of end-of-day clearing for date,
// the next business date being next. Clearing calls it after the day's
// settlement and snapshot. In order:
//
//  1. every account whose balance changed since the last close (in
//     account-id order): integrate its accrual up to date, record its
//     closing balance of date and the day's transfer journal lines from its
//     new ledger entries, clear its mark;
//  2. every (account, security) of the day's fills: its closing holding;
//  3. every bank whose settlement day S falls in [date, next): pay the
//     period's interest to each of its accounts (Pay).
func Close(ctx *contracts.Context, date, next uint32) {
	type mark struct {
		account string
		from    uint64
	}
	var changed []mark
	it := ctx.Store.Iterator(funds.BalanceChangedPrefix(), contracts.PrefixEnd(funds.BalanceChangedPrefix()))
	for ; it.Valid(); it.Next() {
		changed = append(changed, mark{string(it.Key()[1:]), binary.BigEndian.Uint64(it.Value())})
	}
	it.Close()
	for _, m := range changed {
		closeAccount(ctx, m.account, m.from, date)
		ctx.Store.Delete(funds.BalanceChangedKey(m.account))
	}
	closeHoldings(ctx, date)

	var banks []string
	bi := ctx.Store.Iterator([]byte{contracts.PrefixInterestRates}, contracts.PrefixEnd([]byte{contracts.PrefixInterestRates}))
	for ; bi.Valid(); bi.Next() {
		banks = append(banks, string(bi.Key()[1:]))
	}
	bi.Close()
	for _, bank := range banks {
		s := GetSchedule(ctx.Store, bank)
		if end, ok := SettlementIn(s.SettlementDay, date, next); ok {
			Pay(ctx, s, end)
		}
	}
}

// SettlementIn returns the settlement day (day of March, June, September or
// December) that falls in [date, next), if one does.
func SettlementIn(day, date, next uint32) (uint32, bool) {
	if day == 0 {
		day = DefaultSettlementDay
	}
	for y := date / 10000; y <= next/10000; y++ {
		for _, m := range settlementMonths {
			s := y*10000 + m*100 + day
			if s >= date && s < next {
				return s, true
			}
		}
	}
	return 0, false
}

// closeAccount is step 1 of Close for one account.
func closeAccount(ctx *contracts.Context, id string, fromSeq uint64, date uint32) {
	acct, err := accounts.Get(ctx.Store, id)
	if err != nil {
		panic(fmt.Sprintf("interest: invariant broken: balance mark for unknown account %s", id))
	}
	f := funds.Get(ctx.Store, id)
	if f == nil {
		panic(fmt.Sprintf("interest: invariant broken: balance mark for account %s without funds", id))
	}
	s := GetSchedule(ctx.Store, acct.BankId)
	a, ok := GetAccrual(ctx.Store, acct.BankId, id)
	if !ok {
		a = &custodyv1.Accrual{AccountId: id, BankId: acct.BankId, BrokerId: acct.BrokerId, LastDate: date, PeriodStart: date}
	}
	integrate(a, s, date)
	a.LastBalance = f.Balance
	ctx.Store.Set(ClosingBalanceKey(id, date), contracts.Marshal(&custodyv1.ClosingFigure{Amount: f.Balance, FirstSeq: fromSeq, NextSeq: f.NextSeq}))
	for seq := fromSeq; seq < f.NextSeq; {
		page := funds.Entries(ctx.Store, id, seq, 0)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if line, ok := journalLine(acct.BankId, id, e); ok {
				ctx.Store.Set(JournalKey(date, acct.BankId, acct.BrokerId, JournalItemKey(line)), contracts.Marshal(line))
			}
		}
		seq = page[len(page)-1].Seq + 1
	}
	ctx.Store.Set(AccrualKey(acct.BankId, id), contracts.Marshal(a))
}

// journalLine is the transfer-journal line of a fund-ledger entry, if it
// is a bank-securities transfer or its reversal: a deposit credited, a
// withdrawal paid out, or any reversal (冲正) reason, by the ref
// "<bank id>/<serial>".
func journalLine(bankID, accountID string, e *custodyv1.LedgerEntry) (*custodyv1.JournalLine, bool) {
	if e.Amount == 0 {
		return nil, false
	}
	reversal := strings.Contains(e.Reason.String(), "REVERSAL")
	switch {
	case e.Reason == custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT, e.Reason == custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_PAID, reversal:
	default:
		return nil, false
	}
	serial, ok := strings.CutPrefix(e.RefId, bankID+"/")
	if !ok {
		serial = e.RefId
	}
	return &custodyv1.JournalLine{Serial: serial, AccountId: accountID, Amount: e.Amount, Reversal: reversal}, true
}

// JournalItemKey is a journal line's identity: its serial, with
// "/reversal" for the reversal of that serial.
func JournalItemKey(l *custodyv1.JournalLine) string {
	if l.Reversal {
		return l.Serial + "/reversal"
	}
	return l.Serial
}

// closeHoldings is step 2 of Close: the closing holding of every account
// and security in the day's fills, once each.
func closeHoldings(ctx *contracts.Context, date uint32) {
	prefix := trading.DayFillsPrefix(date)
	it := ctx.Store.Iterator(prefix, contracts.PrefixEnd(prefix))
	var execs []string
	for ; it.Valid(); it.Next() {
		k := it.Key()[len(prefix):]
		n := int(k[0])
		execs = append(execs, string(k[1+n:]))
	}
	it.Close()
	type pair struct{ account, security string }
	var done []pair
	for _, ex := range execs {
		f, ok := trading.GetFill(ctx.Store, ex)
		if !ok {
			continue
		}
		p := pair{f.AccountId, f.Security}
		seen := false
		for _, d := range done {
			if d == p {
				seen = true
				break
			}
		}
		if seen {
			continue
		}
		done = append(done, p)
		h := trading.GetHolding(ctx.Store, f.AccountId, f.Security)
		ctx.Store.Set(ClosingHoldingKey(f.AccountId, f.Security, date), contracts.Marshal(&custodyv1.ClosingFigure{Amount: h.Balance}))
	}
}

// Pay settles a bank's interest period ending on periodEnd (its settlement
// day): every account with an accrual at the bank, in account-id order, is
// integrated through periodEnd, paid round_half_up(积数 × rate / 360) when
// that is at least a fen (value date the next day), and starts a new
// period the next day. Each payment writes an InterestPosting and a ledger
// entry (funds.CreditInterest).
func Pay(ctx *contracts.Context, s *custodyv1.InterestSchedule, periodEnd uint32) {
	prefix := AccrualsPrefix(s.BankId)
	it := ctx.Store.Iterator(prefix, contracts.PrefixEnd(prefix))
	var accruals []*custodyv1.Accrual
	for ; it.Valid(); it.Next() {
		var a custodyv1.Accrual
		contracts.Unmarshal(it.Key(), it.Value(), &a)
		accruals = append(accruals, &a)
	}
	it.Close()
	credit := AddDays(periodEnd, 1)
	ref := fmt.Sprintf("interest/%s/%d", s.BankId, periodEnd)
	paid, total := 0, int64(0)
	for _, a := range accruals {
		integrate(a, s, credit)
		amount := Amount(a.Segments)
		if amount > 0 && funds.Get(ctx.Store, a.AccountId) != nil {
			e, err := funds.CreditInterest(ctx, funds.Holder{AccountID: a.AccountId, BankID: a.BankId, BrokerID: a.BrokerId}, amount, ref)
			if err != nil {
				panic(fmt.Sprintf("interest: invariant broken: crediting %d to %s: %v", amount, a.AccountId, err))
			}
			ctx.Store.Set(PostingKey(periodEnd, a.AccountId), contracts.Marshal(&custodyv1.InterestPosting{
				AccountId: a.AccountId, BankId: a.BankId, BrokerId: a.BrokerId,
				PeriodStart: a.PeriodStart, PeriodEnd: periodEnd, CreditDate: credit,
				Segments: a.Segments, Amount: amount, LedgerSeq: e.Seq,
			}))
			a.LastBalance += amount
			paid++
			total += amount
		}
		a.Segments, a.PeriodStart = nil, credit
		k := AccrualKey(a.BankId, a.AccountId)
		if a.LastBalance == 0 {
			// Nothing accrues until the balance changes again, which
			// recreates the record: the next settlement skips this account.
			ctx.Store.Delete(k)
			continue
		}
		ctx.Store.Set(k, contracts.Marshal(a))
	}
	ctx.Emit("interest_paid", "bank_id", s.BankId, "period_end", fmt.Sprint(periodEnd),
		"credit_date", fmt.Sprint(credit), "accounts", fmt.Sprint(paid), "total", fmt.Sprint(total))
}

// Invariants of the interest contract.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{{Name: "interest/postings", Check: checkPostings}}
}

// checkPostings: Σ interest postings = Supply.interest (every fen of
// interest in custody was posted to an account, and every posting is
// money that entered custody), and each posting's amount is its 积数's.
func checkPostings(store contracts.Store) (string, bool) {
	prefix := []byte{contracts.PrefixInterestPosting}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var n, total int64
	for ; it.Valid(); it.Next() {
		var p custodyv1.InterestPosting
		contracts.Unmarshal(it.Key(), it.Value(), &p)
		if got := Amount(p.Segments); got != p.Amount || p.Amount <= 0 {
			return fmt.Sprintf("posting %d/%s pays %d, its 积数 gives %d", p.PeriodEnd, p.AccountId, p.Amount, got), true
		}
		n++
		total += p.Amount
	}
	if s := funds.GetSupply(store); s.Interest != total {
		return fmt.Sprintf("%d postings total %d, supply says %d of interest", n, total, s.Interest), true
	}
	return fmt.Sprintf("%d postings, %d fen of interest, in the supply", n, total), false
}
