// Package replay runs the whole risk core over a recorded capture with the
// packets' own clock and no chain: captured order flow merged by time with
// a market-snapshot file, through the partitioned runner, to one JSON
// object per alert. The output is the same, in the same order, on every
// run and for any number of workers: alerts are sorted by (event time,
// trigger sequence, rule, id) before they are printed.
package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/market"
)

// Options are the replay command's inputs.
type Options struct {
	Pcap   string   // capture file (pcap or pcapng)
	Market string   // snapshot file in the market line format ("" for none)
	Config string   // TOML config ("" for DOMAIN.md defaults)
	SZSE   []string // SZSE gateway endpoints host:port
	SSE    []string // SSE endpoints host:port
}

// Line is one printed alert.
type Line struct {
	ID       string    `json:"id"`
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	Accounts []string  `json:"accounts"`
	Security string    `json:"security,omitempty"`
	Time     time.Time `json:"time"`
	Evidence []string  `json:"evidence"`
	Detail   string    `json:"detail"`
}

// Summary counts what a replay saw.
type Summary struct {
	Events, Snapshots, Alerts int
}

// Run replays the capture file in o and writes one JSON line per alert to out.
func Run(ctx context.Context, o Options, out io.Writer) (Summary, error) {
	cfg, err := config.Load(o.Config)
	if err != nil {
		return Summary{}, err
	}
	snaps, err := LoadSnapshots(o.Market)
	if err != nil {
		return Summary{}, err
	}
	ccfg := capture.Config{SZSE: o.SZSE, SSE: o.SSE}
	return RunEvents(ctx, cfg, snaps, func(emit func(*capture.Event) error) error {
		_, err := capture.DecodePcapFile(ctx, o.Pcap, ccfg, emit)
		return err
	}, out)
}

// LoadSnapshots reads a snapshot file and orders it by time (stable, so
// equal times keep file order). An empty path yields none.
func LoadSnapshots(path string) ([]market.Snapshot, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	var snaps []market.Snapshot
	if err := market.Read(f, func(s market.Snapshot) error { snaps = append(snaps, s); return nil }); err != nil {
		return nil, fmt.Errorf("replay: %s: %w", path, err)
	}
	slices.SortStableFunc(snaps, func(a, b market.Snapshot) int { return a.Time.Compare(b.Time) })
	return snaps, nil
}

// RunEvents is Run with the event source given as a function (decode calls
// emit for each captured event in trade-series order). Snapshots are fed
// before the first event later than them.
func RunEvents(ctx context.Context, cfg config.Config, snaps []market.Snapshot, decode func(emit func(*capture.Event) error) error, out io.Writer) (Summary, error) {
	var (
		mu     sync.Mutex
		alerts []risk.Alert
		sum    Summary
	)
	// A replay has no chain feed: every fill would look missing from the
	// ledger, so the wire-vs-ledger rule is off (fund outflow only ever
	// fires on chain events and stays silent by itself).
	cfg.Rules.WireLedger.Enabled = false
	r, err := risk.NewRunner(ctx, risk.RunnerConfig{
		Params: cfg.Rules, Groups: cfg.Groups(), Workers: cfg.Engine.Workers,
		OnAlert: func(a risk.Alert) { mu.Lock(); alerts = append(alerts, a); mu.Unlock() },
	})
	if err != nil {
		return Summary{}, err
	}
	next := 0
	feedSnaps := func(upTo time.Time, all bool) error {
		for ; next < len(snaps) && (all || !snaps[next].Time.After(upTo)); next++ {
			s := snaps[next]
			sum.Snapshots++
			if err := r.Submit(risk.Input{Kind: risk.InputSnapshot, Snapshot: &s}); err != nil {
				return err
			}
		}
		return nil
	}
	err = decode(func(e *capture.Event) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := feedSnaps(e.CaptureTime, false); err != nil {
			return err
		}
		sum.Events++
		ev := *e
		return r.Submit(risk.Input{Kind: risk.InputEvent, Event: &ev})
	})
	if err == nil {
		err = feedSnaps(time.Time{}, true)
	}
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return sum, fmt.Errorf("replay: %w", err)
	}
	risk.SortAlerts(alerts)
	enc := json.NewEncoder(out)
	for _, a := range alerts {
		l := Line{ID: a.ID, Rule: a.Rule, Severity: a.Severity.String(), Accounts: a.Accounts, Security: a.Security,
			Time: a.Time, Evidence: a.Evidence, Detail: a.Detail}
		if err := enc.Encode(&l); err != nil {
			return sum, fmt.Errorf("replay: write: %w", err)
		}
	}
	sum.Alerts = len(alerts)
	return sum, nil
}
