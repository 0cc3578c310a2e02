package testnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// e2eSeed fixes the workload: accounts, amounts, which txs are invalid.
// Change it to explore; a failure report names it.
const e2eSeed = 20240601

// e2eSize is the workload's size; -short trims it.
type e2eSize struct {
	accounts, deposits, withdrawalsPerAccount, kills int
}

// harness is the running network and the test's model of what the chain
// must hold: expected funds per account, every tx sent and its expected
// outcome.
type harness struct {
	t     *testing.T
	tn    *Testnet
	l     *Launcher
	rng   *rand.Rand
	cls   map[string]*client.Client // by node name
	rpcs  map[string]*rpchttp.HTTP  // by node name
	keys  map[string][]ParticipantKey
	clKey map[string]ed25519.PrivateKey // client key by account id

	mu       sync.Mutex
	sent     []sentTx
	balance  map[string]int64 // model: account id -> balance
	frozen   map[string]int64 // model: account id -> frozen by withdrawals
	regFroze map[string]bool  // model: regulator-frozen accounts
	refused  map[string]int   // refusal kind -> count, for the log
}

// sentTx is a tx the test sent and the outcome it must have: want nil means
// committed with code 0; otherwise refused (at CheckTx or in its block)
// with exactly that registered error.
type sentTx struct {
	desc string
	hash []byte
	want error
}

func TestE2E_FourNodes(t *testing.T) {
	size := e2eSize{accounts: 80, deposits: 1600, withdrawalsPerAccount: 3, kills: 4}
	if testing.Short() {
		size = e2eSize{accounts: 16, deposits: 200, withdrawalsPerAccount: 2, kills: 1}
	}
	start := time.Now()
	t.Logf("seed %d, size %+v", e2eSeed, size)
	m := DefaultManifest()
	m.TimeoutCommit = Duration{300 * time.Millisecond}
	m.KeysPerParticipant = 4 // four bank and broker keys sign in parallel
	tn, l, _ := startNetwork(t, m)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	h := newHarness(t, ctx, tn, l)

	h.openAccounts(ctx, size.accounts)
	h.deposits(ctx, size.deposits)
	h.freezes(ctx)
	h.withdrawals(ctx, size.withdrawalsPerAccount)
	t.Logf("workload: %d txs sent (%v refused as intended) in %s", len(h.sent), h.refused, time.Since(start).Round(time.Second))
	h.checkOutcomes(ctx)
	h.checkModel(ctx)
	h.checkInvariants(ctx)

	t.Run("restart catches up", func(t *testing.T) { h.restartCatchesUp(ctx, t, "regulator-1") })
	t.Run("any one validator down, the chain commits", func(t *testing.T) {
		for _, v := range tn.Validators()[:size.kills] {
			h.killedValidatorChainCommits(ctx, t, v.Name)
		}
	})
	t.Run("state sync join serves the same proofs", func(t *testing.T) { h.stateSyncJoin(ctx, t) })
	t.Run("same app hash at every height", func(t *testing.T) { h.sameBlocksEverywhere(ctx, t) })
	h.checkModel(ctx)
	h.checkInvariants(ctx)
	t.Logf("e2e done in %s", time.Since(start).Round(time.Second))
}

func newHarness(t *testing.T, ctx context.Context, tn *Testnet, l *Launcher) *harness {
	h := &harness{
		t: t, tn: tn, l: l, rng: rand.New(rand.NewSource(e2eSeed)),
		cls: map[string]*client.Client{}, rpcs: map[string]*rpchttp.HTTP{},
		clKey: map[string]ed25519.PrivateKey{}, balance: map[string]int64{}, frozen: map[string]int64{},
		regFroze: map[string]bool{}, refused: map[string]int{},
	}
	var err error
	h.keys, err = tn.Keys()
	require.NoError(t, err)
	for _, n := range tn.Nodes {
		h.addClient(ctx, n)
	}
	return h
}

// addClient dials n afresh. A node restarted in this process needs it: the
// stopped node's RPC server closed its listener but still answers on
// connections kept alive from before, with its stores closed.
func (h *harness) addClient(ctx context.Context, n *Node) {
	c, err := client.Dial(ctx, n.RPCURL(), h.tn.ChainID, client.Options{})
	require.NoError(h.t, err)
	r, err := NewRPC(n)
	require.NoError(h.t, err)
	h.cls[n.Name], h.rpcs[n.Name] = c, r
}

