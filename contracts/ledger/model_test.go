package ledger_test

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/supervision"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The model: what the contracts should do, written as plainly as possible,
// over maps. The random driver plays the same op on the contracts and on
// the model; the model predicts success or the exact refusal, and after
// every step the two must agree on every account and the invariants must
// hold (iavl's testRandomOperations, bank's simulation).

type mAccount struct {
	status         custodyv1.AccountStatus
	broker, bank   string
	identity       string
	key            string   // name of the client key in force (pubKey(key))
	pendingKey     string   // name of a proposed replacement key, or ""
	oldKeys        []string // names of replaced keys (disabled)
	frozen         bool
	balance, fzAmt int64
	open           int
	// owed is what a deposit reversal left owed to the bank.
	owed int64
}

type mTransfer struct {
	account  string
	id       string // the transfer id at its bank
	amount   int64
	deposit  bool
	pending  bool
	paid     bool // a withdrawal the bank paid
	reversed bool
}

// collect pays what a's receivable owes from its available money, as every
// incoming payment does.
func (m *model) collect(a *mAccount) {
	pay := min(a.owed, a.balance-a.fzAmt)
	a.owed -= pay
	a.balance -= pay
	m.supply -= pay
}

type model struct {
	accounts  map[string]*mAccount
	identity  map[string]string // broker|identity → account (live accounts)
	claims    map[string]string // client key name → account that claimed it
	transfers map[string]*mTransfer
	supply    int64
	ids       []string    // accounts in the order they were opened
	pending   [][2]string // pending withdrawals: account, transfer id
	done      []string    // completed transfers' keys, "<bank>/<id>", in order
}

// latest returns the most recently opened account with status s, or "".
func (m *model) latest(s custodyv1.AccountStatus) string {
	for i := len(m.ids) - 1; i >= 0; i-- {
		if m.accounts[m.ids[i]].status == s {
			return m.ids[i]
		}
	}
	return ""
}

func newModel() *model {
	return &model{accounts: map[string]*mAccount{}, identity: map[string]string{}, claims: map[string]string{}, transfers: map[string]*mTransfer{}}
}

// source gives the driver its choices: a seeded *rand.Rand in the model
// test, the fuzzer's bytes in FuzzOps.
type source interface {
	Intn(n int) int
}

var (
	banks     = []contracts.Signer{sBankA, sBankB}
	brokers   = []contracts.Signer{sBrokerX, sBrokerY}
	amounts   = []int64{-1, 0, 1, 7, 100, 100, 999, 999, 5_000, 5_000, 20_000, transfers.MaxAmount + 1}
	acctPool  = 12
	idPool    = 8
	serialMax = 40
)

// bankOf picks, three times in four, the account's own bank (when the
// model knows the account), so that most ops can succeed.
func bankOf(src source, m *model, id string) contracts.Signer {
	if a := m.accounts[id]; a != nil && src.Intn(4) != 0 {
		for _, b := range banks {
			if b.Owner == a.bank {
				return b
			}
		}
	}
	return pick(src, banks)
}

func pick[T any](src source, xs []T) T { return xs[src.Intn(len(xs))] }

// acctID picks, seven times in eight, an account the model knows (recent
// ones likelier), else any id of the pool, known or not.
func acctID(src source, m *model) string {
	if len(m.ids) > 0 && src.Intn(8) != 0 {
		n := min(len(m.ids), acctPool)
		return m.ids[len(m.ids)-1-src.Intn(n)]
	}
	return fmt.Sprintf("A%d", src.Intn(len(m.ids)+2))
}

