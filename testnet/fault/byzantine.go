package fault

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet"
)

// doubleSign: a second instance of one validator, with the same validator
// key and state but its own home, node key and ports, runs beside it. When
// the two see different proposals, or one proposes while the other does
// (their mempools differ under load), they sign conflicting votes at one
// height and round; the honest validators catch the pair as
// DuplicateVoteEvidence and a block commits it. The app records it
// (package evidence) on every node and emits a "misbehaviour" event, and
// the chain goes on: one Byzantine validator of four is within what BFT
// tolerates.
func (h *harness) doubleSign(ctx context.Context) (string, error) {
	const victim = "broker-1"
	n := h.tn.Node(victim)
	home := h.tn.Home(n)
	twin := filepath.Join(h.cfg.Dir, "twin-"+victim)
	_ = os.RemoveAll(twin)
	// A copy taken while the validator is stopped is a consistent home: the
	// twin starts at the same height with the same signing state.
	if err := h.l.StopNode(victim); err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, "cp", "-a", home, twin).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("copy %s: %v: %s", home, err, out)
	}
	if _, _, err := h.restart(ctx, victim); err != nil {
		return "", err
	}
	_ = os.Remove(filepath.Join(twin, "node.log"))
	nodeKey := &p2p.NodeKey{PrivKey: cmted25519.GenPrivKey()}
	if err := nodeKey.SaveAs(filepath.Join(twin, "config", "node_key.json")); err != nil {
		return "", err
	}
	ports, err := testnet.FreePorts(3)
	if err != nil {
		return "", err
	}
	tw := &testnet.Node{Name: "twin-" + victim, NodeID: nodeKey.ID(), P2PPort: ports[0], RPCPort: ports[1], APIPort: ports[2]}
	c, err := node.LoadCometConfig(twin)
	if err != nil {
		return "", err
	}
	c.SetRoot(twin)
	c.Moniker = tw.Name
	c.RPC.ListenAddress = tw.RPCAddress()
	c.P2P.ListenAddress = "tcp://" + tw.Addr(tw.P2PPort)
	c.Instrumentation.Prometheus = false
	var peers []string
	for _, o := range h.tn.Validators() {
		peers = append(peers, o.P2PAddress())
	}
	c.P2P.PersistentPeers = strings.Join(peers, ",")
	if err := node.WriteCometConfig(twin, c); err != nil {
		return "", err
	}
	a, err := node.LoadAppConfig(twin)
	if err != nil {
		return "", err
	}
	a.API.Address = "tcp://" + tw.Addr(tw.APIPort)
	if err := node.SaveAppConfig(twin, a); err != nil {
		return "", err
	}

	h0 := h.r.Height()
	proc, err := h.attempt(twin, "double-sign-twin")
	if err != nil {
		return "", err
	}
	defer proc.kill()
	// Wait for the record on every validator.
	type record struct {
		Height          string `json:"height"`
		Validator       string `json:"validator_address"`
		Participant     string `json:"participant"`
		Kind            string `json:"kind"`
		CommittedHeight string `json:"committed_height"`
		Count           int    `json:"count"`
	}
	var found record
	deadline := time.Now().Add(2 * time.Minute)
	for found.Height == "" {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("no misbehaviour record of %s in 2 minutes with its twin running (heights %d→%d; twin output: %s)",
				victim, h0, h.r.Height(), proc.tail())
		}
		if exited, code := proc.wait(ctx, time.Second); exited {
			return "", fmt.Errorf("the twin exited with status %d: %s", code, proc.tail())
		}
		raw, err := h.r.Client(h.tn.Node("regulator-1")).QueryJSON(ctx, "misbehaviour")
		if err != nil {
			continue
		}
		var res struct {
			Records []record `json:"records"`
		}
		if json.Unmarshal(raw, &res) == nil {
			for _, r := range res.Records {
				if r.Participant == victim {
					found = r
				}
			}
		}
	}
	proc.kill()
	twinFor := proc.took()
	// Every validator has the record; the committing block carries the
	// event and the evidence. A node's block store has block C before its
	// app has committed C's state: wait for C+1.
	var committed int64
	fmt.Sscan(found.CommittedHeight, &committed)
	for _, v := range h.tn.Validators() {
		if _, err := waitNode(ctx, v, committed+1, time.Minute); err != nil {
			return "", err
		}
		raw, err := h.r.Client(v).QueryJSON(ctx, "misbehaviour/"+found.Height)
		if err != nil {
			return "", fmt.Errorf("misbehaviour/%s on %s: %w", found.Height, v.Name, err)
		}
		if !strings.Contains(string(raw), `"participant":"`+victim+`"`) {
			return "", fmt.Errorf("%s's record of height %s does not name %s: %s", v.Name, found.Height, victim, raw)
		}
	}
	rpc := h.r.Client(h.tn.Node("bank-1")).RPC()
	blk, err := rpc.Block(ctx, &committed)
	if err != nil {
		return "", err
	}
	res, err := rpc.BlockResults(ctx, &committed)
	if err != nil {
		return "", err
	}
	events := 0
	for _, e := range res.FinalizeBlockEvents {
		if e.Type == "misbehaviour" {
			events++
		}
	}
	if events == 0 || len(blk.Block.Evidence.Evidence) == 0 {
		return "", fmt.Errorf("block %d committed the record but has %d evidence and %d misbehaviour events", committed, len(blk.Block.Evidence.Evidence), events)
	}
	h1 := h.r.Height()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = h.r.WaitHeight(wctx, h1+3)
	cancel()
	if err != nil {
		return "", fmt.Errorf("after the double signing the chain stopped: %w", err)
	}
	return fmt.Sprintf("a twin of %s (same validator key, own home and node id) ran for %s from height %d: block %d committed %d evidence (%s) and "+
		"%d misbehaviour event(s); every validator records %s of %s (validator %s) at height %s (%d piece(s)); the chain went on to %d",
		victim, twinFor.Round(100*time.Millisecond), h0, committed, len(blk.Block.Evidence.Evidence), evidenceKinds(blk.Block.Evidence.Evidence.String()),
		events, found.Kind, found.Participant, short(found.Validator), found.Height, found.Count, h.r.Height()), nil
}

