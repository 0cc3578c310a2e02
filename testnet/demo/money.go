package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// InterestRate is the demo bank's demand-deposit rate: 0.35% a year
// (parts per 10^8).
const InterestRate = 350_000

// setInterestRate: the bank publishes its rate before the day opens, in
// force from the next business date, so that the day's own clearing never
// pays interest (whatever the calendar) and the day's figures stay the
// hand-computed ones; the interest phase then pays the quarter.
func (d *Demo) setInterestRate(ctx context.Context) error {
	return d.send(ctx, d.nodeOf(Bank), d.keys[Bank], &custodyv1.MsgSetInterestRate{Effective: d.next, AnnualRate: InterestRate},
		fmt.Sprintf("interest rate %s", Bank))
}

// fileChecks: after the statement (checks 1 and 2), the bank files its
// transfer journal (check 3) and the clearing house its net settlement per
// market (check 4) and its holding records (check 5) for the cleared date.
// On this testnet the clearing house's records are the exchange's fills as
// the chain holds them, and the bank's journal its transfers; so these
// three match, and the day's only break stays the bank's misposting.
func (d *Demo) fileChecks(ctx context.Context) error {
	var lines []*custodyv1.JournalLine
	var holdings []*custodyv1.HoldingLine
	for _, cl := range Clients {
		var tl struct {
			Transfers []json.RawMessage `json:"transfers"`
		}
		if err := d.queryList(ctx, "transfers/"+cl.ID, &tl); err != nil {
			return err
		}
		for _, raw := range tl.Transfers {
			var t custodyv1.Transfer
			if err := protojson.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("transfer of %s: %w", cl.ID, err)
			}
			if t.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED {
				continue
			}
			amount := t.Amount
			if t.Direction == custodyv1.TransferDirection_TRANSFER_DIRECTION_BROKER_TO_BANK {
				amount = -amount
			}
			lines = append(lines, &custodyv1.JournalLine{Serial: t.Id, AccountId: t.AccountId, Amount: amount})
		}
		var hl struct {
			Holdings []json.RawMessage `json:"holdings"`
		}
		if err := d.queryList(ctx, "holdings/"+cl.ID, &hl); err != nil {
			return err
		}
		for _, raw := range hl.Holdings {
			var h custodyv1.Holding
			if err := protojson.Unmarshal(raw, &h); err != nil {
				return fmt.Errorf("holding of %s: %w", cl.ID, err)
			}
			holdings = append(holdings, &custodyv1.HoldingLine{AccountId: h.AccountId, Security: h.Security, Quantity: h.Balance})
		}
	}
	if err := d.send(ctx, d.nodeOf(Bank), d.keys[Bank], &custodyv1.MsgSubmitTransferJournal{Date: d.date, BrokerId: Broker, Lines: lines},
		fmt.Sprintf("transfer journal %d", d.date)); err != nil {
		return err
	}

	var fl struct {
		Fills []json.RawMessage `json:"fills"`
	}
	if err := d.queryList(ctx, fmt.Sprintf("day-fills/%d/%s?limit=1000", d.date, Broker), &fl); err != nil {
		return err
	}
	byMarket := map[custodyv1.Market]*custodyv1.MarketSettlement{}
	var markets []*custodyv1.MarketSettlement
	for _, raw := range fl.Fills {
		var f custodyv1.Fill
		if err := protojson.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("fill: %w", err)
		}
		mk := trading.MarketOf(f.Security)
		ms := byMarket[mk]
		if ms == nil {
			ms = &custodyv1.MarketSettlement{Market: mk}
			byMarket[mk] = ms
			markets = append(markets, ms)
		}
		if f.Side == custodyv1.Side_SIDE_BUY {
			ms.BuyValue += f.Value
		} else {
			ms.SellValue += f.Value
		}
		ms.StampDuty += f.Fees.GetStampDuty()
		ms.TransferFee += f.Fees.GetTransferFee()
		ms.HandlingFee += f.Fees.GetHandlingFee()
		ms.RegulatorLevy += f.Fees.GetRegulatorLevy()
	}
	for _, ms := range markets {
		ms.Net = ms.BuyValue - ms.SellValue + ms.StampDuty + ms.TransferFee + ms.HandlingFee + ms.RegulatorLevy
	}
	ch := d.nodeOf(ClearingHouse)
	if err := d.send(ctx, ch, d.keys[ClearingHouse], &custodyv1.MsgSubmitClearingFile{Date: d.date, BrokerId: Broker, Markets: markets},
		fmt.Sprintf("clearing file %d", d.date)); err != nil {
		return err
	}
	if err := d.send(ctx, ch, d.keys[ClearingHouse], &custodyv1.MsgSubmitHoldingsFile{Date: d.date, BrokerId: Broker, Holdings: holdings},
		fmt.Sprintf("holdings file %d", d.date)); err != nil {
		return err
	}
	_, err := d.settle(ctx)
	return err
}

