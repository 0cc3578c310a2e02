package capture_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/capture/source"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// TestCaptureLive_Loopback captures the simulators' real TCP traffic on lo
// through AF_PACKET and expects exactly the events the simulators sent, in
// order. It needs root (CAP_NET_RAW) and skips otherwise.
func TestCaptureLive_Loopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (AF_PACKET); skipping")
	}
	sim, err := exchsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var got []capture.Event
	var st capture.Stats
	var capErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		st, capErr = capture.CaptureLive(ctx, "lo", sim.Config(), func(e *capture.Event) error {
			mu.Lock()
			got = append(got, *e)
			mu.Unlock()
			return nil
		})
	}()
	time.Sleep(200 * time.Millisecond) // socket bound before traffic starts
	select {
	case <-done:
		if errors.Is(capErr, source.ErrUnavailable) {
			t.Skipf("AF_PACKET unavailable: %v", capErr)
		}
		t.Fatalf("capture ended early: %v", capErr)
	default:
	}
	runCtx, runCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer runCancel()
	want, err := sim.Run(runCtx, exchsim.Normal(), exchsim.RunOptions{TLSProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done
	if capErr != nil {
		t.Fatal(capErr)
	}
	requireSame(t, got, want)
	checkSeries(t, got)
	if st.TLSStreams != 1 || st.Gaps != 0 || st.Undecodable != 0 {
		t.Fatalf("stats %+v", st)
	}
	// The kernel's PACKET_STATISTICS were read: it received at least what
	// the decoder saw (the filter passes both directions of the loopback
	// once; outgoing copies are counted by the kernel, dropped by us).
	if st.KernelPackets < st.Packets || st.KernelDrops != 0 {
		t.Fatalf("kernel counters: received %d, dropped %d; decoder read %d packets", st.KernelPackets, st.KernelDrops, st.Packets)
	}
	t.Logf("live: %d events, %d packets", len(got), st.Packets)
}
