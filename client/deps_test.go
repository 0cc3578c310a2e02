package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNodeDependencies: the SDK checks the node's answers with package
// proof; it must not pull in the node (package abci) or its state store
// (IAVL), which a client has no use for. CometBFT's abci/types comes with
// its RPC client and is allowed.
func TestNoNodeDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/custody-ledger/custody/client").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/custody-ledger/custody/abci" || strings.HasPrefix(dep, "github.com/custody-ledger/custody/abci/") ||
			strings.Contains(dep, "/iavl") {
			t.Errorf("package client depends on %s", dep)
		}
	}
}
