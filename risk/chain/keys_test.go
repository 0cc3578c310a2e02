package chain_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// The key registry reads records with proofs, says "unknown" for a key the
// chain proves absent, and serves a record from its cache for ten seconds.
func TestKeyRegistry_ProvenCachedRecords(t *testing.T) {
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch, err := chain.New(ctx, net.Client(t, 0), net.Verifier(t, 1), net.Keys[nettest.Operator], "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	reg := chain.NewKeyRegistry(ch, func() time.Time { return now })
	if !reg.Proven() || reg.ChainID() != net.Client(t, 0).ChainID() {
		t.Fatalf("proven %v chain %s", reg.Proven(), reg.ChainID())
	}
	addr := client.Address(net.Keys["regulator-1"].Public().(ed25519.PublicKey))
	rec, err := reg.Key(ctx, addr)
	if err != nil || rec.Role != custodyv1.Role_ROLE_REGULATOR || rec.Owner != "regulator-1" {
		t.Fatalf("regulator's key: %v %v", rec, err)
	}
	again, _ := reg.Key(ctx, addr)
	if again != rec {
		t.Fatal("a second read within the TTL did not come from the cache")
	}
	now = now.Add(11 * time.Second)
	if fresh, err := reg.Key(ctx, addr); err != nil || fresh == rec {
		t.Fatalf("after the TTL: %v (same record: %v)", err, fresh == rec)
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	if _, err := reg.Key(ctx, client.Address(stranger.Public().(ed25519.PublicKey))); !errors.Is(err, admin.ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	tok, err := ch.Token(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.ParseToken(tok); err != nil {
		t.Fatalf("operator token: %v", err)
	}
}