// step plays one random op on e and m. It returns a description for
// failure messages.
func step(t testing.TB, e *env, m *model, src source) string {
	t.Helper()
	var (
		signer contracts.Signer
		msg    *custodyv1.Msg
		want   error
		apply  func()
	)
	valid := func(a *mAccount) bool { return a != nil && a.status == custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE }
	// Weights: open 2, confirm 2, deposit 3, withdraw 3, confirm withdrawal
	// 3, freeze/unfreeze 1, close 1, propose a client key 1, answer a
	// key proposal 1, reversal 1.
	ops := []int{0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 6, 6, 6, 7, 8, 9, 10, 11}
	switch op := pick(src, ops); op {
	case 0: // open
		id := fmt.Sprintf("A%d", len(m.ids))
		if src.Intn(6) == 0 {
			id = acctID(src, m)
		}
		broker, bank := pick(src, brokers), pick(src, []string{bankA, bankB, bankA, "bank-z"})
		identity := fmt.Sprintf("I%d", src.Intn(idPool))
		key := "client " + id
		if src.Intn(8) == 0 {
			key = "client " + acctID(src, m) // someone else's key
		}
		signer = broker
		msg = open(id, bank, func(o *custodyv1.OpeningRequest) {
			o.IdentityHash, o.ClientPubKey = hash32(identity), pubKey(key)
		})
		switch {
		case m.accounts[id] != nil:
			want = accounts.ErrAccountExists
		case bank == "bank-z":
			want = accounts.ErrUnknownBank
		case m.identity[broker.Owner+"|"+identity] != "":
			want = accounts.ErrDuplicateIdentity
		case m.claims[key] != "":
			want = accounts.ErrClientKeyTaken
		}
		apply = func() {
			m.claims[key] = id
			m.ids = append(m.ids, id)
			m.accounts[id] = &mAccount{status: custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING, broker: broker.Owner, bank: bank, identity: identity, key: key}
			m.identity[broker.Owner+"|"+identity] = id
		}
	case 1: // confirm or reject
		id := acctID(src, m)
		if p := m.latest(custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING); p != "" && src.Intn(4) != 0 {
			id = p
		}
		bank, approve := bankOf(src, m, id), src.Intn(6) != 0
		a := m.accounts[id]
		// The bank names the key the client gave it; one time in six it
		// names another (the broker's own key, say).
		named := "client " + id
		if a != nil {
			named = a.key
		}
		if src.Intn(6) == 0 {
			named = "broker's key for " + id
		}
		signer, msg = bank, confirmKeyMsg(id, approve, "no", pubKey(named))
		switch {
		case a == nil:
			want = accounts.ErrUnknownAccount
		case a.bank != bank.Owner:
			want = accounts.ErrWrongBank
		case a.status != custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING:
			want = accounts.ErrNotPending
		case approve && named != a.key:
			want = accounts.ErrClientKeyMismatch
		}
		apply = func() {
			if approve {
				a.status = custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE
			} else {
				a.status = custodyv1.AccountStatus_ACCOUNT_STATUS_REJECTED
				delete(m.claims, a.key)
				delete(m.identity, a.broker+"|"+a.identity)
			}
		}
	case 2, 3: // deposit
		id := acctID(src, m)
		bank, amount := bankOf(src, m, id), pick(src, amounts)
		serial := fmt.Sprintf("S%d", src.Intn(serialMax))
		a, key := m.accounts[id], bank.Owner+"/"+serial
		signer, msg = bank, depositMsg(serial, id, amount)
		prev := m.transfers[key]
		switch {
		case amount <= 0 || amount > transfers.MaxAmount:
			want = transfers.ErrBadAmount
		case prev != nil && (!prev.deposit || prev.account != id || prev.amount != amount):
			want = transfers.ErrDuplicateTransfer
		case prev != nil: // a resend: the first outcome, nothing changes
		case a == nil:
			want = accounts.ErrUnknownAccount
		case !valid(a):
			want = accounts.ErrNotActive
		case a.bank != bank.Owner:
			want = accounts.ErrWrongBank
		}
		apply = func() {
			if prev != nil {
				return
			}
			a.balance += amount
			m.supply += amount
			m.collect(a)
			m.transfers[key] = &mTransfer{account: id, id: serial, amount: amount, deposit: true}
			m.done = append(m.done, key)
		}
	case 4, 5: // request withdrawal
		id, owner, amount := acctID(src, m), acctID(src, m), pick(src, amounts)
		if src.Intn(4) != 0 {
			owner = id
		}
		tid := fmt.Sprintf("%s/w%d", id, src.Intn(serialMax))
		a := m.accounts[id]
		signer, msg = client(owner), withdrawMsg(tid, id, amount)
		var key string
		if a != nil {
			key = a.bank + "/" + tid
		}
		switch {
		case amount <= 0 || amount > transfers.MaxAmount:
			want = transfers.ErrBadAmount
		case owner != id:
			want = accounts.ErrNotOwner
		case a == nil:
			want = accounts.ErrUnknownAccount
		case !valid(a):
			want = accounts.ErrNotActive
		case m.transfers[key] != nil && m.transfers[key].amount != amount:
			want = transfers.ErrDuplicateTransfer
		case m.transfers[key] != nil: // a resend
		case a.frozen:
			want = transfers.ErrSenderFrozen
		case a.owed > 0:
			want = transfers.ErrReceivableOpen
		case amount > a.balance-a.fzAmt:
			want = funds.ErrOverdraft
		}
		apply = func() {
			if m.transfers[key] != nil {
				return
			}
			a.fzAmt += amount
			a.open++
			m.transfers[key] = &mTransfer{account: id, id: tid, amount: amount, pending: true}
			m.pending = append(m.pending, [2]string{id, tid})
		}
	case 6: // confirm withdrawal
		id := acctID(src, m)
		tid := fmt.Sprintf("%s/w%d", id, src.Intn(serialMax))
		if len(m.pending) > 0 && src.Intn(4) != 0 {
			p := m.pending[src.Intn(len(m.pending))]
			id, tid = p[0], p[1]
		}
		bank, success := bankOf(src, m, id), src.Intn(3) != 0
		a, tr := m.accounts[id], m.transfers[bank.Owner+"/"+tid]
		signer, msg = bank, confirmWithdrawalMsg(tid, success, "")
		switch {
		case a == nil:
			want = accounts.ErrUnknownAccount
		case a.bank != bank.Owner:
			want = accounts.ErrWrongBank
		case tr == nil:
			want = transfers.ErrUnknownTransfer
		case !tr.pending && tr.paid != success:
			want = transfers.ErrNotPending
		case !tr.pending: // the same answer again: the first outcome
		case success && a.frozen:
			want = transfers.ErrSenderFrozen
		}
		apply = func() {
			if !tr.pending {
				return
			}
			tr.pending, tr.paid = false, success
			for i, p := range m.pending {
				if p == [2]string{id, tid} {
					m.pending = append(m.pending[:i:i], m.pending[i+1:]...)
					break
				}
			}
			a.fzAmt -= tr.amount
			a.open--
			if success {
				a.balance -= tr.amount
				m.supply -= tr.amount
				m.done = append(m.done, a.bank+"/"+tid)
			}
		}
	case 11: // reversal (冲正) of a completed transfer, or of anything else
		var tr *mTransfer
		bank, tid := pick(src, banks), fmt.Sprintf("S%d", src.Intn(serialMax))
		if len(m.done) > 0 && src.Intn(5) != 0 {
			key := m.done[src.Intn(len(m.done))]
			tr = m.transfers[key]
			tid = tr.id
			bank = bankOf(src, m, tr.account)
		}
		tr = m.transfers[bank.Owner+"/"+tid]
		reason := "booked twice"
		if src.Intn(10) == 0 {
			reason = ""
		}
		signer, msg = bank, &custodyv1.Msg{Sum: &custodyv1.Msg_ReverseTransfer{ReverseTransfer: &custodyv1.MsgReverseTransfer{TransferId: tid, Reason: reason}}}
		var a *mAccount
		switch {
		case reason == "":
			want = transfers.ErrBadReason
		case tr != nil && tr.reversed: // a resend: the first reversal
		case tr == nil:
			want = transfers.ErrUnknownTransfer
		case tr.pending || (!tr.deposit && !tr.paid):
			want = transfers.ErrNotReversible
		case !valid(m.accounts[tr.account]):
			want = accounts.ErrNotActive
		default:
			a = m.accounts[tr.account]
		}
		apply = func() {
			if a == nil {
				return
			}
			tr.reversed = true
			if tr.deposit {
				taken := min(tr.amount, a.balance-a.fzAmt)
				a.balance -= taken
				a.owed += tr.amount - taken
				m.supply -= taken
				return
			}
			a.balance += tr.amount
			m.supply += tr.amount
			m.collect(a)
		}
	case 7: // freeze or unfreeze
		id, freeze := acctID(src, m), src.Intn(2) == 0
		a := m.accounts[id]
		signer = sRegulator
		if freeze {
			msg = freezeMsg(id, "r")
		} else {
			msg = unfreezeMsg(id, "r")
		}
		switch {
		case a == nil:
			want = accounts.ErrUnknownAccount
		case !valid(a):
			want = accounts.ErrNotActive
		case freeze && a.frozen:
			want = supervision.ErrAlreadyFrozen
		case !freeze && !a.frozen:
			want = supervision.ErrNotFrozen
		}
		apply = func() { a.frozen = freeze }
	case 8: // close, or a message from the wrong role
		id, broker := acctID(src, m), pick(src, brokers)
		a := m.accounts[id]
		if a != nil && src.Intn(4) != 0 {
			broker = sBrokerX
			if a.broker == brokerY {
				broker = sBrokerY
			}
		}
		if src.Intn(4) == 0 {
			signer, msg, want = sClearing, closeMsg(id), contracts.ErrUnauthorizedRole
			break
		}
		signer, msg = broker, closeMsg(id)
		switch {
		case a == nil:
			want = accounts.ErrUnknownAccount
		case a.broker != broker.Owner:
			want = accounts.ErrWrongBroker
		case !valid(a):
			want = accounts.ErrNotActive
		case a.frozen:
			want = accounts.ErrFrozen
		case a.balance != 0 || a.fzAmt != 0 || a.open != 0 || a.owed != 0:
			want = accounts.ErrNotEmpty
		case a.pendingKey != "":
			want = accounts.ErrKeyChangePending
		}
		apply = func() {
			a.status = custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED
			delete(m.identity, a.broker+"|"+a.identity)
		}
	case 9: // the broker proposes a new client key
		id, broker := acctID(src, m), pick(src, brokers)
		a := m.accounts[id]
		if a != nil && src.Intn(4) != 0 {
			broker = sBrokerX
			if a.broker == brokerY {
				broker = sBrokerY
			}
		}
		bank := bankA
		if a != nil {
			bank = a.bank
		}
		key := fmt.Sprintf("client %s/k%d", id, src.Intn(3))
		if src.Intn(8) == 0 {
			key = "client " + acctID(src, m) // someone else's key
		}
		signer, msg = broker, proposeKeyMsg(id, bank, pubKey(key), "lost phone")
		switch {
		case a == nil:
			want = accounts.ErrUnknownAccount
		case a.broker != broker.Owner:
			want = accounts.ErrWrongBroker
		case !valid(a):
			want = accounts.ErrNotActive
		case a.pendingKey != "":
			want = accounts.ErrKeyChangePending
		case m.claims[key] != "":
			want = accounts.ErrClientKeyTaken
		}
		apply = func() {
			a.pendingKey = key
			m.claims[key] = id
		}
	case 10: // the bank answers a key proposal
		id := acctID(src, m)
		bank, approve := bankOf(src, m, id), src.Intn(5) != 0
		a := m.accounts[id]
		named := "someone's key"
		if a != nil && a.pendingKey != "" && src.Intn(6) != 0 {
			named = a.pendingKey
		}
		signer, msg = bank, confirmNewKeyMsg(id, approve, pubKey(named), "no")
		switch {
		case a == nil:
			want = accounts.ErrUnknownAccount
		case a.bank != bank.Owner:
			want = accounts.ErrWrongBank
		case a.pendingKey == "":
			want = accounts.ErrNoKeyChange
		case approve && named != a.pendingKey:
			want = accounts.ErrClientKeyMismatch
		}
		apply = func() {
			if approve {
				a.oldKeys = append(a.oldKeys, a.key)
				a.key = a.pendingKey
			} else {
				delete(m.claims, a.pendingKey)
			}
			a.pendingKey = ""
		}
	}
	desc := fmt.Sprintf("%s %v", signer.Owner, msg)
	_, err := e.exec(signer, msg)
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: model expects success, contract refused: %v", desc, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: model expects %v, contract says %v", desc, want, err)
	case want == nil:
		apply()
	}
	return desc
}

