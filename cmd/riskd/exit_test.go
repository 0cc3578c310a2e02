package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Reference: issue #20. Usage errors (the command line or the config it
// names) exit 2 with a message naming what is wrong; failures while running
// exit 1.
func TestExitCodes_BadFlagsAndValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notPcap := write("notes.txt", "not a capture file at all\n")
	bad := write("bad.toml", "[engine]\nworkers = 0\n")
	typo := write("typo.toml", "[capture]\nifac = \"lo\"\n")
	standby := write("standby.toml", "[standby]\nleader = \"http://127.0.0.1:8089\"\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"decode", "--pcapp", "x"}, 2, "unknown flag: --pcapp"},
		{"missing required flag", []string{"decode", "--szse", "127.0.0.1:1"}, 2, `required flag(s) "pcap" not set`},
		{"no endpoints", []string{"decode", "--pcap", notPcap}, 2, "give --szse and/or --sse"},
		{"extra argument", []string{"decode", "extra", "--pcap", notPcap}, 2, `unknown command "extra"`},
		{"not a capture", []string{"decode", "--pcap", notPcap, "--szse", "127.0.0.1:1"}, 1, "not a pcap or pcapng file"},
		{"missing capture", []string{"decode", "--pcap", filepath.Join(dir, "none.pcap"), "--szse", "127.0.0.1:1"}, 1, "no such file"},
		{"replay without pcap", []string{"replay", "--szse", "127.0.0.1:1"}, 2, "--pcap is required"},
		{"replay without endpoints", []string{"replay", "--pcap", notPcap}, 2, "give --szse and/or --sse"},
		{"replay bad config", []string{"replay", "--pcap", notPcap, "--szse", "127.0.0.1:1", "--config", bad}, 2, "engine.workers"},
		{"replay not a capture", []string{"replay", "--pcap", notPcap, "--szse", "127.0.0.1:1"}, 1, "not a pcap"},
		{"verify-alert no id", []string{"verify-alert", "--config", bad}, 2, "accepts 1 arg(s), received 0"},
		{"verify-alert no config", []string{"verify-alert", "A1"}, 2, `required flag(s) "config" not set`},
		{"verify-alert no chain", []string{"verify-alert", "A1", "--config", write("nochain.toml", "")}, 2, "has no [chain] node"},
		{"run no config", []string{"run"}, 2, `required flag(s) "config" not set`},
		{"run missing config", []string{"run", "--config", filepath.Join(dir, "none.toml")}, 2, "no such file"},
		{"run invalid value", []string{"run", "--config", bad}, 2, "engine.workers: must be ≥ 1, got 0"},
		{"run unknown key", []string{"run", "--config", typo}, 2, "capture.ifac"},
		{"run standby over http", []string{"run", "--config", standby}, 2, "standby.leader: must be an https:// URL"},
		{"run args", []string{"run", "x", "--config", typo}, 2, `unknown command "x"`},
		{"capture no iface", []string{"capture"}, 2, `required flag(s) "iface" not set`},
		{"sample no out", []string{"sample"}, 2, `required flag(s) "out" not set`},
		{"sample unknown scenario", []string{"sample", "--out", filepath.Join(dir, "s.pcap"), "--scenario", "heist"}, 2, `unknown scenario "heist"`},
		{"sample unwritable", []string{"sample", "--out", filepath.Join(dir, "no", "such", "dir.pcap"), "--scenario", "wash"}, 1, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("riskd %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(tc.args, " "), code, errb.String(), tc.code, tc.want)
			}
			if code == 2 && !strings.Contains(errb.String(), "--help") {
				t.Fatalf("a usage error without the pointer to --help:\n%s", errb.String())
			}
		})
	}
}
