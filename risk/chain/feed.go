package chain

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
)

// Feed turns committed blocks into the risk core's ledger events, in block
// order; it implements risk.LedgerFeed. It polls the node for new heights
// and reads each block's results:
//
//   - withdrawal_requested (transfers): a LedgerWithdrawal of the fund
//     account. A client's money is requested out before the bank pays it,
//     so an alert can still lead to a freeze that stops the payout. With a
//     verifier, the withdrawal is checked against its Transfer record read
//     with a proof (events are not covered by the app hash; state is).
//   - fill_reported (trading): a LedgerFill under the shareholder account of
//     the fund account for the security's market (from onboarding), so that
//     wire-vs-ledger matches it with the fill seen on the link.
//   - account_activated: the new account's shareholder accounts are learnt
//     for later fills.
//
// Events get the id "HEIGHT/TX/EVENT" and the block's time.
type Feed struct {
	ch   *Chain
	poll time.Duration
	logf func(string, ...any)

	mu      sync.Mutex
	holders map[string][]string // fund account → shareholder accounts
}

// NewFeed returns a feed over ch; base (may be nil) seeds the account
// mapping; poll is the wait between polls when caught up.
func NewFeed(ch *Chain, base *BaseData, poll time.Duration, logf func(string, ...any)) *Feed {
	f := &Feed{ch: ch, poll: poll, logf: logf, holders: map[string][]string{}}
	if base != nil {
		f.holders = base.Shareholders()
	}
	if f.logf == nil {
		f.logf = func(string, ...any) {}
	}
	if f.poll <= 0 {
		f.poll = time.Second
	}
	return f
}

// Learn adds base data loaded since the feed started (on-demand
// onboarding) to the account mapping.
func (f *Feed) Learn(b *BaseData) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, hs := range b.Shareholders() {
		f.holders[id] = hs
	}
}

// Run implements risk.LedgerFeed.
func (f *Feed) Run(ctx context.Context, fromHeight int64, emit func(risk.LedgerEvent) error) error {
	return f.RunBlocks(ctx, fromHeight, emit, nil)
}

