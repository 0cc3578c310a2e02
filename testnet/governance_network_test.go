package testnet_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/privval"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/governance"
	"github.com/custody-ledger/custody/node"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// TestNetwork_MembershipAndUpgrade runs governance on a real four-node
// network: a second bank joins with a fifth validator, a broker with no
// open account leaves, refused proposals get their codes, and a software
// upgrade halts every node at its height until they restart as the "new
// binary" (the same code with the plan's migration registered), which
// migrates once and records app version 2. Every node ends on one app hash.
func TestNetwork_MembershipAndUpgrade(t *testing.T) {
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	c := net.Client(t, 0)
	submit := func(who string, msg proto.Message) (*client.Result, error) {
		return c.Submit(ctx, net.Keys[who], msg, client.SubmitOptions{Mode: client.ModeCommit})
	}
	must := func(who string, msg proto.Message) {
		t.Helper()
		if _, err := submit(who, msg); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}
	wantRefused := func(err error, want *contracts.Error) {
		t.Helper()
		var te *client.TxError
		if !errors.As(err, &te) || te.Codespace != want.Codespace || te.Code != want.Code {
			t.Fatalf("got %v, want %s/%d", err, want.Codespace, want.Code)
		}
	}
	propose := func(who string, m *custodyv1.MsgSubmitProposal) {
		t.Helper()
		must(who, &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitProposal{SubmitProposal: m}})
	}
	voteMsg := func(id string) *custodyv1.Msg {
		return &custodyv1.Msg{Sum: &custodyv1.Msg_VoteProposal{VoteProposal: &custodyv1.MsgVoteProposal{ProposalId: id, Approve: true}}}
	}
	status := func(id string) string {
		t.Helper()
		raw, err := c.WithReadKey(net.Keys["regulator-1"]).QueryJSON(ctx, "proposal/"+id)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Status, Failure string }
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		return p.Status + p.Failure
	}

	// A second bank: its node joins by state sync, then the institutions
	// vote it in as a participant with a validator.
	n5, err := net.Launcher.AddNode(ctx, "bank-2")
	if err != nil {
		t.Fatal(err)
	}
	home := net.TN.Home(n5)
	pv := privval.LoadFilePV(filepath.Join(home, "config", "priv_validator_key.json"), filepath.Join(home, "data", "priv_validator_state.json"))
	seed := sha256.Sum256([]byte("bank-2 admin key"))
	bank2 := ed25519.NewKeyFromSeed(seed[:])
	net.Keys["bank-2"] = bank2
	propose("bank-1", &custodyv1.MsgSubmitProposal{Id: "add-bank-2", Title: "second custody bank",
		Change: &custodyv1.MsgSubmitProposal_AddParticipant{AddParticipant: &custodyv1.Participant{
			Id: "bank-2", Role: custodyv1.Role_ROLE_BANK, Name: "Bank Two",
			PubKeys: [][]byte{bank2.Public().(ed25519.PublicKey)}, ValidatorPower: 10, ValidatorPubKey: pv.Key.PubKey.Bytes(),
		}}})
	// Refusals get codes: a risk operator may not vote (wrong role), the
	// proposer may not vote twice, and two of four votes pass nothing.
	_, err = submit(nettest.Operator, voteMsg("add-bank-2"))
	wantRefused(err, contracts.ErrUnauthorizedRole)
	_, err = submit("bank-1", voteMsg("add-bank-2"))
	wantRefused(err, governance.ErrDuplicateVote)
	must("broker-1", voteMsg("add-bank-2"))
	if s := status("add-bank-2"); s != "PROPOSAL_STATUS_OPEN" {
		t.Fatalf("with 20 of 40: %s", s)
	}
	must("clearing-house-1", voteMsg("add-bank-2"))
	if s := status("add-bank-2"); s != "PROPOSAL_STATUS_OPEN" {
		t.Fatalf("with 30 of 40 but no regulator: %s", s)
	}
	must("regulator-1", voteMsg("add-bank-2"))
	if s := status("add-bank-2"); s != "PROPOSAL_STATUS_EXECUTED" {
		t.Fatalf("after the regulator: %s", s)
	}
	waitValidators(ctx, t, c, 5)

	// The broker has no open account: it may leave (4 of 5 approve).
	propose("bank-1", &custodyv1.MsgSubmitProposal{Id: "remove-broker-1", Title: "broker-1 leaves the market",
		Change: &custodyv1.MsgSubmitProposal_RemoveParticipant{RemoveParticipant: "broker-1"}})
	for _, who := range []string{"bank-2", "clearing-house-1", "regulator-1"} {
		must(who, voteMsg("remove-broker-1"))
	}
	if s := status("remove-broker-1"); s != "PROPOSAL_STATUS_EXECUTED" {
		t.Fatalf("removal: %s", s)
	}
	waitValidators(ctx, t, c, 4)
	if _, err := submit("broker-1", voteMsg("remove-broker-1")); err == nil {
		t.Fatal("the removed broker's key still signs")
	}

	// An upgrade a few blocks ahead.
	st, err := c.RPC().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	planHeight := st.SyncInfo.LatestBlockHeight + 12
	propose("bank-1", &custodyv1.MsgSubmitProposal{Id: "upgrade-v2", Title: "custody v2",
		Change: &custodyv1.MsgSubmitProposal_SoftwareUpgrade{SoftwareUpgrade: &custodyv1.UpgradePlan{Name: "v2", Height: planHeight, Info: "custodyd v2"}}})
	for _, who := range []string{"bank-2", "clearing-house-1", "regulator-1"} {
		must(who, voteMsg("upgrade-v2"))
	}
	if s := status("upgrade-v2"); s != "PROPOSAL_STATUS_EXECUTED" {
		t.Fatalf("upgrade: %s", s)
	}
	// Every running node stops before executing the plan's block.
	running := []*testnet.Node{}
	for _, n := range net.TN.Nodes {
		if n.Name != "broker-1" {
			running = append(running, n)
		}
	}
	for _, n := range running {
		waitLog(ctx, t, filepath.Join(net.TN.Home(n), "node.log"), "UPGRADE NEEDED: v2 at height")
	}
	// CometBFT stored the plan's block (it was committed) but the
	// application did not execute it.
	for _, n := range running {
		if h := appHeight(ctx, t, n); h != planHeight-1 {
			t.Fatalf("%s: the application is at height %d, the plan at %d", n.Name, h, planHeight)
		}
	}
	if err := net.Launcher.StopAll(); err != nil {
		t.Fatal(err)
	}
	// The new binary: the same code with v2's migration registered.
	var migrated atomic.Int32
	net.Provider.Options = append(net.Provider.Options, node.WithMigrations(abci.Migration{
		Name: "v2", AppVersion: 2,
		Migrate: func(s contracts.Store) error {
			migrated.Add(1)
			// A mark of the test's own under 0x7F, governance's last and
			// unused prefix: the state every node migrates the same way.
			s.Set([]byte{0x7F, 'v', '2'}, []byte("migrated"))
			return nil
		},
	}))
	for _, n := range net.TN.Nodes {
		if err := net.Launcher.StartNode(ctx, n.Name); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range running {
		if _, err := testnet.WaitForHeight(ctx, n, planHeight+3); err != nil {
			t.Fatal(err)
		}
	}
	if int(migrated.Load()) != len(net.TN.Nodes) {
		t.Fatalf("migration ran %d times on %d nodes", migrated.Load(), len(net.TN.Nodes))
	}
	var hash []byte
	h := planHeight + 2
	for _, n := range running {
		rpc, err := testnet.NewRPC(n)
		if err != nil {
			t.Fatal(err)
		}
		info, err := rpc.ABCIInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Response.AppVersion != 2 {
			t.Fatalf("%s reports app version %d", n.Name, info.Response.AppVersion)
		}
		blk, err := rpc.Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if blk.Block.Version.App != 2 {
			t.Fatalf("%s: block %d has app version %d", n.Name, h, blk.Block.Version.App)
		}
		if hash != nil && !bytes.Equal(hash, blk.Block.AppHash) {
			t.Fatalf("%s: app hash %X at %d, others %X", n.Name, blk.Block.AppHash, h, hash)
		}
		hash = blk.Block.AppHash
	}
}

func waitValidators(ctx context.Context, t *testing.T, c *client.Client, want int) {
	t.Helper()
	for {
		vs, err := c.RPC().Validators(ctx, nil, nil, nil)
		if err == nil && vs.Total == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d validators: %v", want, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitLog(ctx context.Context, t *testing.T, path, want string) {
	t.Helper()
	for {
		bz, _ := os.ReadFile(path)
		if strings.Contains(string(bz), want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never logged %q", path, want)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func appHeight(ctx context.Context, t *testing.T, n *testnet.Node) int64 {
	t.Helper()
	rpc, err := testnet.NewRPC(n)
	if err != nil {
		t.Fatal(err)
	}
	info, err := rpc.ABCIInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.Response.LastBlockHeight
}
