package contracts_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/custody-ledger/custody/contracts"
)

// TestVerifyEd25519_AgreesWithStdLib: the faster verifier accepts exactly
// what crypto/ed25519 accepts (the chain's rules), on good signatures, on
// tampered ones, on a non-canonical S (S + L, which a malleable verifier
// would accept) and on wrong lengths (which crypto/ed25519 panics on).
func TestVerifyEd25519_AgreesWithStdLib(t *testing.T) {
	order, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	for i := 0; i < 200; i++ {
		seed := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		priv := ed25519.NewKeyFromSeed(seed[:])
		pub := priv.Public().(ed25519.PublicKey)
		msg := seed[:i%32]
		sig := ed25519.Sign(priv, msg)

		cases := map[string][]byte{"good": sig}
		flip := append([]byte(nil), sig...)
		flip[i%64] ^= 1 << (i % 8)
		cases["flipped bit"] = flip
		// S + L: little-endian S in the signature's second half.
		s := new(big.Int).SetBytes(reverse(sig[32:]))
		s.Add(s, order)
		if sb := s.Bytes(); len(sb) <= 32 {
			mal := append([]byte(nil), sig[:32]...)
			mal = append(mal, reverse(append(make([]byte, 32-len(sb)), sb...))...)
			cases["S+L"] = mal
		}
		for name, sg := range cases {
			if got, want := contracts.VerifyEd25519(pub, msg, sg), ed25519.Verify(pub, msg, sg); got != want {
				t.Fatalf("key %d, %s: VerifyEd25519 %v, crypto/ed25519 %v", i, name, got, want)
			}
		}
		if contracts.VerifyEd25519(pub, append(msg, 0), sig) {
			t.Fatalf("key %d: signature of another message accepted", i)
		}
	}
	if contracts.VerifyEd25519(make([]byte, 31), nil, make([]byte, 64)) || contracts.VerifyEd25519(make([]byte, 32), nil, make([]byte, 63)) {
		t.Fatal("wrong lengths accepted")
	}
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}
