package api

import (
	"fmt"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/adjustments"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads of the corrections (issue #18). Who may read each is declared with
// the record (adjustments.Audience, funds' and trading's Reads) and
// enforced by the node, as for every read: an adjustment its break's
// parties, the clearing house and the regulator; a receivable the
// account's readers; a held settlement the broker and the clearing house.

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
	})
}

// getReceivable serves what an account owes its bank after a deposit
// reversal (zeros when nothing).
func (s *Server) getReceivable(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "receivable/" + id, key: funds.ReceivableKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Receivable{} }),
		zero:  func() any { return &custodyv1.Receivable{AccountId: id} },
	})
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
	s.serveRecord(c, recordSpec{
		path: fmt.Sprintf("held-settlement/%d/%s", date, broker), key: trading.HeldKey(date, broker),
		codec: protoCodec(func() proto.Message { return &custodyv1.HeldSettlement{} }),
	})
}
