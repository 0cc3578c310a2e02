package fault

import (
	"context"
	"fmt"
	"time"

	"github.com/custody-ledger/custody/node"
)

// slowDisk: one validator restarted with every synced write to CometBFT's
// stores delayed by 300 ms (node.EnvSyncDelay), as on a disk whose fsync
// is that slow. The block and state stores are synced once or more per
// height, so that validator finishes each height late; the other three
// hold more than 2/3 of the power and do not wait for it. The chain must
// go on at about its pace, and the slow validator must stay on the same
// history (checked after, as always) and catch up once its disk is fast.
func (h *harness) slowDisk(ctx context.Context) (string, error) {
	const victim, delay = "broker-1", 300 * time.Millisecond
	pace := func(heights int64) (int64, int64, time.Duration, error) {
		h0, t0 := h.r.Height(), time.Now()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := h.r.WaitHeight(wctx, h0+heights); err != nil {
			return 0, 0, 0, err
		}
		h1 := h.r.Height()
		return h0, h1, time.Since(t0) / time.Duration(h1-h0), nil
	}
	// 10 heights at the normal pace, then 15 with the slow disk.
	_, _, before, err := pace(10)
	if err != nil {
		return "", err
	}
	if err := h.l.StopNode(victim); err != nil {
		return "", err
	}
	h.env[victim] = []string{node.EnvSyncDelay + "=" + delay.String()}
	defer delete(h.env, victim)
	if _, _, err := h.restart(ctx, victim); err != nil {
		return "", err
	}
	c0 := h.committed()
	h0, h1, during, err := pace(15)
	if err != nil {
		return "", fmt.Errorf("with %s's fsync slowed by %s the chain stopped: %w", victim, delay, err)
	}
	vh, err := h.height(ctx, h.tn.Node(victim))
	if err != nil {
		return "", err
	}
	c1 := h.committed()
	delete(h.env, victim)
	if err := h.l.StopNode(victim); err != nil {
		return "", err
	}
	took, got, err := h.restart(ctx, victim)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s's synced writes to CometBFT's stores delayed %s (%s): over heights %d..%d the chain took %s a height (%s before) "+
		"and committed %d of the load's txs; %s was at height %d when the others were at %d; with its disk fast again it reached %d in %s",
		victim, delay, node.EnvSyncDelay, h0, h1, during.Round(10*time.Millisecond), before.Round(10*time.Millisecond),
		c1-c0, victim, vh, h1, got, took.Round(100*time.Millisecond)), nil
}
