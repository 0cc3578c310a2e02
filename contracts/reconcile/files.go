package reconcile

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/interest"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// MaxFileLines bounds a file before the state's bound (max_eod_items) is known.
const MaxFileLines = 1_000_000

func validateHeader(date uint32, brokerID string, n int) error {
	if err := trading.ValidateDate(date); err != nil {
		return err
	}
	if err := accounts.ValidateParticipantID(brokerID); err != nil {
		return err
	}
	if n > MaxFileLines {
		return ErrFileTooLong.Wrapf("%d lines", n)
	}
	return nil
}

// ValidateTransferJournal is the stateless check of MsgSubmitTransferJournal.
func ValidateTransferJournal(m *custodyv1.MsgSubmitTransferJournal) error {
	if err := validateHeader(m.Date, m.BrokerId, len(m.Lines)); err != nil {
		return err
	}
	for i, l := range m.Lines {
		if l == nil || l.Serial == "" || len(l.Serial) > 64 || l.Amount == 0 {
			return ErrBadFile.Wrapf("line %d: %v", i, l)
		}
		if err := accounts.ValidateAccountID(l.AccountId); err != nil {
			return ErrBadFile.Wrapf("line %d: %v", i, err)
		}
	}
	return nil
}

// SubmitTransferJournal is check 3: the bank's journal of a cleared date's
// transfers and reversals for one broker's clients against the chain's
// (package interest records it at the close), each serial once on both
// sides with the same account and amount. Item key: the serial, or
// "<serial>/reversal"; a line naming another account than the chain's is
// an "account" break.
func SubmitTransferJournal(ctx *contracts.Context, m *custodyv1.MsgSubmitTransferJournal) ([]byte, error) {
	bank := ctx.Signer.Owner
	if err := cleared(ctx.Store, m.Date, m.BrokerId); err != nil {
		return nil, err
	}
	if err := within(ctx.Store, len(m.Lines)); err != nil {
		return nil, err
	}
	c := newComparison(ctx, m.Date, bank, m.BrokerId, custodyv1.ReconCheckKind_RECON_CHECK_TRANSFERS, fileHash(m))
	var file, chain []keyed
	fileAccount := map[string]string{}
	for _, l := range m.Lines {
		k := interest.JournalItemKey(l)
		file = append(file, keyed{k, l.Amount})
		if _, seen := fileAccount[k]; !seen {
			fileAccount[k] = l.AccountId
		}
	}
	file = c.repeats(file)
	for _, l := range interest.Journal(ctx.Store, m.Date, bank, m.BrokerId) {
		k := interest.JournalItemKey(l)
		chain = append(chain, keyed{k, l.Amount})
		if a, ok := fileAccount[k]; ok && a != l.AccountId {
			c.breaks = append(c.breaks, &custodyv1.ReconBreak{Date: m.Date, CounterpartyId: bank, BrokerId: m.BrokerId,
				Check: c.check.Check, ItemKey: k + "/account", What: fmt.Sprintf("account: chain %s, file %s", l.AccountId, a),
				ChainAmount: l.Amount})
		}
	}
	c.check.ChainTotal, c.check.FileTotal = total(chain), total(file)
	c.merge(chain, file)
	return c.record(ctx)
}

// ValidateClearingFile is the stateless check of MsgSubmitClearingFile.
func ValidateClearingFile(m *custodyv1.MsgSubmitClearingFile) error {
	if err := validateHeader(m.Date, m.BrokerId, len(m.Markets)); err != nil {
		return err
	}
	seen := map[custodyv1.Market]bool{}
	for _, ms := range m.Markets {
		if ms == nil || seen[ms.Market] || (ms.Market != custodyv1.Market_MARKET_SSE && ms.Market != custodyv1.Market_MARKET_SZSE) {
			return ErrBadFile.Wrapf("market %v unknown or repeated", ms)
		}
		seen[ms.Market] = true
	}
	return nil
}

