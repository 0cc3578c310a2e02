package exchsim_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// TestSim_ResumedRunsAreOneSession plays three runs on one Sim with
// Resume, the later ones cancelling orders of the earlier and reading new
// fills: the events they expect together are exactly what a decoder of all
// their traffic emits (no row reported twice, no record number reused).
func TestSim_ResumedRunsAreOneSession(t *testing.T) {
	sim, err := exchsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runs := []exchsim.Scenario{
		{Name: "morning", Actions: []exchsim.Action{
			{Market: exchsim.SSE, ClOrdID: "A000000001", Account: "A123456789", Security: "600000", Buy: true, Price: 100000, Qty: 1000, Fill: 1000},
			{Market: exchsim.SSE, ClOrdID: "A000000002", Account: "A123456789", Security: "600000", Buy: true, Price: 99000, Qty: 500},
			{Market: exchsim.SZSE, ClOrdID: "A000000003", Account: "0123456789", Security: "000001", Buy: true, Price: 120000, Qty: 2000, Fill: 1000},
		}},
		{Name: "cancels", Actions: []exchsim.Action{
			{Market: exchsim.SSE, Cancel: true, ClOrdID: "A000000004", Orig: "A000000002", Account: "A123456789", Security: "600000"},
			{Market: exchsim.SZSE, Cancel: true, ClOrdID: "A000000005", Orig: "A000000003", Account: "0123456789", Security: "000001"},
		}},
		{Name: "afternoon", Actions: []exchsim.Action{
			{Market: exchsim.SSE, ClOrdID: "A000000006", Account: "A123456789", Security: "600000", Buy: false, Price: 100100, Qty: 300, Fill: 300},
		}},
	}
	var want []capture.Event
	for _, sc := range runs {
		exp, err := sim.Run(ctx, sc, exchsim.RunOptions{Resume: true})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, exp...)
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := exchsim.WritePcap(&buf, sim.Tap().Conns, sim.Tap().Segs, exchsim.PcapOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "day.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []capture.Event
	if _, err := capture.DecodePcapFile(ctx, path, sim.Config(), func(e *capture.Event) error { got = append(got, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("decoded %d events, the runs expected %d", len(got), len(want))
	}
	recs := map[int64]bool{}
	for i := range want {
		if g, w := exchsim.Key(&got[i]), exchsim.Key(&want[i]); g != w {
			t.Errorf("event %d:\n got %s\nwant %s", i, g, w)
		}
		if e := got[i]; e.Market == capture.MarketSSE && (e.Kind == capture.KindOrder || e.Kind == capture.KindCancel) {
			if recs[e.RecNum] {
				t.Errorf("SSE record number %d used twice", e.RecNum)
			}
			recs[e.RecNum] = true
		}
	}
	for _, e := range got {
		if e.Kind == capture.KindCancel && e.Market == capture.MarketSZSE && e.OrderID == "" {
			t.Errorf("SZSE cancel of %s without the exchange's order id", e.OrigClOrdID)
		}
	}
}
