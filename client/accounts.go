package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Identity and card hashes.
//
// An identity number (18 characters, the last a check digit) has about
// 10^11 plausible values: a plain or salted SHA-256 of it falls to a
// brute-force search in seconds, and every validator holds every hash. So
// the chain only ever sees a keyed hash, HMAC-SHA256 under the network's
// identity secret: 32 or more random bytes that the institutions of the
// network share off chain (a file in each node home, docs/operations.md)
// and that never go on chain, in genesis or in a tx. Without the secret a
// hash reveals nothing; with it, every institution computes the same hash
// for the same person, so the risk core still groups one identity across
// brokers. Identity and card hashes are domain-separated, so an identity
// number never hashes to the same bytes as an equal card number.

// MinIdentitySecretLen is the shortest identity secret IdentityHash and
// CardHash accept, in bytes.
const MinIdentitySecretLen = 32

// Domains of the keyed hashes (the HMAC message starts with one of these
// and a zero byte).
const (
	IdentityHashDomain = "custody-ledger/identity/v1"
	CardHashDomain     = "custody-ledger/bank-card/v1"
)

// ErrShortIdentitySecret is returned by IdentityHash, CardHash and
// LoadIdentitySecret for a secret shorter than MinIdentitySecretLen.
var ErrShortIdentitySecret = fmt.Errorf("client: identity secret is shorter than %d bytes", MinIdentitySecretLen)

// ErrEmptyNumber is returned by IdentityHash and CardHash for a number
// that is empty once spaces are removed.
var ErrEmptyNumber = errors.New("client: empty identity or card number")

// IdentityHash is the on-chain form of an identity number:
// HMAC-SHA256(secret, IdentityHashDomain || 0x00 || number), with spaces
// removed and a trailing check letter upper-cased, so that every
// institution hashes the same person alike.
func IdentityHash(secret []byte, identityNumber string) ([]byte, error) {
	return keyedHash(secret, IdentityHashDomain, strings.ToUpper(stripSpaces(identityNumber)))
}

// CardHash is the on-chain form of a bank card number:
// HMAC-SHA256(secret, CardHashDomain || 0x00 || number), spaces and dashes
// removed.
func CardHash(secret []byte, cardNumber string) ([]byte, error) {
	return keyedHash(secret, CardHashDomain, strings.ReplaceAll(stripSpaces(cardNumber), "-", ""))
}

func keyedHash(secret []byte, domain, value string) ([]byte, error) {
	if len(secret) < MinIdentitySecretLen {
		return nil, ErrShortIdentitySecret
	}
	if value == "" {
		return nil, ErrEmptyNumber
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(domain))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return mac.Sum(nil), nil
}

func stripSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// NewIdentitySecret returns a fresh 32-byte identity secret from the
// system's random source. One is made once per network and shared by its
// institutions off chain.
func NewIdentitySecret() ([]byte, error) {
	s := make([]byte, MinIdentitySecretLen)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("client: identity secret: %w", err)
	}
	return s, nil
}

