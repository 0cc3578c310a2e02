package clearing

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// A settlement break holds the broker's settlement of its day (the
// clients' sale proceeds stay unwithdrawable, their T+1 purchases
// unsellable) until one of two things resolves it:
//
//   - correct_trade_totals: the clearing house sends its trade file for
//     that date again and the totals now agree with the chain's fills
//     (resolved_by "file/<height>");
//   - an applied adjustment of the break, agreed by the broker and the
//     clearing house (resolved_by "adj/<id>", contracts/adjustments).
//
// Either way the held settlement is released: exactly what was held
// settles, with ledger entries SALE_SETTLED referencing the resolution.

// GetBreak returns the settlement break of (date, broker), if any.
func GetBreak(store contracts.Store, date uint32, brokerID string) (*custodyv1.SettlementBreak, bool) {
	k := BreakKey(date, brokerID)
	bz := store.Get(k)
	if bz == nil {
		return nil, false
	}
	var b custodyv1.SettlementBreak
	contracts.Unmarshal(k, bz, &b)
	return &b, true
}

// ResolveBreak marks the open settlement break of (date, broker) resolved
// by ref and releases its held settlement. It panics when there is no open
// break (callers check with GetBreak).
func ResolveBreak(ctx *contracts.Context, date uint32, brokerID, ref string) {
	b, ok := GetBreak(ctx.Store, date, brokerID)
	if !ok || b.ResolvedBy != "" {
		panic(fmt.Sprintf("clearing: no open settlement break %d %s to resolve by %s", date, brokerID, ref))
	}
	b.ResolvedBy, b.ResolvedHeight = ref, ctx.Block.Height
	ctx.Store.Set(BreakKey(date, brokerID), contracts.Marshal(b))
	released := 0
	if h, ok := trading.GetHeld(ctx.Store, date, brokerID); ok {
		release(ctx, h, ref)
		trading.DeleteHeld(ctx.Store, date, brokerID)
		released = len(h.Proceeds) + len(h.Holdings)
	}
	ctx.Emit("settlement_released", "date", fmt.Sprint(date), "broker_id", brokerID, "resolved_by", ref, "items", fmt.Sprint(released))
}

// ValidateCorrectTradeTotals is the stateless check of
// MsgCorrectTradeTotals: a date and 1-MaxItems totals, each well-formed,
// one per broker.
func ValidateCorrectTradeTotals(m *custodyv1.MsgCorrectTradeTotals) error {
	if err := trading.ValidateDate(m.Date); err != nil {
		return err
	}
	if len(m.TradeTotals) == 0 || len(m.TradeTotals) > MaxItems {
		return ErrBadTotals.Wrapf("%d totals", len(m.TradeTotals))
	}
	seen := map[string]bool{}
	for _, tt := range m.TradeTotals {
		if tt == nil {
			return ErrBadTotals.Wrapf("empty entry")
		}
		if err := accounts.ValidateParticipantID(tt.BrokerId); err != nil {
			return err
		}
		if seen[tt.BrokerId] || tt.BuyValue < 0 || tt.SellValue < 0 {
			return ErrBadTotals.Wrapf("%s: %v", tt.BrokerId, tt)
		}
		seen[tt.BrokerId] = true
	}
	return nil
}

// CorrectTradeTotals takes the clearing house's corrected trade file for a
// cleared date. Checks, per entry in order: the broker has an open
// settlement break on that date, and the corrected totals equal the
// chain's (a file that still disagrees resolves nothing: the parties then
// agree an adjustment). Writes: each break resolved ("file/<height>"), its
// held settlement released.
func CorrectTradeTotals(ctx *contracts.Context, m *custodyv1.MsgCorrectTradeTotals) ([]byte, error) {
	breaks := make([]*custodyv1.SettlementBreak, len(m.TradeTotals))
	for i, tt := range m.TradeTotals {
		b, ok := GetBreak(ctx.Store, m.Date, tt.BrokerId)
		if !ok {
			return nil, ErrNoSettlementBreak.Wrapf("%d %s", m.Date, tt.BrokerId)
		}
		if b.ResolvedBy != "" {
			return nil, ErrBreakResolved.Wrapf("%d %s by %s", m.Date, tt.BrokerId, b.ResolvedBy)
		}
		c := b.Chain
		if c.FillCount != tt.FillCount || c.BuyValue != tt.BuyValue || c.SellValue != tt.SellValue {
			return nil, ErrStillDiffers.Wrapf("%s: chain %d fills, buy %d, sell %d; file %d, %d, %d",
				tt.BrokerId, c.FillCount, c.BuyValue, c.SellValue, tt.FillCount, tt.BuyValue, tt.SellValue)
		}
		breaks[i] = b
	}
	ref := fmt.Sprintf("file/%d", ctx.Block.Height)
	for _, b := range breaks {
		ResolveBreak(ctx, b.Date, b.BrokerId, ref)
	}
	return contracts.Marshal(&custodyv1.MsgCorrectTradeTotals{Date: m.Date, TradeTotals: m.TradeTotals}), nil
}
