package load

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/testnet"
)

// watch applies every block, in height order: it reads the block (its
// txs) and its results (their codes) and resolves the load's txs by hash;
// the next block's header gives their commit time (stats.block). Polling
// heights, not tx_search, keeps the cost per block, not per tx, and works
// with the null indexer.
//
// Reading a big block and its results can take longer than a block
// interval on a busy 2-core machine, and a watcher that falls behind
// throttles the closed-loop load (a tx's in-flight slot is freed when the
// watcher sees it). So it reads up
// to one height per node ahead, in parallel, each from a different node
// (which also spreads the cost of encoding the results, every tx's events
// as JSON, over the nodes), decodes only the fields it needs, and applies
// the heights in order. A node that fails a read is benched for a couple
// of seconds.
func (r *Runner) watch(ctx context.Context) {
	next := r.Height() + 1
	latest := next - 1
	type fetched struct {
		node *testnet.Node
		b    *rawBlock
		res  *rawResults
		err  error
		t0   time.Time
	}
	inflight := map[int64]chan fetched{}
	// A node that failed a read (down, restarting, state syncing) is left
	// alone for a while, so that its timeouts do not hold the watcher up.
	benched := map[string]time.Time{}
	pick := func(nodes []*testnet.Node, h int64) *testnet.Node {
		now := time.Now()
		for i := range nodes {
			n := nodes[(int(h)+i)%len(nodes)]
			if now.After(benched[n.Name]) {
				return n
			}
		}
		return nodes[int(h)%len(nodes)]
	}
	// polls turns the node asked for the tip: a node that answers but lags
	// (cut off by a partition) must not be the only one asked.
	polls := int64(0)
	for ctx.Err() == nil {
		nodes := r.Nodes()
		if latest < next {
			n := pick(nodes, next+polls)
			polls++
			if h, err := r.latestHeight(ctx, n); err == nil {
				latest = max(latest, h)
			} else {
				benched[n.Name] = time.Now().Add(2 * time.Second)
			}
			if latest < next {
				sleep(ctx, r.cfg.Poll)
				continue
			}
		}
		for h := next; h <= latest && h < next+int64(len(nodes)); h++ {
			if inflight[h] != nil {
				continue
			}
			ch := make(chan fetched, 1)
			inflight[h] = ch
			n := pick(nodes, h)
			go func() {
				t0 := time.Now()
				b, res, err := r.fetch(ctx, n, h)
				ch <- fetched{n, b, res, err, t0}
			}()
		}
		var f fetched
		select {
		case f = <-inflight[next]:
		case <-ctx.Done():
			return
		}
		delete(inflight, next)
		if f.err != nil {
			// The node is down, or lacks the height (a node that state
			// synced past it): read it from another node.
			benched[f.node.Name] = time.Now().Add(2 * time.Second)
			sleep(ctx, r.cfg.Poll)
			continue
		}
		now := time.Now()
		r.apply(next, f.b, f.res, now)
		r.mu.Lock()
		r.stats.fetch(now, now.Sub(f.t0), now.Sub(f.b.Block.Header.Time))
		r.mu.Unlock()
		next++
	}
}

// The JSON-RPC answers, reduced to what the watcher uses (encoding/json
// skips the rest, which is most of block_results: every tx's events).
type (
	rawBlock struct {
		BlockID struct {
			Hash string `json:"hash"`
		} `json:"block_id"`
		Block struct {
			Header struct {
				Time    time.Time `json:"time"`
				AppHash string    `json:"app_hash"`
			} `json:"header"`
			Data struct {
				Txs [][]byte `json:"txs"`
			} `json:"data"`
			LastCommit struct {
				Round int32 `json:"round"`
			} `json:"last_commit"`
		} `json:"block"`
	}
	rawResults struct {
		TxsResults []struct {
			Code      uint32 `json:"code"`
			Codespace string `json:"codespace"`
		} `json:"txs_results"`
	}
	rawStatus struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
)

// rpcError is a JSON-RPC error answer.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *rpcError) Error() string {
	return fmt.Sprintf("rpc error %d: %s: %s", e.Code, e.Message, e.Data)
}

func (r *Runner) get(ctx context.Context, n *testnet.Node, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.RPCURL()+path, nil)
	if err != nil {
		return err
	}
	res, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 512<<20)).Decode(&env); err != nil {
		return fmt.Errorf("load: %s%s: %w", n.Name, path, err)
	}
	if env.Error != nil {
		return env.Error
	}
	return json.Unmarshal(env.Result, out)
}