func evidenceKinds(s string) string {
	if strings.Contains(s, "DuplicateVoteEvidence") {
		return "DuplicateVoteEvidence"
	}
	return "evidence"
}

// invalidProposer: one validator restarted with node.EnvProposerFault, so
// that every block it proposes holds a tx that fails ProcessProposal's
// checks: first an undecodable tx, then one larger than [tx] max_bytes.
// The honest three reject each such proposal (prevote nil), the round
// times out and the next proposer's block commits: over the heights it ran,
// no block was proposed by it, and blocks at its turns commit in a later
// round. Restarted without the fault, it proposes again.
func (h *harness) invalidProposer(ctx context.Context) (string, error) {
	const victim = "clearing-house-1"
	n := h.tn.Node(victim)
	st, err := h.r.Client(n).RPC().Status(ctx)
	if err != nil {
		return "", err
	}
	addr := st.ValidatorInfo.Address.String()
	logPath := filepath.Join(h.tn.Home(n), "node.log")
	defer delete(h.env, victim)
	var ev []string
	for _, kind := range []string{node.ProposerFaultBadTx, node.ProposerFaultOversize} {
		before := countInFile(logPath, "FAULT INJECTION: proposing an invalid block")
		if err := h.l.StopNode(victim); err != nil {
			return "", err
		}
		h.env[victim] = []string{node.EnvProposerFault + "=" + kind}
		if _, _, err := h.restart(ctx, victim); err != nil {
			return "", err
		}
		h0 := h.r.Height()
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		err := h.r.WaitHeight(wctx, h0+8)
		cancel()
		if err != nil {
			return "", fmt.Errorf("with %s proposing %s blocks the chain stopped: %w", victim, kind, err)
		}
		h1 := h.r.Height()
		proposed := countInFile(logPath, "FAULT INJECTION: proposing an invalid block") - before
		if proposed == 0 {
			return "", fmt.Errorf("%s had no proposer turn in heights %d..%d", victim, h0, h1)
		}
		byVictim, laterRound, err := h.proposers(ctx, addr, h0+1, h1)
		if err != nil {
			return "", err
		}
		if byVictim > 0 {
			return "", fmt.Errorf("%d of blocks %d..%d were proposed by %s while it proposed only %s blocks: the honest validators accepted them", byVictim, h0+1, h1, victim, kind)
		}
		ev = append(ev, fmt.Sprintf("%s: it proposed %d invalid block(s) over heights %d..%d, none committed (0 blocks by %s; %d committed in a later round)",
			kind, proposed, h0+1, h1, short(addr), laterRound))
	}
	delete(h.env, victim)
	if err := h.l.StopNode(victim); err != nil {
		return "", err
	}
	if _, _, err := h.restart(ctx, victim); err != nil {
		return "", err
	}
	h0 := h.r.Height()
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	err = h.r.WaitHeight(wctx, h0+8)
	cancel()
	if err != nil {
		return "", err
	}
	byVictim, _, err := h.proposers(ctx, addr, h0+1, h.r.Height())
	if err != nil {
		return "", err
	}
	if byVictim == 0 {
		return "", fmt.Errorf("restarted honest, %s proposed none of blocks %d..%d", victim, h0+1, h.r.Height())
	}
	return fmt.Sprintf("%s restarted with %s: %s; restarted honest it proposed %d of blocks %d..%d",
		victim, node.EnvProposerFault, strings.Join(ev, "; "), byVictim, h0+1, h.r.Height()), nil
}

// proposers counts the blocks lo..hi proposed by addr, and those committed
// in a round above 0 (their proposer's first proposal was not accepted).
func (h *harness) proposers(ctx context.Context, addr string, lo, hi int64) (int, int, error) {
	n := h.tn.Node("bank-1")
	if _, err := waitNode(ctx, n, hi+1, time.Minute); err != nil {
		return 0, 0, err
	}
	rpc := h.r.Client(n).RPC()
	by, later := 0, 0
	for height := lo; height <= hi; height++ {
		c, err := rpc.Commit(ctx, &height)
		if err != nil {
			return 0, 0, err
		}
		if c.Header.ProposerAddress.String() == addr {
			by++
		}
		if c.Commit.Round > 0 {
			later++
		}
	}
	return by, later, nil
}