// clientFor spreads signers over the genesis nodes; one signer always
// uses the same node, whose client counts its sequence.
func (h *harness) clientFor(i int) *client.Client {
	n := h.tn.Nodes[i%4]
	return h.cls[n.Name]
}

func accountID(i int) string { return fmt.Sprintf("ACC-%04d", i) }

// submit sends msg signed by key through c and records what must become of
// it. A refusal at CheckTx is checked here; the rest after the blocks.
// opening is the client of account id (its key in h.clKey) signing its
// opening request r for broker on this chain.
func (h *harness) opening(id, broker string, r *custodyv1.OpeningRequest) *custodyv1.MsgOpenAccount {
	h.t.Helper()
	r.ChainId, r.AccountId, r.BrokerId = h.tn.ChainID, id, broker
	m, err := client.OpenAccountMsg(h.clKey[id], r)
	if err != nil { // called from worker goroutines: no Fatal
		h.t.Errorf("opening %s: %v", id, err)
	}
	return m
}

func (h *harness) submit(ctx context.Context, c *client.Client, key ed25519.PrivateKey, msg proto.Message, desc string, want error) {
	res, err := c.Submit(ctx, key, msg, client.SubmitOptions{})
	h.record(desc, res, err, want)
}

func (h *harness) record(desc string, res *client.Result, err error, want error) {
	h.t.Helper()
	var txErr *client.TxError
	switch {
	case err == nil:
		h.mu.Lock()
		h.sent = append(h.sent, sentTx{desc: desc, hash: res.Hash, want: want})
		h.mu.Unlock()
	case errors.As(err, &txErr) && want != nil:
		if !errors.Is(err, want) {
			h.t.Errorf("%s: refused with %v, want %v", desc, err, want)
		}
		h.mu.Lock()
		h.sent = append(h.sent, sentTx{desc: desc, hash: txErr.Hash, want: want})
		h.refused[want.Error()]++
		h.mu.Unlock()
	default:
		h.t.Errorf("%s: %v (want %v)", desc, err, want)
	}
}

// parallel runs fn(k) for each of the n signer keys k in its own goroutine.
func parallel(n int, fn func(k int)) {
	var wg sync.WaitGroup
	for k := 0; k < n; k++ {
		wg.Add(1)
		go func() { defer wg.Done(); fn(k) }()
	}
	wg.Wait()
}

func (h *harness) openAccounts(ctx context.Context, n int) {
	brokers, banks := h.keys["broker-1"], h.keys["bank-1"]
	for i := 0; i < n; i++ {
		seed := sha256.Sum256([]byte(fmt.Sprintf("client %d %d", e2eSeed, i)))
		h.clKey[accountID(i)] = ed25519.NewKeyFromSeed(seed[:])
	}
	idHash := func(i int, what string) []byte {
		s := sha256.Sum256([]byte(fmt.Sprintf("salt|%s|%d", what, i)))
		return s[:]
	}
	parallel(len(brokers), func(k int) {
		for i := k; i < n; i += len(brokers) {
			id := accountID(i)
			h.submit(ctx, h.clientFor(k), brokers[k].Key, h.opening(id, brokers[k].Participant, &custodyv1.OpeningRequest{
				IdentityHash: idHash(i, "id"), BankCardHash: idHash(i, "card"), BankId: "bank-1",
			}), "open "+id, nil)
		}
	})
	h.drain(ctx)
	// Invalid: the bank may not open accounts (wrong role).
	xKey := ed25519.NewKeyFromSeed(make([]byte, 32)) // not in h.clKey: the workload counts accounts by it
	xOpen, err := client.OpenAccountMsg(xKey, &custodyv1.OpeningRequest{ChainId: h.tn.ChainID, AccountId: "ACC-X", BrokerId: banks[0].Participant,
		IdentityHash: idHash(-1, "id"), BankCardHash: idHash(-1, "card"), BankId: "bank-1"})
	if err != nil {
		h.t.Fatal(err)
	}
	h.submit(ctx, h.clientFor(0), banks[0].Key, xOpen, "bank opens an account", contracts.ErrUnauthorizedRole)
	parallel(len(banks), func(k int) {
		for i := k; i < n; i += len(banks) {
			h.submit(ctx, h.clientFor(k), banks[k].Key, client.ConfirmAccountMsg(accountID(i), h.clKey[accountID(i)].Public().(ed25519.PublicKey)), "confirm "+accountID(i), nil)
		}
	})
	h.drain(ctx)
}

