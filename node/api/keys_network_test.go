package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/approvals"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/node/api"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// TestNetwork_InstitutionKeysAndDualControl runs issue #11's key lifecycle
// and maker-checker on a real four-node network with the REST API on node
// 0: a rotated bank key and a revoked operator key are refused from the
// next block on (txs and REST tokens), the new key works, a bank
// operator's withdrawal confirmation above its limit pays out only when a
// second operator of the bank approves it, an operator cannot send a
// message type it was not granted, and every node ends on the same app
// hash.
func TestNetwork_InstitutionKeysAndDualControl(t *testing.T) {
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, net.TN.Nodes[0].RPCAddress(), "", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.DefaultConfig()
	cfg.Address = "tcp://127.0.0.1:0"
	srv, err := api.New(cfg, api.Deps{Chain: c})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Error(err)
		}
	})
	base, err := srv.URL()
	if err != nil {
		t.Fatal(err)
	}
	// rest answers the status of GET path with a fresh token of key.
	rest := func(key ed25519.PrivateKey, path string) int {
		t.Helper()
		tok, err := client.NewToken(key, c.ChainID(), time.Now(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	commit := client.SubmitOptions{Mode: client.ModeCommit}
	must := func(key ed25519.PrivateKey, msg proto.Message) *client.Result {
		t.Helper()
		res, err := c.Submit(ctx, key, msg, commit)
		if err != nil {
			t.Fatalf("%T: %v", msg, err)
		}
		return res
	}
	refused := func(key ed25519.PrivateKey, msg proto.Message, want error) {
		t.Helper()
		_, err := c.Submit(ctx, key, msg, commit)
		var txErr *client.TxError
		if !errors.Is(err, want) || !errors.As(err, &txErr) {
			t.Fatalf("%T: got %v, want %v", msg, err, want)
		}
	}
	newKey := func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	pub := func(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }
	balance := func(account string) (int64, int64) {
		t.Helper()
		raw, err := c.WithReadKey(net.Keys["regulator-1"]).QueryJSON(ctx, "funds/"+account)
		if err != nil {
			t.Fatal(err)
		}
		var f custodyv1.Funds
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		return f.Balance, f.Frozen
	}

	bankOld, broker, regulator := net.Keys["bank-1"], net.Keys["broker-1"], net.Keys["regulator-1"]

	// 1. The bank rotates its key. The rotation is the old key's last tx:
	// from the next block on, its txs and its REST tokens are refused.
	if got := rest(bankOld, "/v1/participants/bank-1"); got != http.StatusOK {
		t.Fatalf("old bank key before rotation: REST %d", got)
	}
	bank := newKey()
	rot := must(bankOld, client.RotateKey(pub(bank), "yearly rotation"))
	refused(bankOld, client.ConfirmAccountMsg("NOPE", pub(newKey())), contracts.ErrSignerDisabled)
	if got := rest(bankOld, "/v1/participants/bank-1"); got != http.StatusUnauthorized {
		t.Fatalf("rotated bank key: REST %d, want 401", got)
	}
	if got := rest(bank, "/v1/participants/bank-1"); got != http.StatusOK {
		t.Fatalf("new bank key: REST %d", got)
	}
	hist, err := c.WithReadKey(regulator).KeyHistory(ctx, "bank-1", 1)
	if err != nil || len(hist) != 1 || hist[0].Kind != custodyv1.KeyEventKind_KEY_EVENT_KIND_ROTATED ||
		hist[0].NewAddress != client.Address(pub(bank)) || hist[0].Height != rot.Height {
		t.Fatalf("key history %v %v", hist, err)
	}

	// 2. The new key works: an account opened by the broker, confirmed and
	// funded by the bank's new key.
	clientKey := newKey()
	const acct = "OPS-1"
	secret := bytes.Repeat([]byte{7}, client.MinIdentitySecretLen)
	idHash, err1 := client.IdentityHash(secret, "110101199001011234")
	cardHash, err2 := client.CardHash(secret, "6222020200000001")
	open, err3 := client.OpenAccountMsg(clientKey, &custodyv1.OpeningRequest{
		ChainId: c.ChainID(), AccountId: acct, BrokerId: "broker-1", BankId: "bank-1",
		IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: []string{"A123456780"},
	})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	must(broker, open)
	must(bank, client.ConfirmAccountMsg(acct, pub(clientKey)))
	must(bank, &custodyv1.MsgBankToBroker{TransferId: "OPS-D1", AccountId: acct, Amount: 100_000})

	// 3. Operators: the maker may move 1 000 fen alone, the checker 1 000 000;
	// a teller only deposits.
	grant := []string{"approve_pending", "bank_to_broker", "confirm_withdrawal", "reject_pending"}
	maker, checker, teller := newKey(), newKey(), newKey()
	must(bank, client.AddOperator(pub(maker), grant, 1_000, "desk 1"))
	must(bank, client.AddOperator(pub(checker), grant, 1_000_000, "desk 2"))
	must(bank, client.AddOperator(pub(teller), []string{"bank_to_broker"}, 50_000, "teller"))

	// An operator cannot send a message type it was not granted.
	refused(maker, client.ConfirmAccountMsg(acct, pub(clientKey)), contracts.ErrNotGranted)
	refused(teller, &custodyv1.MsgConfirmWithdrawal{TransferId: acct + "/W0", Success: true}, contracts.ErrNotGranted)
	refused(maker, client.RevokeKey(client.Address(pub(teller)), "x"), contracts.ErrNotGranted)
	must(teller, &custodyv1.MsgBankToBroker{TransferId: "OPS-D2", AccountId: acct, Amount: 20_000})

	// 4. Maker-checker: the client withdraws 30 000; the maker's
	// confirmation is above its limit and is held; nothing is paid until
	// the checker approves, and then exactly once.
	must(clientKey, &custodyv1.MsgRequestWithdrawal{TransferId: acct + "/W1", AccountId: acct, Amount: 30_000})
	res := must(maker, &custodyv1.MsgConfirmWithdrawal{TransferId: acct + "/W1", Success: true})
	id, held := client.HeldForApproval(res)
	if !held {
		t.Fatalf("confirmation above the limit executed at once: events %v", res.Events)
	}
	if b, f := balance(acct); b != 120_000 || f != 30_000 {
		t.Fatalf("after the held confirmation: balance %d frozen %d, want 120000 30000", b, f)
	}
	pend, err := c.WithReadKey(regulator).Approvals(ctx, "bank-1", 1, true)
	if err != nil || len(pend) != 1 || pend[0].Id != id || pend[0].Amount != 30_000 {
		t.Fatalf("pending approvals %v %v", pend, err)
	}
	refused(maker, client.ApprovePending(id), approvals.ErrMakerMayNot)
	refused(teller, client.ApprovePending(id), contracts.ErrNotGranted)
	must(checker, client.ApprovePending(id))
	if b, f := balance(acct); b != 90_000 || f != 0 {
		t.Fatalf("after approval: balance %d frozen %d, want 90000 0", b, f)
	}
	refused(checker, client.ApprovePending(id), approvals.ErrAlreadyDecided)
	if b, _ := balance(acct); b != 90_000 {
		t.Fatalf("a second approval moved money: balance %d", b)
	}
	// The REST reads follow the contracts' read policy.
	for _, r := range []struct {
		key  ed25519.PrivateKey
		path string
		want int
	}{
		{bank, "/v1/participants/bank-1/approvals?status=executed", http.StatusOK},
		{checker, fmt.Sprintf("/v1/participants/bank-1/approvals/%d", id), http.StatusOK},
		{regulator, "/v1/participants/bank-1/approvals", http.StatusOK},
		// Not readable answers as not found, never 403 (docs/api.md).
		{broker, "/v1/participants/bank-1/approvals", http.StatusNotFound},
		{broker, "/v1/participants/bank-1/key-history", http.StatusOK},
		{clientKey, "/v1/participants/bank-1/key-history", http.StatusNotFound},
		{clientKey, "/v1/participants/bank-1/keys", http.StatusNotFound},
		{regulator, "/v1/participants/bank-1/keys", http.StatusOK},
	} {
		if got := rest(r.key, r.path); got != r.want {
			t.Errorf("GET %s: %d, want %d", r.path, got, r.want)
		}
	}

	// Within its limit the maker acts alone.
	must(maker, &custodyv1.MsgBankToBroker{TransferId: "OPS-D3", AccountId: acct, Amount: 1_000})
	if b, _ := balance(acct); b != 91_000 {
		t.Fatalf("balance %d, want 91000", b)
	}

	// 5. The regulator revokes the teller's (compromised) key: from the next
	// block on its txs are refused and its REST token gets 401.
	if got := rest(teller, "/v1/participants/bank-1"); got != http.StatusOK {
		t.Fatalf("teller before revocation: REST %d", got)
	}
	must(regulator, client.RevokeKey(client.Address(pub(teller)), "token stolen"))
	refused(teller, &custodyv1.MsgBankToBroker{TransferId: "OPS-D4", AccountId: acct, Amount: 10}, contracts.ErrSignerDisabled)
	if got := rest(teller, "/v1/participants/bank-1"); got != http.StatusUnauthorized {
		t.Fatalf("revoked teller: REST %d, want 401", got)
	}
	// The bank's last unrestricted key cannot be revoked.
	refused(regulator, client.RevokeKey(client.Address(pub(bank)), "x"), participants.ErrLastKey)
	rec, err := c.Signer(ctx, client.Address(pub(teller)))
	if err != nil || rec.DisabledReason != custodyv1.KeyDisableReason_KEY_DISABLE_REASON_REVOKED {
		t.Fatalf("teller record %v %v", rec, err)
	}

	// 6. Every node agrees on the resulting state.
	status, err := c.RPC().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := status.SyncInfo.LatestBlockHeight
	var want []byte
	for _, n := range net.TN.Nodes {
		if _, err := testnet.WaitForHeight(ctx, n, h+1); err != nil {
			t.Fatal(err)
		}
		rpc, err := testnet.NewRPC(n)
		if err != nil {
			t.Fatal(err)
		}
		next := h + 1
		b, err := rpc.Block(ctx, &next)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = b.Block.AppHash
		}
		if !bytes.Equal(want, b.Block.AppHash) {
			t.Fatalf("node %s app hash %X after height %d, node 0 %X", n.Name, b.Block.AppHash, h, want)
		}
	}
}
