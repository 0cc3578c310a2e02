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
	"github.com/custody-ledger/custody/contracts/trading"
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
	// TradingAccounts is the number of further accounts, with an SSE
	// shareholder account, whose clients sign the orders and cancels the
	// broker submits. Default 16.
	TradingAccounts int
	// Bank, Broker, Regulator and ClearingHouse are the participant ids
	// whose keys sign. Defaults "bank-1", "broker-1", "regulator-1",
	// "clearing-house-1".
	Bank, Broker, Regulator, ClearingHouse string
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
	if o.TradingAccounts <= 0 {
		o.TradingAccounts = 16
	}
	if o.ClearingHouse == "" {
		o.ClearingHouse = "clearing-house-1"
	}
	return o
}

// The custody mix, by weight among the txs the dispatcher starts itself.
// Each committed withdrawal request is followed by the bank's confirmation
// (paid out, or one in ten refused), each committed order by the broker's
// fill report (two in three) or the client's cancel, and each account
// opening by the bank's approval: follow-ups make up about as many txs as
// what they follow.
const (
	weightDeposit  = 36 // bank-to-broker transfer (银转证) by a bank key
	weightWithdraw = 24 // withdrawal request (证转银) signed by the client's own key
	weightOrder    = 14 // a client-signed buy order placed by a broker key
	weightOpen     = 3  // a new account opened by a broker key (then approved)
	weightFreeze   = 1  // a regulator freezes or unfreezes a watched account
)

// The load trades one instrument, listed by the clearing house in setup.
const (
	loadSecurity     = "600000.SH"
	loadRefPrice     = 100000 // 10.00 CNY in CNY × 10 000
	loadBusinessDate = 20260105
)

// Custody is the custody ledger's mix: deposits, withdrawal requests and
// their confirmations, client-signed orders with their fills or cancels,
// account openings and approvals, regulator freezes. It keeps a model of
// the funds of every account that does not trade (deposits and withdrawals
// only), applied from committed txs in block order, for the fault checks;
// the trading accounts' funds (fees, freezes) are checked by the chain's
// own invariants.
type Custody struct {
	opts    CustodyOptions
	chainID string
	seed    int64
	// identitySecret is the testnet's identity secret (testnet.Generate
	// writes it into every institution's home): the key of the identity
	// and card hashes, as a real broker's would be.
	identitySecret []byte

	banks, brokers []*Signer
	regulator      *Signer
	clearing       *Signer
	clients        []*Signer // clients[i] owns accounts[i]
	accounts       []string
	watched        []string // accounts the regulator freezes and unfreezes
	traders        []string // trading accounts
	traderKeys     []ed25519.PrivateKey

	mu        sync.Mutex
	followUps []followUp           // confirmations, fills, cancels: sent before anything else
	model     map[string]*fundsM   // setup accounts' funds from committed txs
	frozen    map[string]bool      // committed regulator freezes
	toggling  map[string]bool      // a freeze or unfreeze in flight
	withdrawn map[string]int       // withdrawal requests per account (ids)
	confirms  map[string]wdConfirm // by transfer id: requests committed, not confirmed
	nDeposit  int
	nOpen     int
	nConfirm  int
	nOrder    int
}