// ChainSettlement is the broker's second-tier clearing of a date per market
// (SSE, then SZSE), from its fills: what the clearing house's first-tier
// net settlement must equal.
func ChainSettlement(store contracts.Store, date uint32, brokerID string) []*custodyv1.MarketSettlement {
	out := []*custodyv1.MarketSettlement{{Market: custodyv1.Market_MARKET_SSE}, {Market: custodyv1.Market_MARKET_SZSE}}
	for _, f := range trading.FillsOfDay(store, date, brokerID, "", 0) {
		ms := out[0]
		if trading.MarketOf(f.Security) == custodyv1.Market_MARKET_SZSE {
			ms = out[1]
		}
		if f.Side == custodyv1.Side_SIDE_BUY {
			ms.BuyValue += f.Value
		} else {
			ms.SellValue += f.Value
		}
		if fe := f.Fees; fe != nil {
			ms.StampDuty += fe.StampDuty
			ms.TransferFee += fe.TransferFee
			ms.HandlingFee += fe.HandlingFee
			ms.RegulatorLevy += fe.RegulatorLevy
		}
	}
	for _, ms := range out {
		ms.Net = ms.BuyValue - ms.SellValue + ms.StampDuty + ms.TransferFee + ms.HandlingFee + ms.RegulatorLevy
	}
	return out
}

func settlementItems(ms *custodyv1.MarketSettlement) []keyed {
	m := ms.Market.String()
	return []keyed{{m + "/buy_value", ms.BuyValue}, {m + "/sell_value", ms.SellValue}, {m + "/stamp_duty", ms.StampDuty},
		{m + "/transfer_fee", ms.TransferFee}, {m + "/handling_fee", ms.HandlingFee}, {m + "/regulator_levy", ms.RegulatorLevy},
		{m + "/net", ms.Net}}
}

// SubmitClearingFile is check 4: the clearing house's net settlement with a
// broker per market — gross values, fees and taxes by payee, the net —
// against the broker's fills of the date. Item key "<market>/<figure>"; a
// market absent from the file compares with zeros.
func SubmitClearingFile(ctx *contracts.Context, m *custodyv1.MsgSubmitClearingFile) ([]byte, error) {
	if err := cleared(ctx.Store, m.Date, m.BrokerId); err != nil {
		return nil, err
	}
	c := newComparison(ctx, m.Date, ctx.Signer.Owner, m.BrokerId, custodyv1.ReconCheckKind_RECON_CHECK_CLEARING, fileHash(m))
	for _, chain := range ChainSettlement(ctx.Store, m.Date, m.BrokerId) {
		file := &custodyv1.MarketSettlement{Market: chain.Market}
		for _, ms := range m.Markets {
			if ms.Market == chain.Market {
				file = ms
			}
		}
		c.check.ChainTotal += chain.Net
		c.check.FileTotal += file.Net
		ci, fi := settlementItems(chain), settlementItems(file)
		for i := range ci {
			c.item(ci[i].key, "amount", ci[i].amount, fi[i].amount)
		}
	}
	return c.record(ctx)
}

// ValidateHoldingsFile is the stateless check of MsgSubmitHoldingsFile.
func ValidateHoldingsFile(m *custodyv1.MsgSubmitHoldingsFile) error {
	if err := validateHeader(m.Date, m.BrokerId, len(m.Holdings)); err != nil {
		return err
	}
	for i, h := range m.Holdings {
		if h == nil || h.Quantity < 0 {
			return ErrBadFile.Wrapf("line %d: %v", i, h)
		}
		if err := accounts.ValidateAccountID(h.AccountId); err != nil {
			return ErrBadFile.Wrapf("line %d: %v", i, err)
		}
		if err := trading.ValidateSecurity(h.Security); err != nil {
			return ErrBadFile.Wrapf("line %d: %v", i, err)
		}
	}
	return nil
}

