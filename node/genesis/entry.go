// Package genesis is the genesis ceremony of a real network: each
// institution, on its own machine, writes a signed entry naming itself, its
// signing keys and its validator; one party collects the entries into
// genesis.json; every institution validates the result and compares its
// hash with the others' before anyone starts a node.
//
// The entry is signed by every signing key it lists (so no one can list a
// key it does not hold) and by the node's validator key (so no one can
// claim another's validator). Nobody's private key leaves its machine:
// the collector only ever sees public keys and signatures.
//
// The order of the ceremony, and who does what, is in docs/operations.md
// ("A network of institutions").
package genesis

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// EntryDir is where a home keeps the entries it wrote or received, as
// config/gentx/<participant id>.json (the Cosmos SDK's habit).
const EntryDir = "config/gentx"

// signPrefix separates an entry's signatures from every other signature
// the same keys make (txs sign "custody-ledger/tx/v1\n").
const signPrefix = "custody-ledger/genesis-entry/v1\n"

// Errors of Verify and Collect.
var (
	// ErrBadEntry: an entry is malformed (ids, roles, key sizes).
	ErrBadEntry = errors.New("genesis: malformed entry")
	// ErrBadSignature: a signature of an entry does not verify, or a key it
	// lists did not sign it.
	ErrBadSignature = errors.New("genesis: entry signature does not verify")
	// ErrConflict: two entries claim the same id, signing key or validator.
	ErrConflict = errors.New("genesis: entries conflict")
)

// Entry is one institution's contribution to genesis.
type Entry struct {
	// ChainID is the chain the entry is for; an entry signed for another
	// chain is refused.
	ChainID string `json:"chain_id"`
	// Participant is the institution as genesis lists it: id, role, name,
	// signing keys, validator power and consensus key.
	Participant *custodyv1.Participant `json:"-"`
	// NodeID and P2PAddress say how peers reach the institution's node
	// ("host:port"); collect lists them as persistent peers.
	NodeID     string `json:"node_id"`
	P2PAddress string `json:"p2p_address,omitempty"`
	// Signatures are one per signing key, in the order of Participant's
	// pub_keys; ValidatorSignature is the consensus key's (absent for an
	// institution that runs no validator).
	Signatures         [][]byte `json:"signatures"`
	ValidatorSignature []byte   `json:"validator_signature,omitempty"`
}

// entryJSON is an Entry on disk: the participant as protojson.
type entryJSON struct {
	ChainID            string          `json:"chain_id"`
	Participant        json.RawMessage `json:"participant"`
	NodeID             string          `json:"node_id"`
	P2PAddress         string          `json:"p2p_address,omitempty"`
	Signatures         []string        `json:"signatures"`
	ValidatorSignature string          `json:"validator_signature,omitempty"`
}

