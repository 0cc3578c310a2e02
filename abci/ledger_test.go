package abci

import (
	"context"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts"
)

// TestNewApp_RealLedger runs the production wiring (ledger router, genesis
// and invariants): a regulator freezing an unknown account is refused by the
// contract, not by the envelope, and consumes the sequence.
func TestNewApp_RealLedger(t *testing.T) {
	net := newTestNet()
	app, err := NewApp(Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close() })
	_, err = app.InitChain(context.Background(), &abcitypes.RequestInitChain{ChainId: testChainID, InitialHeight: 1, Time: genesisTime, AppStateBytes: net.genesis(t)})
	require.NoError(t, err)
	c := &chain{t: t, app: app}
	tx := net.regulator.sign(t, freeze("no-such-account"))
	res := c.block(tx)
	r := res.TxResults[0]
	require.NotZero(t, r.Code)
	require.NotEqual(t, contracts.CodespaceTx, r.Codespace, r.Log)
	res = c.block(tx)
	requireCode(t, contracts.ErrBadSequence, res.TxResults[0].Codespace, res.TxResults[0].Code, res.TxResults[0].Log)
}
