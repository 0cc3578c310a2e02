package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Probes for load balancers and orchestrators. Neither needs a token,
// neither is rate limited (a balancer polls from a few addresses, often
// several times a second), and neither reveals anything a caller may not
// know: heights and block times are public on every chain explorer of a
// network, and no record is read.
//
//   - GET /healthz answers 200 while this process serves HTTP: the
//     liveness probe. It touches nothing else, so a node that is
//     catching up, or whose network has lost quorum, is still "healthy":
//     restarting it would not help.
//   - GET /readyz answers 200 when this node is worth sending reads and
//     txs to, else 503, with the result of each check: the readiness
//     probe. A balancer takes a 503 node out of rotation and puts it back
//     when it answers 200 again.

// Readiness is the body of GET /readyz.
type Readiness struct {
	// Ready is true when every check passed (status 200), else false (503).
	Ready bool `json:"ready"`
	// Height and BlockTime are the node's latest block, when known.
	Height    int64     `json:"height"`
	BlockTime time.Time `json:"block_time,omitzero"`
	// Checks are, in order: caught_up, app_serving, consensus_live.
	Checks []ReadyCheck `json:"checks"`
}

// ReadyCheck is the result of one readiness check.
type ReadyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// readyCacheTTL is how long a /readyz answer is reused. Probes are not
// rate limited, so this bounds the node work a flood of them can cause to
// one status and one info call a second.
const readyCacheTTL = time.Second

// readyCache holds the last /readyz answer; its mutex also makes probes
// that arrive together share one evaluation.
type readyCache struct {
	mu  sync.Mutex
	at  time.Time // guarded by mu; zero: nothing cached
	ans Readiness // guarded by mu
}

func getHealthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) getReadyz(c *gin.Context) {
	s.ready.mu.Lock()
	if s.ready.at.IsZero() || time.Since(s.ready.at) >= readyCacheTTL {
		s.ready.ans = s.readiness(c.Request.Context())
		s.ready.at = time.Now()
	}
	ans := s.ready.ans
	s.ready.mu.Unlock()
	status := http.StatusOK
	if !ans.Ready {
		status = http.StatusServiceUnavailable
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, ans)
}

// readiness runs the three checks. It uses the wall clock (not Deps.Now,
// which is the token clock) because the block age is a fact about now.
//
//   - caught_up: CometBFT says the node is not catching up (block sync or
//     state sync is over). A catching-up node answers reads from the past.
//   - app_serving: the application answers ABCI Info and has committed
//     the node's latest block (or the one before, while a commit is in
//     flight). Reads and proofs come from it.
//   - consensus_live: the latest block is at most ReadyMaxBlockAge old.
//     CometBFT commits a block every timeout_commit even with no txs, so
//     an older one means the network has lost quorum or this node is cut
//     off from it; a tx sent to it would not be committed. Block times are
//     the validators' median clock, so this also trips when this
//     machine's clock is far off, which an operator wants to know too.
func (s *Server) readiness(ctx context.Context) Readiness {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	rpc := s.chain.RPC()
	var r Readiness
	caughtUp := ReadyCheck{Name: "caught_up"}
	app := ReadyCheck{Name: "app_serving"}
	live := ReadyCheck{Name: "consensus_live"}
	st, err := rpc.Status(ctx)
	if err != nil {
		caughtUp.Detail = fmt.Sprintf("node status: %v", err)
		app.Detail, live.Detail = "not checked: no node status", "not checked: no node status"
		r.Checks = []ReadyCheck{caughtUp, app, live}
		return r
	}
	r.Height, r.BlockTime = st.SyncInfo.LatestBlockHeight, st.SyncInfo.LatestBlockTime
	if st.SyncInfo.CatchingUp {
		caughtUp.Detail = fmt.Sprintf("catching up: at height %d", r.Height)
	} else {
		caughtUp.OK, caughtUp.Detail = true, fmt.Sprintf("at height %d", r.Height)
	}

	switch info, err := rpc.ABCIInfo(ctx); {
	case err != nil:
		app.Detail = fmt.Sprintf("abci info: %v", err)
	case info.Response.LastBlockHeight < 1:
		app.Detail = "the application has committed no block"
	case info.Response.LastBlockHeight < r.Height-1:
		app.Detail = fmt.Sprintf("the application is at height %d, the node at %d", info.Response.LastBlockHeight, r.Height)
	default:
		app.OK, app.Detail = true, fmt.Sprintf("committed height %d", info.Response.LastBlockHeight)
	}

	switch age := time.Since(r.BlockTime); {
	case r.Height < 1:
		live.Detail = "no block yet"
	case age > s.cfg.ReadyMaxBlockAge:
		live.Detail = fmt.Sprintf("latest block %d is %s old, more than %s", r.Height, age.Round(time.Millisecond), s.cfg.ReadyMaxBlockAge)
	default:
		live.OK, live.Detail = true, fmt.Sprintf("latest block %d is %s old", r.Height, age.Round(time.Millisecond))
	}
	r.Checks = []ReadyCheck{caughtUp, app, live}
	r.Ready = caughtUp.OK && app.OK && live.OK
	return r
}
