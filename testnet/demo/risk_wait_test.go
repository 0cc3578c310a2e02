package demo

import (
	"testing"
	"time"

	"github.com/custody-ledger/custody/risk/daemon"
)

// The demo accepts fewer events than the exchange sent only when the
// capture reports loss and has been still for two seconds with everything
// it decoded taken by the core.
func TestCaptureSettledShort(t *testing.T) {
	var d Demo
	clean := daemon.Status{LastEventSeq: 876, Capture: &daemon.CaptureStatus{Packets: 5000, Events: 876, Taken: true}}
	if d.captureSettledShort(clean) {
		t.Fatal("settled without any loss: the demo must wait for every event")
	}
	lossy := daemon.Status{LastEventSeq: 876, Capture: &daemon.CaptureStatus{Packets: 5000, Events: 876, Taken: true, KernelDrops: 6, KernelPackets: 5006}}
	if d.captureSettledShort(lossy) {
		t.Fatal("settled at the first sight of loss")
	}
	behind := lossy
	c := *lossy.Capture
	c.Taken = false
	behind.Capture = &c
	d.lossSince = time.Now().Add(-time.Minute)
	if d.captureSettledShort(behind) {
		t.Fatal("settled while the core has not taken every captured event")
	}
	d.captureSettledShort(lossy)
	d.lossSince = time.Now().Add(-3 * time.Second) // still for 3s
	if !d.captureSettledShort(lossy) {
		t.Fatal("not settled after the capture was still for 3s with loss")
	}
	moved := lossy
	moved.LastEventSeq++
	if d.captureSettledShort(moved) {
		t.Fatal("settled although events are still coming")
	}
}