func (h *harness) deposits(ctx context.Context, n int) {
	banks := h.keys["bank-1"]
	nAcc := len(h.clKey)
	type dep struct {
		id, acct string
		amt      int64
	}
	deps := make([]dep, n)
	for i := range deps {
		deps[i] = dep{fmt.Sprintf("B2B-%06d", i), accountID(h.rng.Intn(nAcc)), 100 + h.rng.Int63n(1_000_000)}
	}
	var invalid sync.WaitGroup
	invalid.Add(1)
	go func() { defer invalid.Done(); h.envelopeRefusals(ctx) }()
	parallel(len(banks), func(k int) {
		for i := k; i < n; i += len(banks) {
			d := deps[i]
			h.submit(ctx, h.clientFor(k), banks[k].Key, &custodyv1.MsgBankToBroker{TransferId: d.id, AccountId: d.acct, Amount: d.amt}, "deposit "+d.id, nil)
			h.mu.Lock()
			h.balance[d.acct] += d.amt
			h.mu.Unlock()
		}
	})
	invalid.Wait()
	h.drain(ctx)
	// Invalid: a committed transfer id again, even for another account and
	// amount, is a duplicate and credits nothing.
	for i := 0; i < 20 && i < n; i++ {
		d := deps[h.rng.Intn(n)]
		h.submit(ctx, h.clientFor(0), banks[0].Key, &custodyv1.MsgBankToBroker{TransferId: d.id, AccountId: accountID(h.rng.Intn(nAcc)), Amount: 5},
			"duplicate "+d.id, transfers.ErrDuplicateTransfer)
	}
	h.drain(ctx)
}

// envelopeRefusals sends txs the envelope checks refuse: bad signatures,
// replayed sequences, wrong roles and malformed bytes.
func (h *harness) envelopeRefusals(ctx context.Context) {
	bank, broker := h.keys["bank-1"][0], h.keys["broker-1"][0]
	c := h.clientFor(0)
	for i := 0; i < 25; i++ {
		acct := accountID(h.rng.Intn(len(h.clKey)))
		deposit := &custodyv1.MsgBankToBroker{TransferId: fmt.Sprintf("BAD-%d", i), AccountId: acct, Amount: 1_000_000}

		// A bank deposit with its signature bit-flipped.
		info, err := c.Signer(ctx, bank.Address)
		require.NoError(h.t, err)
		tx, err := client.Sign(bank.Key, h.tn.ChainID, info.NextSequence, "", deposit)
		require.NoError(h.t, err)
		var raw custodyv1.TxRaw
		require.NoError(h.t, proto.Unmarshal(tx, &raw))
		raw.Signature[i%64] ^= 0x01
		bad, err := proto.MarshalOptions{Deterministic: true}.Marshal(&raw)
		require.NoError(h.t, err)
		res, err := c.BroadcastSync(ctx, bad)
		h.record("bad signature", res, err, contracts.ErrBadSignature)

		// A deposit at a sequence already used: a replay.
		tx, err = client.Sign(bank.Key, h.tn.ChainID, 0, fmt.Sprintf("replay %d", i), deposit)
		require.NoError(h.t, err)
		res, err = c.BroadcastSync(ctx, tx)
		h.record("replayed sequence", res, err, contracts.ErrBadSequence)

		// Wrong roles: the broker credits money; a client freezes itself.
		h.submit(ctx, h.clientFor(1), broker.Key, deposit, "broker deposits", contracts.ErrUnauthorizedRole)
		h.submit(ctx, h.clientFor(2), h.clKey[acct], &custodyv1.MsgFreezeAccount{AccountId: acct, Reason: "x"}, "client freezes", contracts.ErrUnauthorizedRole)

		// Malformed bytes.
		junk := make([]byte, 1+h.rng.Intn(200))
		h.rng.Read(junk)
		junk[0] = 0xff // field 31, wire type 7: never a valid protobuf tag
		res, err = c.BroadcastSync(ctx, junk)
		h.record("malformed bytes", res, err, contracts.ErrTxDecode)
	}
}