// SaveIdentitySecret writes secret as hex (one line) to path, readable by
// its owner only.
func SaveIdentitySecret(path string, secret []byte) error {
	if len(secret) < MinIdentitySecretLen {
		return ErrShortIdentitySecret
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	return nil
}

// LoadIdentitySecret reads a hex identity secret written by
// SaveIdentitySecret (surrounding white space ignored), refusing one
// shorter than MinIdentitySecretLen bytes.
func LoadIdentitySecret(path string) ([]byte, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client: identity secret: %w", err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(bz)))
	if err != nil {
		return nil, fmt.Errorf("client: identity secret %s is not hex: %w", path, err)
	}
	if len(secret) < MinIdentitySecretLen {
		return nil, fmt.Errorf("%w: %s has %d", ErrShortIdentitySecret, path, len(secret))
	}
	return secret, nil
}

// Client-signed requests.

// ErrKeyMismatch is returned by OpenAccountMsg and ProposeClientKeyMsg
// when the request names a public key other than the signing key's.
var ErrKeyMismatch = errors.New("client: the request names another key than the one signing it")

// OpenAccountMsg is the client's half of an account opening: it fills in
// the request's client key from clientKey (or checks that it matches),
// signs the request with clientKey and returns the MsgOpenAccount the
// broker submits unchanged. The client runs this on its own device; only
// the signed message, never the private key, goes to the broker. The
// message is checked as the chain will (accounts.ValidateOpen).
func OpenAccountMsg(clientKey ed25519.PrivateKey, r *custodyv1.OpeningRequest) (*custodyv1.MsgOpenAccount, error) {
	if len(clientKey) != ed25519.PrivateKeySize {
		return nil, ErrBadKey
	}
	pub := []byte(clientKey.Public().(ed25519.PublicKey))
	if len(r.ClientPubKey) == 0 {
		r.ClientPubKey = pub
	} else if !bytes.Equal(r.ClientPubKey, pub) {
		return nil, ErrKeyMismatch
	}
	m := &custodyv1.MsgOpenAccount{Request: r, ClientSignature: accounts.SignOpening(clientKey, r)}
	if err := accounts.ValidateOpen(m); err != nil {
		return nil, err
	}
	return m, nil
}

// ConfirmAccountMsg is the bank's approval of an opening, naming the
// client key the bank received from the client through its own channel.
func ConfirmAccountMsg(accountID string, clientPubKey []byte) *custodyv1.MsgConfirmAccount {
	return &custodyv1.MsgConfirmAccount{AccountId: accountID, Approve: true, ClientPubKey: clientPubKey}
}

// RejectAccountMsg is the bank's rejection of an opening.
func RejectAccountMsg(accountID, reason string) *custodyv1.MsgConfirmAccount {
	return &custodyv1.MsgConfirmAccount{AccountId: accountID, Reason: reason}
}

// ProposeClientKeyMsg is a key replacement's request signed by the NEW
// key (the client's proof that it holds it), wrapped in the
// MsgProposeClientKey the broker submits. r.NewClientPubKey is filled in
// from newKey when empty.
func ProposeClientKeyMsg(newKey ed25519.PrivateKey, r *custodyv1.ClientKeyRequest, reason string) (*custodyv1.MsgProposeClientKey, error) {
	if len(newKey) != ed25519.PrivateKeySize {
		return nil, ErrBadKey
	}
	pub := []byte(newKey.Public().(ed25519.PublicKey))
	if len(r.NewClientPubKey) == 0 {
		r.NewClientPubKey = pub
	} else if !bytes.Equal(r.NewClientPubKey, pub) {
		return nil, ErrKeyMismatch
	}
	m := &custodyv1.MsgProposeClientKey{Request: r, ClientSignature: accounts.SignClientKey(newKey, r), Reason: reason}
	if err := accounts.ValidateProposeKey(m); err != nil {
		return nil, err
	}
	return m, nil
}

// ConfirmClientKeyMsg is the bank's approval of a key replacement, naming
// the new key the bank received from the client.
func ConfirmClientKeyMsg(accountID string, newClientPubKey []byte) *custodyv1.MsgConfirmClientKey {
	return &custodyv1.MsgConfirmClientKey{AccountId: accountID, Approve: true, NewClientPubKey: newClientPubKey}
}

// ProvenClientKeys reads an account and its whole client-key history with
// proofs, all at one height: the account's key_events count says how many
// records there are, and each is proven at its key (accounts.KeyEventKey),
// so a node can neither hide a replacement nor add one. The pending
// replacement, if any, is proven too (nil when its absence is proven).
func (c *Client) ProvenClientKeys(ctx context.Context, v *Verifier, accountID string) (*custodyv1.Account, []*custodyv1.ClientKeyEvent, *custodyv1.PendingClientKey, error) {
	a, p, err := c.ProvenAccount(ctx, v, accountID)
	if err != nil {
		return nil, nil, nil, err
	}
	events := make([]*custodyv1.ClientKeyEvent, 0, a.KeyEvents)
	for seq := uint64(1); seq <= a.KeyEvents; seq++ {
		var ev custodyv1.ClientKeyEvent
		if _, err := c.ProvenMessage(ctx, v, accounts.KeyEventKey(accountID, seq), p.Height, &ev); err != nil {
			return nil, nil, nil, fmt.Errorf("client: key event %d of %s: %w", seq, accountID, err)
		}
		events = append(events, &ev)
	}
	var pending custodyv1.PendingClientKey
	if _, err := c.ProvenMessage(ctx, v, accounts.PendingKeyChangeKey(accountID), p.Height, &pending); err != nil {
		if errors.Is(err, ErrNotFound) {
			return a, events, nil, nil
		}
		return nil, nil, nil, err
	}
	return a, events, &pending, nil
}
