package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/governance"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Governance reads. Who may read, as contracts/governance declares it
// (governance.MayRead): every institution, not clients. Proposing and
// voting are txs: POST /v1/txs.

// governanceReader refuses callers governance.MayRead refuses.
func governanceReader(c *gin.Context) bool {
	if !governance.MayRead(callerOf(c).Role) {
		fail(c, ErrForbidden.Wrapf("%s is for institutions", c.Request.URL.Path))
		return false
	}
	return true
}

// getProposals lists every governance proposal with its votes and status.
func (s *Server) getProposals(c *gin.Context) {
	if !governanceReader(c) {
		return
	}
	s.serveNodeList(c, "proposals", "proposals", nil)
}

// getProposal reads one proposal (?prove for its proof).
func (s *Server) getProposal(c *gin.Context) {
	if !governanceReader(c) {
		return
	}
	id := c.Param("id")
	if err := governance.ValidateVote(&custodyv1.MsgVoteProposal{ProposalId: id}); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		path: "proposal/" + id, key: governance.ProposalKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Proposal{} }),
	}, nil) // governanceReader has checked the caller
}

// getUpgrade answers the scheduled upgrade plan, the upgrades applied and
// the application version the state records.
func (s *Server) getUpgrade(c *gin.Context) {
	if !governanceReader(c) {
		return
	}
	if prove, err := boolParam(c, "prove"); err != nil || prove {
		fail(c, ErrBadRequest.Wrapf("the upgrade summary is assembled by the node; prove the proposal or the raw key instead"))
		return
	}
	res, err := s.chain.Query(c.Request.Context(), "/custody/upgrade", nil, 0, false)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, Record{Height: res.Height, Value: res.Value})
}
