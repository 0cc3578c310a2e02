package api

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/approvals"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Institution keys and dual control. Who may read, as the contracts
// declare it: a participant's keys and key history, every institution and
// the regulator (participants.MayReadKeyHistory); an institution's
// approvals, that institution and the regulator (approvals.MayRead).
// Rotating, revoking, adding operators and approving are txs: POST /v1/txs.

// keysParam validates :id and the caller's right to read its keys.
func keysParam(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if err := accounts.ValidateParticipantID(id); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return "", false
	}
	if !participants.MayReadKeyHistory(callerOf(c).Role) {
		fail(c, ErrForbidden.Wrapf("keys of %s are for institutions", id))
		return "", false
	}
	return id, true
}

// approvalsParam validates :id and the caller's right to read its approvals.
func approvalsParam(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if err := accounts.ValidateParticipantID(id); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return "", false
	}
	if who := callerOf(c); !approvals.MayRead(who.Role, who.Owner, id) {
		fail(c, ErrForbidden.Wrapf("approvals of %s", id))
		return "", false
	}
	return id, true
}

// getParticipantKeys lists every key ever registered for a participant,
// with its role, operator grant and state (active, rotated, revoked).
func (s *Server) getParticipantKeys(c *gin.Context) {
	id, ok := keysParam(c)
	if !ok {
		return
	}
	s.serveNodeList(c, "keys/"+id, "keys", nil)
}

// getKeyHistory pages a participant's key history (rotations,
// revocations, operators added) in sequence order.
func (s *Server) getKeyHistory(c *gin.Context) {
	id, ok := keysParam(c)
	if !ok {
		return
	}
	s.serveSeqList(c, seqList{
		name: "key-history", owner: id, field: "events",
		path: func(from uint64, n int) string { return fmt.Sprintf("key-history/%s?from=%d&limit=%d", id, from, n) },
		read: func(raw json.RawMessage) (uint64, int64, bool, error) {
			var ev custodyv1.KeyEvent
			if err := unmarshalJSON(raw, &ev); err != nil {
				return 0, 0, false, err
			}
			return ev.Seq, ev.Time, true, nil
		},
	})
}

// getApprovals pages an institution's approvals in id order, filtered by
// ?status (pending, executed, rejected) and ?since/?until on the time each
// was made.
func (s *Server) getApprovals(c *gin.Context) {
	id, ok := approvalsParam(c)
	if !ok {
		return
	}
	status, err := enumFilter(c, "status", "APPROVAL_STATUS_", custodyv1.ApprovalStatus_value)
	if err != nil {
		fail(c, err)
		return
	}
	s.serveSeqList(c, seqList{
		name: "approvals", owner: id, field: "approvals", filtered: status != nil,
		path: func(from uint64, n int) string { return fmt.Sprintf("approvals/%s?from=%d&limit=%d", id, from, n) },
		read: func(raw json.RawMessage) (uint64, int64, bool, error) {
			var p custodyv1.PendingApproval
			if err := unmarshalJSON(raw, &p); err != nil {
				return 0, 0, false, err
			}
			return p.Id, p.CreatedTime, passes(status, int32(p.Status)), nil
		},
	})
}

// getApproval reads one approval of an institution (?prove for its proof).
func (s *Server) getApproval(c *gin.Context) {
	id, ok := approvalsParam(c)
	if !ok {
		return
	}
	n, err := strconv.ParseUint(c.Param("approval_id"), 10, 64)
	if err != nil || n == 0 {
		fail(c, ErrBadRequest.Wrapf("approval id %q is not a positive integer", c.Param("approval_id")))
		return
	}
	s.serveRecord(c, recordSpec{
		// approvals' key: PrefixApproval | len-prefixed id | approval id (docs/state.md).
		path: fmt.Sprintf("approval/%s/%d", id, n), key: approvals.Key(id, n),
		codec: protoCodec(func() proto.Message { return &custodyv1.PendingApproval{} }),
	}, nil) // approvalsParam has checked the caller against the path's institution
}
