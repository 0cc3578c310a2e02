package load

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/funds"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet"
)

// CustodyOptions shape the custody workload.
type CustodyOptions struct {
	// Accounts is the number of client accounts opened, confirmed and
	// funded in setup; each client signs its own withdrawal requests with
	// its own key. Default 64.
	Accounts int
	// InitialFunds is what setup deposits into each account, in fen.
	// Default 1_000_000_000 (10 million CNY): withdrawals never run dry.
	InitialFunds int64
	// Bank, Broker and Regulator are the participant ids whose keys sign.
	// Defaults "bank-1", "broker-1", "regulator-1".
	Bank, Broker, Regulator string
}

func (o CustodyOptions) withDefaults() CustodyOptions {
	if o.Accounts <= 0 {
		o.Accounts = 64
	}
	if o.InitialFunds <= 0 {
		o.InitialFunds = 1_000_000_000
	}
	if o.Bank == "" {
		o.Bank = "bank-1"
	}
	if o.Broker == "" {
		o.Broker = "broker-1"
	}
	if o.Regulator == "" {
		o.Regulator = "regulator-1"
	}
	return o
}

// The custody mix, by weight among the txs the dispatcher starts itself.
// Each committed withdrawal request is followed by the bank's confirmation
// (paid out, or one in ten refused), and each account opening by the
// bank's approval, so confirmations make up about as many txs as requests.
const (
	weightDeposit  = 40 // bank-to-broker transfer (银转证) by a bank key
	weightWithdraw = 28 // withdrawal request (证转银) signed by the client's own key
	weightOpen     = 3  // a new account opened by a broker key (then approved)
	weightFreeze   = 1  // a regulator freezes or unfreezes a watched account
)

// Custody is the custody ledger's mix: deposits, withdrawal requests and
// their confirmations, account openings and approvals, regulator freezes.
// Orders, cancels and fills join the mix once the trading contracts route
// them. It keeps a model of every setup account's funds, applied from
// committed txs in block order, for the fault checks.
type Custody struct {
	opts    CustodyOptions
	chainID string
	seed    int64

	banks, brokers []*Signer
	regulator      *Signer
	clients        []*Signer // clients[i] owns accounts[i]
	accounts       []string
	watched        []string // accounts the regulator freezes and unfreezes

	mu        sync.Mutex
	followUps []*Action            // confirmations to send before anything else
	model     map[string]*fundsM   // setup accounts' funds from committed txs
	frozen    map[string]bool      // committed regulator freezes
	toggling  map[string]bool      // a freeze or unfreeze in flight
	withdrawn map[string]int       // withdrawal requests per account (ids)
	confirms  map[string]wdConfirm // by transfer id: requests committed, not confirmed
	nDeposit  int
	nOpen     int
	nConfirm  int
}

type fundsM struct{ balance, frozen int64 }

type wdConfirm struct {
	account string
	amount  int64
}

// NewCustody builds the workload from t's keyrings (every key of the bank,
// the broker and the regulator signs) and seed-derived client keys.
func NewCustody(t *testnet.Testnet, opts CustodyOptions, seed int64) (*Custody, error) {
	opts = opts.withDefaults()
	keys, err := t.Keys()
	if err != nil {
		return nil, err
	}
	c := &Custody{
		opts: opts, chainID: t.ChainID, seed: seed,
		model: map[string]*fundsM{}, frozen: map[string]bool{}, toggling: map[string]bool{},
		withdrawn: map[string]int{}, confirms: map[string]wdConfirm{},
	}
	signers := func(id string) ([]*Signer, error) {
		var out []*Signer
		for _, k := range keys[id] {
			out = append(out, &Signer{Name: k.Name, Key: k.Key})
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("load: no keys of %s in the testnet's keyrings", id)
		}
		return out, nil
	}
	if c.banks, err = signers(opts.Bank); err != nil {
		return nil, err
	}
	if c.brokers, err = signers(opts.Broker); err != nil {
		return nil, err
	}
	regs, err := signers(opts.Regulator)
	if err != nil {
		return nil, err
	}
	c.regulator = regs[0]
	for i := 0; i < opts.Accounts; i++ {
		id := fmt.Sprintf("LC-%05d", i)
		c.accounts = append(c.accounts, id)
		c.clients = append(c.clients, &Signer{Name: id, Key: c.clientKey(id)})
	}
	c.watched = c.accounts[:max(1, opts.Accounts/32)]
	return c, nil
}

func (c *Custody) clientKey(account string) ed25519.PrivateKey {
	s := sha256.Sum256(fmt.Appendf(nil, "load client %d %s", c.seed, account))
	return ed25519.NewKeyFromSeed(s[:])
}

func (c *Custody) hash(what, account string) []byte {
	s := sha256.Sum256(fmt.Appendf(nil, "load %s %d %s", what, c.seed, account))
	return s[:]
}

// Name implements Workload.
func (c *Custody) Name() string { return "custody" }

