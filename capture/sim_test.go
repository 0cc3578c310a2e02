package capture_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// runScenario plays sc against fresh simulators and returns them with the
// expected events.
func runScenario(t testing.TB, sc exchsim.Scenario, o exchsim.RunOptions) (*exchsim.Sim, []capture.Event) {
	t.Helper()
	sim, err := exchsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exp, err := sim.Run(ctx, sc, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	return sim, exp
}

func writePcap(t testing.TB, sim *exchsim.Sim, o exchsim.PcapOptions) (string, exchsim.PcapResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := exchsim.WritePcap(&buf, sim.Tap().Conns, sim.Tap().Segs, o)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sim.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, res
}

func decodeFile(t testing.TB, path string, cfg capture.Config) ([]capture.Event, capture.Stats) {
	t.Helper()
	var got []capture.Event
	st, err := capture.DecodePcapFile(context.Background(), path, cfg, func(e *capture.Event) error {
		got = append(got, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

func keys(evs []capture.Event) []string {
	var ks []string
	for i := range evs {
		ks = append(ks, exchsim.Key(&evs[i]))
	}
	return ks
}

// requireSame compares event sequences, showing the first difference.
func requireSame(t *testing.T, got, want []capture.Event) {
	t.Helper()
	g, w := keys(got), keys(want)
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			t.Fatalf("event %d of %d (want %d):\n got %s\nwant %s", i, len(g), len(w), a, b)
		}
	}
}

func checkSeries(t *testing.T, evs []capture.Event) {
	t.Helper()
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d", i, e.Seq)
		}
		if e.CaptureTime.IsZero() || e.Stream == "" {
			t.Fatalf("event %d lacks capture time or stream: %+v", i, e)
		}
	}
}

func TestDecodePcapFile_AllScenarios(t *testing.T) {
	for _, name := range []string{"normal", "spoofing", "wash", "burst"} {
		t.Run(name, func(t *testing.T) {
			sc := exchsim.Scenarios()[name]
			if name == "burst" && testing.Short() {
				sc = exchsim.ProgramBurst(40)
			}
			sim, want := runScenario(t, sc, exchsim.RunOptions{TLSProbe: name == "normal"})
			for _, o := range []exchsim.PcapOptions{{}, {MSS: 7}, {MSS: 9000, NG: true}} {
				path, _ := writePcap(t, sim, o)
				got, st := decodeFile(t, path, sim.Config())
				requireSame(t, got, want)
				checkSeries(t, got)
				if st.Gaps != 0 || st.BadChecksums != 0 || st.Undecodable != 0 || st.Panics != 0 || st.UnknownTypes != 0 {
					t.Fatalf("MSS %d: unexpected trouble: %+v", o.MSS, st)
				}
				if st.Duplicates == 0 {
					t.Errorf("no replayed report or re-read row was de-duplicated: %+v", st)
				}
				if name == "normal" && st.TLSStreams != 1 {
					t.Errorf("TLS probe: TLSStreams = %d, want 1", st.TLSStreams)
				}
			}
		})
	}
}

func TestDecodePcapFile_ReorderAndDuplicates(t *testing.T) {
	sim, want := runScenario(t, exchsim.Normal(), exchsim.RunOptions{})
	path, res := writePcap(t, sim, exchsim.PcapOptions{MSS: 40, Reorder: 0.3, Duplicate: 0.3, Seed: 7})
	if res.Reordered == 0 || res.Duplicated == 0 {
		t.Fatalf("impairments not applied: %+v", res)
	}
	got, st := decodeFile(t, path, sim.Config())
	requireSame(t, got, want)
	if st.Gaps != 0 || st.Undecodable != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDecodePcapFile_LossResync drops one data segment in the middle of
// each protocol's stream: the loss is reported, and every message that
// starts after the gap is still decoded.
func TestDecodePcapFile_LossResync(t *testing.T) {
	sim, want := runScenario(t, exchsim.Spoofing(), exchsim.RunOptions{})
	// One packet per millisecond and a gap timeout below it: reassembly
	// gives up on the lost segment at the next packet, as a live capture
	// does after GapTimeout.
	cfg := sim.Config()
	cfg.GapTimeout = 500 * time.Microsecond
	clean, res := writePcap(t, sim, exchsim.PcapOptions{MSS: 60, Step: time.Millisecond})
	all, _ := decodeFile(t, clean, cfg)
	requireSame(t, all, want)
	lostIn := map[capture.Market]int{}
	for i := 1; i <= 9; i++ {
		drop := i * res.DataPackets / 10
		path, r := writePcap(t, sim, exchsim.PcapOptions{MSS: 60, Step: time.Millisecond, Drop: []int{drop}})
		if r.Dropped != 1 {
			t.Fatalf("dropped %d", r.Dropped)
		}
		got, st := decodeFile(t, path, cfg)
		if st.Gaps != 1 || st.LostBytes == 0 || st.LostBytes > 60 {
			t.Fatalf("drop %d: gaps %d lost %d, want 1 gap of at most 60 bytes", drop, st.Gaps, st.LostBytes)
		}
		// Every event decoded must be one the simulator sent, none invented,
		// and at most a few (the messages the lost segment touched) missing.
		wantSet := map[string]int{}
		for _, k := range keys(want) {
			wantSet[k]++
		}
		for _, k := range keys(got) {
			if wantSet[k] == 0 {
				t.Fatalf("drop %d: invented event %s", drop, k)
			}
			wantSet[k]--
		}
		for _, e := range want {
			if wantSet[exchsim.Key(&e)] > 0 {
				lostIn[e.Market]++
			}
		}
		missing := len(want) - len(got)
		if missing > 4 {
			t.Logf("stats %+v", st)
			for k, n := range wantSet {
				if n > 0 {
					t.Logf("missing %s", k)
				}
			}
		}
		if missing < 0 || missing > 4 {
			t.Fatalf("drop %d: %d events missing (got %d of %d)", drop, missing, len(got), len(want))
		}
		if missing > 0 && st.Resyncs == 0 {
			t.Fatalf("drop %d: events lost without a resync: %+v", drop, st)
		}
		t.Logf("drop %d: %d of %d events, %d resyncs, %d bytes skipped", drop, len(got), len(want), st.Resyncs, st.SkippedBytes)
	}
	// SZSE losses are usually healed by the report replay at the end of the
	// scenario (de-duplicated on PartitionNo/ReportIndex); SSE ones are not.
	if lostIn[capture.MarketSSE] == 0 {
		t.Fatalf("no drop hit the SSE stream: %v", lostIn)
	}
}

func TestDecodePcapFile_Errors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pcap")
	os.WriteFile(junk, []byte("not a capture file at all"), 0o644)
	if _, err := capture.DecodePcapFile(context.Background(), junk, capture.Config{SZSE: []string{"127.0.0.1:1"}}, nil); err == nil {
		t.Fatal("junk file accepted")
	}
	if _, err := capture.DecodePcapFile(context.Background(), junk, capture.Config{}, nil); err == nil || !strings.Contains(err.Error(), "no exchange endpoints") {
		t.Fatalf("empty config: %v", err)
	}
	if _, err := capture.DecodePcapFile(context.Background(), junk, capture.Config{SZSE: []string{"gateway:80"}}, nil); err == nil {
		t.Fatal("host name accepted")
	}
}
