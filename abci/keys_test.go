package abci

import (
	"context"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// realChain is the production wiring (ledger router, genesis, invariants)
// on the abci test genesis.
func realChain(t *testing.T, net *testNet) *chain {
	t.Helper()
	app, err := NewApp(Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close() })
	_, err = app.InitChain(context.Background(), &abcitypes.RequestInitChain{ChainId: testChainID, InitialHeight: 1, Time: genesisTime, AppStateBytes: net.genesis(t)})
	require.NoError(t, err)
	return &chain{t: t, app: app}
}

// The operator grant is checked in the envelope's auth path, before any
// contract runs, in CheckTx and in FinalizeBlock alike; a refused tx
// consumes no sequence, so the operator's next granted tx at the same
// sequence goes in.
func TestApp_OperatorGrantCheckedBeforeExecution(t *testing.T) {
	net := newTestNet()
	c := realChain(t, net)
	op := newSigner("operator")
	add := &custodyv1.Msg{Sum: &custodyv1.Msg_AddOperator{AddOperator: &custodyv1.MsgAddOperator{
		PubKey: op.pub(), Grant: &custodyv1.OperatorGrant{MsgTypes: []string{"bank_to_broker"}, AmountLimit: 100},
	}}}
	res := c.block(net.bank.sign(t, add))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)

	confirm := &custodyv1.Msg{Sum: &custodyv1.Msg_ConfirmAccount{ConfirmAccount: &custodyv1.MsgConfirmAccount{AccountId: "A1", Approve: true, ClientPubKey: op.pub()}}}
	ungranted := op.signWith(t, confirm, txOpts{})
	chk := c.checkTx(ungranted)
	requireCode(t, contracts.ErrNotGranted, chk.Codespace, chk.Code, chk.Log)
	res = c.block(ungranted)
	requireCode(t, contracts.ErrNotGranted, res.TxResults[0].Codespace, res.TxResults[0].Code, res.TxResults[0].Log)
	rec, err := auth.Get(c.app.checkState, op.address())
	require.NoError(t, err)
	require.Zero(t, rec.NextSequence, "a tx refused by the grant check consumed a sequence")

	// The granted message at the same sequence is accepted by the envelope
	// (the contract then refuses the unknown account, consuming it).
	granted := op.sign(t, credit("T1", "no-such-account", 5))
	res = c.block(granted)
	require.NotEqual(t, contracts.CodespaceTx, res.TxResults[0].Codespace, res.TxResults[0].Log)
	require.NotEqual(t, "auth", res.TxResults[0].Codespace, res.TxResults[0].Log)
}

// A rotation is the old key's last tx: a tx of the old key later in the
// same block is refused as from a disabled signer, and the new key signs
// in the same block.
func TestApp_RotationIsTheOldKeysLastTx(t *testing.T) {
	net := newTestNet()
	c := realChain(t, net)
	next := newSigner("bank v2")
	rotate := &custodyv1.Msg{Sum: &custodyv1.Msg_RotateKey{RotateKey: &custodyv1.MsgRotateKey{NewPubKey: next.pub()}}}
	revokeBroker := &custodyv1.Msg{Sum: &custodyv1.Msg_RevokeKey{RevokeKey: &custodyv1.MsgRevokeKey{Address: net.broker.address(), Reason: "x"}}}
	res := c.block(
		net.bank.sign(t, rotate),
		net.bank.sign(t, credit("T1", "A1", 1)), // old key after its rotation
		next.sign(t, credit("T2", "A1", 1)),     // the new key, same block
		net.regulator.sign(t, revokeBroker),     // the broker's only key: refused
	)
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	requireCode(t, contracts.ErrSignerDisabled, res.TxResults[1].Codespace, res.TxResults[1].Code, res.TxResults[1].Log)
	require.NotEqual(t, contracts.CodespaceTx, res.TxResults[2].Codespace, "the new key is not authenticated: %s", res.TxResults[2].Log)
	require.Equal(t, "participants", res.TxResults[3].Codespace, res.TxResults[3].Log)
	require.EqualValues(t, 13, res.TxResults[3].Code, res.TxResults[3].Log)
	// And from the next block on CheckTx refuses the old key too.
	chk := c.checkTx(net.bank.sign(t, credit("T3", "A1", 1)))
	requireCode(t, contracts.ErrSignerDisabled, chk.Codespace, chk.Code, chk.Log)
}