// SignBytes are the bytes every key of the entry signs: the prefix, the
// chain id, the participant's deterministic protobuf encoding and the
// node's address, each length-delimited so no field can bleed into another.
func (e *Entry) SignBytes() ([]byte, error) {
	p, err := proto.MarshalOptions{Deterministic: true}.Marshal(e.Participant)
	if err != nil {
		return nil, fmt.Errorf("genesis: encode participant: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(signPrefix)
	for _, part := range [][]byte{[]byte(e.ChainID), p, []byte(e.NodeID), []byte(e.P2PAddress)} {
		fmt.Fprintf(&b, "%d:", len(part))
		b.Write(part)
	}
	return b.Bytes(), nil
}

// Signer signs an entry with one key; a keyring key, or an HSM behind
// crypto.Signer semantics, fits.
type Signer interface {
	Public() ed25519.PublicKey
	Sign(msg []byte) ([]byte, error)
}

// Ed25519Signer signs with a private key held in memory.
type Ed25519Signer ed25519.PrivateKey

// Public is the key's public half.
func (s Ed25519Signer) Public() ed25519.PublicKey {
	return ed25519.PrivateKey(s).Public().(ed25519.PublicKey)
}

// Sign signs msg.
func (s Ed25519Signer) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(ed25519.PrivateKey(s), msg), nil
}

// Sign fills the entry's signatures: keys must be exactly the signers of
// Participant.PubKeys in order; validator signs with the node's consensus
// key when the participant has validator power.
func (e *Entry) Sign(keys []Signer, validator Signer) error {
	if len(keys) != len(e.Participant.GetPubKeys()) {
		return fmt.Errorf("%w: %d signers for %d keys", ErrBadEntry, len(keys), len(e.Participant.GetPubKeys()))
	}
	msg, err := e.SignBytes()
	if err != nil {
		return err
	}
	e.Signatures = make([][]byte, len(keys))
	for i, k := range keys {
		if !bytes.Equal(k.Public(), e.Participant.PubKeys[i]) {
			return fmt.Errorf("%w: signer %d is not key %x", ErrBadEntry, i, e.Participant.PubKeys[i])
		}
		if e.Signatures[i], err = k.Sign(msg); err != nil {
			return fmt.Errorf("genesis: sign with key %d: %w", i, err)
		}
	}
	e.ValidatorSignature = nil
	if e.Participant.ValidatorPower > 0 {
		if validator == nil || !bytes.Equal(validator.Public(), e.Participant.ValidatorPubKey) {
			return fmt.Errorf("%w: the validator signer is not the participant's validator key", ErrBadEntry)
		}
		if e.ValidatorSignature, err = validator.Sign(msg); err != nil {
			return fmt.Errorf("genesis: sign with the validator key: %w", err)
		}
	}
	return nil
}

// Verify checks an entry alone: its shape, and that every key it lists and
// its validator key signed it for chainID.
func (e *Entry) Verify(chainID string) error {
	p := e.Participant
	if p == nil {
		return fmt.Errorf("%w: no participant", ErrBadEntry)
	}
	if e.ChainID != chainID {
		return fmt.Errorf("%w: %s's entry is for chain %q, not %q", ErrBadEntry, p.Id, e.ChainID, chainID)
	}
	if len(p.PubKeys) == 0 {
		return fmt.Errorf("%w: %s lists no signing key", ErrBadEntry, p.Id)
	}
	if len(e.Signatures) != len(p.PubKeys) {
		return fmt.Errorf("%w: %s has %d signatures for %d keys", ErrBadSignature, p.Id, len(e.Signatures), len(p.PubKeys))
	}
	msg, err := e.SignBytes()
	if err != nil {
		return err
	}
	for i, pk := range p.PubKeys {
		if len(pk) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: %s key %d is %d bytes", ErrBadEntry, p.Id, i, len(pk))
		}
		if !ed25519.Verify(pk, msg, e.Signatures[i]) {
			return fmt.Errorf("%w: %s key %s", ErrBadSignature, p.Id, hex.EncodeToString(pk))
		}
	}
	switch {
	case p.ValidatorPower < 0:
		return fmt.Errorf("%w: %s has negative validator power", ErrBadEntry, p.Id)
	case p.ValidatorPower > 0:
		if len(p.ValidatorPubKey) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: %s has power but no 32-byte validator key", ErrBadEntry, p.Id)
		}
		if !ed25519.Verify(p.ValidatorPubKey, msg, e.ValidatorSignature) {
			return fmt.Errorf("%w: %s's validator key did not sign its entry", ErrBadSignature, p.Id)
		}
	case len(p.ValidatorPubKey) != 0 || len(e.ValidatorSignature) != 0:
		return fmt.Errorf("%w: %s has a validator key but no power", ErrBadEntry, p.Id)
	}
	return nil
}

// MarshalJSON writes the entry as its file holds it.
func (e *Entry) MarshalJSON() ([]byte, error) {
	p, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(e.Participant)
	if err != nil {
		return nil, err
	}
	out := entryJSON{ChainID: e.ChainID, Participant: p, NodeID: e.NodeID, P2PAddress: e.P2PAddress}
	for _, s := range e.Signatures {
		out.Signatures = append(out.Signatures, hex.EncodeToString(s))
	}
	if len(e.ValidatorSignature) > 0 {
		out.ValidatorSignature = hex.EncodeToString(e.ValidatorSignature)
	}
	return json.MarshalIndent(out, "", "  ")
}

// UnmarshalJSON reads an entry file.
func (e *Entry) UnmarshalJSON(bz []byte) error {
	var in entryJSON
	dec := json.NewDecoder(bytes.NewReader(bz))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("%w: %v", ErrBadEntry, err)
	}
	p := &custodyv1.Participant{}
	if err := protojson.Unmarshal(in.Participant, p); err != nil {
		return fmt.Errorf("%w: participant: %v", ErrBadEntry, err)
	}
	*e = Entry{ChainID: in.ChainID, Participant: p, NodeID: in.NodeID, P2PAddress: in.P2PAddress}
	for _, s := range in.Signatures {
		b, err := hex.DecodeString(s)
		if err != nil {
			return fmt.Errorf("%w: signature: %v", ErrBadEntry, err)
		}
		e.Signatures = append(e.Signatures, b)
	}
	if in.ValidatorSignature != "" {
		b, err := hex.DecodeString(in.ValidatorSignature)
		if err != nil {
			return fmt.Errorf("%w: validator signature: %v", ErrBadEntry, err)
		}
		e.ValidatorSignature = b
	}
	return nil
}

// WriteEntry saves e as dir/<participant id>.json.
func WriteEntry(dir string, e *Entry) (string, error) {
	// MarshalJSON called directly keeps its indentation (json.Marshal
	// would compact it): the file is for people to read and compare too.
	bz, err := e.MarshalJSON()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, e.Participant.Id+".json")
	return path, os.WriteFile(path, append(bz, '\n'), 0o644)
}

// ReadEntries reads every *.json entry of dir, sorted by participant id.
func ReadEntries(dir string) ([]*Entry, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Entry
	for _, p := range paths {
		bz, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var e Entry
		if err := json.Unmarshal(bz, &e); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, &e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Participant.Id < out[j].Participant.Id })
	return out, nil
}
