package load

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/mempool"
	"github.com/cometbft/cometbft/proxy"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/calendar"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// pausingClient is CometBFT's local ABCI client with one pause: after the
// application has checked the tx hold (and released the client's mutex),
// and before CheckTxAsync returns to the mempool, it waits for release.
// That is the window of the race: nothing else is changed.
type pausingClient struct {
	abcicli.Client
	hold    []byte
	checked chan struct{}
	release chan struct{}
}

func (c *pausingClient) CheckTxAsync(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcicli.ReqRes, error) {
	rr, err := c.Client.CheckTxAsync(ctx, req)
	if string(req.Tx) == string(c.hold) {
		close(c.checked)
		<-c.release
	}
	return rr, err
}

// TestMempool_AppendsOutOfCheckOrder pins the cause of the lost txs that
// the load sees (doc.go, "Out-of-order sequences"). Two copies of one
// signer's consecutive txs arrive from two peers at once; the app checks N
// first, but N+1 is appended to the mempool first, because CometBFT's
// CListMempool appends a tx in the caller's goroutine after the local
// client's CheckTxAsync has returned. Reaped in list order, the block holds
// N+1 before N. Proposed as listed, FinalizeBlock would fail N+1 with a bad
// sequence (and the signer's later txs would then fail the recheck), so
// PrepareProposal puts each signer's txs in sequence order: both commit.
func TestMempool_AppendsOutOfCheckOrder(t *testing.T) {
	ctx := context.Background()
	seed := sha256.Sum256([]byte("mempool order broker"))
	broker := ed25519.NewKeyFromSeed(seed[:])
	seed = sha256.Sum256([]byte("mempool order bank"))
	bank := ed25519.NewKeyFromSeed(seed[:])
	gen, err := protojson.Marshal(&custodyv1.GenesisState{Calendar: &custodyv1.CalendarGenesis{Params: calendar.AlwaysOpen()}, Participants: []*custodyv1.Participant{
		{Id: "bank-1", Role: custodyv1.Role_ROLE_BANK, Name: "Bank", PubKeys: [][]byte{bank.Public().(ed25519.PublicKey)}},
		{Id: "broker-1", Role: custodyv1.Role_ROLE_BROKER, Name: "Broker", PubKeys: [][]byte{broker.Public().(ed25519.PublicKey)}},
	}})
	require.NoError(t, err)
	app, err := abci.NewApp(abci.Config{})
	require.NoError(t, err)
	defer app.Close()
	const chainID = "mempool-order"
	_, err = app.InitChain(ctx, &abcitypes.RequestInitChain{ChainId: chainID, AppStateBytes: gen, InitialHeight: 1})
	require.NoError(t, err)
	_, err = app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Time: time.Unix(1, 0)})
	require.NoError(t, err)
	_, err = app.Commit(ctx, &abcitypes.RequestCommit{})
	require.NoError(t, err)

	open := func(seq uint64, acct string) []byte {
		h1, h2 := sha256.Sum256([]byte("id "+acct)), sha256.Sum256([]byte("card "+acct))
		seed := sha256.Sum256([]byte("client " + acct))
		m, err := client.OpenAccountMsg(ed25519.NewKeyFromSeed(seed[:]), &custodyv1.OpeningRequest{
			ChainId: chainID, AccountId: acct, BrokerId: "broker-1", BankId: "bank-1", IdentityHash: h1[:], BankCardHash: h2[:],
		})
		require.NoError(t, err)
		tx, err := client.Sign(broker, chainID, seq, "", m)
		require.NoError(t, err)
		return tx
	}
	txN, txN1 := open(0, "ACC-N"), open(1, "ACC-N1")

	cli := &pausingClient{Client: abcicli.NewLocalClient(nil, app), hold: txN, checked: make(chan struct{}), release: make(chan struct{})}
	cfg := cmtcfg.DefaultMempoolConfig()
	mp := mempool.NewCListMempool(cfg, proxy.NewAppConnMempool(cli, proxy.NopMetrics()), 1)

	// Peer 1's copy of N: checked by the app, then paused before the
	// mempool appends it.
	firstDone := make(chan error, 1)
	go func() { firstDone <- mp.CheckTx(txN, nil, mempool.TxInfo{SenderID: 1}) }()
	<-cli.checked
	// Peer 2's copy of N+1: checked (the app's check state already has N)
	// and appended at once.
	var code uint32 = 99
	require.NoError(t, mp.CheckTx(txN1, func(r *abcitypes.ResponseCheckTx) { code = r.Code }, mempool.TxInfo{SenderID: 2}))
	require.Zero(t, code, "the app accepts N+1 after N")
	close(cli.release)
	require.NoError(t, <-firstDone)

	reaped := mp.ReapMaxTxs(-1)
	require.Equal(t, cmttypes.Txs{txN1, txN}, reaped, "the mempool lists N+1 before N although the app checked N first")

	prep, err := app.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{Txs: reaped.ToSliceOfBytes(), MaxTxBytes: 1 << 20, Height: 2})
	require.NoError(t, err)
	res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 2, Time: time.Unix(2, 0), Txs: prep.Txs})
	require.NoError(t, err)
	require.Equal(t, [][]byte{txN, txN1}, prep.Txs, "the proposal puts N before N+1")
	require.Len(t, res.TxResults, 2)
	require.Equal(t, []uint32{0, 0}, []uint32{res.TxResults[0].Code, res.TxResults[1].Code},
		"both commit: %s / %s", res.TxResults[0].Log, res.TxResults[1].Log)
}
