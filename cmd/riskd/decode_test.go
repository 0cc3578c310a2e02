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

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

func TestDecodeCmd_PrintsEventsAndSummary(t *testing.T) {
	sim, err := exchsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want, err := sim.Run(ctx, exchsim.Normal(), exchsim.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close()
	var pc bytes.Buffer
	if _, err := exchsim.WritePcap(&pc, sim.Tap().Conns, sim.Tap().Segs, exchsim.PcapOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.pcap")
	os.WriteFile(path, pc.Bytes(), 0o644)

	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetArgs([]string{"decode", "--pcap", path, "--szse", sim.SZSEAddr(), "--sse", sim.SSEAddr()})
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("decode: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		var e capture.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, l)
		}
		if exchsim.Key(&e) != exchsim.Key(&want[i]) {
			t.Fatalf("line %d: got %s, want %s", i, exchsim.Key(&e), exchsim.Key(&want[i]))
		}
	}
	if !strings.Contains(lines[0], `"kind":"order"`) || !strings.Contains(lines[0], `"market":"SZSE"`) {
		t.Errorf("JSON does not print names: %s", lines[0])
	}
	if !strings.Contains(errb.String(), "gaps 0") || !strings.Contains(errb.String(), "szse/100101") {
		t.Errorf("summary: %s", errb.String())
	}
}

func TestDecodeCmd_Errors(t *testing.T) {
	for _, args := range [][]string{
		{"decode", "--szse", "127.0.0.1:1"},                                // no --pcap
		{"decode", "--pcap", "/nonexistent.pcap", "--szse", "127.0.0.1:1"}, // missing file
		{"decode", "--pcap", "/dev/null"},                                  // no endpoints
		{"capture", "--szse", "127.0.0.1:1"},                               // no --iface
	} {
		var out, errb bytes.Buffer
		root := newRootCmd(&out, &errb)
		root.SetArgs(args)
		if err := root.Execute(); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