func (h *harness) freezes(ctx context.Context) {
	reg := h.keys["regulator-1"][0]
	for i := 0; i < len(h.clKey); i += 7 {
		acct := accountID(i)
		h.submit(ctx, h.clientFor(2), reg.Key, &custodyv1.MsgFreezeAccount{AccountId: acct, Reason: "e2e: suspicious activity"}, "freeze "+acct, nil)
		h.regFroze[acct] = true
	}
	h.drain(ctx)
}

func (h *harness) withdrawals(ctx context.Context, per int) {
	type wd struct {
		id, acct string
		amt      int64
	}
	var pending []wd
	var mu sync.Mutex
	n := len(h.clKey)
	plans := make([][]int64, n)
	for i := range plans {
		for j := 0; j < per; j++ {
			plans[i] = append(plans[i], h.rng.Int63n(1000)) // per-mille of what is available
		}
	}
	// Clients sign their own requests, many at once, spread over the nodes.
	parallel(8, func(k int) {
		for i := k; i < n; i += 8 {
			acct := accountID(i)
			c := h.clientFor(i)
			key := h.clKey[acct]
			h.mu.Lock()
			avail := h.balance[acct] - h.frozen[acct]
			frozenByReg := h.regFroze[acct]
			h.mu.Unlock()
			if frozenByReg {
				h.submit(ctx, c, key, &custodyv1.MsgRequestWithdrawal{TransferId: acct + "/F", AccountId: acct, Amount: 1},
					"frozen sender "+acct, transfers.ErrSenderFrozen)
				continue
			}
			// Invalid: more than is available.
			h.submit(ctx, c, key, &custodyv1.MsgRequestWithdrawal{TransferId: acct + "/O", AccountId: acct, Amount: avail + 1},
				"overdraft "+acct, funds.ErrOverdraft)
			for j, pm := range plans[i] {
				amt := avail * pm / 1000 / int64(per)
				if amt <= 0 {
					continue
				}
				w := wd{fmt.Sprintf("%s/W%d", acct, j), acct, amt}
				h.submit(ctx, c, key, &custodyv1.MsgRequestWithdrawal{TransferId: w.id, AccountId: acct, Amount: amt}, "withdraw "+w.id, nil)
				h.mu.Lock()
				h.frozen[acct] += amt
				h.mu.Unlock()
				mu.Lock()
				pending = append(pending, w)
				mu.Unlock()
			}
		}
	})
	h.drain(ctx)
	// The bank executes most and refuses some; a refusal unfreezes.
	outcome := make([]bool, len(pending))
	for i := range outcome {
		outcome[i] = h.rng.Intn(5) != 0
	}
	banks := h.keys["bank-1"]
	parallel(len(banks), func(k int) {
		for i := k; i < len(pending); i += len(banks) {
			w := pending[i]
			msg := &custodyv1.MsgConfirmWithdrawal{TransferId: w.id, Success: outcome[i]}
			if !outcome[i] {
				msg.Reason = "e2e: card closed"
			}
			h.submit(ctx, h.clientFor(k), banks[k].Key, msg, "confirm "+w.id, nil)
			h.mu.Lock()
			h.frozen[w.acct] -= w.amt
			if outcome[i] {
				h.balance[w.acct] -= w.amt
			}
			h.mu.Unlock()
		}
	})
	h.drain(ctx)
}

// running returns the nodes the launcher has running.
func (h *harness) running() []*Node {
	var out []*Node
	for _, n := range h.tn.Nodes {
		if h.l.IsRunning(n.Name) {
			out = append(out, n)
		}
	}
	return out
}

