package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet"
)

// TestWithApplication_RunsAnotherApp runs a one-validator home with
// CometBFT's kvstore in place of the custody app, as the load benchmark's
// baseline does: a tx commits, the kvstore answers the query, App is nil,
// and Stop closes the kvstore's database so the same home starts again.
func TestWithApplication_RunsAnotherApp(t *testing.T) {
	m := testnet.DefaultManifest()
	m.Validators = 1
	m.Prometheus = false
	m.TimeoutCommit = testnet.Duration{Duration: 100 * time.Millisecond}
	tn, err := testnet.Generate(t.TempDir(), m, testnet.GenerateOptions{})
	require.NoError(t, err)
	v := tn.Nodes[0]
	opts := []node.Option{
		node.WithLogOutput(testWriter{t}),
		node.WithMetricsRegisterer(nil),
		node.WithCometConfig(func(c *cmtcfg.Config) { c.P2P.PersistentPeers = ""; c.LogLevel = "error" }),
		node.WithApplication(func(dir string) (abcitypes.Application, error) {
			return kvstore.NewPersistentApplication(dir), nil
		}),
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	for round := 0; round < 2; round++ {
		n, err := node.New(tn.Home(v), opts...)
		require.NoError(t, err)
		require.NoError(t, n.Start(ctx))
		require.Nil(t, n.App(), "App is the custody app only")
		rpc, err := testnet.NewRPC(v)
		require.NoError(t, err)
		if round == 0 {
			res, err := rpc.BroadcastTxCommit(ctx, []byte("bench=baseline"))
			require.NoError(t, err)
			require.Zero(t, res.TxResult.Code)
		}
		q, err := rpc.ABCIQuery(ctx, "", []byte("bench"))
		require.NoError(t, err)
		require.Equal(t, "baseline", string(q.Response.Value), "round %d", round)
		require.NoError(t, n.Stop())
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