// Signers implements Workload: bank keys, broker keys, the regulator, then
// one client per account.
func (c *Custody) Signers() []*Signer {
	out := append(append(append([]*Signer(nil), c.banks...), c.brokers...), c.regulator)
	return append(out, c.clients...)
}

func (c *Custody) action(kind string, s *Signer, msg proto.Message, done func(*Action, Outcome)) *Action {
	return &Action{Kind: kind, Signer: s, Done: done, Build: func(seq uint64) ([]byte, error) {
		return client.Sign(s.Key, c.chainID, seq, "", msg)
	}}
}

// Setup implements Workload: the broker keys open every account, the bank
// keys approve them and fund each with InitialFunds.
func (c *Custody) Setup(ctx context.Context, r *Runner) error {
	var open, confirm, fund []*Action
	for i, acct := range c.accounts {
		open = append(open, c.action("setup open", c.brokers[i%len(c.brokers)], &custodyv1.MsgOpenAccount{
			AccountId: acct, ClientPubKey: c.clients[i].Key.Public().(ed25519.PublicKey),
			IdentityHash: c.hash("identity", acct), BankCardHash: c.hash("card", acct), BankId: c.opts.Bank,
		}, nil))
		confirm = append(confirm, c.action("setup approve", c.banks[i%len(c.banks)],
			&custodyv1.MsgConfirmAccount{AccountId: acct, Approve: true}, nil))
		fund = append(fund, c.action("setup fund", c.banks[i%len(c.banks)],
			&custodyv1.MsgBankToBroker{TransferId: "INIT-" + acct, AccountId: acct, Amount: c.opts.InitialFunds}, nil))
	}
	for _, step := range [][]*Action{open, confirm, fund} {
		if err := r.Do(ctx, step); err != nil {
			return err
		}
	}
	c.mu.Lock()
	for _, acct := range c.accounts {
		c.model[acct] = &fundsM{balance: c.opts.InitialFunds}
	}
	c.mu.Unlock()
	return nil
}

// Next implements Workload.
func (c *Custody) Next(r *Runner, rng *rand.Rand) *Action {
	if a := c.nextFollowUp(r, rng); a != nil {
		return a
	}
	switch w := rng.Intn(weightDeposit + weightWithdraw + weightOpen + weightFreeze); {
	case w < weightDeposit:
		return c.deposit(r, rng)
	case w < weightDeposit+weightWithdraw:
		return c.withdraw(r, rng)
	case w < weightDeposit+weightWithdraw+weightOpen:
		return c.open(r, rng)
	default:
		return c.toggleFreeze(r, rng)
	}
}

func (c *Custody) nextFollowUp(r *Runner, rng *rand.Rand) *Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.followUps) == 0 {
		return nil
	}
	bank := r.Pick(c.banks, rng)
	if bank == nil {
		return nil
	}
	a := c.followUps[0]
	c.followUps = c.followUps[1:]
	a.Signer = bank
	return a
}

func (c *Custody) deposit(r *Runner, rng *rand.Rand) *Action {
	bank := r.Pick(c.banks, rng)
	if bank == nil {
		return nil
	}
	acct := c.accounts[rng.Intn(len(c.accounts))]
	amount := 100 + rng.Int63n(1_000_000)
	c.mu.Lock()
	c.nDeposit++
	id := fmt.Sprintf("LD-%d-%08d", c.seed, c.nDeposit)
	c.mu.Unlock()
	return c.action("deposit", bank, &custodyv1.MsgBankToBroker{TransferId: id, AccountId: acct, Amount: amount},
		func(_ *Action, o Outcome) {
			if o.Status == StatusCommitted {
				c.mu.Lock()
				c.model[acct].balance += amount
				c.mu.Unlock()
			}
		})
}

