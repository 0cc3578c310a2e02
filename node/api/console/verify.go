package console

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
)

// Deps are what the console needs of the node.
type Deps struct {
	// RPC is the node's CometBFT RPC: the committed headers proofs are
	// checked against. Nil serves no /ui/verify.
	RPC func() rpcclient.Client
	// Auth authenticates a data route exactly as /v1 does (the API's
	// middleware); the static files need none.
	Auth []gin.HandlerFunc
	// RiskAdmin is the risk core's admin API whose alert reads are relayed
	// under /ui/risk/ (risk.go); empty relays none.
	RiskAdmin string
}

// Verification is POST /ui/verify's answer.
type Verification struct {
	// Verified: the proof binds the key to the value (or to its absence)
	// under the app hash of the committed header Height+1.
	Verified bool `json:"verified"`
	// Height is the state version proven; Header is header Height+1's hash
	// and AppHash the app hash it carries.
	Height  int64  `json:"height"`
	Header  string `json:"header,omitempty"`
	AppHash string `json:"app_hash,omitempty"`
	// Absent: the proof shows the key is not set.
	Absent bool `json:"absent,omitempty"`
	// Reason says why a proof did not verify.
	Reason string `json:"reason,omitempty"`
}

// verify checks a ?prove=true answer's proof (client.RESTProof, as the
// REST API sent it) against the header this node committed at Height+1:
// the header's app hash must be the one the proof claims, and the ICS23
// proof must bind the key to the value under it. It is the check
// client.VerifyRESTProof makes, with the node's own consensus-verified
// block store in place of a light client: the page runs on this node, so
// the node is the party it already trusts. It proves that what the API
// answered is the chain's committed state, not what a query path or a
// cache made of it. A reader who trusts no single node checks the same
// proof with `custodycli query ... --prove --witness` (docs/console.md).
func verify(rpc func() rpcclient.Client) gin.HandlerFunc {
	return func(c *gin.Context) {
		var p client.RESTProof
		dec := json.NewDecoder(c.Request.Body)
		if err := dec.Decode(&p); err != nil {
			c.JSON(http.StatusBadRequest, Verification{Reason: "the body is not a REST proof: " + err.Error()})
			return
		}
		c.JSON(http.StatusOK, check(c.Request.Context(), rpc(), &p))
	}
}

func check(ctx context.Context, rpc rpcclient.Client, p *client.RESTProof) Verification {
	out := Verification{Height: p.Height}
	if p.ProofOps == nil || len(p.ProofOps.Ops) == 0 || len(p.Key) == 0 || p.Height <= 0 {
		out.Reason = "the answer carries no proof"
		return out
	}
	h := p.Height + 1
	commit, err := rpc.Commit(ctx, &h)
	if err != nil {
		out.Reason = "no committed header " + itoa(h) + " on this node yet: " + err.Error()
		return out
	}
	header := commit.SignedHeader.Header
	out.Header, out.AppHash = header.Hash().String(), header.AppHash.String()
	if len(p.AppHash) > 0 && !bytes.Equal(p.AppHash, header.AppHash) {
		out.Reason = "the answer claims app hash " + p.AppHash.String() + ", the committed header has " + out.AppHash
		return out
	}
	var value []byte
	if len(p.Value) > 0 {
		value = p.Value
	}
	if err := abci.VerifyProof(header.AppHash, p.Key, value, p.ProofOps); err != nil {
		out.Reason = err.Error()
		return out
	}
	out.Verified, out.Absent = true, value == nil
	return out
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