// waitMeshed waits until every running node is connected to every other
// running node and every running validator is voting again. A validator
// restarted on its old port may find a peer still holding a half-open
// connection to its previous incarnation (in-process, the stopped node's
// sockets linger; across machines, a crash leaves the same): that peer
// refuses the new connection as a duplicate until its pong timeout drops the
// old one, up to a minute. And a restarted validator that has caught up by
// block sync may not have switched to consensus yet, so it does not vote.
// Until both settle the network has lost more than one validator's worth of
// links or votes, and killing another validator would be a second fault,
// not the one the test is about. Voting is read from the latest commit: it
// holds a signature of every running validator.
func (h *harness) waitMeshed(ctx context.Context, t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !h.meshed(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("nodes did not reconnect and vote within 90s")
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for peers: %v", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (h *harness) meshed(ctx context.Context) bool {
	nodes := h.running()
	voters := 0
	for _, n := range nodes {
		ni, err := h.rpcs[n.Name].NetInfo(ctx)
		if err != nil || ni.NPeers < len(nodes)-1 {
			return false
		}
		st, err := h.rpcs[n.Name].Status(ctx)
		if err != nil || st.SyncInfo.CatchingUp {
			return false
		}
		if n.Power > 0 {
			voters++
		}
	}
	// The latest height's commit is the node's seen commit (often just the
	// two-thirds it waited for); the canonical commits, in the next blocks,
	// carry every precommit that arrived in time. One of the last three
	// holding every running validator's signature means all of them vote.
	st, err := h.rpcs[nodes[0].Name].Status(ctx)
	if err != nil {
		return false
	}
	for height := st.SyncInfo.LatestBlockHeight - 1; height >= st.SyncInfo.LatestBlockHeight-3 && height > 0; height-- {
		c, err := h.rpcs[nodes[0].Name].Commit(ctx, &height)
		if err != nil || !c.CanonicalCommit {
			continue
		}
		signed := 0
		for _, sig := range c.Commit.Signatures {
			if sig.BlockIDFlag == types.BlockIDFlagCommit {
				signed++
			}
		}
		if signed >= voters {
			return true
		}
	}
	return false
}

// drain waits until every running node's mempool is empty and one more
// block has been committed, so every tx sent so far is in a block.
func (h *harness) drain(ctx context.Context) {
	h.t.Helper()
	for {
		total := 0
		for _, n := range h.running() {
			res, err := h.rpcs[n.Name].NumUnconfirmedTxs(ctx)
			require.NoError(h.t, err)
			total += res.Total
		}
		if total == 0 {
			break
		}
		select {
		case <-ctx.Done():
			h.t.Fatalf("mempools did not drain: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, n := range h.running() {
		st, err := h.rpcs[n.Name].Status(ctx)
		require.NoError(h.t, err)
		_, err = WaitForHeight(ctx, n, st.SyncInfo.LatestBlockHeight+1)
		require.NoError(h.t, err)
	}
}

// checkOutcomes looks every sent tx up in the tx index: valid ones are in a
// block with code 0; refused ones are either absent (refused at CheckTx,
// so no block holds them) or in a block with exactly the expected code.
func (h *harness) checkOutcomes(ctx context.Context) {
	h.t.Helper()
	rpc := h.rpcs[h.tn.Nodes[0].Name]
	var mu sync.Mutex
	counts := map[string]int{}
	parallel(8, func(k int) {
		for i := k; i < len(h.sent); i += 8 {
			s := h.sent[i]
			res, err := rpc.Tx(ctx, s.hash, false)
			mu.Lock()
			switch {
			case s.want == nil && err != nil:
				h.t.Errorf("%s: not in any block: %v", s.desc, err)
			case s.want == nil && res.TxResult.Code != 0:
				h.t.Errorf("%s: failed in block %d: %s/%d %s", s.desc, res.Height, res.TxResult.Codespace, res.TxResult.Code, res.TxResult.Log)
			case s.want == nil:
				counts["committed"]++
			case err != nil:
				counts["refused at check"]++
			default:
				got := client.CodeError(res.TxResult.Codespace, res.TxResult.Code)
				if res.TxResult.Code == 0 || !errors.Is(got, s.want) {
					h.t.Errorf("%s: in block %d with %s/%d, want %v", s.desc, res.Height, res.TxResult.Codespace, res.TxResult.Code, s.want)
				}
				counts["failed in block"]++
			}
			mu.Unlock()
		}
	})
	h.t.Logf("outcomes: %v", counts)
}

// checkModel compares every account's funds on every running node with the
// model built from the valid txs alone: had any refused tx changed
// anything, a balance would differ.
func (h *harness) checkModel(ctx context.Context) {
	h.t.Helper()
	for _, n := range h.running() {
		c := h.cls[n.Name]
		for acct := range h.clKey {
			res, err := c.Query(ctx, client.QueryPathKey, funds.FundsKey(acct), 0, false)
			require.NoError(h.t, err)
			var f custodyv1.Funds
			require.NoError(h.t, proto.Unmarshal(res.Value, &f))
			if f.Balance != h.balance[acct] || f.Frozen != h.frozen[acct] || f.Available != f.Balance-f.Frozen {
				h.t.Errorf("node %s account %s: balance %d frozen %d available %d, want balance %d frozen %d",
					n.Name, acct, f.Balance, f.Frozen, f.Available, h.balance[acct], h.frozen[acct])
			}
		}
	}
}

// checkInvariants asks every running node to run the contracts' invariants.
func (h *harness) checkInvariants(ctx context.Context) {
	h.t.Helper()
	for _, n := range h.running() {
		raw, err := h.cls[n.Name].QueryJSON(ctx, "invariants")
		require.NoError(h.t, err)
		results, err := parseInvariants(raw)
		require.NoError(h.t, err, "%s", raw)
		require.NotEmpty(h.t, results, "node %s runs no invariant", n.Name)
		for _, r := range results {
			if r.Broken {
				h.t.Errorf("node %s: invariant %s broken: %s", n.Name, r.Name, r.Msg)
			}
		}
	}
}

// parseInvariants reads the invariants query: {"broken":..,"invariants":[..]}
// or a bare list.
func parseInvariants(raw []byte) ([]contracts.InvariantResult, error) {
	var obj struct {
		Invariants []contracts.InvariantResult `json:"invariants"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil && obj.Invariants != nil {
		return obj.Invariants, nil
	}
	var list []contracts.InvariantResult
	err := json.Unmarshal(raw, &list)
	return list, err
}

func (h *harness) height(ctx context.Context, t *testing.T, name string) int64 {
	st, err := h.rpcs[name].Status(ctx)
	require.NoError(t, err)
	return st.SyncInfo.LatestBlockHeight
}

// restartCatchesUp stops a validator, commits deposits without it, starts
// it again and waits for it to reach the others' height.
func (h *harness) restartCatchesUp(ctx context.Context, t *testing.T, name string) {
	require.NoError(t, h.l.StopNode(name))
	banks := h.keys["bank-1"]
	for i := 0; i < 40; i++ {
		acct := accountID(i % len(h.clKey))
		id := fmt.Sprintf("B2B-R%04d", i)
		h.submit(ctx, h.clientFor(0), banks[0].Key, &custodyv1.MsgBankToBroker{TransferId: id, AccountId: acct, Amount: 777}, "deposit "+id, nil)
		h.balance[acct] += 777
	}
	h.drain(ctx)
	target := h.height(ctx, t, h.tn.Nodes[0].Name)
	require.NoError(t, h.l.StartNode(ctx, name))
	n := h.tn.Node(name)
	h.addClient(ctx, n)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	_, err := WaitForHeight(wctx, n, target)
	require.NoError(t, err, "restarted %s did not catch up", name)
	h.sameBlocksEverywhere(ctx, t)
	h.waitMeshed(ctx, t)
}

// killedValidatorChainCommits kills one validator and checks that the other
// three still commit three more blocks, then brings it back.
func (h *harness) killedValidatorChainCommits(ctx context.Context, t *testing.T, name string) {
	require.NoError(t, h.l.KillNode(name))
	var other *Node
	for _, n := range h.tn.Validators() {
		if n.Name != name {
			other = n
			break
		}
	}
	from := h.height(ctx, t, other.Name)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	got, err := WaitForHeight(wctx, other, from+3)
	cancel()
	require.NoError(t, err, "with %s down the chain stopped at %d", name, from)
	t.Logf("%s down: %s went from %d to %d", name, other.Name, from, got)
	require.NoError(t, h.l.StartNode(ctx, name))
	h.addClient(ctx, h.tn.Node(name))
	wctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	_, err = WaitForHeight(wctx, h.tn.Node(name), got)
	require.NoError(t, err)
	h.waitMeshed(ctx, t)
}

// stateSyncJoin adds a full node that joins by state sync, then checks that
// it did not replay from genesis, that it holds the same state, and that a
// proof it serves verifies against headers from other nodes (and that a
// tampered value does not).
func (h *harness) stateSyncJoin(ctx context.Context, t *testing.T) {
	jctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	n, err := h.l.AddNode(jctx, "full-1")
	require.NoError(t, err)
	target := h.height(ctx, t, h.tn.Nodes[0].Name)
	_, err = WaitForHeight(jctx, n, target)
	require.NoError(t, err, "state-synced node did not catch up; see %s/node.log", h.tn.Home(n))
	h.addClient(ctx, n)
	st, err := h.rpcs[n.Name].Status(ctx)
	require.NoError(t, err)
	require.Greater(t, st.SyncInfo.EarliestBlockHeight, int64(1), "the node replayed from genesis instead of restoring a snapshot")

	// The light client trusts block 1 as pinned from bank-1 and verifies
	// headers from bank-1, cross-checked with broker-1.
	one := int64(1)
	b1, err := h.rpcs["bank-1"].Block(ctx, &one)
	require.NoError(t, err)
	v, err := client.NewVerifier(ctx, client.LightConfig{
		ChainID: h.tn.ChainID, Primary: h.tn.Node("bank-1").RPCURL(),
		Witnesses: []string{h.tn.Node("broker-1").RPCURL()}, TrustHeight: 1, TrustHash: b1.BlockID.Hash,
	})
	require.NoError(t, err)
	defer v.Close()
	for i := 0; i < 3; i++ {
		acct := accountID(i)
		key := funds.FundsKey(acct)
		p, err := h.cls[n.Name].ProvenQuery(ctx, v, key)
		require.NoError(t, err, "proof from the state-synced node against bank-1's headers")
		// The same version read from a genesis node is the same bytes.
		other, err := h.cls["clearing-house-1"].ProvenQueryAt(ctx, v, key, p.Height)
		require.NoError(t, err)
		require.Equal(t, other.Value, p.Value)
		var f custodyv1.Funds
		require.NoError(t, proto.Unmarshal(p.Value, &f))
		require.Equal(t, h.balance[acct], f.Balance)

		// A tampered value must not verify against the same header.
		res, err := h.cls[n.Name].Query(ctx, client.QueryPathKey, key, p.Height, true)
		require.NoError(t, err)
		tampered := bytes.Clone(p.Value)
		tampered[len(tampered)-1] ^= 1
		require.Error(t, abci.VerifyProof(p.Header.AppHash, key, tampered, res.ProofOps))
	}
}

// sameBlocksEverywhere compares, height by height, the block id and app
// hash every running node reports, from each node's earliest block.
func (h *harness) sameBlocksEverywhere(ctx context.Context, t *testing.T) {
	t.Helper()
	type seen struct{ block, app, node string }
	byHeight := map[int64]seen{}
	var top int64
	nodes := h.running()
	for _, n := range nodes {
		if x := h.height(ctx, t, n.Name); top == 0 || x < top {
			top = x
		}
	}
	compared := 0
	for _, n := range nodes {
		st, err := h.rpcs[n.Name].Status(ctx)
		require.NoError(t, err)
		for lo := st.SyncInfo.EarliestBlockHeight; lo <= top; lo += 20 {
			hi := min(lo+19, top)
			res, err := h.rpcs[n.Name].BlockchainInfo(ctx, lo, hi)
			require.NoError(t, err)
			for _, meta := range res.BlockMetas {
				ht := meta.Header.Height
				got := seen{meta.BlockID.Hash.String(), meta.Header.AppHash.String(), n.Name}
				if want, ok := byHeight[ht]; ok {
					if want.block != got.block || want.app != got.app {
						t.Fatalf("height %d: %s has block %s app hash %s, %s has block %s app hash %s",
							ht, want.node, want.block, want.app, n.Name, got.block, got.app)
					}
					compared++
				} else {
					byHeight[ht] = got
				}
			}
		}
	}
	t.Logf("%d nodes agree on blocks and app hashes at heights up to %d (%d comparisons)", len(nodes), top, compared)
}
