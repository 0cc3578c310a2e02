package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/risk/replay"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// TestReplayCmd_SimulatorCapture records simulator traffic (a wash trade
// between two accounts and a burst of orders), replays the pcap twice, and
// checks the alerts the rules must raise and that both runs print the same.
func TestReplayCmd_SimulatorCapture(t *testing.T) {
	sim, err := exchsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, sc := range []exchsim.Scenario{exchsim.WashTrade(), exchsim.ProgramBurst(400)} {
		if _, err := sim.Run(ctx, sc, exchsim.RunOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	sim.Close()
	var pc bytes.Buffer
	if _, err := exchsim.WritePcap(&pc, sim.Tap().Conns, sim.Tap().Segs, exchsim.PcapOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pcap := filepath.Join(dir, "x.pcap")
	cfg := filepath.Join(dir, "risk.toml")
	os.WriteFile(pcap, pc.Bytes(), 0o644)
	// The wash accounts are associated; five matched trades a day is the
	// threshold and the scenario makes four per market, so ask for four.
	os.WriteFile(cfg, []byte("[[associated]]\naccounts = [\"0100001111\", \"0100002222\"]\n[[associated]]\naccounts = [\"A111111111\", \"A222222222\"]\n[rules.self_trade]\nper_day = 4\n"), 0o644)

	run := func() string {
		var out, errb bytes.Buffer
		root := newRootCmd(&out, &errb)
		root.SetArgs([]string{"replay", "--pcap", pcap, "--config", cfg, "--szse", sim.SZSEAddr(), "--sse", sim.SSEAddr()})
		if err := root.ExecuteContext(ctx); err != nil {
			t.Fatalf("replay: %v\n%s", err, errb.String())
		}
		return out.String()
	}
	first := run()
	rules := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(first), "\n") {
		var x replay.Line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if len(x.Evidence) == 0 || x.ID == "" || x.Time.IsZero() {
			t.Errorf("incomplete alert: %s", l)
		}
		rules[x.Rule]++
	}
	if rules["self_trade"] < 2 || rules["order_rate"] < 1 {
		t.Errorf("want self_trade on both markets and order_rate, got %v\n%s", rules, first)
	}
	if second := run(); second != first {
		t.Errorf("second run differs:\n%s\nvs\n%s", first, second)
	}
}

func TestReplayCmd_RequiresFlags(t *testing.T) {
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetArgs([]string{"replay", "--szse", "127.0.0.1:1"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "--pcap") {
		t.Fatalf("got %v", err)
	}
}
