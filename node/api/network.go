package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/gin-gonic/gin"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Status is the answer of GET /v1/status: where the node's chain is.
type Status struct {
	ChainID             string            `json:"chain_id"`
	NodeID              string            `json:"node_id"`
	Moniker             string            `json:"moniker"`
	LatestBlockHeight   int64             `json:"latest_block_height"`
	LatestBlockHash     cmtbytes.HexBytes `json:"latest_block_hash"`
	LatestAppHash       cmtbytes.HexBytes `json:"latest_app_hash"`
	LatestBlockTime     time.Time         `json:"latest_block_time"`
	EarliestBlockHeight int64             `json:"earliest_block_height"`
	CatchingUp          bool              `json:"catching_up"`
	// ValidatorAddress and VotingPower are this node's (power 0: a full node).
	ValidatorAddress cmtbytes.HexBytes `json:"validator_address"`
	VotingPower      int64             `json:"voting_power"`
}

// Validator is one member of the validator set.
type Validator struct {
	Address          cmtbytes.HexBytes `json:"address"`
	PubKey           []byte            `json:"pub_key"`
	VotingPower      int64             `json:"voting_power"`
	ProposerPriority int64             `json:"proposer_priority"`
	// Participant is the institution whose genesis entry names this
	// consensus key, "" if none does.
	Participant string `json:"participant"`
}

// Validators is the answer of GET /v1/validators.
type Validators struct {
	Height           int64       `json:"height"`
	TotalVotingPower int64       `json:"total_voting_power"`
	Items            []Validator `json:"items"`
}

func (s *Server) getStatus(c *gin.Context) {
	st, err := s.chain.RPC().Status(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, Status{
		ChainID: st.NodeInfo.Network, NodeID: string(st.NodeInfo.DefaultNodeID), Moniker: st.NodeInfo.Moniker,
		LatestBlockHeight: st.SyncInfo.LatestBlockHeight, LatestBlockHash: st.SyncInfo.LatestBlockHash,
		LatestAppHash: st.SyncInfo.LatestAppHash, LatestBlockTime: st.SyncInfo.LatestBlockTime,
		EarliestBlockHeight: st.SyncInfo.EarliestBlockHeight, CatchingUp: st.SyncInfo.CatchingUp,
		ValidatorAddress: st.ValidatorInfo.Address, VotingPower: st.ValidatorInfo.VotingPower,
	})
}

// validatorPage is CometBFT's largest page of validators.
const validatorPage = 100

// getValidators lists the latest validator set, each named by the
// participant whose consensus key it is.
func (s *Server) getValidators(c *gin.Context) {
	ctx := c.Request.Context()
	res, err := s.chain.Query(ctx, "/custody/participants", nil, 0, false)
	if err != nil {
		fail(c, err)
		return
	}
	var body struct {
		Participants []json.RawMessage `json:"participants"`
	}
	if err := json.Unmarshal(res.Value, &body); err != nil {
		fail(c, ErrUpstream.Wrapf("participants: %v", err))
		return
	}
	ps := make([]*custodyv1.Participant, 0, len(body.Participants))
	for _, raw := range body.Participants {
		var p custodyv1.Participant
		if err := unmarshalJSON(raw, &p); err != nil {
			fail(c, err)
			return
		}
		ps = append(ps, &p)
	}
	out := Validators{Items: []Validator{}}
	for pg := 1; ; pg++ {
		page, per := pg, validatorPage
		var height *int64
		if out.Height > 0 {
			height = &out.Height // every page from the same set
		}
		vs, err := s.chain.RPC().Validators(ctx, height, &page, &per)
		if err != nil {
			fail(c, err)
			return
		}
		out.Height = vs.BlockHeight
		for _, v := range vs.Validators {
			item := Validator{Address: cmtbytes.HexBytes(v.Address), PubKey: v.PubKey.Bytes(),
				VotingPower: v.VotingPower, ProposerPriority: v.ProposerPriority}
			for _, p := range ps {
				if bytes.Equal(p.ValidatorPubKey, item.PubKey) {
					item.Participant = p.Id
				}
			}
			out.TotalVotingPower += v.VotingPower
			out.Items = append(out.Items, item)
		}
		if len(out.Items) >= vs.Total || len(vs.Validators) == 0 {
			break
		}
	}
	c.JSON(http.StatusOK, out)
}
