package abci

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts"
)

func TestApp_Metrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	net := newTestNet()
	c := newChain(t, Config{Metrics: reg, InvariantInterval: 1}, net)
	c.block(net.bank.sign(t, credit("t1", "acc-1", 5)), net.broker.sign(t, debit("acc-1", 6)), []byte("junk"))

	families, err := reg.Gather()
	require.NoError(t, err)
	series := map[string]int{}
	for _, f := range families {
		series[f.GetName()] = len(f.GetMetric())
	}
	require.Equal(t, map[string]int{
		"custody_abci_txs_total":         3, // one per (type, codespace, code)
		"custody_abci_block_txs":         1,
		"custody_abci_commit_seconds":    1,
		"custody_abci_invariants_broken": 1,
		"custody_abci_invariant_broken":  1,
		"custody_abci_committed_height":  1,
	}, series)
	// A second app on the same registry is a wiring error, reported.
	_, err = newApp(Config{Metrics: reg}, testRouter(), []contracts.Invariant{})
	require.Error(t, err)
}
