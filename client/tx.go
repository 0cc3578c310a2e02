package client

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// canonical is the one encoding the node accepts for TxBody and TxRaw.
var canonical = proto.MarshalOptions{Deterministic: true}

// ErrBadKey is returned by Sign when the key is not an ed25519 private key.
var ErrBadKey = errors.New("client: key is not an ed25519 private key")

// ErrNotAMsg is returned by WrapMsg for a message that is not one of the
// typed messages of custody.v1.Msg.
var ErrNotAMsg = errors.New("client: not a message of custody.v1.Msg")

// WrapMsg puts a typed message (for example *custodyv1.MsgBankToBroker) in the
// custody.v1.Msg envelope, finding its oneof field by type. A *custodyv1.Msg
// is returned as it is.
func WrapMsg(m proto.Message) (*custodyv1.Msg, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil", ErrNotAMsg)
	}
	if msg, ok := m.(*custodyv1.Msg); ok {
		return msg, nil
	}
	env := &custodyv1.Msg{}
	r := env.ProtoReflect()
	want := m.ProtoReflect().Descriptor().FullName()
	fields := r.Descriptor().Oneofs().ByName("sum").Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Kind() == protoreflect.MessageKind && f.Message().FullName() == want {
			r.Set(f, protoreflect.ValueOfMessage(m.ProtoReflect()))
			return env, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNotAMsg, want)
}

// Sign builds the TxBody (chain id, the key's address as signer, sequence,
// memo, msg), encodes it canonically, signs auth.SignBytes(body) with key and
// returns the encoded TxRaw: the bytes to broadcast. msg is a typed message
// or a *custodyv1.Msg.
func Sign(key ed25519.PrivateKey, chainID string, sequence uint64, memo string, msg proto.Message) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, ErrBadKey
	}
	env, err := WrapMsg(msg)
	if err != nil {
		return nil, err
	}
	body := &custodyv1.TxBody{
		ChainId:  chainID,
		Signer:   auth.Address(key.Public().(ed25519.PublicKey)),
		Sequence: sequence,
		Memo:     memo,
		Msg:      env,
	}
	bodyBytes, err := canonical.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("client: encode tx body: %w", err)
	}
	raw := &custodyv1.TxRaw{
		BodyBytes: bodyBytes,
		Signature: ed25519.Sign(key, auth.SignBytes(bodyBytes)),
	}
	txBytes, err := canonical.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("client: encode tx: %w", err)
	}
	return txBytes, nil
}

// DecodeTx splits tx bytes into the envelope and its decoded body. It checks
// neither the signature nor the canonical encoding: the node does that.
func DecodeTx(txBytes []byte) (*custodyv1.TxRaw, *custodyv1.TxBody, error) {
	var raw custodyv1.TxRaw
	if err := proto.Unmarshal(txBytes, &raw); err != nil {
		return nil, nil, fmt.Errorf("client: decode tx: %w", err)
	}
	var body custodyv1.TxBody
	if err := proto.Unmarshal(raw.BodyBytes, &body); err != nil {
		return nil, nil, fmt.Errorf("client: decode tx body: %w", err)
	}
	return &raw, &body, nil
}

// Address returns the signer address of an ed25519 public key, as a TxBody
// names it.
func Address(pub ed25519.PublicKey) string { return auth.Address(pub) }
