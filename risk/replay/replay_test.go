package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk/config"
)

var cst = time.FixedZone("CST", 8*3600)

// events: three large orders cancelled at once by one account (spoofing and
// large_order), and a wash trade between two associated accounts.
func events() []*capture.Event {
	t0 := time.Date(2025, 7, 8, 10, 0, 0, 0, cst)
	var es []*capture.Event
	add := func(d time.Duration, e capture.Event) {
		e.Seq, e.CaptureTime, e.Market = uint64(len(es)+1), t0.Add(d), capture.MarketSZSE
		es = append(es, &e)
	}
	for i, id := range []string{"a", "b", "c"} {
		d := time.Duration(i) * time.Minute
		add(d, capture.Event{Kind: capture.KindOrder, Account: "0600000001", Security: "000001", Side: capture.SideBuy, Price: 100000, Qty: 300000, ClOrdID: id})
		add(d+time.Second, capture.Event{Kind: capture.KindCancel, Account: "0600000001", Security: "000001", OrigClOrdID: id, ClOrdID: id + "c"})
	}
	add(5*time.Minute, capture.Event{Kind: capture.KindFill, Account: "0601234567", Security: "000002", Side: capture.SideBuy, Price: 50000, Qty: 100000, ExecID: "x1"})
	add(5*time.Minute+10*time.Millisecond, capture.Event{Kind: capture.KindFill, Account: "0607654321", Security: "000002", Side: capture.SideSell, Price: 50000, Qty: 100000, ExecID: "x2"})
	return es
}

func run(t *testing.T, cfg config.Config, market string) string {
	t.Helper()
	dir := t.TempDir()
	mp := ""
	if market != "" {
		mp = filepath.Join(dir, "market.txt")
		require.NoError(t, os.WriteFile(mp, []byte(market), 0o644))
	}
	snaps, err := LoadSnapshots(mp)
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = RunEvents(context.Background(), cfg, snaps, func(emit func(*capture.Event) error) error {
		for _, e := range events() {
			if err := emit(e); err != nil {
				return err
			}
		}
		return nil
	}, &out)
	require.NoError(t, err)
	return out.String()
}

func TestRunEvents_PrintsSameAlertsEveryRun(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader("[[associated]]\naccounts = [\"0601234567\", \"0607654321\"]\n"))
	require.NoError(t, err)
	market := "2025-07-08T10:04:00+08:00 SZSE 000002 last=5.00 vol=100\n"
	first := run(t, cfg, market)
	lines := strings.Split(strings.TrimSpace(first), "\n")
	var rules []string
	for _, l := range lines {
		var x Line
		require.NoError(t, json.Unmarshal([]byte(l), &x))
		require.NotEmpty(t, x.Evidence)
		rules = append(rules, x.Rule)
	}
	require.Equal(t, []string{"large_order", "large_order", "large_order", "spoofing", "self_trade"}, rules)
	for _, workers := range []int{1, 3} {
		cfg.Engine.Workers = workers
		require.Equal(t, first, run(t, cfg, market), "workers=%d", workers)
	}
	// Without the group, the wash trade is between strangers.
	noGroup := run(t, config.Default(), market)
	require.NotContains(t, noGroup, "self_trade")
}
