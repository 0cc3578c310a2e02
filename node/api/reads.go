package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The one-record reads. Each handler validates its path parameters (so
// nothing but an id reaches the node's query path) and names the record.
// Who may read it is not decided here: the node answers each query for
// the caller whose token it carries (contracts/ledger Policy), and a
// record the caller may not read comes back as one that does not exist.

func (s *Server) getAccount(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "account/" + id, key: accounts.AccountKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Account{} }),
	})
}

func (s *Server) getFunds(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "funds/" + id, key: funds.FundsKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Funds{} }),
	})
}

func (s *Server) getTransfer(c *gin.Context) {
	bank, id := c.Param("bank_id"), c.Param("transfer_id")
	if err := accounts.ValidateParticipantID(bank); err != nil {
		fail(c, ErrBadRequest.Wrapf("bank id: %v", err))
		return
	}
	// A reversal is the transfer "<original id>#R".
	orig := strings.TrimSuffix(id, transfers.ReversalSuffix)
	if transfers.ValidateBankSerial(orig) != nil {
		if _, err := transfers.SplitWithdrawalID(orig); err != nil {
			fail(c, ErrBadRequest.Wrapf("transfer id: %v", err))
			return
		}
	}
	s.serveRecord(c, recordSpec{
		path: "transfer/" + bank + "/" + id, key: transfers.TransferKey(bank, id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Transfer{} }),
	})
}

func (s *Server) getCustodyTotal(c *gin.Context) {
	bank, broker := c.Param("bank_id"), c.Param("broker_id")
	for _, id := range []string{bank, broker} {
		if err := accounts.ValidateParticipantID(id); err != nil {
			fail(c, ErrBadRequest.Wrapf("%v", err))
			return
		}
	}
	s.serveRecord(c, recordSpec{
		path: "custody/" + bank + "/" + broker, key: funds.CustodyTotalKey(bank, broker),
		codec: protoCodec(func() proto.Message { return &custodyv1.CustodyTotal{} }),
		zero:  func() any { return &custodyv1.CustodyTotal{BankId: bank, BrokerId: broker} },
	})
}

func (s *Server) getSupply(c *gin.Context) {
	s.serveRecord(c, recordSpec{
		path: "supply", key: funds.SupplyKey(),
		codec: protoCodec(func() proto.Message { return &custodyv1.Supply{} }),
		zero:  func() any { return &custodyv1.Supply{} },
	})
}

func (s *Server) getParticipant(c *gin.Context) {
	id := c.Param("id")
	if err := accounts.ValidateParticipantID(id); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		// participants' key: PrefixParticipant | id (docs/state.md).
		path: "participant/" + id, key: append([]byte{contracts.PrefixParticipant}, id...),
		codec: protoCodec(func() proto.Message { return &custodyv1.Participant{} }),
	})
}

// getKey reads a signing key's record. An institution's keys are public
// (as /participants shows them); a client's key goes with its account
// (contracts/auth Reads).
func (s *Server) getKey(c *gin.Context) {
	addr := c.Param("address")
	raw, err := auth.ParseAddress(addr)
	if err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		// auth's key: PrefixKey | the 20 address bytes (docs/state.md).
		path: "signer/" + addr, key: append([]byte{contracts.PrefixKey}, raw...),
		codec: protoCodec(func() proto.Message { return &custodyv1.KeyRecord{} }),
	})
}

// List is the answer of a list read: the items and, when there may be
// more, the cursor of the next page.
type List struct {
	Height     int64             `json:"height"`
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// getParticipants lists the institutions: a small set (genesis, then governance),
// so it comes in one page.
func (s *Server) getParticipants(c *gin.Context) {
	s.serveNodeList(c, "participants", "participants", nil)
}

// getInvariants runs the ledger's invariants on the node's latest state:
// institutions only (the node refuses others as not found). The answer is
// the node's own check, with no proof: an auditor who wants certainty
// checks proven records. The node runs it on a committed immutable
// version, beside block execution, not under a lock consensus needs.
func (s *Server) getInvariants(c *gin.Context) {
	if prove, err := boolParam(c, "prove"); err != nil || prove {
		fail(c, ErrBadRequest.Wrapf("the invariants are computed by the node and carry no proof"))
		return
	}
	res, err := s.chain.Query(c.Request.Context(), "/custody/invariants", nil, 0, false)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, Record{Height: res.Height, Value: res.Value})
}

// accountParam validates the :id of an account route.
func accountParam(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if err := accounts.ValidateAccountID(id); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return "", false
	}
	return id, true
}

func nonNil(items []json.RawMessage) []json.RawMessage {
	if items == nil {
		return []json.RawMessage{}
	}
	return items
}
