package anchors_test

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/anchors"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// fuzzValidate decodes fuzz bytes into a message and validates it. A
// validator must never panic, must refuse with a registered error only, and
// must be a function of the message: its re-encoding validates the same way.
func fuzzValidate[M proto.Message](t *testing.T, data []byte, m M, validate func(M) error) (M, bool) {
	if proto.Unmarshal(data, m) != nil {
		return m, false
	}
	err := validate(m)
	var coded *contracts.Error
	if err != nil && !errors.As(err, &coded) {
		t.Fatalf("unregistered refusal %v", err)
	}
	again := m.ProtoReflect().New().Interface().(M)
	if proto.Unmarshal(contracts.Marshal(m), again) != nil || (validate(again) == nil) != (err == nil) {
		t.Fatalf("re-encoded message validates differently: %v", err)
	}
	return m, err == nil
}

func nonZero32(b []byte) bool { return len(b) == 32 && !bytes.Equal(b, make([]byte, 32)) }

func FuzzValidateBatch(f *testing.F) {
	f.Add(contracts.Marshal(batchMsg(1, 1, 10, 10, "p1").GetAnchorAlertBatch()))
	f.Add(contracts.Marshal(batchMsg(7, 100, 100, 1, "p1").GetAnchorAlertBatch()))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgAnchorAlertBatch{}, anchors.ValidateBatch)
		if ok && (m.Seq == 0 || m.FirstSeq == 0 || m.LastSeq < m.FirstSeq || m.Count == 0 ||
			m.Count > m.LastSeq-m.FirstSeq+1 && m.LastSeq-m.FirstSeq+1 != 0 ||
			!nonZero32(m.Root) || !nonZero32(m.ParamsHash) || m.FromUnixMs < 0 || m.ToUnixMs < m.FromUnixMs) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateParams(f *testing.F) {
	f.Add(contracts.Marshal(paramsMsg(1, "p1").GetAnchorRuleParams()))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgAnchorRuleParams{}, anchors.ValidateParams)
		if ok && (m.Version == 0 || !nonZero32(m.ParamsHash) || m.ChangedBy == "" || len(m.ChangedBy) > anchors.MaxChangedByLen) {
			t.Fatalf("accepted %v", m)
		}
	})
}

// FuzzDecodeBatch: decoding state bytes never panics, and whatever decodes
// re-encodes to the same bytes (one encoding per record).
func FuzzDecodeBatch(f *testing.F) {
	f.Add((&anchors.Batch{Operator: "risk-1", Seq: 1, FirstSeq: 1, LastSeq: 2, Count: 2, Root: hash32("r"), ParamsHash: hash32("p"), TxHash: hash32("t"), Signer: "ab"}).Encode())
	f.Add((&anchors.Params{Operator: "risk-1", Version: 1, ParamsHash: hash32("p"), ChangedBy: "x"}).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := anchors.DecodeBatch(data); err == nil && !bytes.Equal(b.Encode(), data) {
			t.Fatalf("batch %x re-encodes as %x", data, b.Encode())
		}
		if p, err := anchors.DecodeParams(data); err == nil && !bytes.Equal(p.Encode(), data) {
			t.Fatalf("params %x re-encodes as %x", data, p.Encode())
		}
	})
}