// compare checks the contracts' state against the model, account by
// account, and runs every invariant.
func compare(t testing.TB, e *env, m *model, desc string) {
	t.Helper()
	for i := 0; i < len(m.ids)+2; i++ {
		id := fmt.Sprintf("A%d", i)
		want := m.accounts[id]
		got, err := accounts.Get(e.mem, id)
		if want == nil {
			if err == nil {
				t.Fatalf("after %s: account %s exists, model has none", desc, id)
			}
			continue
		}
		if err != nil || got.Status != want.status || got.Frozen != want.frozen || got.BrokerId != want.broker {
			t.Fatalf("after %s: account %s = %v (%v), model %+v", desc, id, got, err, want)
		}
		f := funds.Get(e.mem, id)
		if f == nil {
			if want.balance != 0 || want.status == custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
				t.Fatalf("after %s: account %s has no funds, model %+v", desc, id, want)
			}
			continue
		}
		if f.Balance != want.balance || f.Frozen != want.fzAmt || int(f.OpenWithdrawals) != want.open || f.Owed != want.owed {
			t.Fatalf("after %s: funds of %s = %v, model %+v", desc, id, f, want)
		}
		if want.status == custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED {
			if rec, err := auth.Get(e.mem, auth.Address(pubKey(want.key))); err != nil || !rec.Disabled {
				t.Fatalf("after %s: key of closed %s not disabled", desc, id)
			}
		}
		if string(got.ClientPubKey) != string(pubKey(want.key)) {
			t.Fatalf("after %s: account %s has client key %x, model %q", desc, id, got.ClientPubKey, want.key)
		}
		for _, old := range want.oldKeys {
			if rec, err := auth.Get(e.mem, auth.Address(pubKey(old))); err != nil || !rec.Disabled || rec.Owner != id {
				t.Fatalf("after %s: replaced key %q of %s: %v %v", desc, old, id, rec, err)
			}
		}
	}
	if s := funds.GetSupply(e.mem); s.Total != m.supply {
		t.Fatalf("after %s: supply %d, model %d", desc, s.Total, m.supply)
	}
	for _, r := range contracts.CheckInvariants(e.mem, ledger.Invariants()) {
		if r.Broken {
			t.Fatalf("after %s: invariant %s broken: %s", desc, r.Name, r.Msg)
		}
	}
}

