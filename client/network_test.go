package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/transfers"
	"github.com/custody-ledger/custody/proof"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// network starts the default four-node testnet in this process and
// returns it with each participant's first signing key.
func network(t *testing.T) (*testnet.Testnet, map[string]ed25519.PrivateKey) {
	t.Helper()
	net := nettest.Start(t)
	return net.TN, net.Keys
}

// testIdentitySecret is the identity secret of these tests' network.
var testIdentitySecret = bytes.Repeat([]byte{0x5a}, client.MinIdentitySecretLen)

func identityHash(t testing.TB, number string) []byte {
	t.Helper()
	h, err := client.IdentityHash(testIdentitySecret, number)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func cardHash(t testing.TB, number string) []byte {
	t.Helper()
	h, err := client.CardHash(testIdentitySecret, number)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// signOpening is the client signing its opening request.
func signOpening(t testing.TB, key ed25519.PrivateKey, r *custodyv1.OpeningRequest) *custodyv1.MsgOpenAccount {
	t.Helper()
	m, err := client.OpenAccountMsg(key, r)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustErrIs(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	var txErr *client.TxError
	if !errors.As(err, &txErr) {
		t.Fatalf("err %v is not a *client.TxError", err)
	}
}

func TestNetwork(t *testing.T) {
	tn, ks := network(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bank, broker, regulator := ks["bank-1"], ks["broker-1"], ks["regulator-1"]
	if bank == nil || broker == nil || regulator == nil {
		t.Fatalf("testnet keys: %v", ks)
	}
	c, err := client.Dial(ctx, tn.Nodes[0].RPCAddress(), "", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.ChainID() != tn.ChainID {
		t.Fatalf("chain id %q from the node, want %q", c.ChainID(), tn.ChainID)
	}
	commit := client.SubmitOptions{Mode: client.ModeCommit}
	_, clientKey, _ := ed25519.GenerateKey(nil)
	const acct = "ACC-1"

	// The account opening: broker requests, bank confirms.
	// The client signs its request; the bank names the key it received.
	opening := signOpening(t, clientKey, &custodyv1.OpeningRequest{
		ChainId: c.ChainID(), AccountId: acct, BrokerId: "broker-1", BankId: "bank-1",
		IdentityHash:        identityHash(t, "110101199001011234"),
		BankCardHash:        cardHash(t, "6222020200000000"),
		ShareholderAccounts: []string{"A123456789"},
	})
	if _, err := c.Submit(ctx, broker, opening, commit); err != nil {
		t.Fatal(err)
	}
	res, err := c.Submit(ctx, bank, client.ConfirmAccountMsg(acct, clientKey.Public().(ed25519.PublicKey)), commit)
	if err != nil {
		t.Fatal(err)
	}
	if res.Height == 0 || len(res.Hash) != 32 {
		t.Fatalf("commit result %+v", res)
	}

	// Several deposits from one signer at once: the client hands out
	// consecutive sequences, and every tx gets in.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		hashes [][]byte
	)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Submit(ctx, bank, &custodyv1.MsgBankToBroker{TransferId: "DEP-" + string(rune('A'+i)), AccountId: acct, Amount: 1000}, client.SubmitOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			hashes = append(hashes, r.Hash)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, h := range hashes {
		if _, err := c.WaitTx(ctx, h); err != nil {
			t.Fatal(err)
		}
	}

	// Refusals come back as the registered errors.
	// A resend of DEP-A (交易重发) returns its first outcome; the same id
	// with another amount is a duplicate.
	if _, err := c.Submit(ctx, bank, &custodyv1.MsgBankToBroker{TransferId: "DEP-A", AccountId: acct, Amount: 1000}, commit); err != nil {
		t.Fatalf("resend: %v", err)
	}
	_, err = c.Submit(ctx, bank, &custodyv1.MsgBankToBroker{TransferId: "DEP-A", AccountId: acct, Amount: 999}, commit)
	mustErrIs(t, err, transfers.ErrDuplicateTransfer)
	_, err = c.Submit(ctx, clientKey, &custodyv1.MsgBankToBroker{TransferId: "DEP-Z", AccountId: acct, Amount: 1000}, commit)
	mustErrIs(t, err, contracts.ErrUnauthorizedRole)
	replay, err := client.Sign(bank, c.ChainID(), 0, "", &custodyv1.MsgBankToBroker{TransferId: "DEP-R", AccountId: acct, Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BroadcastSync(ctx, replay)
	mustErrIs(t, err, contracts.ErrBadSequence)
	_, err = c.Submit(ctx, clientKey, &custodyv1.MsgRequestWithdrawal{TransferId: acct + "/W1", AccountId: acct, Amount: 1_000_000}, commit)
	mustErrIs(t, err, funds.ErrOverdraft)

	// The client withdraws 3000, the bank pays it.
	if _, err := c.Submit(ctx, clientKey, &custodyv1.MsgRequestWithdrawal{TransferId: acct + "/W1", AccountId: acct, Amount: 3000}, commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, bank, &custodyv1.MsgConfirmWithdrawal{TransferId: acct + "/W1", Success: true}, commit); err != nil {
		t.Fatal(err)
	}
	// A frozen account cannot send.
	if _, err := c.Submit(ctx, regulator, &custodyv1.MsgFreezeAccount{AccountId: acct, Reason: "inquiry"}, commit); err != nil {
		t.Fatal(err)
	}
	_, err = c.Submit(ctx, clientKey, &custodyv1.MsgRequestWithdrawal{TransferId: acct + "/W2", AccountId: acct, Amount: 1}, commit)
	mustErrIs(t, err, transfers.ErrSenderFrozen)

	// The node's JSON and the signer query.
	info, err := c.Signer(ctx, client.Address(bank.Public().(ed25519.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	// The bank signed the confirmation, five deposits, the resend of DEP-A
	// (a success: the first outcome) and the withdrawal's confirmation;
	// its refused txs (the duplicate, the replay) used no sequence.
	if info.Owner != "bank-1" || info.Role != custodyv1.Role_ROLE_BANK || info.NextSequence != 8 {
		t.Fatalf("bank signer %v, want owner bank-1 and next sequence 8", info)
	}
	if _, err := c.Signer(ctx, client.Address(make(ed25519.PublicKey, 32))); !errors.Is(err, contracts.ErrUnknownSigner) {
		t.Fatalf("unknown signer: %v", err)
	}
	_, err = c.QueryJSON(ctx, "account/NOPE")
	var qe *client.QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("unknown account: %v", err)
	}

	t.Run("proofs from one node verify against headers from others", func(t *testing.T) {
		// Trust root: header 1 as node 3 reports it.
		n3, err := testnet.NewRPC(tn.Nodes[3])
		if err != nil {
			t.Fatal(err)
		}
		h1 := int64(1)
		hdr, err := n3.Header(ctx, &h1)
		if err != nil {
			t.Fatal(err)
		}
		// Values come from node 0 (c); headers from node 1, checked by node 2.
		v, err := client.NewVerifier(ctx, client.LightConfig{
			ChainID: tn.ChainID, Primary: tn.Nodes[1].RPCAddress(), Witnesses: []string{tn.Nodes[2].RPCAddress()},
			TrustHeight: 1, TrustHash: hdr.Header.Hash(),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()

		// Anonymous, the node shows nothing of the account: a proof of it
		// would be a read.
		if _, _, err := c.ProvenFunds(ctx, v, acct); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("anonymous proven read: %v", err)
		}
		// The client reads its own records, with proofs, as itself.
		ctx, err := c.WithKeyCredential(ctx, clientKey)
		if err != nil {
			t.Fatal(err)
		}
		f, p, err := c.ProvenFunds(ctx, v, acct)
		if err != nil {
			t.Fatal(err)
		}
		if f.Balance != 2000 || f.Available != 2000 || f.Frozen != 0 {
			t.Fatalf("funds %v", f)
		}
		if p.Header.Height != p.Height+1 || !bytes.Equal(p.Header.AppHash, mustAppHash(t, ctx, tn, p.Height+1)) {
			t.Fatalf("proof header %d for height %d", p.Header.Height, p.Height)
		}
		a, _, err := c.ProvenAccount(ctx, v, acct)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Frozen || a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
			t.Fatalf("account %v", a)
		}
		entries, f2, _, err := c.ProvenLedger(ctx, v, acct, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		// 5 deposits, the withdrawal's freeze and its payment.
		if uint64(len(entries)) != f2.NextSeq || len(entries) != 7 {
			t.Fatalf("%d ledger entries, next_seq %d", len(entries), f2.NextSeq)
		}
		if last := entries[len(entries)-1]; last.Balance != 2000 {
			t.Fatalf("last entry %v", last)
		}
		tr, _, err := c.ProvenTransfer(ctx, v, "bank-1", acct+"/W1")
		if err != nil || tr.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED {
			t.Fatalf("transfer %v %v", tr, err)
		}
		rec, _, err := c.ProvenSigner(ctx, v, client.Address(clientKey.Public().(ed25519.PublicKey)))
		if err != nil || rec.Role != custodyv1.Role_ROLE_CLIENT || rec.Owner != acct {
			t.Fatalf("client key record %v %v", rec, err)
		}
		// Absence is proven to the regulator alone: a proof of absence
		// carries the neighbouring records in full. To the client the
		// absent account and another client's are one "not found".
		if _, _, err := c.ProvenAccount(ctx, v, "NOPE"); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("absent account, as the client: %v", err)
		}
		rctx, err := c.WithKeyCredential(ctx, regulator)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ProvenAccount(rctx, v, "NOPE"); !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("absent account, as the regulator: %v", err)
		}
		// A value that is not the one in state does not pass the check.
		good, err := c.ProvenQuery(ctx, v, accounts.AccountKey(acct))
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Query(ctx, client.QueryPathKey, accounts.AccountKey(acct), good.Height, true)
		if err != nil {
			t.Fatal(err)
		}
		forged := append(bytes.Clone(res.Value), 0)
		if err := proof.VerifyProof(good.Header.AppHash, accounts.AccountKey(acct), forged, res.ProofOps); err == nil {
			t.Fatal("a forged value verified")
		}
	})
}

func mustAppHash(t *testing.T, ctx context.Context, tn *testnet.Testnet, height int64) []byte {
	t.Helper()
	rpc, err := testnet.NewRPC(tn.Nodes[2])
	if err != nil {
		t.Fatal(err)
	}
	h, err := rpc.Header(ctx, &height)
	if err != nil {
		t.Fatal(err)
	}
	return h.Header.AppHash
}