// settlementDay is the first 20th of March, June, September or December
// on or after date: the bank's quarterly settlement day (结息日).
func settlementDay(date uint32) uint32 {
	for y := date / 10000; ; y++ {
		for _, m := range []uint32{3, 6, 9, 12} {
			if s := y*10000 + m*100 + 20; s >= date {
				return s
			}
		}
	}
}

func calendarDays(a, b uint32) int64 {
	t := func(d uint32) time.Time {
		return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC)
	}
	return int64(t(b).Sub(t(a)).Hours() / 24)
}

// BankInterest is the bank's own interest figure for one account whose
// closing balance was balance on every calendar day from..end: balance ×
// days × rate / 360, rounded half up to the fen once — what the chain must
// credit to the fen.
func BankInterest(balance int64, from, end uint32, rate int64) int64 {
	days := calendarDays(from, end) + 1
	r := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(balance), big.NewInt(days*rate)), big.NewInt(360*100_000_000))
	r.Add(r, big.NewRat(1, 2))
	return new(big.Int).Quo(r.Num(), r.Denom()).Int64()
}

// interest: the clearing house closes the quiet days up to the bank's
// quarterly settlement day, which pays the quarter's interest (结息) on
// every client's daily closing balances; the bank files what it credited
// from its own books (check 6).
func (d *Demo) interest(ctx context.Context) (string, error) {
	c := d.cls[d.nodeOf(Bank)]
	day, err := c.BusinessDay(ctx)
	if err != nil {
		return "", err
	}
	end := settlementDay(day.Date)
	next, err := nextWeekday(end)
	if err != nil {
		return "", err
	}
	// The bank's books: each client's balance today, which holds to the
	// settlement day (nothing moves on the quiet days).
	balances := map[string]int64{}
	for _, cl := range Clients {
		f, _, err := c.ProvenFunds(ctx, d.v, cl.ID)
		if err != nil {
			return "", err
		}
		balances[cl.ID] = f.Balance
	}
	if err := d.send(ctx, d.nodeOf(ClearingHouse), d.keys[ClearingHouse], &custodyv1.MsgEndOfDay{Date: day.Date, NextDate: next},
		fmt.Sprintf("end of day %d (to the settlement day %d)", day.Date, end)); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	var file []*custodyv1.AccountAmount
	var total int64
	for _, cl := range Clients {
		if amount := BankInterest(balances[cl.ID], day.Date, end, InterestRate); amount > 0 {
			file = append(file, &custodyv1.AccountAmount{AccountId: cl.ID, Amount: amount})
			total += amount
		}
	}
	if err := d.send(ctx, d.nodeOf(Bank), d.keys[Bank], &custodyv1.MsgSubmitInterestFile{Date: end, BrokerId: Broker, Interest: file},
		fmt.Sprintf("interest file %d", end)); err != nil {
		return "", err
	}
	if _, err := d.settle(ctx); err != nil {
		return "", err
	}
	d.interestEnd = end
	return fmt.Sprintf("closed %d to %d; %s paid %s of interest at 0.35%% for the quarter to %d to %d clients", day.Date, next, Bank, yuan(total), end, len(file)), nil
}