// TestLedger_RandomOpsAgainstModel plays random op sequences from a fixed
// seed list; -short plays fewer and shorter ones.
func TestLedger_RandomOpsAgainstModel(t *testing.T) {
	seeds := []int64{1, 2, 3, 42, 1337, 20240601, 987654321, 5}
	steps := 600
	if testing.Short() {
		seeds, steps = seeds[:2], 150
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e, m := newEnv(t), newModel()
			src := rand.New(rand.NewSource(seed))
			accepted := 0
			for i := 0; i < steps; i++ {
				h := e.hash()
				desc := step(t, e, m, src)
				if string(h) != string(e.hash()) {
					accepted++
				}
				compare(t, e, m, fmt.Sprintf("step %d: %s", i, desc))
			}
			// A driver that only produces refusals would prove little.
			if accepted < steps/8 {
				t.Fatalf("only %d of %d ops were accepted", accepted, steps)
			}
			t.Logf("seed %d: %d of %d ops accepted, supply %d", seed, accepted, steps, m.supply)
		})
	}
}

// byteSource feeds the driver from fuzz input; it reports exhaustion so the
// program ends with the input.
type byteSource struct {
	data []byte
	i    int
}

func (b *byteSource) Intn(n int) int {
	if b.i >= len(b.data) {
		return 0
	}
	v := int(b.data[b.i])
	b.i++
	return v % n
}

// FuzzOps executes random op programs: each input is read as a sequence of
// choices for the same driver, checked against the model and the
// invariants after every op.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 2, 0, 0, 4, 0, 6})
	f.Add([]byte{0, 3, 1, 0, 1, 1, 3, 0, 0, 2, 3, 3, 0, 4, 5, 3, 3, 3, 0, 4, 5, 6, 3, 0, 0, 1, 7, 3, 0, 4, 3, 3, 0, 4, 7, 8, 3, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		e, m := newEnv(t), newModel()
		src := &byteSource{data: data}
		for i := 0; src.i < len(data) && i < 512; i++ {
			desc := step(t, e, m, src)
			compare(t, e, m, fmt.Sprintf("op %d: %s", i, desc))
		}
	})
}
