package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/custody-ledger/custody/capture/source"
)

// DecodePcapFile reads a pcap or pcapng file and calls emit for each Event
// in trade-series order. Stats are returned even when an error stops the
// run early (a cancelled ctx, an emit error, a damaged file).
func DecodePcapFile(ctx context.Context, path string, cfg Config, emit func(*Event) error) (Stats, error) {
	d, err := NewDecoder(cfg, emit)
	if err != nil {
		return Stats{}, err
	}
	src, err := source.OpenFileWith(path, source.FileOptions{MaxPacket: d.cfg.MaxPacket})
	if err != nil {
		return Stats{}, err
	}
	defer src.Close()
	return run(ctx, d, src, false)
}

// CaptureLive captures on iface (AF_PACKET, kernel-filtered on the
// configured endpoint ports) until ctx is done, calling emit for each
// Event. It returns source.ErrUnavailable (wrapped) when packet sockets
// cannot be opened. A cancelled context ends the capture normally: the
// returned error is then nil.
func CaptureLive(ctx context.Context, iface string, cfg Config, emit func(*Event) error) (Stats, error) {
	d, err := NewDecoder(cfg, emit)
	if err != nil {
		return Stats{}, err
	}
	src, err := source.OpenLive(iface, source.Filter{Ports: portsOf(d)}, 100*time.Millisecond)
	if err != nil {
		return Stats{}, err
	}
	defer src.Close()
	return run(ctx, d, src, true)
}

func portsOf(d *Decoder) []uint16 {
	seen := map[uint16]bool{}
	var ps []uint16
	for ap := range d.eps {
		if !seen[ap.Port()] {
			seen[ap.Port()] = true
			ps = append(ps, ap.Port())
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

// Run drains src through d until EOF, ctx is done or emit fails, then
// closes d. Exposed for callers with their own sources (tests, benchmarks,
// a replay tool).
func Run(ctx context.Context, d *Decoder, src source.Source) (Stats, error) {
	return run(ctx, d, src, false)
}

func run(ctx context.Context, d *Decoder, src source.Source, live bool) (Stats, error) {
	lt := src.LinkType()
	kc, _ := src.(source.KernelCounter)
	var last time.Time
	lastReport := time.Now()
	// report reads the kernel's counters (a live source) and hands the
	// counters to Config.Observe; drops are logged as they grow.
	report := func() {
		lastReport = time.Now()
		if kc != nil {
			if rcv, drop, err := kc.KernelStats(); err == nil {
				if drop > d.stats.KernelDrops {
					d.cfg.Logger.Warn("capture: the kernel dropped packets: the capture did not keep up; the gaps are counted as lost bytes",
						"dropped", drop-d.stats.KernelDrops, "dropped_total", drop, "received_total", rcv)
				}
				d.stats.KernelPackets, d.stats.KernelDrops = rcv, drop
			}
		}
		if d.cfg.Observe != nil {
			d.cfg.Observe(d.Stats())
		}
	}
	finish := func() (Stats, error) {
		if kc != nil {
			report() // the last kernel counts belong in the result
		}
		st, err := d.Close()
		if d.cfg.Observe != nil {
			d.cfg.Observe(st)
		}
		return st, err
	}
	for i := 0; ; i++ {
		if i&1023 == 0 || live {
			if err := ctx.Err(); err != nil {
				st, derr := finish()
				if live {
					return st, derr
				}
				return st, errors.Join(err, derr)
			}
			if (kc != nil || d.cfg.Observe != nil) && time.Since(lastReport) >= time.Second {
				report()
			}
		}
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, source.ErrTimeout) {
			// A quiet link: let capture time advance so gaps and idle
			// connections are flushed even without packets.
			if !last.IsZero() {
				last = last.Add(100 * time.Millisecond)
				if err := d.Flush(last); err != nil {
					st, _ := finish()
					return st, err
				}
			}
			continue
		}
		if err != nil {
			st, derr := finish()
			return st, errors.Join(fmt.Errorf("capture: read: %w", err), derr)
		}
		last = ci.Timestamp
		if err := d.Decode(data, ci, lt); err != nil {
			st, _ := finish()
			return st, err
		}
	}
	return finish()
}