func (c *Custody) withdraw(r *Runner, rng *rand.Rand) *Action {
	i := rng.Intn(len(c.accounts))
	cl := c.clients[i]
	if !r.Up(cl.Node) {
		return c.deposit(r, rng)
	}
	acct := c.accounts[i]
	amount := 1 + rng.Int63n(10_000)
	c.mu.Lock()
	c.withdrawn[acct]++
	id := fmt.Sprintf("%s/W%d", acct, c.withdrawn[acct])
	c.mu.Unlock()
	return c.action("withdraw request", cl, &custodyv1.MsgRequestWithdrawal{TransferId: id, AccountId: acct, Amount: amount},
		func(_ *Action, o Outcome) {
			if o.Status != StatusCommitted {
				return
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			c.model[acct].frozen += amount
			c.confirms[id] = wdConfirm{acct, amount}
			c.nConfirm++
			// One request in ten is refused by the bank (the card is closed).
			c.followUps = append(c.followUps, c.confirmWithdrawal(id, c.nConfirm%10 != 0))
		})
}

// confirmWithdrawal is the bank's answer to committed request id. Its
// signer is chosen when it is dispatched. A payout the chain refuses (the
// regulator froze the account meanwhile) is answered again as a refusal,
// which unfreezes the money; a lost one is sent again.
func (c *Custody) confirmWithdrawal(id string, pay bool) *Action {
	msg := &custodyv1.MsgConfirmWithdrawal{TransferId: id, Success: pay}
	if !pay {
		msg.Reason = "load: bank card closed"
	}
	a := &Action{Kind: "withdraw confirm"}
	a.Build = func(seq uint64) ([]byte, error) { return client.Sign(a.Signer.Key, c.chainID, seq, "", msg) }
	a.Done = func(_ *Action, o Outcome) {
		c.mu.Lock()
		defer c.mu.Unlock()
		w, pending := c.confirms[id]
		switch {
		case !pending:
		case o.Status == StatusCommitted:
			delete(c.confirms, id)
			c.model[w.account].frozen -= w.amount
			if pay {
				c.model[w.account].balance -= w.amount
			}
		case o.Status == StatusLost:
			c.followUps = append(c.followUps, c.confirmWithdrawal(id, pay))
		case pay:
			c.followUps = append(c.followUps, c.confirmWithdrawal(id, false))
		}
	}
	return a
}

func (c *Custody) open(r *Runner, rng *rand.Rand) *Action {
	broker := r.Pick(c.brokers, rng)
	if broker == nil {
		return nil
	}
	c.mu.Lock()
	c.nOpen++
	acct := fmt.Sprintf("LN-%d-%06d", c.seed%1000, c.nOpen)
	c.mu.Unlock()
	return c.action("open account", broker, &custodyv1.MsgOpenAccount{
		AccountId: acct, ClientPubKey: c.clientKey(acct).Public().(ed25519.PublicKey),
		IdentityHash: c.hash("identity", acct), BankCardHash: c.hash("card", acct), BankId: c.opts.Bank,
	}, func(_ *Action, o Outcome) {
		if o.Status != StatusCommitted {
			return
		}
		approve := &Action{Kind: "approve account"}
		msg := &custodyv1.MsgConfirmAccount{AccountId: acct, Approve: true}
		approve.Build = func(seq uint64) ([]byte, error) { return client.Sign(approve.Signer.Key, c.chainID, seq, "", msg) }
		c.mu.Lock()
		c.followUps = append(c.followUps, approve)
		c.mu.Unlock()
	})
}

func (c *Custody) toggleFreeze(r *Runner, rng *rand.Rand) *Action {
	if !r.Up(c.regulator.Node) {
		return c.deposit(r, rng)
	}
	acct := c.watched[rng.Intn(len(c.watched))]
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.toggling[acct] {
		return nil
	}
	c.toggling[acct] = true
	freeze := !c.frozen[acct]
	var msg proto.Message = &custodyv1.MsgUnfreezeAccount{AccountId: acct, Reason: "load: review closed"}
	kind := "unfreeze"
	if freeze {
		msg, kind = &custodyv1.MsgFreezeAccount{AccountId: acct, Reason: "load: under review"}, "freeze"
	}
	return c.action(kind, c.regulator, msg, func(_ *Action, o Outcome) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if o.Status == StatusCommitted {
			c.frozen[acct] = freeze
		}
		c.toggling[acct] = false
	})
}

// ErrModel is wrapped by CheckFunds when a node's funds differ from the
// model built from the committed txs.
var ErrModel = errors.New("load: node state differs from the committed txs")

// CheckFunds compares every setup account's funds on each node behind
// clients, at the latest height the runner has applied (waiting for a node
// that is not there yet), with the model built from the txs committed up to
// that height. It returns the height and how many accounts it compared on
// each node.
func (c *Custody) CheckFunds(ctx context.Context, r *Runner, clients ...*client.Client) (int64, int, error) {
	var h int64
	want := map[string]fundsM{}
	r.Snapshot(func(height int64) {
		h = height
		c.mu.Lock()
		for k, v := range c.model {
			want[k] = *v
		}
		c.mu.Unlock()
	})
	var errs []error
	for _, cl := range clients {
		for {
			// The block store has height h+1 only once the app has
			// committed h (a query at h needs the app there).
			st, err := cl.RPC().Status(ctx)
			if err == nil && st.SyncInfo.LatestBlockHeight > h {
				break
			}
			select {
			case <-ctx.Done():
				return h, 0, fmt.Errorf("load: a node did not reach height %d: %w", h, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
		for _, acct := range c.accounts {
			res, err := cl.Query(ctx, client.QueryPathKey, funds.FundsKey(acct), h, false)
			if err != nil {
				return h, 0, fmt.Errorf("load: funds of %s at %d: %w", acct, h, err)
			}
			var f custodyv1.Funds
			if err := proto.Unmarshal(res.Value, &f); err != nil {
				return h, 0, fmt.Errorf("load: funds of %s: %w", acct, err)
			}
			w := want[acct]
			if f.Balance != w.balance || f.Frozen != w.frozen || f.Available != f.Balance-f.Frozen {
				errs = append(errs, fmt.Errorf("%w: %s at height %d: balance %d frozen %d available %d, want balance %d frozen %d",
					ErrModel, acct, h, f.Balance, f.Frozen, f.Available, w.balance, w.frozen))
			}
		}
	}
	return h, len(c.accounts), errors.Join(errs...)
}
