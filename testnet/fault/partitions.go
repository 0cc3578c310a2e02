package fault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custody-ledger/custody/testnet"
)

// partitionOne: one validator cut from its three peers (the load still
// reaches it). The other three hold 3/4 of the power, more than 2/3, and
// keep committing; the isolated one stays at its height; healed, it
// catches up to the same app hash.
func (h *harness) partitionOne(ctx context.Context) (string, error) {
	const victim = "regulator-1"
	others := h.others(victim)
	h0, c0 := h.r.Height(), h.committed()
	if _, err := h.net.split(ctx, "add", []string{victim}, others); err != nil {
		return "", err
	}
	healed := false
	heal := func() error {
		if healed {
			return nil
		}
		healed = true
		_, err := h.net.split(context.WithoutCancel(ctx), "del", []string{victim}, others)
		return err
	}
	defer func() { _ = heal() }()
	t0 := time.Now()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	err := h.r.WaitHeight(wctx, h0+5)
	cancel()
	if err != nil {
		return "", fmt.Errorf("with %s cut off the other three stopped: %w", victim, err)
	}
	sleep(ctx, 10*time.Second-time.Since(t0)) // at least 10 s apart
	vh, err := h.height(ctx, h.tn.Node(victim))
	if err != nil {
		return "", err
	}
	h1, c1 := h.r.Height(), h.committed()
	if vh > h0+1 {
		return "", fmt.Errorf("%s, cut off from every peer, went on from %d to %d", victim, h0, vh)
	}
	if c1 <= c0 {
		return "", fmt.Errorf("heights %d..%d committed none of the load's txs with %s cut off", h0, h1, victim)
	}
	cutFor := time.Since(t0)
	if err := heal(); err != nil {
		return "", err
	}
	t1 := time.Now()
	got, err := waitNode(ctx, h.tn.Node(victim), h.r.Height(), 2*time.Minute)
	if err != nil {
		return "", fmt.Errorf("healed, %s did not catch up: %w", victim, err)
	}
	at := min(got, h.r.Height())
	hash, ok, err := h.agreeAt(ctx, h.tn.Node(victim), at)
	if err != nil || !ok {
		return "", errors.Join(err, fmt.Errorf("%s disagrees at height %d: app hash %s", victim, at, hash))
	}
	return fmt.Sprintf("%s cut from %s (blackhole routes both ways, 3 links) for %s at height %d: it stayed at %d while the other three went %d→%d "+
		"and committed %d of the load's txs; healed, it reached height %d in %s with app hash %s, as the others",
		victim, strings.Join(others, ", "), cutFor.Round(100*time.Millisecond), h0, vh, h0, h1, c1-c0,
		got, time.Since(t1).Round(100*time.Millisecond), short(hash)), nil
}

// partitionSplit: a 2–2 split. Neither half holds more than 2/3 of the
// power, so the chain must stop: no node may commit a block while split
// (a block there would be a fork, or a safety bug). Healed, it resumes
// and every node has one history.
func (h *harness) partitionSplit(ctx context.Context) (string, error) {
	one, other := []string{"bank-1", "broker-1"}, []string{"regulator-1", "clearing-house-1"}
	h0 := h.r.Height()
	cuts, err := h.net.split(ctx, "add", one, other)
	if err != nil {
		return "", err
	}
	healed := false
	heal := func() error {
		if healed {
			return nil
		}
		healed = true
		_, err := h.net.split(context.WithoutCancel(ctx), "del", one, other)
		return err
	}
	defer func() { _ = heal() }()
	// A height whose precommits were on the wire when the links went may
	// still commit on some nodes; after a few seconds nothing may.
	sleep(ctx, 3*time.Second)
	before, err := h.heights(ctx)
	if err != nil {
		return "", err
	}
	sleep(ctx, 15*time.Second)
	after, err := h.heights(ctx)
	if err != nil {
		return "", err
	}
	var stopped []string
	var top int64
	for _, n := range h.tn.Validators() {
		if after[n.Name] != before[n.Name] {
			return "", fmt.Errorf("split %s | %s: %s committed heights %d→%d without a 2/3 majority",
				strings.Join(one, ","), strings.Join(other, ","), n.Name, before[n.Name], after[n.Name])
		}
		stopped = append(stopped, fmt.Sprintf("%s@%d", n.Name, after[n.Name]))
		top = max(top, after[n.Name])
	}
	// Nodes at the same height have the same last block: nothing forked.
	if err := h.sameBlocks(ctx, h0, top); err != nil {
		return "", err
	}
	c0 := h.committed()
	if err := heal(); err != nil {
		return "", err
	}
	t1 := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = h.r.WaitHeight(wctx, top+3)
	cancel()
	if err != nil {
		return "", fmt.Errorf("healed, the chain did not resume past %d: %w", top, err)
	}
	resumed := time.Since(t1)
	for _, n := range h.tn.Validators() {
		if _, err := waitNode(ctx, n, top+3, time.Minute); err != nil {
			return "", err
		}
	}
	if err := h.sameBlocks(ctx, h0, top+3); err != nil {
		return "", err
	}
	return fmt.Sprintf("split %s | %s (%d links cut) at height %d: for 15 s no node committed (%s), nodes at one height had one block; "+
		"healed, the chain reached height %d in %s and committed %d more of the load's txs; every validator has the same blocks %d..%d",
		strings.Join(one, ","), strings.Join(other, ","), cuts, h0, strings.Join(stopped, " "), top+3,
		resumed.Round(100*time.Millisecond), h.committed()-c0, h0, top+3), nil
}

