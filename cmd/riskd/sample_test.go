package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/risk"
)

// riskd sample writes a capture that decode and replay follow with the
// endpoints it prints, and whose replay raises the rules the docs promise;
// decode with endpoints that match nothing says so and names the ones the
// capture holds.
func TestSampleCmd_RecordsWhatDecodeAndReplayFollow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "sample.pcap")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"sample", "--out", path}, &out, &errb); code != 0 {
		t.Fatalf("sample: exit %d\n%s", code, errb.String())
	}
	m := regexp.MustCompile(`szse = "([^"]+)"\nsse = "([^"]+)"`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("sample printed no endpoints:\n%s", out.String())
	}
	szse, sse := m[1], m[2]

	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"replay", "--pcap", path, "--config", strings.TrimSuffix(path, ".pcap") + ".toml", "--szse", szse, "--sse", sse}, &out, &errb); code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, errb.String())
	}
	rules := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var l struct{ Rule string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("replay line %q: %v", line, err)
		}
		rules[l.Rule]++
	}
	for _, want := range []string{risk.RuleSpoofing, risk.RuleSelfTrade, risk.RuleOrderRate} {
		if rules[want] == 0 {
			t.Errorf("replay of the sample raised no %s alert: %v", want, rules)
		}
	}
	if strings.Contains(errb.String(), "warning") {
		t.Errorf("replay warned on matching endpoints:\n%s", errb.String())
	}

	// Endpoints that are not in the capture.
	for _, cmd := range []string{"decode", "replay"} {
		out.Reset()
		errb.Reset()
		if code := run(ctx, []string{cmd, "--pcap", path, "--szse", "10.9.9.9:9100"}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d\n%s", cmd, code, errb.String())
		}
		for _, want := range []string{cmd + ": warning: no packet", "top destination endpoints", szse, sse} {
			if !strings.Contains(errb.String(), want) {
				t.Errorf("%s with unmatched endpoints: no %q in\n%s", cmd, want, errb.String())
			}
		}
	}
}
