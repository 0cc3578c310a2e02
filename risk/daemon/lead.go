package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/market"
)

// ledgerHeightCounter names the store counter of the last block the ledger
// feed fully took (persisted with the inputs it produced).
const ledgerHeightCounter = "ledger-height"

// item is what a source hands the pump: an input, or the news that the
// ledger feed has sent every event of a block.
type item struct {
	in      *risk.Input
	ledgerH int64
}

// lead runs the leader until ctx ends: sources, pump, batch loop.
func (d *daemon) lead(ctx context.Context, ready Ready) error {
	if d.conn != nil {
		n, err := d.conn.Sync(ctx, d.st)
		if err != nil {
			d.logf("riskd: chain batches not recorded locally, anchoring will fail until resolved: %v", err)
			d.setAnchorErr(err)
		} else if n > 0 {
			d.logf("riskd: recorded %d batches from the chain (checked against the store's alerts)", n)
		}
	}

	items := make(chan item, 4096)
	srcCtx, stopSources := context.WithCancel(ctx)
	defer stopSources()
	var srcWG sync.WaitGroup
	fatal := make(chan error, 4)
	send := func(it item) error {
		select {
		case items <- it:
			return nil
		case <-srcCtx.Done():
			return srcCtx.Err()
		}
	}
	if err := d.startCapture(srcCtx, &srcWG, send, fatal); err != nil {
		return errors.Join(err, d.runner.Close())
	}
	if d.cfg.Market.Listen != "" {
		ln, err := net.Listen("tcp", d.cfg.Market.Listen)
		if err != nil {
			return errors.Join(fmt.Errorf("daemon: market listen: %w", err), d.runner.Close())
		}
		ready.Market = ln.Addr().String()
		srcWG.Add(1)
		go func() {
			defer srcWG.Done()
			err := market.Serve(srcCtx, ln, func(s market.Snapshot) error {
				return send(item{in: &risk.Input{Kind: risk.InputSnapshot, Snapshot: &s}})
			})
			if err != nil && srcCtx.Err() == nil {
				fatal <- fmt.Errorf("daemon: market feed: %w", err)
			}
		}()
	}
	if d.conn != nil {
		if err := d.startFeed(srcCtx, &srcWG, send, fatal); err != nil {
			return errors.Join(err, d.runner.Close())
		}
	}
	// Leader from here on (a standby taking over reports it only now, once
	// it captures).
	d.role.Store(RoleLeader)
	if d.o.OnReady != nil {
		d.o.OnReady(ready)
	}
	d.logf("riskd: leading: admin %s, market %s, capture %s%s", ready.Admin, orNone(ready.Market), orNone(d.cfg.Capture.Iface), d.cfg.Capture.Pcap)

	pumpDone := make(chan error, 1)
	go func() { pumpDone <- d.pump(items) }()
	batchCtx, stopBatch := context.WithCancel(context.Background())
	batchDone := make(chan error, 1)
	go func() { batchDone <- d.batchLoop(batchCtx) }()

	var err error
	pumped := false
	select {
	case <-ctx.Done():
	case err = <-fatal:
	case err = <-pumpDone:
		pumped = true
	}
	stopSources()
	srcWG.Wait()
	close(items)
	if !pumped {
		err = errors.Join(err, <-pumpDone)
	} else if err != nil {
		d.runner.Abort()
	}
	stopBatch()
	return errors.Join(err, <-batchDone)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// startCapture starts live capture or the capture file. The pump numbers
// the events (see replayGuard).
func (d *daemon) startCapture(ctx context.Context, wg *sync.WaitGroup, send func(item) error, fatal chan<- error) error {
	c := d.cfg.Capture
	if c.Iface == "" && c.Pcap == "" {
		return nil
	}
	ccfg := capture.Config{SZSE: c.SZSE, SSE: c.SSE, Observe: d.met.captured}
	emit := func(e *capture.Event) error {
		ev := *e
		d.mu.Lock()
		d.capEmitted++
		d.mu.Unlock()
		return send(item{in: &risk.Input{Kind: risk.InputEvent, Event: &ev}})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var (
			st  capture.Stats
			err error
		)
		if c.Iface != "" {
			st, err = capture.CaptureLive(ctx, c.Iface, ccfg, emit)
		} else {
			st, err = capture.DecodePcapFile(ctx, c.Pcap, ccfg, emit)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			fatal <- fmt.Errorf("daemon: capture: %w", err)
			return
		}
		d.logf("riskd: capture file %s done: %d packets, %d events, %d gaps, %d messages cut", c.Pcap, st.Packets, st.Events, st.Gaps, st.CutMessages)
	}()
	return nil
}

// ledgerID is the (height, tx, event) of a ledger event id "H/T/E".
type ledgerID [3]int64

func parseLedgerID(s string) (ledgerID, bool) {
	parts := strings.Split(s, "/")
	var id ledgerID
	if len(parts) != 3 {
		return id, false
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return id, false
		}
		id[i] = v
	}
	return id, true
}

