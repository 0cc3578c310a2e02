package clearing_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/clearing"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func FuzzValidateEndOfDay(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgEndOfDay{Date: 20250102, NextDate: 20250103,
		ClosingPrices: []*custodyv1.ClosingPrice{{Security: "600000.SH", Price: 102_000}},
		TradeTotals:   []*custodyv1.TradeTotals{{BrokerId: "broker-1", FillCount: 3, BuyValue: 10, SellValue: 0}},
		Instruments:   []*custodyv1.Instrument{{Security: "600001.SH"}}}))
	f.Add(contracts.Marshal(&custodyv1.MsgEndOfDay{NextDate: 20250102}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m custodyv1.MsgEndOfDay
		if proto.Unmarshal(data, &m) != nil {
			return
		}
		err := clearing.ValidateEndOfDay(&m)
		var coded *contracts.Error
		if err != nil && !errors.As(err, &coded) {
			t.Fatalf("unregistered refusal %v", err)
		}
		if err != nil {
			return
		}
		if m.NextDate <= m.Date {
			t.Fatalf("accepted next date %d after %d", m.NextDate, m.Date)
		}
		seen := map[string]bool{}
		for _, cp := range m.ClosingPrices {
			if cp.Price <= 0 || seen[cp.Security] {
				t.Fatalf("accepted closing price %v", cp)
			}
			seen[cp.Security] = true
		}
		for _, tt := range m.TradeTotals {
			if tt.BuyValue < 0 || tt.SellValue < 0 || m.Date == 0 {
				t.Fatalf("accepted totals %v", tt)
			}
		}
	})
}

func TestDetailHash_OrderFree(t *testing.T) {
	a := &custodyv1.Fill{ExecId: "A", OrderId: "C1/o", AccountId: "C1", Security: "600000.SH", Side: custodyv1.Side_SIDE_BUY,
		Price: 100_000, Quantity: 100, Value: 100_000, Fees: &custodyv1.Fees{Commission: 500}, Cash: -100_500}
	b := &custodyv1.Fill{ExecId: "B", OrderId: "C2/o", AccountId: "C2", Security: "000001.SZ", Side: custodyv1.Side_SIDE_SELL,
		Price: 120_000, Quantity: 50, Value: 60_000, Fees: &custodyv1.Fees{Commission: 500, StampDuty: 30}, Cash: 59_470}
	if got, want := clearing.DetailLine(b), "B,C2/o,C2,000001.SZ,S,120000,50,60000,500,30,0,0,0,59470\n"; got != want {
		t.Fatalf("line %q, want %q", got, want)
	}
	if string(clearing.DetailHash([]*custodyv1.Fill{a, b})) != string(clearing.DetailHash([]*custodyv1.Fill{b, a})) {
		t.Fatal("the detail hash depends on the input order")
	}
	r := clearing.Report(20250102, "broker-1", []*custodyv1.Fill{a, b})
	if r.FillCount != 2 || r.BuyValue != 100_000 || r.SellValue != 60_000 || r.NetObligation != 40_000 || r.FeeTotal != 1030 || r.NetCash != 41_030 {
		t.Fatalf("report %v", r)
	}
}
