package trading

import (
	"crypto/ed25519"
	"time"
	"unicode/utf8"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Limits of the stateless checks.
const (
	MaxOrderSuffixLen = 32
	MaxExecIDLen      = 64
	MaxNameLen        = 64
	MaxNoLimitDays    = 1000
)

const idExtra = "._-"

// ValidateDate checks a business date: a real calendar day YYYYMMDD from
// 1990 (the exchanges' founding) to 9999.
func ValidateDate(d uint32) error {
	y, m, day := int(d/10000), time.Month(d/100%100), int(d%100)
	if y < 1990 || y > 9999 {
		return ErrBadDate.Wrapf("%d", d)
	}
	t := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || t.Month() != m || t.Day() != day {
		return ErrBadDate.Wrapf("%d", d)
	}
	return nil
}

// ValidateSecurity checks a security: six digits, then ".SH" or ".SZ".
func ValidateSecurity(s string) error {
	if len(s) != 9 || s[6] != '.' || s[7:] != "SH" && s[7:] != "SZ" {
		return ErrBadSecurity.Wrapf("%q", s)
	}
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrBadSecurity.Wrapf("%q", s)
		}
	}
	return nil
}

// MarketOf is the exchange of a valid security: SH is SSE, SZ is SZSE.
func MarketOf(security string) custodyv1.Market {
	switch {
	case len(security) == 9 && security[7:] == "SH":
		return custodyv1.Market_MARKET_SSE
	case len(security) == 9 && security[7:] == "SZ":
		return custodyv1.Market_MARKET_SZSE
	}
	return custodyv1.Market_MARKET_UNSPECIFIED
}

// MarketName is "SSE" or "SZSE": the owner of the exchange's handling-fee
// account.
func MarketName(m custodyv1.Market) string {
	switch m {
	case custodyv1.Market_MARKET_SSE:
		return "SSE"
	case custodyv1.Market_MARKET_SZSE:
		return "SZSE"
	}
	return ""
}

// ValidateOrderID checks "<account id>/<suffix>" and returns the account id.
func ValidateOrderID(id string) (string, error) {
	acct, suffix, ok := SplitOrderID(id)
	if !ok || accounts.ValidateAccountID(acct) != nil || !accounts.IDChars(suffix, MaxOrderSuffixLen, idExtra) {
		return "", ErrBadOrderID.Wrapf("%q", id)
	}
	return acct, nil
}

// ValidateExecID checks an exchange execution id.
func ValidateExecID(id string) error {
	if !accounts.IDChars(id, MaxExecIDLen, idExtra) {
		return ErrBadExecID.Wrapf("%q", id)
	}
	return nil
}

// ValidateInstrument checks an instrument record against the parameters:
// security format, market matching the suffix (unspecified is filled in),
// a known board on its exchange (STAR on SSE, ChiNext on SZSE), a positive
// reference price on the tick, a settlement cycle, bounded name and days.
// An unspecified market is allowed: Normalize fills it in from the suffix.
func ValidateInstrument(p *custodyv1.TradingParams, inst *custodyv1.Instrument) error {
	if inst == nil {
		return ErrBadInstrument.Wrapf("missing")
	}
	if err := ValidateSecurity(inst.Security); err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return ErrBadInstrument.Wrapf("%s: "+format, append([]any{inst.Security}, args...)...)
	}
	m := MarketOf(inst.Security)
	if inst.Market != custodyv1.Market_MARKET_UNSPECIFIED && inst.Market != m {
		return bad("market %s does not match the suffix", inst.Market)
	}
	var rule *custodyv1.BoardRule
	for _, br := range p.BoardRules {
		if br.Board == inst.Board {
			rule = br
		}
	}
	switch {
	case rule == nil:
		return bad("board %s", inst.Board)
	case inst.Board == custodyv1.Board_BOARD_STAR && m != custodyv1.Market_MARKET_SSE,
		inst.Board == custodyv1.Board_BOARD_CHINEXT && m != custodyv1.Market_MARKET_SZSE:
		return bad("board %s is not on %s", inst.Board, MarketName(m))
	case len(inst.Name) > MaxNameLen || !utf8.ValidString(inst.Name):
		return bad("name of %d bytes", len(inst.Name))
	case inst.Tick < 0 || inst.Tick > MaxPrice:
		return bad("tick %d", inst.Tick)
	case inst.Cycle != custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1 && inst.Cycle != custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T0:
		return bad("settlement cycle %s", inst.Cycle)
	case inst.NoLimitDays > MaxNoLimitDays:
		return bad("%d days without limits", inst.NoLimitDays)
	}
	tick := inst.Tick
	if tick == 0 {
		tick = rule.Tick
	}
	if inst.ReferencePrice <= 0 || inst.ReferencePrice > MaxPrice/2 || inst.ReferencePrice%tick != 0 {
		return bad("reference price %d (tick %d)", inst.ReferencePrice, tick)
	}
	return nil
}