func (a ledgerID) after(b ledgerID) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

// startFeed follows the chain from the last block fully taken; events of a
// block taken in part before a crash are skipped up to the last one stored.
func (d *daemon) startFeed(ctx context.Context, wg *sync.WaitGroup, send func(item) error, fatal chan<- error) error {
	h, err := d.st.Counter(ledgerHeightCounter)
	if err != nil {
		return err
	}
	from := int64(h)
	var last ledgerID
	if in, found, err := d.st.LastInputOf(risk.InputLedger); err != nil {
		return err
	} else if found {
		if id, ok := parseLedgerID(in.Ledger.ID); ok && id[0] > from {
			last, from = id, id[0]-1
		}
	}
	d.mu.Lock()
	d.ledgerH = from
	d.mu.Unlock()
	d.mu.Lock()
	base := d.base
	d.mu.Unlock()
	if base == nil {
		// A standby taking over: learn the accounts for fill mapping.
		base, _ = d.conn.Onboard(ctx)
	}
	feed := chain.NewFeed(d.conn.Chain, base, d.cfg.Chain.Poll.D(), d.logf)
	d.mu.Lock()
	d.base, d.feed = base, feed
	d.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := feed.RunBlocks(ctx, from, func(e risk.LedgerEvent) error {
			if id, ok := parseLedgerID(e.ID); ok && !id.after(last) {
				return nil // stored before a restart
			}
			return send(item{in: &risk.Input{Kind: risk.InputLedger, Ledger: &e}})
		}, func(height int64) error { return send(item{ledgerH: height}) })
		if err != nil && ctx.Err() == nil {
			fatal <- fmt.Errorf("daemon: ledger feed: %w", err)
		}
	}()
	return nil
}

