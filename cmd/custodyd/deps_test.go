package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The validator's binary links the node alone: no local-network tooling,
// simulators, capture or risk core (those are cmd/custodynet and riskd).
func TestDeps_NodeOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"/testnet", "/capture", "/risk"} {
			if strings.HasPrefix(pkg, "github.com/custody-ledger/custody") && strings.Contains(pkg, banned) {
				t.Errorf("custodyd links %s", pkg)
			}
		}
	}
}
