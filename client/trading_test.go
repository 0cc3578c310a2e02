package client_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The tickets the SDK signs are what the trading contract verifies: the
// order and the cancel signatures are not interchangeable.
func TestTicketSignatures(t *testing.T) {
	seed := sha256.Sum256([]byte("client C1"))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	tk := &custodyv1.OrderTicket{ChainId: "c", OrderId: "C1/o1", AccountId: "C1", Security: "600000.SH",
		Side: custodyv1.Side_SIDE_BUY, Type: custodyv1.OrderType_ORDER_TYPE_LIMIT, Price: 100_000, Quantity: 100, BusinessDate: 20250102}
	m, err := client.PlaceOrderMsg(key, tk)
	if err != nil || !ed25519.Verify(pub, trading.OrderSignBytes(tk), m.ClientSignature) || trading.ValidatePlace(m) != nil {
		t.Fatalf("order ticket: %v", err)
	}
	c, err := client.CancelOrderMsg(key, "c", "C1/o1")
	if err != nil || !ed25519.Verify(pub, trading.CancelSignBytes(c.Ticket), c.ClientSignature) || trading.ValidateCancel(c) != nil {
		t.Fatalf("cancel ticket: %v", err)
	}
	if ed25519.Verify(pub, trading.CancelSignBytes(c.Ticket), m.ClientSignature) {
		t.Fatal("an order signature verifies as a cancel")
	}
	if _, err := client.PlaceOrderMsg(key[:10], tk); !errors.Is(err, client.ErrBadKey) {
		t.Fatalf("short key: %v", err)
	}
}
