package testnet

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startNetwork generates m under a temp dir and starts every node in this
// process; the network is stopped when the test ends.
func startNetwork(t *testing.T, m Manifest) (*Testnet, *Launcher, *InProcess) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("TESTNET_KEEP") != "" {
		// Keep the homes and node logs for a post-mortem.
		var err error
		dir, err = os.MkdirTemp("", "custody-testnet-")
		require.NoError(t, err)
		t.Logf("testnet homes kept in %s", dir)
	}
	tn, err := Generate(dir, m, GenerateOptions{})
	require.NoError(t, err)
	p := &InProcess{}
	l := NewLauncher(tn, p)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	t.Cleanup(func() { require.NoError(t, l.StopAll()) })
	require.NoError(t, l.StartAll(ctx))
	return tn, l, p
}

func TestLauncher_FourNodesCommit(t *testing.T) {
	m := DefaultManifest()
	m.TimeoutCommit = Duration{200 * time.Millisecond}
	tn, _, _ := startNetwork(t, m)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for _, n := range tn.Nodes {
		_, err := WaitForHeight(ctx, n, 3)
		require.NoError(t, err)
	}
	// Same block (hence same app hash) at height 3 on every node.
	var want string
	for _, n := range tn.Nodes {
		c, err := NewRPC(n)
		require.NoError(t, err)
		h := int64(3)
		b, err := c.Block(ctx, &h)
		require.NoError(t, err)
		got := b.BlockID.Hash.String() + "/" + b.Block.AppHash.String()
		if want == "" {
			want = got
		}
		require.Equal(t, want, got, "node %s", n.Name)
	}
}
