package client

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func TestSignVerifiesAndIsCanonical(t *testing.T) {
	key := testKey(7)
	msg := &custodyv1.MsgBankToBroker{TransferId: "T-1", AccountId: "ACC-1", Amount: 12345}
	txBytes, err := Sign(key, "custody-test", 42, "memo", msg)
	if err != nil {
		t.Fatal(err)
	}
	raw, body, err := DecodeTx(txBytes)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, auth.SignBytes(raw.BodyBytes), raw.Signature) {
		t.Fatal("signature does not verify over auth.SignBytes(body_bytes)")
	}
	if ed25519.Verify(pub, raw.BodyBytes, raw.Signature) {
		t.Fatal("signature verifies without the sign prefix: domain separation lost")
	}
	if body.ChainId != "custody-test" || body.Sequence != 42 || body.Memo != "memo" || body.Signer != auth.Address(pub) {
		t.Fatalf("body = %v", body)
	}
	if got := body.Msg.GetBankToBroker(); !proto.Equal(got, msg) {
		t.Fatalf("msg = %v, want %v", got, msg)
	}
	// Canonical: re-encoding what was decoded gives the same bytes, for the
	// body and for the envelope.
	for name, pair := range map[string]struct {
		m  proto.Message
		bz []byte
	}{"body": {body, raw.BodyBytes}, "raw": {raw, txBytes}} {
		again, err := proto.MarshalOptions{Deterministic: true}.Marshal(pair.m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, pair.bz) {
			t.Errorf("%s is not canonical:\n got %x\nwant %x", name, pair.bz, again)
		}
	}
	// Deterministic: signing the same thing twice gives the same bytes.
	twice, err := Sign(key, "custody-test", 42, "memo", msg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(twice, txBytes) {
		t.Fatal("two signatures of one body differ")
	}
}

func TestSignTamperedBodyFails(t *testing.T) {
	key := testKey(1)
	txBytes, err := Sign(key, "c", 0, "", &custodyv1.MsgFreezeAccount{AccountId: "A", Reason: "r"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := DecodeTx(txBytes)
	if err != nil {
		t.Fatal(err)
	}
	raw.BodyBytes[len(raw.BodyBytes)-1] ^= 1
	if ed25519.Verify(key.Public().(ed25519.PublicKey), auth.SignBytes(raw.BodyBytes), raw.Signature) {
		t.Fatal("tampered body still verifies")
	}
}

// Every field of custody.v1.Msg can be wrapped by its type alone.
func TestWrapMsgEveryField(t *testing.T) {
	fields := (&custodyv1.Msg{}).ProtoReflect().Descriptor().Oneofs().ByName("sum").Fields()
	if fields.Len() == 0 {
		t.Fatal("no message fields")
	}
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		t.Run(string(f.Name()), func(t *testing.T) {
			inner := newMessage(t, f)
			env, err := WrapMsg(inner)
			if err != nil {
				t.Fatal(err)
			}
			r := env.ProtoReflect()
			got := r.WhichOneof(r.Descriptor().Oneofs().ByName("sum"))
			if got == nil || got.Name() != f.Name() {
				t.Fatalf("wrapped into %v, want %s", got, f.Name())
			}
		})
	}
}

func newMessage(t *testing.T, f protoreflect.FieldDescriptor) proto.Message {
	t.Helper()
	return (&custodyv1.Msg{}).ProtoReflect().NewField(f).Message().Interface()
}

func TestWrapMsgRefusesOthers(t *testing.T) {
	for _, m := range []proto.Message{nil, &custodyv1.TxBody{}, &custodyv1.KeyRecord{}} {
		if _, err := WrapMsg(m); !errors.Is(err, ErrNotAMsg) {
			t.Errorf("WrapMsg(%T) err = %v, want ErrNotAMsg", m, err)
		}
	}
	env := &custodyv1.Msg{Sum: &custodyv1.Msg_CloseAccount{CloseAccount: &custodyv1.MsgCloseAccount{AccountId: "A"}}}
	if got, err := WrapMsg(env); err != nil || got != env {
		t.Fatalf("WrapMsg(Msg) = %v, %v; want it unchanged", got, err)
	}
}

func TestSignRefusesBadKey(t *testing.T) {
	if _, err := Sign(ed25519.PrivateKey{1, 2, 3}, "c", 0, "", &custodyv1.MsgCloseAccount{}); !errors.Is(err, ErrBadKey) {
		t.Fatalf("err = %v, want ErrBadKey", err)
	}
}

func TestCodeErrorMapsRegistered(t *testing.T) {
	err := error(&TxError{Codespace: contracts.CodespaceTx, Code: contracts.ErrBadSequence.Code, Err: CodeError(contracts.CodespaceTx, contracts.ErrBadSequence.Code)})
	if !errors.Is(err, contracts.ErrBadSequence) {
		t.Fatalf("%v does not match ErrBadSequence", err)
	}
	if errors.Is(err, contracts.ErrBadSignature) {
		t.Fatalf("%v matches ErrBadSignature", err)
	}
	if CodeError("", 0) != nil {
		t.Fatal("code 0 is not an error")
	}
	if err := CodeError("nowhere", 999); !errors.Is(err, ErrUnregisteredCode) {
		t.Fatalf("unregistered code: %v", err)
	}
}
