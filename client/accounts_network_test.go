package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet"
)

// TestNetwork_ClientKeyBinding plays issue #11's trust boundary on the
// real four-node network: a key the broker generated never becomes a
// client's key unless the bank names it, and a replaced client key can
// withdraw while the old one cannot. The history is read with proofs from
// one node against headers from others.
func TestNetwork_ClientKeyBinding(t *testing.T) {
	tn, ks := network(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	bank, broker := ks["bank-1"], ks["broker-1"]
	c, err := client.Dial(ctx, tn.Nodes[0].RPCAddress(), "", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	commit := client.SubmitOptions{Mode: client.ModeCommit}
	// The test reads as the regulator, who may read every record (and
	// every proof) the checks below look at.
	reg := c.WithReadKey(ks["regulator-1"])
	secret, err := tn.IdentitySecret()
	if err != nil {
		t.Fatal(err)
	}
	request := func(acct, identity string) *custodyv1.OpeningRequest {
		t.Helper()
		idHash, err1 := client.IdentityHash(secret, identity)
		cardHash, err2 := client.CardHash(secret, "6222"+identity[6:])
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		return &custodyv1.OpeningRequest{ChainId: c.ChainID(), AccountId: acct, BrokerId: "broker-1", BankId: "bank-1",
			IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: []string{"A123456700"}}
	}
	status := func(acct string) string {
		t.Helper()
		raw, err := reg.QueryJSON(ctx, "account/"+acct)
		if err != nil {
			t.Fatal(err)
		}
		var a struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		return a.Status
	}
	pub := func(k ed25519.PrivateKey) []byte { return k.Public().(ed25519.PublicKey) }

	// 1. The broker generates a key "for" the client and signs the opening
	// with it (it holds the key, so the proof of possession passes). At
	// its counter the bank received the client's own key, and names that
	// one: the chain refuses, the account stays pending, the broker's key
	// signs nothing; the bank rejects the opening.
	_, brokersKey, _ := ed25519.GenerateKey(nil)
	_, clientKey, _ := ed25519.GenerateKey(nil)
	if _, err := c.Submit(ctx, broker, signOpening(t, brokersKey, request("KB-1", "110101199001011111")), commit); err != nil {
		t.Fatal(err)
	}
	_, err = c.Submit(ctx, bank, client.ConfirmAccountMsg("KB-1", pub(clientKey)), commit)
	mustErrIs(t, err, accounts.ErrClientKeyMismatch)
	if s := status("KB-1"); s != "ACCOUNT_STATUS_PENDING" {
		t.Fatalf("KB-1 is %s after a mismatched confirmation", s)
	}
	// (Submit learns from the node that the key is unknown before it
	// signs: the error is the registered code, not a refused tx.)
	_, err = c.Submit(ctx, brokersKey, &custodyv1.MsgRequestWithdrawal{TransferId: "KB-1/W1", AccountId: "KB-1", Amount: 1}, commit)
	if !errors.Is(err, contracts.ErrUnknownSigner) {
		t.Fatalf("the broker's key withdrew: %v", err)
	}
	if _, err := c.Submit(ctx, bank, client.RejectAccountMsg("KB-1", "client key differs from the one given at the counter"), commit); err != nil {
		t.Fatal(err)
	}
	if s := status("KB-1"); s != "ACCOUNT_STATUS_REJECTED" {
		t.Fatalf("KB-1 is %s after the rejection", s)
	}
	// A request the broker altered after the client signed it is refused
	// before any state is read.
	altered := signOpening(t, clientKey, request("KB-2", "110101199001012222"))
	altered.Request.BankId = "bank-2"
	_, err = c.Submit(ctx, broker, altered, commit)
	mustErrIs(t, err, accounts.ErrBadClientSignature)

	// 2. The same client, its own key on both sides: the account opens.
	if _, err := c.Submit(ctx, broker, signOpening(t, clientKey, request("KB-2", "110101199001012222")), commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, bank, client.ConfirmAccountMsg("KB-2", pub(clientKey)), commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, bank, &custodyv1.MsgBankToBroker{TransferId: "KB-D1", AccountId: "KB-2", Amount: 10_000}, commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, clientKey, &custodyv1.MsgRequestWithdrawal{TransferId: "KB-2/W1", AccountId: "KB-2", Amount: 1_000}, commit); err != nil {
		t.Fatal(err)
	}

	// 3. The client loses its phone: a new key, through broker and bank.
	_, newKey, _ := ed25519.GenerateKey(nil)
	propose, err := client.ProposeClientKeyMsg(newKey, &custodyv1.ClientKeyRequest{
		ChainId: c.ChainID(), AccountId: "KB-2", BrokerId: "broker-1", BankId: "bank-1"}, "lost phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, broker, propose, commit); err != nil {
		t.Fatal(err)
	}
	// Until the bank confirms, the old key still signs and the new does not.
	_, err = c.Submit(ctx, newKey, &custodyv1.MsgRequestWithdrawal{TransferId: "KB-2/W2", AccountId: "KB-2", Amount: 1}, commit)
	if !errors.Is(err, contracts.ErrUnknownSigner) {
		t.Fatalf("the proposed key signed before the bank confirmed: %v", err)
	}
	// The bank names a key other than the proposed one: refused.
	_, err = c.Submit(ctx, bank, client.ConfirmClientKeyMsg("KB-2", pub(brokersKey)), commit)
	mustErrIs(t, err, accounts.ErrClientKeyMismatch)
	if _, err := c.Submit(ctx, bank, client.ConfirmClientKeyMsg("KB-2", pub(newKey)), commit); err != nil {
		t.Fatal(err)
	}
	_, err = c.Submit(ctx, clientKey, &custodyv1.MsgRequestWithdrawal{TransferId: "KB-2/W3", AccountId: "KB-2", Amount: 1_000}, commit)
	mustErrIs(t, err, contracts.ErrSignerDisabled)
	if _, err := c.Submit(ctx, newKey, &custodyv1.MsgRequestWithdrawal{TransferId: "KB-2/W4", AccountId: "KB-2", Amount: 1_000}, commit); err != nil {
		t.Fatalf("the replaced key cannot withdraw: %v", err)
	}

	// 4. The key history, proven: values from node 0, headers from node 1
	// checked by node 2.
	n3, err := testnet.NewRPC(tn.Nodes[3])
	if err != nil {
		t.Fatal(err)
	}
	h1 := int64(1)
	hdr, err := n3.Header(ctx, &h1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := client.NewVerifier(ctx, client.LightConfig{
		ChainID: tn.ChainID, Primary: tn.Nodes[1].RPCAddress(), Witnesses: []string{tn.Nodes[2].RPCAddress()},
		TrustHeight: 1, TrustHash: hdr.Header.Hash(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	a, events, pending, err := reg.ProvenClientKeys(ctx, v, "KB-2")
	if err != nil {
		t.Fatal(err)
	}
	want := []custodyv1.ClientKeyEventKind{
		custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REGISTERED,
		custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_PROPOSED,
		custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REPLACED,
	}
	if !bytes.Equal(a.ClientPubKey, pub(newKey)) || pending != nil || len(events) != len(want) {
		t.Fatalf("account %v, pending %v, history %v", a, pending, events)
	}
	for i, ev := range events {
		if ev.Kind != want[i] || ev.Seq != uint64(i+1) {
			t.Fatalf("history[%d] = %v, want %s", i, ev, want[i])
		}
	}
	last := events[2]
	if !bytes.Equal(last.PubKey, pub(newKey)) || !bytes.Equal(last.PreviousPubKey, pub(clientKey)) || last.Signer != "bank-1" || last.Reason != "lost phone" {
		t.Fatalf("replacement record %v", last)
	}
	if events[1].Signer != "broker-1" {
		t.Fatalf("proposal record %v", events[1])
	}
}