// RunBlocks is Run with done called after the last event of each block
// (also for blocks without events), so that the caller can record the
// height it has fully taken and resume after it. It returns nil when ctx
// ends.
func (f *Feed) RunBlocks(ctx context.Context, fromHeight int64, emit func(risk.LedgerEvent) error, done func(height int64) error) error {
	rpc := f.ch.c.RPC()
	next := fromHeight + 1
	for {
		st, err := rpc.Status(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			f.logf("chain: feed: status: %v", err)
		}
		for err == nil && next <= st.SyncInfo.LatestBlockHeight {
			if err = f.block(ctx, next, emit); err != nil {
				break
			}
			if done != nil {
				if err = done(next); err != nil {
					return err
				}
			}
			next++
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			f.logf("chain: feed: height %d: %v (retrying)", next, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(f.poll):
		}
	}
}

// block emits the ledger events of one block.
func (f *Feed) block(ctx context.Context, h int64, emit func(risk.LedgerEvent) error) error {
	rpc := f.ch.c.RPC()
	res, err := rpc.BlockResults(ctx, &h)
	if err != nil {
		return fmt.Errorf("block results: %w", err)
	}
	var blockTime time.Time
	for i, tx := range res.TxsResults {
		if tx.Code != 0 {
			continue
		}
		for j, ev := range tx.Events {
			switch ev.Type {
			case "withdrawal_requested", "fill_reported", "account_activated":
			default:
				continue
			}
			if blockTime.IsZero() {
				hdr, err := rpc.Header(ctx, &h)
				if err != nil {
					return fmt.Errorf("header: %w", err)
				}
				blockTime = hdr.Header.Time
			}
			id := fmt.Sprintf("%d/%d/%d", h, i, j)
			le, ok, err := f.convert(ctx, ev, id, blockTime)
			if err != nil {
				return fmt.Errorf("event %s: %w", id, err)
			}
			if ok {
				if err := emit(le); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func attrs(ev abcitypes.Event) map[string]string {
	m := make(map[string]string, len(ev.Attributes))
	for _, a := range ev.Attributes {
		m[a.Key] = a.Value
	}
	return m
}

func (f *Feed) convert(ctx context.Context, ev abcitypes.Event, id string, t time.Time) (risk.LedgerEvent, bool, error) {
	m := attrs(ev)
	switch ev.Type {
	case "account_activated":
		a, _, err := f.ch.account(ctx, m["account_id"])
		if err != nil {
			return risk.LedgerEvent{}, false, err
		}
		f.mu.Lock()
		f.holders[a.Id] = a.ShareholderAccounts
		f.mu.Unlock()
		return risk.LedgerEvent{}, false, nil
	case "withdrawal_requested":
		amount, err := strconv.ParseInt(m["amount"], 10, 64)
		if err != nil {
			return risk.LedgerEvent{}, false, fmt.Errorf("amount %q", m["amount"])
		}
		if err := f.checkWithdrawal(ctx, m["ref_id"], m["account_id"], amount); err != nil {
			return risk.LedgerEvent{}, false, err
		}
		return risk.LedgerEvent{ID: id, Kind: risk.LedgerWithdrawal, Time: t, Account: m["account_id"], AmountFen: amount}, true, nil
	case "fill_reported":
		price, err1 := strconv.ParseInt(m["price"], 10, 64)
		qty, err2 := strconv.ParseInt(m["quantity"], 10, 64)
		if err1 != nil || err2 != nil {
			return risk.LedgerEvent{}, false, fmt.Errorf("fill price %q quantity %q", m["price"], m["quantity"])
		}
		side := capture.SideBuy
		if strings.Contains(m["side"], "SELL") {
			side = capture.SideSell
		}
		sec := wireCode(m["security"])
		return risk.LedgerEvent{ID: id, Kind: risk.LedgerFill, Time: t, Account: f.holderFor(m["account_id"], sec),
			Security: sec, Side: side, Price: price, Qty: qty, ExecID: m["exec_id"]}, true, nil
	}
	return risk.LedgerEvent{}, false, nil
}

// checkWithdrawal checks a withdrawal event against its Transfer read with
// a proof (when the chain has a verifier).
func (f *Feed) checkWithdrawal(ctx context.Context, ref, account string, amount int64) error {
	if f.ch.v == nil {
		return nil
	}
	bank, tid, ok := strings.Cut(ref, "/")
	if !ok {
		return fmt.Errorf("withdrawal ref %q", ref)
	}
	f.ch.vmu.Lock()
	t, _, err := f.ch.c.ProvenTransfer(ctx, f.ch.v, bank, tid)
	f.ch.vmu.Unlock()
	if err != nil {
		return fmt.Errorf("withdrawal %s: %w", ref, err)
	}
	if t.AccountId != account || t.Amount != amount {
		return fmt.Errorf("%w: withdrawal event %s says %s %d, the proven transfer %s %d", ErrProofMismatch, ref, account, amount, t.AccountId, t.Amount)
	}
	return nil
}

// wireCode is the chain's security code ("600000.SH") as the exchange
// links and market feeds name it ("600000"), the risk core's key.
func wireCode(security string) string {
	code, _, _ := strings.Cut(security, ".")
	return code
}

// holderFor picks the shareholder account of fund account acct on the
// market of security: SSE codes start with 5, 6 or 9 and its shareholder
// accounts with a letter; SZSE codes with 0-3 and its accounts are digits.
// Without a match the fund account itself is used.
func (f *Feed) holderFor(acct, security string) string {
	f.mu.Lock()
	hs := f.holders[acct]
	f.mu.Unlock()
	sse := security != "" && strings.ContainsRune("569", rune(security[0]))
	for _, h := range hs {
		if h == "" {
			continue
		}
		letter := h[0] >= 'A' && h[0] <= 'Z'
		if letter == sse {
			return h
		}
	}
	return acct
}
