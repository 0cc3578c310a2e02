package fault

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/testnet/load"
)

// TestRun_Smoke is `make faults` made small: custodyd built from this tree,
// four child processes under a light load, and the scenarios that fit in
// under a minute: a real SIGKILL of one validator, of all of them at once
// mid-height, a corrupted application store, and (as root) a full disk.
// Each must pass its own checks and the common ones (same blocks and app
// hashes everywhere, funds equal to the committed txs, invariants).
func TestRun_Smoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds custodyd and runs a four-process network")
	}
	bin := filepath.Join(t.TempDir(), "custodyd")
	build := exec.Command("go", "build", "-o", bin, "github.com/custody-ledger/custody/cmd/custodyd")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cfg := Config{
		Dir:                t.TempDir(),
		Binary:             bin,
		Load:               load.DefaultConfig(),
		Custody:            load.CustodyOptions{Accounts: 8, TradingAccounts: 4},
		KeysPerParticipant: 2,
		Scenarios:          []string{"kill9-validator", "kill9-all-mid-height", "corrupt-app-db", "disk-full"},
	}
	cfg.Load.InFlight, cfg.Load.Drain = 200, 5*time.Second
	var report bytes.Buffer
	cfg.Out = &report
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	results, err := Run(ctx, cfg)
	t.Log(report.String())
	require.NoError(t, err)
	require.Len(t, results, len(cfg.Scenarios))
	for _, r := range results {
		if r.Skipped {
			t.Logf("skipped %s: %s", r.Name, r.Evidence)
			continue
		}
		require.True(t, r.Pass, "%s", r.Line())
		require.Contains(t, r.Evidence, "invariants hold", r.Name)
	}
	require.Contains(t, results[0].Evidence, "SIGKILL broker-1")
	require.True(t, strings.Contains(results[2].Evidence, "refused") || strings.Contains(results[2].Evidence, "did not refuse"), results[2].Evidence)
}

func TestRun_UnknownScenario(t *testing.T) {
	_, err := Run(t.Context(), Config{Dir: t.TempDir(), Binary: "/bin/false", Scenarios: []string{"meteor"}})
	require.ErrorContains(t, err, `no scenario "meteor"`)
}

func TestFlipBytes_EveryStride(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	orig := bytes.Repeat([]byte{0x55}, 10000)
	require.NoError(t, os.WriteFile(p, orig, 0o600))
	n, err := flipBytes(p, 4096)
	require.NoError(t, err)
	require.Equal(t, 3, n, "offsets 64, 4160, 8256")
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	diff := 0
	for i := range got {
		if got[i] != orig[i] {
			diff++
		}
	}
	require.Equal(t, 3, diff)
}

func TestStepName(t *testing.T) {
	require.Equal(t, "Prevote", stepName("12/0/4"))
	require.Equal(t, "Commit", stepName("12/1/8"))
	require.Equal(t, "step 9", stepName("1/0/9"))
	require.Equal(t, "?", stepName("junk"))
}
