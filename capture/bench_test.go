package capture_test

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// benchPcap builds (once per process) a pcap of the burst scenario scaled
// to at least msgs wire messages, by replaying the recorded session's
// segments with fresh connections. Set CAPTURE_BENCH_MSGS to change the
// size (default 1,000,000).
func benchPcap(b *testing.B, msgs int) (string, capture.Config) {
	b.Helper()
	sim, _ := runScenario(b, exchsim.ProgramBurst(2000), exchsim.RunOptions{})
	tap := sim.Tap()
	var perCopy int
	{
		var buf bytes.Buffer
		exchsim.WritePcap(&buf, tap.Conns, tap.Segs, exchsim.PcapOptions{})
		path := filepath.Join(b.TempDir(), "one.pcap")
		os.WriteFile(path, buf.Bytes(), 0o644)
		_, st := decodeFile(b, path, sim.Config())
		perCopy = int(st.MessagesTotal())
	}
	copies := (msgs + perCopy - 1) / perCopy
	var conns []exchsim.ConnInfo
	var segs []exchsim.Segment
	for c := 0; c < copies; c++ {
		base := len(conns)
		for _, ci := range tap.Conns {
			ci.Client = netip.AddrPortFrom(ci.Client.Addr(), uint16(20000+c))
			conns = append(conns, ci)
		}
		for _, s := range tap.Segs {
			s.Conn += base
			segs = append(segs, s)
		}
	}
	path := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := exchsim.WritePcap(f, conns, segs, exchsim.PcapOptions{Step: time.Microsecond}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path, sim.Config()
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecodePcapFile decodes a pcap of at least a million wire
// messages (SZSE frames and TDS messages) and reports messages/s and MB/s
// on one core (the decoder is single-threaded). With tshark installed it
// also times `tshark -r FILE` over the same file and reports the ratio.
func BenchmarkDecodePcapFile(b *testing.B) {
	msgs := 1_000_000
	if testing.Short() {
		msgs = 50_000
	}
	path, cfg := benchPcap(b, msgs)
	fi, _ := os.Stat(path)
	b.ResetTimer()
	var st capture.Stats
	var elapsed, cpu time.Duration
	for b.Loop() {
		start, cpu0 := time.Now(), processCPU()
		var err error
		st, err = capture.DecodePcapFile(context.Background(), path, cfg, func(*capture.Event) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += processCPU() - cpu0
	}
	b.StopTimer()
	per := elapsed.Seconds() / float64(b.N)
	b.SetBytes(fi.Size())
	b.ReportMetric(float64(st.MessagesTotal())/per, "msgs/s")
	// The same per CPU-second of this process (the decoder, GC and the
	// runtime): on a shared machine the wall clock counts other jobs' time.
	b.ReportMetric(float64(st.MessagesTotal())*float64(b.N)/cpu.Seconds(), "msgs/cpu-s")
	b.ReportMetric(float64(st.MessagesTotal()), "msgs")
	b.ReportMetric(float64(st.Events), "events")
	if tshark, err := exec.LookPath("tshark"); err == nil {
		start := time.Now()
		if err := exec.Command(tshark, "-n", "-r", path, "-q", "-z", "io,stat,0").Run(); err == nil {
			ts := time.Since(start).Seconds()
			b.ReportMetric(ts/per, "tshark-x")
		}
	}
}
