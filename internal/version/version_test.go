package version

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

func stamped(mainVersion string, settings ...debug.BuildSetting) *debug.BuildInfo {
	return &debug.BuildInfo{GoVersion: "go1.99.0", Main: debug.Module{Path: "github.com/custody-ledger/custody", Version: mainVersion}, Settings: settings}
}

var vcs = []debug.BuildSetting{
	{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
	{Key: "vcs.time", Value: "2026-12-08T01:00:00Z"}, {Key: "vcs.modified", Value: "true"},
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name, linked string
		bi           *debug.BuildInfo
		want         Info
	}{
		{"go install of a tag", "", stamped("v1.4.2"), Info{Version: "v1.4.2", Go: "go1.99.0"}},
		{"built in a checkout", "", stamped("v0.0.0-20261208010000-0123456789ab+dirty", vcs...),
			Info{Version: "v0.0.0-20261208010000-0123456789ab+dirty", Commit: vcs[1].Value, CommitTime: vcs[2].Value, Modified: true, Go: "go1.99.0"}},
		{"ldflags win over the module version", "v2.0.0-rc1", stamped("v1.4.2", vcs...),
			Info{Version: "v2.0.0-rc1", Commit: vcs[1].Value, CommitTime: vcs[2].Value, Modified: true, Go: "go1.99.0"}},
		{"devel without ldflags", "", stamped("(devel)"), Info{Version: "dev", Go: "go1.99.0"}},
		{"no build info", "", nil, Info{Version: "dev"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resolve("riskd", tc.linked, tc.bi)
			if got.Binary != "riskd" || got.Version != tc.want.Version || got.Commit != tc.want.Commit ||
				got.CommitTime != tc.want.CommitTime || got.Modified != tc.want.Modified {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if tc.want.Go != "" && got.Go != tc.want.Go {
				t.Fatalf("go %q, want %q", got.Go, tc.want.Go)
			}
			if got.Go == "" || got.Platform == "" || got.CometBFT == "" {
				t.Fatalf("toolchain facts missing: %+v", got)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	info := resolve("custodyd", "v1.0.0", stamped("", vcs...))
	var text bytes.Buffer
	if err := info.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"custodyd v1.0.0\n", "commit   " + vcs[1].Value + " (with uncommitted changes), 2026-12-08T01:00:00Z\n", "cometbft ", "go       go1.99.0 "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := info.Write(&js, "json"); err != nil {
		t.Fatal(err)
	}
	var back Info
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back != info {
		t.Fatalf("json %s: %+v, %v", js.Bytes(), back, err)
	}
	if err := info.Write(&js, "yaml"); err == nil {
		t.Fatal("yaml accepted")
	}
	var unstamped bytes.Buffer
	_ = resolve("riskd", "", nil).WriteText(&unstamped)
	if !strings.Contains(unstamped.String(), "commit   unknown") {
		t.Fatalf("unstamped build:\n%s", unstamped.String())
	}
}
