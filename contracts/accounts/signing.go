package accounts

import (
	"crypto/ed25519"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Domain prefixes of what a client key signs outside a tx. Each kind of
// signed statement has its own, so an opening request can never be passed
// off as a key replacement, an order ticket or a tx (auth.SignPrefix).
const (
	OpeningSignPrefix   = "custody-ledger/open-account/v1\n"
	ClientKeySignPrefix = "custody-ledger/client-key/v1\n"
)

// OpeningSignBytes are the bytes a client signs for an opening request:
// the prefix and the request's deterministic protobuf encoding.
func OpeningSignBytes(r *custodyv1.OpeningRequest) []byte {
	return append([]byte(OpeningSignPrefix), contracts.Marshal(r)...)
}

// ClientKeySignBytes are the bytes a new client key signs to ask to replace
// the account's key.
func ClientKeySignBytes(r *custodyv1.ClientKeyRequest) []byte {
	return append([]byte(ClientKeySignPrefix), contracts.Marshal(r)...)
}

// SignOpening is the client's signature over an opening request. key must
// be the private half of r.ClientPubKey for the chain to accept it.
func SignOpening(key ed25519.PrivateKey, r *custodyv1.OpeningRequest) []byte {
	return ed25519.Sign(key, OpeningSignBytes(r))
}

// SignClientKey is the new key's signature over a replacement request.
func SignClientKey(key ed25519.PrivateKey, r *custodyv1.ClientKeyRequest) []byte {
	return ed25519.Sign(key, ClientKeySignBytes(r))
}

// verify is ed25519 verification that never panics on bad lengths.
func verify(pub, msg, sig []byte) bool { return contracts.VerifyEd25519(pub, msg, sig) }
