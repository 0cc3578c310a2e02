package api

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/adjustments"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads of the corrections (issue #18). Who may read each is what may read
// the record it corrects: an adjustment its break's parties (a
// reconciliation break: the bank and the broker; a settlement break: the
// broker), the clearing house and the regulator; a receivable what may
// read the account's funds; a held settlement what may read the broker's
// settlement.

// getAdjustment serves one adjustment.
func (s *Server) getAdjustment(c *gin.Context) {
	id := c.Param("adjustment_id")
	if err := adjustments.ValidateApprove(&custodyv1.MsgApproveAdjustment{AdjustmentId: id}); err != nil {
		fail(c, ErrBadRequest.Wrapf("adjustment id: %v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		path: "adjustment/" + id, key: adjustments.Key(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Adjustment{} }),
	}, func(_ context.Context, who *caller, m any) error {
		b := m.(*custodyv1.Adjustment).GetBreak()
		ok := who.mayReadSettlement(b.GetBrokerId())
		if b.GetKind() == custodyv1.BreakKind_BREAK_KIND_RECONCILIATION {
			ok = who.mayReadRecon(b.GetBankId(), b.GetBrokerId())
		}
		if !ok {
			return ErrForbidden.Wrapf("adjustment %s", id)
		}
		return nil
	})
}

// getReceivable serves what an account owes its bank after a deposit
// reversal (zeros when nothing).
func (s *Server) getReceivable(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok || !s.checkAccount(c, id) {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "receivable/" + id, key: funds.ReceivableKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Receivable{} }),
		zero:  func() any { return &custodyv1.Receivable{AccountId: id} },
	}, nil)
}

// getHeldSettlement serves what a settlement break holds of a broker's day.
func (s *Server) getHeldSettlement(c *gin.Context) {
	date, ok := dateParam(c, "date")
	if !ok {
		return
	}
	broker, ok := participantParam(c, "broker_id")
	if !ok {
		return
	}
	if !callerOf(c).mayReadSettlement(broker) {
		fail(c, ErrForbidden.Wrapf("held settlement of %s", broker))
		return
	}
	s.serveRecord(c, recordSpec{
		path: fmt.Sprintf("held-settlement/%d/%s", date, broker), key: trading.HeldKey(date, broker),
		codec: protoCodec(func() proto.Message { return &custodyv1.HeldSettlement{} }),
	}, nil)
}
