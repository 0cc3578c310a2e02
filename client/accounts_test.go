package client_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func TestIdentityHash_KeyedAndDomainSeparated(t *testing.T) {
	secret := bytes.Repeat([]byte{1}, client.MinIdentitySecretLen)
	id, err := client.IdentityHash(secret, "11010119900101123x")
	if err != nil {
		t.Fatal(err)
	}
	// HMAC-SHA256(secret, domain || 0 || number), the check letter upper-cased.
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("custody-ledger/identity/v1\x00"))
	mac.Write([]byte("11010119900101123X"))
	if !bytes.Equal(id, mac.Sum(nil)) {
		t.Fatalf("identity hash %x is not the documented HMAC", id)
	}
	same, _ := client.IdentityHash(secret, " 1101 0119 9001 0112 3X ")
	if !bytes.Equal(id, same) {
		t.Fatal("spaces and case change the identity hash: institutions would not agree")
	}
	card, _ := client.CardHash(secret, "11010119900101123X")
	if bytes.Equal(id, card) {
		t.Fatal("an identity and a card number of the same digits hash alike")
	}
	other, _ := client.IdentityHash(bytes.Repeat([]byte{2}, 32), "11010119900101123X")
	if bytes.Equal(id, other) {
		t.Fatal("the hash does not depend on the secret")
	}
	c1, _ := client.CardHash(secret, "6222 0202-0000 0000")
	c2, _ := client.CardHash(secret, "6222020200000000")
	if !bytes.Equal(c1, c2) {
		t.Fatal("card separators change the card hash")
	}
}

func TestIdentityHash_Refusals(t *testing.T) {
	if _, err := client.IdentityHash(make([]byte, 31), "1"); !errors.Is(err, client.ErrShortIdentitySecret) {
		t.Fatalf("31-byte secret: %v", err)
	}
	if _, err := client.CardHash(nil, "1"); !errors.Is(err, client.ErrShortIdentitySecret) {
		t.Fatalf("no secret: %v", err)
	}
	if _, err := client.IdentityHash(make([]byte, 32), "  "); !errors.Is(err, client.ErrEmptyNumber) {
		t.Fatalf("empty number: %v", err)
	}
}

func TestIdentitySecret_File(t *testing.T) {
	dir := t.TempDir()
	s, err := client.NewIdentitySecret()
	if err != nil || len(s) != client.MinIdentitySecretLen {
		t.Fatalf("new secret %x %v", s, err)
	}
	p := filepath.Join(dir, "secret.hex")
	if err := client.SaveIdentitySecret(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := client.LoadIdentitySecret(p)
	if err != nil || !bytes.Equal(got, s) {
		t.Fatalf("loaded %x %v", got, err)
	}
	if err := client.SaveIdentitySecret(p, s[:16]); !errors.Is(err, client.ErrShortIdentitySecret) {
		t.Fatalf("saving a short secret: %v", err)
	}
}

func TestOpenAccountMsg(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	r := &custodyv1.OpeningRequest{ChainId: "c", AccountId: "A1", BrokerId: "broker-1", BankId: "bank-1",
		IdentityHash: bytes.Repeat([]byte{1}, 32), BankCardHash: bytes.Repeat([]byte{2}, 32)}
	m, err := client.OpenAccountMsg(key, r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Request.ClientPubKey, key.Public().(ed25519.PublicKey)) || accounts.ValidateOpen(m) != nil {
		t.Fatalf("signed opening %v", m)
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32))
	if _, err := client.OpenAccountMsg(other, r); !errors.Is(err, client.ErrKeyMismatch) {
		t.Fatalf("signing another key's request: %v", err)
	}
	if _, err := client.OpenAccountMsg(key, &custodyv1.OpeningRequest{AccountId: "bad id"}); !errors.Is(err, accounts.ErrBadAccountID) {
		t.Fatalf("bad request: %v", err)
	}
	p, err := client.ProposeClientKeyMsg(other, &custodyv1.ClientKeyRequest{ChainId: "c", AccountId: "A1", BrokerId: "broker-1", BankId: "bank-1"}, "lost")
	if err != nil || accounts.ValidateProposeKey(p) != nil || !bytes.Equal(p.Request.NewClientPubKey, other.Public().(ed25519.PublicKey)) {
		t.Fatalf("key change %v %v", p, err)
	}
}