// SubmitHoldingsFile is check 5: the clearing house's holding records of a
// broker's clients at a date's close against the chain's closing holdings,
// per client and security ("<account>/<security>") and for the broker's
// total per security ("*/<security>"). Holdings are in shares.
func SubmitHoldingsFile(ctx *contracts.Context, m *custodyv1.MsgSubmitHoldingsFile) ([]byte, error) {
	if err := cleared(ctx.Store, m.Date, m.BrokerId); err != nil {
		return nil, err
	}
	if err := within(ctx.Store, len(m.Holdings)); err != nil {
		return nil, err
	}
	c := newComparison(ctx, m.Date, ctx.Signer.Owner, m.BrokerId, custodyv1.ReconCheckKind_RECON_CHECK_HOLDINGS, fileHash(m))
	var file, chain []keyed
	for _, h := range m.Holdings {
		file = append(file, keyed{h.AccountId + "/" + h.Security, h.Quantity})
	}
	file = c.repeats(file)
	for _, a := range brokerClients(ctx.Store, "", m.BrokerId) {
		for _, sec := range interest.TradedSecurities(ctx.Store, a.Id, m.Date) {
			if q := interest.ClosingHolding(ctx.Store, a.Id, sec, m.Date); q != 0 {
				chain = append(chain, keyed{a.Id + "/" + sec, q})
			}
		}
	}
	bySecurity := func(items []keyed) []keyed {
		var out []keyed
		for _, it := range items {
			_, sec, _ := cutLast(it.key)
			k := "*/" + sec
			found := false
			for i := range out {
				if out[i].key == k {
					out[i].amount += it.amount
					found = true
				}
			}
			if !found {
				out = append(out, keyed{k, it.amount})
			}
		}
		return out
	}
	c.check.ChainTotal, c.check.FileTotal = total(chain), total(file)
	chainAll := append(bySecurity(chain), chain...)
	fileAll := append(bySecurity(file), file...)
	c.merge(chainAll, fileAll)
	return c.record(ctx)
}

func cutLast(s string) (string, string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// ValidateInterestFile is the stateless check of MsgSubmitInterestFile.
func ValidateInterestFile(m *custodyv1.MsgSubmitInterestFile) error {
	if err := validateHeader(m.Date, m.BrokerId, len(m.Interest)); err != nil {
		return err
	}
	for i, a := range m.Interest {
		if a == nil || a.Amount < 0 {
			return ErrBadFile.Wrapf("line %d: %v", i, a)
		}
		if err := accounts.ValidateAccountID(a.AccountId); err != nil {
			return ErrBadFile.Wrapf("line %d: %v", i, err)
		}
	}
	return nil
}

// SubmitInterestFile is check 6: the interest the bank credited to a
// broker's clients for the period ending on date (its settlement day)
// against the chain's postings, per account.
func SubmitInterestFile(ctx *contracts.Context, m *custodyv1.MsgSubmitInterestFile) ([]byte, error) {
	bank := ctx.Signer.Owner
	if err := cleared(ctx.Store, trading.GetBusinessDay(ctx.Store).PreviousDate, m.BrokerId); err != nil {
		return nil, err
	}
	if day := trading.GetBusinessDay(ctx.Store).Date; m.Date >= day {
		return nil, ErrNotSettledYet.Wrapf("%d: the business date is %d", m.Date, day)
	}
	if err := within(ctx.Store, len(m.Interest)); err != nil {
		return nil, err
	}
	c := newComparison(ctx, m.Date, bank, m.BrokerId, custodyv1.ReconCheckKind_RECON_CHECK_INTEREST, fileHash(m))
	var file, chain []keyed
	for _, a := range m.Interest {
		file = append(file, keyed{a.AccountId, a.Amount})
	}
	file = c.repeats(file)
	for _, p := range interest.Postings(ctx.Store, m.Date) {
		if p.BankId == bank && p.BrokerId == m.BrokerId {
			chain = append(chain, keyed{p.AccountId, p.Amount})
		}
	}
	c.check.ChainTotal, c.check.FileTotal = total(chain), total(file)
	c.merge(chain, file)
	return c.record(ctx)
}
