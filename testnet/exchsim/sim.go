package exchsim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/capture/layers"
)

// Sim runs an SZSE gateway and an SSE order database on loopback.
type Sim struct {
	tap  *Tap
	mu   sync.Mutex
	plan map[string]Action // by ClOrdID

	szseLn, sseLn net.Listener
	gw            *gateway
	db            *orderDB
	wg            sync.WaitGroup

	// resume is where the OMS sessions of the last run stood, for a run
	// with RunOptions.Resume. Guarded by mu.
	resume omsState
}

// omsState is what a broker's OMS remembers of its sessions when it
// reconnects during the day: the SZSE order ids it was given (for
// cancels), the SSE order-table record number it last used and the last
// confirm and trade rows it read.
type omsState struct {
	szseIDs map[string]string
	sseRecs map[string]int
	sseRec  int
	sseCfm  int
	sseTrd  int
}

// Start listens on 127.0.0.1 (ephemeral ports) and serves both simulators.
func Start() (*Sim, error) {
	s := &Sim{tap: &Tap{}, plan: map[string]Action{}}
	s.gw = &gateway{sim: s, orders: map[string]*gwOrder{}}
	s.db = &orderDB{sim: s, orders: map[string]row{}, leaves: map[string]int64{}}
	var err error
	if s.szseLn, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("exchsim: %w", err)
	}
	if s.sseLn, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
		s.szseLn.Close()
		return nil, fmt.Errorf("exchsim: %w", err)
	}
	s.accept(s.szseLn, s.gw.serve)
	s.accept(s.sseLn, s.db.serve)
	return s, nil
}

func (s *Sim) accept(ln net.Listener, serve func(net.Conn)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); serve(c) }()
		}
	}()
}

// SZSEAddr and SSEAddr are the "host:port" of the two exchange endpoints.
func (s *Sim) SZSEAddr() string { return s.szseLn.Addr().String() }
func (s *Sim) SSEAddr() string  { return s.sseLn.Addr().String() }

// Config is the capture configuration that watches this simulator.
func (s *Sim) Config() capture.Config {
	return capture.Config{SZSE: []string{s.SZSEAddr()}, SSE: []string{s.SSEAddr()}}
}

// Tap is the recording of every byte written so far.
func (s *Sim) Tap() *Tap { return s.tap }

// Close stops the listeners and waits for the connections to end.
func (s *Sim) Close() error {
	err := errors.Join(s.szseLn.Close(), s.sseLn.Close())
	s.wg.Wait()
	return err
}

// RunOptions tune a run.
type RunOptions struct {
	// TLSProbe opens one extra connection to the order database that
	// starts with a TLS ClientHello (TDS 8.0 strict), which a passive
	// decoder cannot read and must report.
	TLSProbe bool
	// Resume continues the OMS sessions where the previous run left off
	// (SSE record numbers, the confirm and trade rows already read, SZSE
	// order ids), as an OMS reconnecting during the day does: the events
	// of several resumed runs are then exactly what one decoder of all
	// their traffic emits. Without it each run's OMS starts afresh (record
	// numbers from 1, re-reading every row; a decoder drops the re-reads).
	// Resumed runs must not overlap.
	Resume bool
}

// Run plays a scenario: one OMS session per market, actions in order, each
// waiting for the exchange's answers, then an SZSE report replay (after
// ReportSynchronization from index 1) and logouts. It returns the events a
// decoder of this traffic must emit, in order.
func (s *Sim) Run(ctx context.Context, sc Scenario, o RunOptions) ([]capture.Event, error) {
	var exp []capture.Event
	s.mu.Lock()
	for _, a := range sc.Actions {
		s.plan[a.ClOrdID] = a
	}
	s.mu.Unlock()
	var d net.Dialer
	zc, err := d.DialContext(ctx, "tcp4", s.SZSEAddr())
	if err != nil {
		return nil, fmt.Errorf("exchsim: dial szse: %w", err)
	}
	defer zc.Close()
	sc2, err := d.DialContext(ctx, "tcp4", s.SSEAddr())
	if err != nil {
		return nil, fmt.Errorf("exchsim: dial sse: %w", err)
	}
	defer sc2.Close()
	if dl, ok := ctx.Deadline(); ok {
		zc.SetDeadline(dl)
		sc2.SetDeadline(dl)
	}
	z := &szseOMS{w: s.tap.Wrap(zc, true), r: bufio.NewReader(zc), exp: &exp, ids: map[string]string{}}
	q := &sseOMS{w: s.tap.Wrap(sc2, true), r: bufio.NewReader(sc2), exp: &exp, recs: map[string]int{}}
	s.mu.Lock()
	if r := s.resume; o.Resume && r.szseIDs != nil {
		z.ids, q.recs, q.rec, q.confirm, q.trade = r.szseIDs, r.sseRecs, r.sseRec, r.sseCfm, r.sseTrd
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.resume = omsState{szseIDs: z.ids, sseRecs: q.recs, sseRec: q.rec, sseCfm: q.confirm, sseTrd: q.trade}
		s.mu.Unlock()
	}()
	if err := z.send(&layers.SZSELogonMsg{SenderCompID: "OMS01", TargetCompID: "TGW01", HeartBtInt: 30, Password: "pw", DefaultApplVerID: "1.29"}); err != nil {
		return nil, err
	}
	for range 2 { // logon echo, platform state
		if _, err := readSZSE(z.r); err != nil {
			return nil, fmt.Errorf("exchsim: szse logon: %w", err)
		}
	}
	if err := q.login(); err != nil {
		return nil, fmt.Errorf("exchsim: sse login: %w", err)
	}
	if o.TLSProbe {
		tc, err := d.DialContext(ctx, "tcp4", s.SSEAddr())
		if err != nil {
			return nil, err
		}
		w := s.tap.Wrap(tc, true)
		// A TLS 1.2 ClientHello record header and a little body.
		_, err = w.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0x03, 0x03, 0x00, 0x00})
		tc.Close()
		if err != nil {
			return nil, err
		}
	}
	for _, a := range sc.Actions {
		if err := ctx.Err(); err != nil {
			return exp, err
		}
		var err error
		if a.Market == SZSE {
			err = z.do(a)
		} else {
			err = q.do(a)
		}
		if err != nil {
			return exp, fmt.Errorf("exchsim: %s %s: %w", a.Market, a.ClOrdID, err)
		}
	}
	// Replay: a reconnecting OMS asks for every report again.
	if err := z.send(&layers.SZSEReportSyncMsg{Partitions: []layers.SZSEPartitionIndex{{PartitionNo: partition, ReportIndex: 1}}}); err != nil {
		return exp, err
	}
	if err := z.read(-1); err != nil {
		return exp, err
	}
	if err := z.send(&layers.SZSEHeartbeatMsg{}); err != nil {
		return exp, err
	}
	if _, err := readSZSE(z.r); err != nil {
		return exp, err
	}
	return exp, nil
}

// Key projects the fields a decoder must get right onto one comparable
// string: what the simulator knows it sent, nothing the wire adds (sequence
// numbers, capture times, offsets).
func Key(e *capture.Event) string {
	return fmt.Sprintf("%s %s %s acc=%s sec=%s %s px=%d qty=%d cl=%s orig=%s oid=%s exec=%s cxl=%v rec=%d/%d",
		e.Market, e.Kind, e.Direction, e.Account, e.Security, e.Side, e.Price, e.Qty, e.ClOrdID, e.OrigClOrdID,
		e.OrderID, e.ExecID, e.Cancelled, e.RecNum, e.OrigRecNum)
}