// followUp is an action whose signer is picked from pool when it is sent.
type followUp struct {
	a    *Action
	pool []*Signer
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
	secret, err := t.IdentitySecret()
	if err != nil {
		return nil, err
	}
	c := &Custody{
		opts: opts, chainID: t.ChainID, seed: seed, identitySecret: secret,
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
	chs, err := signers(opts.ClearingHouse)
	if err != nil {
		return nil, err
	}
	c.clearing = chs[0]
	for i := 0; i < opts.TradingAccounts; i++ {
		id := fmt.Sprintf("LT-%05d", i)
		c.traders = append(c.traders, id)
		c.traderKeys = append(c.traderKeys, c.clientKey(id))
	}
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

// openAction is broker opening acct with the client's request signed by
// key (the client's own: the load plays the client on its device), the
// identity and card of a made-up person hashed under the testnet's
// identity secret.
func (c *Custody) openAction(kind string, broker *Signer, acct string, key ed25519.PrivateKey, shareholders []string, done func(*Action, Outcome)) *Action {
	return &Action{Kind: kind, Signer: broker, Done: done, Build: func(seq uint64) ([]byte, error) {
		idHash, err1 := client.IdentityHash(c.identitySecret, fmt.Sprintf("load identity %d %s", c.seed, acct))
		cardHash, err2 := client.CardHash(c.identitySecret, fmt.Sprintf("load card %d %s", c.seed, acct))
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		m, err := client.OpenAccountMsg(key, &custodyv1.OpeningRequest{
			ChainId: c.chainID, AccountId: acct, BrokerId: c.opts.Broker, BankId: c.opts.Bank,
			IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: shareholders,
		})
		if err != nil {
			return nil, err
		}
		return client.Sign(broker.Key, c.chainID, seq, "", m)
	}}
}

// Name implements Workload.
func (c *Custody) Name() string { return "custody" }

// Signers implements Workload: bank keys, broker keys, the regulator, the
// clearing house, then one client per non-trading account.
func (c *Custody) Signers() []*Signer {
	out := append(append(append([]*Signer(nil), c.banks...), c.brokers...), c.regulator, c.clearing)
	return append(out, c.clients...)
}

func (c *Custody) action(kind string, s *Signer, msg proto.Message, done func(*Action, Outcome)) *Action {
	return &Action{Kind: kind, Signer: s, Done: done, Build: func(seq uint64) ([]byte, error) {
		return client.Sign(s.Key, c.chainID, seq, "", msg)
	}}
}

// Setup implements Workload: the broker keys open every account, the bank
// keys approve them and fund each with InitialFunds, and the clearing house
// opens the first business day with the load's instrument listed.
func (c *Custody) Setup(ctx context.Context, r *Runner) error {
	var open, confirm, fund []*Action
	add := func(i int, acct string, key ed25519.PrivateKey, shareholders []string) {
		open = append(open, c.openAction("setup open", c.brokers[i%len(c.brokers)], acct, key, shareholders, nil))
		// The bank names the key the client gave it at its counter.
		confirm = append(confirm, c.action("setup approve", c.banks[i%len(c.banks)],
			client.ConfirmAccountMsg(acct, key.Public().(ed25519.PublicKey)), nil))
		fund = append(fund, c.action("setup fund", c.banks[i%len(c.banks)],
			&custodyv1.MsgBankToBroker{TransferId: "INIT-" + acct, AccountId: acct, Amount: c.opts.InitialFunds}, nil))
	}
	for i, acct := range c.accounts {
		add(i, acct, c.clients[i].Key, nil)
	}
	for i, acct := range c.traders {
		add(len(c.accounts)+i, acct, c.traderKeys[i], []string{fmt.Sprintf("A%09d", i)})
	}
	day := []*Action{c.action("setup open day", c.clearing, &custodyv1.MsgEndOfDay{
		Date: 0, NextDate: loadBusinessDate,
		Instruments: []*custodyv1.Instrument{{
			Security: loadSecurity, Name: "Load Bank", Board: custodyv1.Board_BOARD_MAIN,
			ReferencePrice: loadRefPrice, Cycle: custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1,
		}},
	}, nil)}
	for _, step := range [][]*Action{open, confirm, fund, day} {
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
	switch w := rng.Intn(weightDeposit + weightWithdraw + weightOrder + weightOpen + weightFreeze); {
	case w < weightDeposit:
		return c.deposit(r, rng)
	case w < weightDeposit+weightWithdraw:
		return c.withdraw(r, rng)
	case w < weightDeposit+weightWithdraw+weightOrder:
		return c.order(r, rng)
	case w < weightDeposit+weightWithdraw+weightOrder+weightOpen:
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
	f := c.followUps[0]
	s := r.Pick(f.pool, rng)
	if s == nil {
		return nil
	}
	c.followUps = c.followUps[1:]
	f.a.Signer = s
	return f.a
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
			c.followUps = append(c.followUps, followUp{c.confirmWithdrawal(id, c.nConfirm%10 != 0), c.banks})
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
			c.followUps = append(c.followUps, followUp{c.confirmWithdrawal(id, pay), c.banks})
		case pay:
			c.followUps = append(c.followUps, followUp{c.confirmWithdrawal(id, false), c.banks})
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
	key := c.clientKey(acct)
	return c.openAction("open account", broker, acct, key, nil, func(_ *Action, o Outcome) {
		if o.Status != StatusCommitted {
			return
		}
		approve := &Action{Kind: "approve account"}
		msg := client.ConfirmAccountMsg(acct, key.Public().(ed25519.PublicKey))
		approve.Build = func(seq uint64) ([]byte, error) { return client.Sign(approve.Signer.Key, c.chainID, seq, "", msg) }
		c.mu.Lock()
		c.followUps = append(c.followUps, followUp{approve, c.banks})
		c.mu.Unlock()
	})
}

// order is a client's buy order at the reference price, 100 to 500 shares,
// placed by a broker key with the client's signature over the ticket.
// Committed, it is filled in full (two in three) or cancelled by the
// client.
func (c *Custody) order(r *Runner, rng *rand.Rand) *Action {
	broker := r.Pick(c.brokers, rng)
	if broker == nil {
		return nil
	}
	i := rng.Intn(len(c.traders))
	acct, key := c.traders[i], c.traderKeys[i]
	qty := int64(100 * (1 + rng.Intn(5)))
	c.mu.Lock()
	c.nOrder++
	n := c.nOrder
	c.mu.Unlock()
	t := &custodyv1.OrderTicket{
		ChainId: c.chainID, OrderId: fmt.Sprintf("%s/O%d", acct, n), AccountId: acct, Security: loadSecurity,
		Side: custodyv1.Side_SIDE_BUY, Type: custodyv1.OrderType_ORDER_TYPE_LIMIT, Price: loadRefPrice, Quantity: qty,
		BusinessDate: loadBusinessDate,
	}
	msg := &custodyv1.MsgPlaceOrder{Ticket: t, ClientSignature: trading.SignOrder(key, t)}
	return c.action("place order", broker, msg, func(_ *Action, o Outcome) {
		if o.Status != StatusCommitted {
			return
		}
		var next *Action
		if n%3 != 0 {
			fill := &custodyv1.MsgReportFill{ExecId: fmt.Sprintf("LX-%d-%d", c.seed, n), OrderId: t.OrderId, Price: t.Price, Quantity: qty}
			next = &Action{Kind: "report fill"}
			next.Build = func(seq uint64) ([]byte, error) { return client.Sign(next.Signer.Key, c.chainID, seq, "", fill) }
		} else {
			ct := &custodyv1.CancelTicket{ChainId: c.chainID, OrderId: t.OrderId}
			cancel := &custodyv1.MsgCancelOrder{Ticket: ct, ClientSignature: trading.SignCancel(key, ct)}
			next = &Action{Kind: "cancel order"}
			next.Build = func(seq uint64) ([]byte, error) { return client.Sign(next.Signer.Key, c.chainID, seq, "", cancel) }
		}
		c.mu.Lock()
		c.followUps = append(c.followUps, followUp{next, c.brokers})
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
