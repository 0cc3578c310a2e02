package api

import (
	"context"
	"encoding/json"
	"net/http"

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
// nothing but an id reaches the node's query path), names the record and
// says who may read it.

func (s *Server) getAccount(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "account/" + id, key: accounts.AccountKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Account{} }),
	}, func(_ context.Context, who *caller, m any) error {
		if !who.mayReadAccount(m.(*custodyv1.Account)) {
			return ErrForbidden.Wrapf("account %s", id)
		}
		return nil
	})
}

func (s *Server) getFunds(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok || !s.checkAccount(c, id) {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "funds/" + id, key: funds.FundsKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Funds{} }),
	}, nil)
}

func (s *Server) getTransfer(c *gin.Context) {
	bank, id := c.Param("bank_id"), c.Param("transfer_id")
	if err := accounts.ValidateParticipantID(bank); err != nil {
		fail(c, ErrBadRequest.Wrapf("bank id: %v", err))
		return
	}
	if transfers.ValidateBankSerial(id) != nil {
		if _, err := transfers.SplitWithdrawalID(id); err != nil {
			fail(c, ErrBadRequest.Wrapf("transfer id: %v", err))
			return
		}
	}
	s.serveRecord(c, recordSpec{
		path: "transfer/" + bank + "/" + id, key: transfers.TransferKey(bank, id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Transfer{} }),
	}, func(_ context.Context, who *caller, m any) error {
		if !who.mayReadTransfer(m.(*custodyv1.Transfer)) {
			return ErrForbidden.Wrapf("transfer %s/%s", bank, id)
		}
		return nil
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
	if !callerOf(c).mayReadCustody(bank, broker) {
		fail(c, ErrForbidden.Wrapf("custody total of %s for %s", bank, broker))
		return
	}
	s.serveRecord(c, recordSpec{
		path: "custody/" + bank + "/" + broker, key: funds.CustodyTotalKey(bank, broker),
		codec: protoCodec(func() proto.Message { return &custodyv1.CustodyTotal{} }),
		zero:  func() any { return &custodyv1.CustodyTotal{BankId: bank, BrokerId: broker} },
	}, nil)
}

func (s *Server) getSupply(c *gin.Context) {
	if !s.institutionOnly(c) {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "supply", key: funds.SupplyKey(),
		codec: protoCodec(func() proto.Message { return &custodyv1.Supply{} }),
		zero:  func() any { return &custodyv1.Supply{} },
	}, nil)
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
	}, nil)
}

// getKey reads a signing key's record. A caller reads its own; an
// institution's keys are public to every caller (as /participants shows
// them); a client's key is visible to whoever may read its account.
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
	}, func(ctx context.Context, who *caller, m any) error {
		rec := m.(*custodyv1.KeyRecord)
		if who.Address == addr || who.Role == custodyv1.Role_ROLE_REGULATOR || rec.Role != custodyv1.Role_ROLE_CLIENT {
			return nil
		}
		a, err := s.account(ctx, rec.Owner)
		if err != nil {
			return err
		}
		if !who.mayReadAccount(a) {
			return ErrForbidden.Wrapf("key %s", addr)
		}
		return nil
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

// getInvariants runs the ledger's invariants on the node's latest state.
// The answer is the node's own check, with no proof: an auditor who wants
// certainty checks proven records.
func (s *Server) getInvariants(c *gin.Context) {
	if !s.institutionOnly(c) {
		return
	}
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

// account reads an account (the node's word: the server runs in the node)
// for access checks.
func (s *Server) account(ctx context.Context, id string) (*custodyv1.Account, error) {
	res, err := s.chain.Query(ctx, "/custody/account/"+id, nil, 0, false)
	if err != nil {
		return nil, err
	}
	var a custodyv1.Account
	if err := unmarshalJSON(res.Value, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// checkAccount answers 404 or 403 and returns false unless the caller may
// read account id's records.
func (s *Server) checkAccount(c *gin.Context, id string) bool {
	a, err := s.account(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return false
	}
	if !callerOf(c).mayReadAccount(a) {
		fail(c, ErrForbidden.Wrapf("account %s", id))
		return false
	}
	return true
}

func (s *Server) institutionOnly(c *gin.Context) bool {
	if !callerOf(c).isInstitution() {
		fail(c, ErrForbidden.Wrapf("%s is for institutions", c.Request.URL.Path))
		return false
	}
	return true
}

func nonNil(items []json.RawMessage) []json.RawMessage {
	if items == nil {
		return []json.RawMessage{}
	}
	return items
}
