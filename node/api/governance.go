package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/governance"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Governance reads. Who may read is contracts/governance's declaration
// (governance.Reads: every institution, not clients), enforced by the node
// like every read. Proposing and voting are txs: POST /v1/txs.

// getProposals lists every governance proposal with its votes and status.
func (s *Server) getProposals(c *gin.Context) {
	s.serveNodeList(c, "proposals", "proposals", nil)
}

// getProposal reads one proposal (?prove for its proof).
func (s *Server) getProposal(c *gin.Context) {
	id := c.Param("id")
	if err := governance.ValidateVote(&custodyv1.MsgVoteProposal{ProposalId: id}); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		path: "proposal/" + id, key: governance.ProposalKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Proposal{} }),
	})
}

// getUpgrade answers the scheduled upgrade plan, the upgrades applied and
// the application version the state records.
func (s *Server) getUpgrade(c *gin.Context) {
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
