package fault

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// floodBound is the least bound on the longest gap between two blocks
// during the flood. The bound is this or three times the longest gap of
// the 20 heights before the flood, whichever is larger: on a shared
// 2-core machine a height takes 0.5–2 s under the load alone, and the
// bound is about the flood, not the machine.
const floodBound = 5 * time.Second

// mempoolFlood: for 20 s, 8 senders push valid-looking txs from one key
// (the regulator's last key: known, correctly signed, a real
// freeze_account message) as fast as broadcast_tx_async takes them, each
// at a sequence far ahead of the key's, so every one costs the node a
// decode and a signature check and is refused at CheckTx. Block
// production must not stall: no gap between two blocks over floodBound,
// and the load's txs keep committing.
func (h *harness) mempoolFlood(ctx context.Context) (string, error) {
	keys, err := h.tn.Keys()
	if err != nil {
		return "", err
	}
	regKeys := keys["regulator-1"]
	if len(regKeys) == 0 {
		return "", fmt.Errorf("no keys for regulator-1")
	}
	key := regKeys[len(regKeys)-1]
	target := h.tn.Node("bank-1")
	rpc := h.r.Client(target).RPC()
	h0, c0 := h.r.Height(), h.committed()
	baseline, _, err := h.longestGap(ctx, max(h0-20, 2), h0)
	if err != nil {
		return "", err
	}
	bound := max(floodBound, 3*baseline)
	var sent, failed atomic.Int64
	fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; fctx.Err() == nil; i++ {
				tx, err := floodTx(h.tn.ChainID, key.Address, key.Key, fmt.Sprintf("flood-%d-%d", w, i))
				if err != nil {
					failed.Add(1)
					return
				}
				if _, err := rpc.BroadcastTxAsync(fctx, tx); err != nil {
					failed.Add(1)
					continue
				}
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	cancel()
	h1, c1 := h.r.Height(), h.committed()
	gap, at, err := h.longestGap(ctx, h0, h1)
	if err != nil {
		return "", err
	}
	if h1 <= h0 || c1 <= c0 {
		return "", fmt.Errorf("during the flood the chain went %d→%d and committed %d of the load's txs", h0, h1, c1-c0)
	}
	if gap > bound {
		return "", fmt.Errorf("the flood stalled block production: %s between blocks %d and %d (bound %s: 3 × the longest gap before, %s, at least %s)",
			gap, at-1, at, bound, baseline.Round(10*time.Millisecond), floodBound)
	}
	return fmt.Sprintf("%d txs from %s (signed, future sequence) sent to %s in 20 s by 8 senders (%d send errors): the chain went %d→%d "+
		"and committed %d of the load's txs; longest gap between blocks %s (before %d), against %s in the 20 heights before (bound %s)",
		sent.Load(), key.Name, target.Name, failed.Load(), h0, h1, c1-c0, gap.Round(10*time.Millisecond), at, baseline.Round(10*time.Millisecond), bound.Round(10*time.Millisecond)), nil
}

// floodTx signs a freeze_account from addr at a sequence no key reaches.
func floodTx(chainID, addr string, key ed25519.PrivateKey, memo string) ([]byte, error) {
	msg := &custodyv1.Msg{Sum: &custodyv1.Msg_FreezeAccount{FreezeAccount: &custodyv1.MsgFreezeAccount{AccountId: "flood", Reason: "flood"}}}
	body := &custodyv1.TxBody{ChainId: chainID, Signer: addr, Sequence: 1 << 40, Memo: memo, Msg: msg}
	bodyBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(body)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(key, auth.SignBytes(bodyBytes))
	return proto.MarshalOptions{Deterministic: true}.Marshal(&custodyv1.TxRaw{BodyBytes: bodyBytes, Signature: sig})
}

// longestGap is the longest time between the headers of two consecutive
// blocks in lo..hi, and the height that ended it.
func (h *harness) longestGap(ctx context.Context, lo, hi int64) (time.Duration, int64, error) {
	rpc := h.r.Client(h.tn.Node("regulator-1")).RPC()
	var gap time.Duration
	var at int64
	var prev time.Time
	for from := lo; from <= hi; from += 20 {
		res, err := rpc.BlockchainInfo(ctx, from, min(from+19, hi))
		if err != nil {
			return 0, 0, err
		}
		// BlockchainInfo lists the highest first.
		for i := len(res.BlockMetas) - 1; i >= 0; i-- {
			m := res.BlockMetas[i]
			if !prev.IsZero() && m.Header.Time.Sub(prev) > gap {
				gap, at = m.Header.Time.Sub(prev), m.Header.Height
			}
			prev = m.Header.Time
		}
	}
	return gap, at, nil
}
