package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/risk/daemon"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/exchsim"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// The daemon over a capture file reports what the capture decoded and
// lost in /v1/status, and serves Prometheus metrics: inputs in, alerts,
// capture counters (drops included), store latency, lag.
func TestDaemon_StatusAndMetricsReportCapture(t *testing.T) {
	net := nettest.Start(t) // the admin API authenticates against the chain's key records
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	pcap := filepath.Join(dir, "flow.pcap")
	szse, sse, nEvents := recordPcap(t, pcap, exchsim.WashTrade(), exchsim.ProgramBurst(200))
	ports, err := testnet.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	var ws []string
	for _, w := range net.Witnesses(0) {
		ws = append(ws, fmt.Sprintf("%q", w))
	}
	cfg := fmt.Sprintf("[engine]\ndata_dir = %q\n[admin]\nlisten = %q\n[capture]\npcap = %q\nszse = [%q]\nsse = [%q]\n"+
		"[rules.wire_ledger]\nenabled = false\n"+
		"[chain]\nnode = %q\nwitnesses = [%s]\nkeyring = %q\nkeyring_backend = \"test\"\nkey = %q\npoll = \"200ms\"\n",
		filepath.Join(dir, "data"), addr, pcap, szse, sse,
		net.RPC(0), strings.Join(ws, ", "), net.TN.RiskOperatorKeyring(nettest.Operator), nettest.Operator)
	op := func() string { return bearer(t, net, net.Keys[nettest.Operator]) }
	admin, stop := startDaemon(t, ctx, cfg)
	defer stop()
	var st daemon.Status
	waitFor(t, "every captured event taken", time.Minute, func() bool {
		st = daemon.Status{}
		getJSON(t, op(), admin+"/v1/status", &st)
		return st.Capture != nil && st.Capture.Taken && st.LastEventSeq == uint64(nEvents)
	})
	c := st.Capture
	if c.Events != uint64(nEvents) || c.Packets == 0 || c.Lossy() {
		t.Fatalf("capture status %+v, want %d events and no loss", c, nEvents)
	}
	// Metrics are a read like the status: a token is needed.
	if res, err := http.Get(admin + "/metrics"); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("metrics without a token: %d, want 401", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+op())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		fmt.Sprintf("riskd_inputs_total{kind=\"event\"} %d", nEvents),
		`riskd_capture{counter="kernel_drops"} 0`,
		fmt.Sprintf("riskd_capture{counter=\"packets\"} %d", c.Packets),
		"riskd_store_write_seconds_count",
		"riskd_alerts_total{rule=",
		"riskd_event_lag_seconds_count",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", text)
	}
}
