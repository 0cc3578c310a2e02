package chain

import (
	"context"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/custody-ledger/custody/capture"
)

// TestFeed_FillUnderTheWireCode: the chain names a security "600000.SH",
// the exchange link "600000"; a chain fill must reach the risk core under
// the link's code and the market's shareholder account, or wire-vs-ledger
// could never match it with the fill on the link.
func TestFeed_FillUnderTheWireCode(t *testing.T) {
	f := &Feed{holders: map[string][]string{"C1": {"0100001111", "A111111111"}}}
	for sec, want := range map[string][2]string{"600000.SH": {"600000", "A111111111"}, "000001.SZ": {"000001", "0100001111"}, "510300": {"510300", "A111111111"}} {
		ev := abcitypes.Event{Type: "fill_reported", Attributes: []abcitypes.EventAttribute{
			{Key: "account_id", Value: "C1"}, {Key: "security", Value: sec}, {Key: "side", Value: "SIDE_SELL"},
			{Key: "price", Value: "100000"}, {Key: "quantity", Value: "500"}, {Key: "exec_id", Value: "7"}}}
		le, ok, err := f.convert(context.Background(), ev, "9/0/1", time.Unix(1, 0))
		if err != nil || !ok {
			t.Fatalf("%s: convert: %v %v", sec, ok, err)
		}
		if le.Security != want[0] || le.Account != want[1] || le.ExecID != "7" || le.Side != capture.SideSell || le.Qty != 500 {
			t.Errorf("%s: ledger fill %+v, want security %s account %s", sec, le, want[0], want[1])
		}
	}
}