// validateTicketFields checks the fields an order ticket shares with its
// order.
func validateTicket(t *custodyv1.OrderTicket) error {
	if t == nil {
		return ErrBadTicket.Wrapf("no order ticket")
	}
	acct, err := ValidateOrderID(t.OrderId)
	if err != nil {
		return err
	}
	if err := accounts.ValidateAccountID(t.AccountId); err != nil {
		return err
	}
	if acct != t.AccountId {
		return ErrBadOrderID.Wrapf("%q does not start with %q", t.OrderId, t.AccountId+"/")
	}
	if err := ValidateSecurity(t.Security); err != nil {
		return err
	}
	if t.Side != custodyv1.Side_SIDE_BUY && t.Side != custodyv1.Side_SIDE_SELL {
		return ErrBadSide.Wrapf("%s", t.Side)
	}
	switch t.Type {
	case custodyv1.OrderType_ORDER_TYPE_LIMIT:
		if t.Price <= 0 || t.Price > MaxPrice {
			return ErrBadPrice.Wrapf("limit price %s", contracts.Price(t.Price))
		}
	case custodyv1.OrderType_ORDER_TYPE_MARKET:
		if t.Price != 0 {
			return ErrBadPrice.Wrapf("market order with price %s", contracts.Price(t.Price))
		}
	default:
		return ErrBadOrderType.Wrapf("%s", t.Type)
	}
	if t.Quantity <= 0 || t.Quantity > MaxQuantity {
		return ErrBadQuantity.Wrapf("%d", t.Quantity)
	}
	return ValidateDate(t.BusinessDate)
}

// ValidatePlace is the stateless check of MsgPlaceOrder.
func ValidatePlace(m *custodyv1.MsgPlaceOrder) error {
	if err := validateTicket(m.Ticket); err != nil {
		return err
	}
	if len(m.ClientSignature) != ed25519.SignatureSize {
		return ErrBadSignatureLen.Wrapf("%d bytes", len(m.ClientSignature))
	}
	return nil
}

// ValidateCancel is the stateless check of MsgCancelOrder.
func ValidateCancel(m *custodyv1.MsgCancelOrder) error {
	if m.Ticket == nil {
		return ErrBadTicket.Wrapf("no cancel ticket")
	}
	if _, err := ValidateOrderID(m.Ticket.OrderId); err != nil {
		return err
	}
	if len(m.ClientSignature) != ed25519.SignatureSize {
		return ErrBadSignatureLen.Wrapf("%d bytes", len(m.ClientSignature))
	}
	return nil
}

// ValidateFill is the stateless check of MsgReportFill.
func ValidateFill(m *custodyv1.MsgReportFill) error {
	if err := ValidateExecID(m.ExecId); err != nil {
		return err
	}
	if _, err := ValidateOrderID(m.OrderId); err != nil {
		return err
	}
	if m.Price <= 0 || m.Price > MaxPrice {
		return ErrBadPrice.Wrapf("fill price %s", contracts.Price(m.Price))
	}
	if m.Quantity <= 0 || m.Quantity > MaxQuantity {
		return ErrBadQuantity.Wrapf("fill quantity %d", m.Quantity)
	}
	return nil
}
