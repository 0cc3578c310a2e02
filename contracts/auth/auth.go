// Package auth keeps the registry of signing keys: which ed25519 key belongs
// to whom, with which role, and the sequence its next tx must carry.
//
// State: PrefixKey | address (20 bytes) → KeyRecord (protobuf).
//
// A key record also says whether the key is an operator key (restricted to
// some message types and an amount limit, checked by contracts.Router) and,
// once it stops signing, why and from which block (rotated, revoked, or a
// closed client account). A disabled key is refused by Authenticate here and
// by the REST API's token check, which both read this record.
package auth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// SignPrefix is prepended to body bytes before signing, so a tx signature
// can never be mistaken for a signature over anything else.
const SignPrefix = "custody-ledger/tx/v1\n"

// SignBytes returns the bytes an ed25519 key signs for a tx body.
func SignBytes(bodyBytes []byte) []byte {
	out := make([]byte, 0, len(SignPrefix)+len(bodyBytes))
	out = append(out, SignPrefix...)
	return append(out, bodyBytes...)
}

// AddressBytes is the first 20 bytes of SHA-256(pubKey), CometBFT's rule.
func AddressBytes(pubKey []byte) []byte {
	sum := sha256.Sum256(pubKey)
	return sum[:20]
}

// Address is AddressBytes in lower-case hex, the form a TxBody names.
func Address(pubKey []byte) string { return hex.EncodeToString(AddressBytes(pubKey)) }

func key(addr []byte) []byte {
	return append([]byte{contracts.PrefixKey}, addr...)
}

// ParseAddress decodes a hex address, refusing anything but 40 hex digits.
func ParseAddress(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 20 || hex.EncodeToString(b) != s {
		return nil, contracts.ErrUnknownSigner.Wrapf("address %q is not 40 lower-case hex digits", s)
	}
	return b, nil
}

// Get returns the key record at address, or ErrUnknownSigner.
func Get(store contracts.Store, address string) (*custodyv1.KeyRecord, error) {
	addr, err := ParseAddress(address)
	if err != nil {
		return nil, err
	}
	bz := store.Get(key(addr))
	if bz == nil {
		return nil, contracts.ErrUnknownSigner.Wrapf("no key at %s", address)
	}
	var rec custodyv1.KeyRecord
	if err := proto.Unmarshal(bz, &rec); err != nil {
		panic(fmt.Sprintf("auth: corrupt key record at %s: %v", address, err))
	}
	return &rec, nil
}

// Set writes a key record under the address of its public key.
func Set(store contracts.Store, rec *custodyv1.KeyRecord) {
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("auth: marshal key record: %v", err))
	}
	store.Set(key(AddressBytes(rec.PubKey)), bz)
}

// Register adds a new key. A key already registered is refused: a key has
// one owner and one role for life.
func Register(store contracts.Store, pubKey []byte, role custodyv1.Role, owner string) error {
	if len(pubKey) != ed25519.PublicKeySize {
		return ErrBadPubKey.Wrapf("got %d bytes, want %d", len(pubKey), ed25519.PublicKeySize)
	}
	if store.Has(key(AddressBytes(pubKey))) {
		return ErrKeyExists.Wrapf("key %s is already registered", Address(pubKey))
	}
	Set(store, &custodyv1.KeyRecord{PubKey: pubKey, Role: role, Owner: owner})
	return nil
}

// RegisterRecord adds a new key with a full record (an institution's rotated
// or operator key). The same refusals as Register.
func RegisterRecord(store contracts.Store, rec *custodyv1.KeyRecord) error {
	if len(rec.PubKey) != ed25519.PublicKeySize {
		return ErrBadPubKey.Wrapf("got %d bytes, want %d", len(rec.PubKey), ed25519.PublicKeySize)
	}
	if store.Has(key(AddressBytes(rec.PubKey))) {
		return ErrKeyExists.Wrapf("key %s is already registered", Address(rec.PubKey))
	}
	Set(store, rec)
	return nil
}

// Lineage is the address of the first key of rec's rotation chain: the same
// person (or desk) across rotations, for the maker-checker rule.
func Lineage(rec *custodyv1.KeyRecord) string {
	if rec.Lineage != "" {
		return rec.Lineage
	}
	return Address(rec.PubKey)
}

// DisableRecord stops rec from signing from now on: every later tx (in
// this block and after) and every REST token of it is refused.
func DisableRecord(store contracts.Store, rec *custodyv1.KeyRecord, reason custodyv1.KeyDisableReason, height int64, replacedBy string) {
	rec.Disabled = true
	rec.DisabledReason = reason
	rec.DisabledHeight = height
	rec.ReplacedBy = replacedBy
	Set(store, rec)
}

// Authenticate checks a tx's signer, signature and sequence against state
// and, on success, returns the signer. It does not advance the sequence:
// the caller does that with IncrementSequence once the tx is accepted.
//
// verify checks the envelope's signature with the key on record; nil means
// contracts.VerifyEd25519. The abci package passes one that remembers the
// txs this node has verified (its result must be VerifyEd25519's).
func Authenticate(store contracts.Store, body *custodyv1.TxBody, bodyBytes, sig []byte, verify contracts.SigVerifier) (contracts.Signer, *custodyv1.KeyRecord, error) {
	rec, err := Get(store, body.Signer)
	if err != nil {
		return contracts.Signer{}, nil, err
	}
	if rec.Disabled {
		return contracts.Signer{}, nil, contracts.ErrSignerDisabled.Wrapf("key %s", body.Signer)
	}
	ok := false
	if verify != nil {
		ok = verify.Verify(rec.PubKey, SignBytes(bodyBytes), sig)
	} else {
		ok = contracts.VerifyEd25519(rec.PubKey, SignBytes(bodyBytes), sig)
	}
	if !ok {
		return contracts.Signer{}, nil, contracts.ErrBadSignature.Wrapf("key %s", body.Signer)
	}
	if body.Sequence != rec.NextSequence {
		return contracts.Signer{}, nil, contracts.ErrBadSequence.Wrapf("got %d, want %d", body.Sequence, rec.NextSequence)
	}
	return contracts.Signer{Address: body.Signer, Role: rec.Role, Owner: rec.Owner, Operator: rec.Operator}, rec, nil
}

// IncrementSequence advances the key's sequence by one.
func IncrementSequence(store contracts.Store, rec *custodyv1.KeyRecord) {
	rec.NextSequence++
	Set(store, rec)
}

// Disable stops a key from signing (a closed client account).
func Disable(store contracts.Store, pubKey []byte) {
	addr := Address(pubKey)
	rec, err := Get(store, addr)
	if err != nil {
		return
	}
	rec.Disabled = true
	Set(store, rec)
}

// Codespace of the auth contract's own refusals.
const Codespace = "auth"

var (
	ErrBadPubKey = contracts.Register(Codespace, 1, "public key is not 32 bytes of ed25519")
	ErrKeyExists = contracts.Register(Codespace, 2, "key is already registered")
	// ErrNotGranted (auth/10) is the router's refusal of an operator key
	// sending a message type outside its grant; it lives in package
	// contracts because the router checks it.
	ErrNotGranted = contracts.ErrNotGranted
)