// flappingLink: one validator's link goes down and up every 1.5 s for 20 s
// (its veth, so the load loses it too): the chain goes on with the other
// three; then the node catches up.
func (h *harness) flappingLink(ctx context.Context) (string, error) {
	const victim = "bank-1"
	h0, c0 := h.r.Height(), h.committed()
	t0 := time.Now()
	downs, err := h.net.flap(ctx, victim, 1500*time.Millisecond, 20*time.Second)
	if err != nil {
		return "", err
	}
	h1, c1 := h.r.Height(), h.committed()
	if h1 < h0+3 || c1 <= c0 {
		return "", fmt.Errorf("while %s's link flapped the chain went only %d→%d (+%d txs)", victim, h0, h1, c1-c0)
	}
	flapped := time.Since(t0)
	t1 := time.Now()
	got, err := waitNode(ctx, h.tn.Node(victim), h.r.Height(), 2*time.Minute)
	if err != nil {
		return "", fmt.Errorf("with its link steady, %s did not catch up: %w", victim, err)
	}
	at := min(got, h.r.Height())
	hash, ok, err := h.agreeAt(ctx, h.tn.Node(victim), at)
	if err != nil || !ok {
		return "", errors.Join(err, fmt.Errorf("%s disagrees at height %d: app hash %s", victim, at, hash))
	}
	return fmt.Sprintf("%s's veth went down %d times (1.5 s down, 1.5 s up) over %s: the chain went %d→%d and committed %d of the load's txs; "+
		"with the link steady it reached height %d in %s with app hash %s, as the others",
		victim, downs, flapped.Round(100*time.Millisecond), h0, h1, c1-c0, got, time.Since(t1).Round(100*time.Millisecond), short(hash)), nil
}

// others are the validators but name.
func (h *harness) others(name string) []string {
	var out []string
	for _, n := range h.tn.Validators() {
		if n.Name != name {
			out = append(out, n.Name)
		}
	}
	return out
}

// height is n's latest block height.
func (h *harness) height(ctx context.Context, n *testnet.Node) (int64, error) {
	st, err := h.r.Client(n).RPC().Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", n.Name, err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// heights is every validator's latest height.
func (h *harness) heights(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, n := range h.tn.Validators() {
		v, err := h.height(ctx, n)
		if err != nil {
			return nil, err
		}
		out[n.Name] = v
	}
	return out, nil
}

// sameBlocks checks that every validator holding a height in lo..hi has
// the same block id there as every other one holding it.
func (h *harness) sameBlocks(ctx context.Context, lo, hi int64) error {
	seen := map[int64]string{}
	who := map[int64]string{}
	for _, n := range h.tn.Validators() {
		rpc := h.r.Client(n).RPC()
		for from := lo; from <= hi; from += 20 {
			res, err := rpc.BlockchainInfo(ctx, from, min(from+19, hi))
			if err != nil {
				// A node below from holds none of these heights.
				if strings.Contains(err.Error(), "must be less than or equal") {
					break
				}
				return fmt.Errorf("blocks %d.. of %s: %w", from, n.Name, err)
			}
			for _, m := range res.BlockMetas {
				id := m.BlockID.Hash.String()
				if prev, ok := seen[m.Header.Height]; ok && prev != id {
					return fmt.Errorf("fork at height %d: %s has block %s, %s has %s", m.Header.Height, who[m.Header.Height], prev, n.Name, id)
				}
				seen[m.Header.Height], who[m.Header.Height] = id, n.Name
			}
		}
	}
	return nil
}
