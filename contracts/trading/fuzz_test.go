package trading_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// fuzzValidate decodes fuzz bytes into a message and validates it: a
// validator never panics, refuses only with registered errors, and judges
// the message's re-encoding the same way.
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

func FuzzValidatePlace(f *testing.F) {
	tk := &custodyv1.OrderTicket{ChainId: "c", OrderId: "C1/o1", AccountId: "C1", Security: "600000.SH", Side: custodyv1.Side_SIDE_BUY,
		Type: custodyv1.OrderType_ORDER_TYPE_LIMIT, Price: 100_000, Quantity: 100, BusinessDate: 20250102}
	f.Add(contracts.Marshal(&custodyv1.MsgPlaceOrder{Ticket: tk, ClientSignature: make([]byte, 64)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgPlaceOrder{}, trading.ValidatePlace)
		if !ok {
			return
		}
		tk := m.Ticket
		acct, _, _ := trading.SplitOrderID(tk.OrderId)
		if acct != tk.AccountId || tk.Quantity <= 0 || tk.Quantity > trading.MaxQuantity || tk.Price < 0 || tk.Price > trading.MaxPrice ||
			trading.ValidateSecurity(tk.Security) != nil || len(m.ClientSignature) != 64 || trading.ValidateDate(tk.BusinessDate) != nil {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateCancel(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgCancelOrder{Ticket: &custodyv1.CancelTicket{ChainId: "c", OrderId: "C1/o1"}, ClientSignature: make([]byte, 64)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgCancelOrder{}, trading.ValidateCancel)
		if ok {
			if _, err := trading.ValidateOrderID(m.Ticket.OrderId); err != nil || len(m.ClientSignature) != 64 {
				t.Fatalf("accepted %v", m)
			}
		}
	})
}

func FuzzValidateFill(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgReportFill{ExecId: "E1", OrderId: "C1/o1", Price: 100_000, Quantity: 100}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgReportFill{}, trading.ValidateFill)
		if ok && (m.Price <= 0 || m.Quantity <= 0 || trading.ValidateExecID(m.ExecId) != nil) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateDate(f *testing.F) {
	for _, d := range []uint32{20250102, 20240229, 20250229, 0, 19891231, 99991231} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d uint32) {
		if trading.ValidateDate(d) == nil && (d%100 == 0 || d/100%100 == 0 || d/100%100 > 12 || d%100 > 31 || d < 19900101) {
			t.Fatalf("accepted %d", d)
		}
	})
}