// pump owns the runner: it submits what the sources send, in arrival
// order, and parameter changes at their place in the stream; it flushes
// every flushEvery, then records the ledger height the flush made durable.
// When items closes it flushes and closes the runner.
func (d *daemon) pump(items <-chan item) error {
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	var pending, saved int64
	flush := func() error {
		if err := d.runner.Flush(); err != nil {
			return err
		}
		if pending > saved {
			if err := d.st.SetCounter(ledgerHeightCounter, uint64(pending)); err != nil {
				return err
			}
			saved = pending
			d.mu.Lock()
			d.ledgerH = saved
			d.mu.Unlock()
		}
		return nil
	}
	submit := func(in risk.Input) error {
		if in.Kind == risk.InputEvent {
			fresh, err := d.guard.admit(in.Event)
			if err != nil {
				return err
			}
			d.mu.Lock()
			d.capTaken++
			if !fresh {
				d.replays++
				d.mu.Unlock()
				d.met.replays.Inc()
				return nil
			}
			d.eventSeq++
			in.Event.Seq = d.eventSeq
			d.mu.Unlock()
		}
		d.met.submitted(&in)
		return d.runner.Submit(in)
	}
	for {
		select {
		case it, ok := <-items:
			if !ok {
			drain:
				for {
					select {
					case v := <-d.paramCh:
						if err := submit(risk.Input{Kind: risk.InputParams, Params: &v}); err != nil {
							return err
						}
					default:
						break drain
					}
				}
				if err := flush(); err != nil {
					return err
				}
				return d.runner.Close()
			}
			if it.in != nil {
				if err := submit(*it.in); err != nil {
					return err
				}
			}
			if it.ledgerH > 0 {
				pending = it.ledgerH
			}
		case v := <-d.paramCh:
			if err := submit(risk.Input{Kind: risk.InputParams, Params: &v}); err != nil {
				return err
			}
		case <-tick.C:
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// batchLoop cuts and anchors batches every half second until ctx ends,
// then cuts and anchors what is left (the runner is closed by then).
func (d *daemon) batchLoop(ctx context.Context) error {
	var anchorer anchor.Anchorer
	if d.conn != nil {
		anchorer = d.conn.Chain
	}
	b := anchor.NewBatcher(d.st, anchorer, anchor.Config{MaxCount: d.cfg.Anchor.MaxCount, MaxAge: d.cfg.Anchor.MaxAge.D()})
	var anchored int64
	var lastErr string
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var retained time.Time
	for {
		if time.Since(retained) >= time.Hour {
			d.retain()
			retained = time.Now()
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for {
				cut, err := d.cutOnce(fctx, b, &anchored, true)
				if err != nil {
					return fmt.Errorf("daemon: final batch: %w", err)
				}
				if !cut {
					return nil
				}
			}
		case <-tick.C:
			// Not ctx: a stop must not cut off a tx waiting for its block.
			_, err := d.cutOnce(context.WithoutCancel(ctx), b, &anchored, false)
			if err != nil && ctx.Err() == nil && err.Error() != lastErr {
				d.logf("riskd: anchoring: %v", err)
			}
			lastErr = ""
			if err != nil {
				lastErr = err.Error()
			}
		}
	}
}

// cutOnce anchors the parameter version in force if the chain lacks it,
// retries unanchored batches, then cuts the next batch if one is due (or
// any alerts wait, with force). It reports whether it cut one.
func (d *daemon) cutOnce(ctx context.Context, b *anchor.Batcher, anchored *int64, force bool) (bool, error) {
	cur := d.api.Load().api.Current()
	if d.conn != nil && *anchored != cur.Version {
		if err := d.conn.AnchorParams(ctx, cur); err != nil {
			d.setAnchorErr(err)
			return false, err
		}
		*anchored = cur.Version
	}
	if err := b.Retry(ctx); err != nil {
		return false, d.resync(ctx, err)
	}
	batch, err := b.Cut(ctx, time.Now(), cur.Params, force)
	if err != nil {
		return false, d.resync(ctx, err)
	}
	d.setAnchorErr(nil)
	if batch != nil {
		d.logf("riskd: batch %d: alerts %d..%d (%d), root %s, tx %s at height %d", batch.Seq, batch.FirstSeq, batch.LastSeq, batch.Count, batch.Root, orNone(batch.TxHash), batch.Height)
	}
	return batch != nil, nil
}

// resync handles a batch the chain refused because it holds another batch
// under that number (chain.ErrDiverged) or expects an earlier one
// (chain.ErrBehind): another process of this operator anchored first — a
// leader's last tx landing after its standby took over, or the other side
// of a split. chain.Sync then records the chain's batches, each rebuilt
// from this store's alerts and checked against its root, in place of the
// local ones not anchored: the same alerts cut differently is no conflict.
// Only a root that this store's alerts do not give is (ErrDiverged from
// Sync), and anchoring stays stopped with the error in the status.
func (d *daemon) resync(ctx context.Context, err error) error {
	if d.conn == nil || !errors.Is(err, chain.ErrDiverged) && !errors.Is(err, chain.ErrBehind) {
		d.setAnchorErr(err)
		return err
	}
	n, serr := d.conn.Sync(ctx, d.st)
	if serr != nil {
		err = fmt.Errorf("%w (re-sync: %w)", err, serr)
		d.setAnchorErr(err)
		return err
	}
	d.logf("riskd: another process anchored first: recorded %d batches from the chain", n)
	d.setAnchorErr(nil)
	return nil
}

// retain drops inputs and alerts older than engine.retention (by their
// event time), but never an alert that a batch on chain does not cover yet:
// the cutoff is at most the earliest alert time of the last batch anchored
// (recorded, without a chain).
func (d *daemon) retain() {
	if d.cfg.Engine.Retention <= 0 {
		return
	}
	cutoff := time.Now().Add(-d.cfg.Engine.Retention.D())
	last, err := d.st.LastBatchSeq()
	if err != nil {
		d.logf("riskd: retention: %v", err)
		return
	}
	covered := time.Time{}
	for seq := last; seq > 0; seq-- {
		var b anchor.Batch
		if err := d.st.BatchRecord(seq, &b); err == nil && (b.TxHash != "" || d.conn == nil) {
			covered = b.From
			break
		}
	}
	if covered.IsZero() {
		return
	}
	if covered.Before(cutoff) {
		cutoff = covered
	}
	ins, as, err := d.st.Retain(cutoff)
	if err != nil {
		d.logf("riskd: retention: %v", err)
	} else if ins+as > 0 {
		d.logf("riskd: retention dropped %d inputs and %d alerts before %s", ins, as, cutoff.Format(time.RFC3339))
	}
}