func (r *Runner) latestHeight(ctx context.Context, n *testnet.Node) (int64, error) {
	var st rawStatus
	if err := r.get(ctx, n, "/status", &st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
}

func (r *Runner) fetch(ctx context.Context, n *testnet.Node, h int64) (*rawBlock, *rawResults, error) {
	q := "?height=" + strconv.FormatInt(h, 10)
	var b rawBlock
	if err := r.get(ctx, n, "/block"+q, &b); err != nil {
		return nil, nil, err
	}
	r.included(b.Block.Data.Txs)
	// The block is stored before it is executed; its results come after
	// FinalizeBlock. Wait for them on the same node.
	for ctx.Err() == nil {
		var res rawResults
		err := r.get(ctx, n, "/block_results"+q, &res)
		if err == nil {
			if len(res.TxsResults) != len(b.Block.Data.Txs) {
				return nil, nil, fmt.Errorf("load: %s: height %d has %d txs and %d results", n.Name, h, len(b.Block.Data.Txs), len(res.TxsResults))
			}
			return &b, &res, nil
		}
		var re *rpcError
		if !errors.As(err, &re) || !strings.Contains(re.Data, "results") {
			return nil, nil, err
		}
		sleep(ctx, r.cfg.Poll)
	}
	return nil, nil, ctx.Err()
}

// included frees the in-flight slots of the load's txs in a block as soon
// as the block is read: "in flight" is "not yet in a block", and the block
// results (which say how each tx fared, and which take longer to encode and
// read) must not hold the closed loop back.
func (r *Runner) included(txs [][]byte) {
	var in []*Action
	r.mu.Lock()
	for _, tx := range txs {
		if a, ok := r.pending[sha256.Sum256(tx)]; ok {
			in = append(in, a)
		}
	}
	r.mu.Unlock()
	for _, a := range in {
		r.releaseSlot(a)
	}
}

func (r *Runner) apply(h int64, b *rawBlock, res *rawResults, seen time.Time) {
	r.procMu.Lock()
	defer r.procMu.Unlock()
	type resolution struct {
		a *Action
		o Outcome
	}
	var resolved, lates []resolution
	var releases []*Action
	r.mu.Lock()
	for i, tx := range b.Block.Data.Txs {
		hash := sha256.Sum256(tx)
		o := Outcome{Status: StatusCommitted, Height: h}
		if c := res.TxsResults[i]; c.Code != 0 {
			o = Outcome{Status: StatusFailed, Code: codeLabel(c.Codespace, c.Code), Height: h}
		}
		if a, ok := r.pending[hash]; ok {
			if o.Status == StatusFailed && o.Code == badSequence {
				// Not final: the same bytes may be proposed again (doc.go,
				// "Failed is not final") and commit once the sequence fits.
				if a.failure == nil {
					a.failure = &o
					if !a.setup {
						r.stats.badSeqInBlock++
					}
				}
				releases = append(releases, a)
				continue
			}
			if a.failure != nil && o.Status == StatusCommitted && !a.setup {
				r.stats.reincluded = append(r.stats.reincluded, fmt.Sprintf("%s %s seq %d %X: failed in block %d (bad sequence), committed in block %d",
					a.Kind, a.Signer.Name, a.seq, a.hash[:4], a.failure.Height, h))
			}
			resolved = append(resolved, resolution{a, o})
			continue
		}
		if a, ok := r.lost[hash]; ok {
			delete(r.lost, hash)
			if !a.setup {
				r.stats.lateCommits = append(r.stats.lateCommits, fmt.Sprintf("%s %s seq %d: declared lost, then in block %d (%s)",
					a.Kind, a.Signer.Name, a.seq, h, o.Status))
			}
			lates = append(lates, resolution{a, o})
			continue
		}
		r.stats.foreign++
		if len(r.stats.foreignDetail) < 20 {
			r.stats.foreignDetail = append(r.stats.foreignDetail, fmt.Sprintf("height %d: %X %s (%s)", h, hash[:4], r.describe(tx), o.Status))
		}
	}
	r.blocks = append(r.blocks, BlockRecord{
		Height: h, Seen: seen, BlockID: b.BlockID.Hash, AppHash: b.Block.Header.AppHash, Txs: len(b.Block.Data.Txs),
	})
	// LastCommit.Round is the round at which the previous height committed.
	r.stats.block(h, b.Block.Header.Time, len(b.Block.Data.Txs), b.Block.LastCommit.Round > 0)
	r.mu.Unlock()
	for _, a := range releases {
		r.releaseSlot(a)
	}
	for _, x := range resolved {
		r.resolve(x.a, x.o, seen)
	}
	for _, x := range lates {
		if x.a.Done != nil {
			x.a.Done(x.a, x.o)
		}
	}
	r.mu.Lock()
	r.height = h
	r.mu.Unlock()
}

// describe names a tx for people: its signer, sequence and message, and
// what the runner recorded for that signer and sequence. Guarded by r.mu.
func (r *Runner) describe(tx []byte) string {
	_, body, err := client.DecodeTx(tx)
	if err != nil || body.Msg == nil {
		return fmt.Sprintf("%.24q…", tx)
	}
	name := body.Signer
	if s, ok := r.byAddr[body.Signer]; ok {
		name = s.Name
	}
	rec := r.stats.settled[fmt.Sprintf("%s/%d", name, body.Sequence)]
	return fmt.Sprintf("%s seq %d %T; the runner recorded: %s", name, body.Sequence, body.Msg.Sum, rec)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
