package ledger_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/calendar"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Participants of the test network.
const (
	bankA     = "bank-a"
	bankB     = "bank-b"
	brokerX   = "broker-x"
	brokerY   = "broker-y"
	regulator = "regulator"
	clearing  = "clearing"
)

// pubKey is the public half of privKey(name). It remembers the pair, so
// that the harness can sign a client's request for whatever key a test
// names (signClientRequests).
func pubKey(name string) []byte {
	pub := []byte(privKey(name).Public().(ed25519.PublicKey))
	keysByPub.Store(string(pub), privKey(name))
	return pub
}

// privKey is the private key of a test participant or client.
func privKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

var keysByPub sync.Map // string(public key) → ed25519.PrivateKey

func hash32(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// alwaysOpen is the calendar of the contract tests: no transfer hours, no
// trading calendar, so the suite runs whatever the block times.
func alwaysOpen() *custodyv1.CalendarGenesis {
	return &custodyv1.CalendarGenesis{Params: calendar.AlwaysOpen()}
}

// sessionsOff are the default trading parameters without the trading
// sessions (the production default enforces them): the contract tests'
// block times are not market hours.
func sessionsOff() *custodyv1.TradingGenesis {
	p := trading.DefaultParams()
	p.TradingHours.Enabled = false
	return &custodyv1.TradingGenesis{Params: p}
}

func genesis() *custodyv1.GenesisState {
	p := func(id string, role custodyv1.Role) *custodyv1.Participant {
		return &custodyv1.Participant{Id: id, Role: role, Name: id, PubKeys: [][]byte{pubKey(id)}, ValidatorPower: 10}
	}
	return &custodyv1.GenesisState{Calendar: alwaysOpen(), Trading: sessionsOff(), Participants: []*custodyv1.Participant{
		p(bankA, custodyv1.Role_ROLE_BANK),
		p(bankB, custodyv1.Role_ROLE_BANK),
		p(brokerX, custodyv1.Role_ROLE_BROKER),
		p(brokerY, custodyv1.Role_ROLE_BROKER),
		p(regulator, custodyv1.Role_ROLE_REGULATOR),
		p(clearing, custodyv1.Role_ROLE_CLEARING_HOUSE),
	}}
}

// env is a chain without consensus: the real IAVL tree, the real router, a
// Cache per message exactly as the abci package runs a tx.
type env struct {
	t      testing.TB
	mem    store.IAVL
	router *contracts.Router
	height int64
	events []contracts.Event
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, mem: store.NewMem(), router: ledger.NewRouter(), height: 1}
	if err := ledger.InitGenesis(e.mem, genesis()); err != nil {
		t.Fatalf("genesis: %v", err)
	}
	return e
}

func (e *env) hash() []byte { return e.mem.Tree.WorkingHash() }

// participant returns the Signer of a participant's genesis key.
func participant(id string, role custodyv1.Role) contracts.Signer {
	return contracts.Signer{Address: auth.Address(pubKey(id)), Role: role, Owner: id}
}

var (
	sBankA     = participant(bankA, custodyv1.Role_ROLE_BANK)
	sBankB     = participant(bankB, custodyv1.Role_ROLE_BANK)
	sBrokerX   = participant(brokerX, custodyv1.Role_ROLE_BROKER)
	sBrokerY   = participant(brokerY, custodyv1.Role_ROLE_BROKER)
	sRegulator = participant(regulator, custodyv1.Role_ROLE_REGULATOR)
	sClearing  = participant(clearing, custodyv1.Role_ROLE_CLEARING_HOUSE)
)

// client is the Signer of an account's client key (as auth would return it).
func client(accountID string) contracts.Signer {
	return contracts.Signer{Address: auth.Address(pubKey("client " + accountID)), Role: custodyv1.Role_ROLE_CLIENT, Owner: accountID}
}

// exec runs one message through a Cache over the tree. On success the
// cache is written through; on failure it is dropped, and exec checks that
// the contract wrote nothing at all before refusing and that the tree's
// working hash did not move.
func (e *env) exec(s contracts.Signer, msg *custodyv1.Msg) ([]byte, error) {
	e.t.Helper()
	before := e.hash()
	cache := store.NewCache(e.mem)
	ctx := contracts.NewContext(contracts.Block{
		ChainID: "test", Height: e.height, Time: time.Unix(1_700_000_000+e.height, 0).UTC(),
	}, s, cache, hash32("tx"))
	e.height++
	signClientRequests(s, msg)
	data, err := e.router.Deliver(ctx, msg)
	if err != nil {
		if cache.Len() != 0 {
			e.t.Fatalf("refused message left %d writes in its cache: %v", cache.Len(), err)
		}
		if !bytes.Equal(before, e.hash()) {
			e.t.Fatalf("refused message changed the tree: %v", err)
		}
		return nil, err
	}
	cache.Write()
	e.events = ctx.Events()
	return data, nil
}

// must runs a message that has to succeed.
func (e *env) must(s contracts.Signer, msg *custodyv1.Msg) []byte {
	e.t.Helper()
	data, err := e.exec(s, msg)
	if err != nil {
		e.t.Fatalf("%v: %v", msg, err)
	}
	return data
}

// checkInvariants fails the test on any broken invariant.
func (e *env) checkInvariants() {
	e.t.Helper()
	for _, r := range contracts.CheckInvariants(e.mem, ledger.Invariants()) {
		if r.Broken {
			e.t.Fatalf("invariant %s broken: %s", r.Name, r.Msg)
		}
	}
}

// Message builders.

// openMsg is a broker's opening of account id at bank for the client key
// pubKey("client " + id). The request's broker and the client's signature
// are filled in by exec (signClientRequests) unless a test sets them.
func openMsg(id, bank string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_OpenAccount{OpenAccount: &custodyv1.MsgOpenAccount{Request: &custodyv1.OpeningRequest{
		ChainId: "test", AccountId: id, ClientPubKey: pubKey("client " + id), IdentityHash: hash32("identity " + id),
		BankCardHash: hash32("card " + id), BankId: bank, ShareholderAccounts: []string{"A123456789"},
	}}}}
}

// signClientRequests plays the client of a test: a client-signed request
// (opening, key replacement) that a test left unsigned is addressed to the
// broker that submits it, if it names none, and signed with the private
// key of the public key it names, when the harness knows one. Tests of a
// bad signature or of another broker's request set those fields
// themselves.
func signClientRequests(s contracts.Signer, msg *custodyv1.Msg) {
	if o := msg.GetOpenAccount(); o != nil && o.Request != nil && o.ClientSignature == nil {
		if o.Request.BrokerId == "" {
			o.Request.BrokerId = s.Owner
		}
		if k, ok := keysByPub.Load(string(o.Request.ClientPubKey)); ok {
			o.ClientSignature = accounts.SignOpening(k.(ed25519.PrivateKey), o.Request)
		}
	}
	if p := msg.GetProposeClientKey(); p != nil && p.Request != nil && p.ClientSignature == nil {
		if p.Request.BrokerId == "" {
			p.Request.BrokerId = s.Owner
		}
		if k, ok := keysByPub.Load(string(p.Request.NewClientPubKey)); ok {
			p.ClientSignature = accounts.SignClientKey(k.(ed25519.PrivateKey), p.Request)
		}
	}
}

// confirmMsg is the bank's answer to the opening of id; an approval names
// the key openMsg used.
func confirmMsg(id string, approve bool, reason string) *custodyv1.Msg {
	var key []byte
	if approve {
		key = pubKey("client " + id)
	}
	return confirmKeyMsg(id, approve, reason, key)
}

// confirmKeyMsg is the bank's answer to an opening naming client key key.
func confirmKeyMsg(id string, approve bool, reason string, key []byte) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ConfirmAccount{ConfirmAccount: &custodyv1.MsgConfirmAccount{
		AccountId: id, Approve: approve, Reason: reason, ClientPubKey: key}}}
}

// proposeKeyMsg is a broker's proposal of key newKey for account id at
// bank, signed by exec with newKey's private half.
func proposeKeyMsg(id, bank string, newKey []byte, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ProposeClientKey{ProposeClientKey: &custodyv1.MsgProposeClientKey{
		Request: &custodyv1.ClientKeyRequest{ChainId: "test", AccountId: id, BankId: bank, NewClientPubKey: newKey},
		Reason:  reason,
	}}}
}

// confirmNewKeyMsg is the bank's answer to a proposed key replacement.
func confirmNewKeyMsg(id string, approve bool, newKey []byte, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ConfirmClientKey{ConfirmClientKey: &custodyv1.MsgConfirmClientKey{
		AccountId: id, Approve: approve, NewClientPubKey: newKey, Reason: reason}}}
}

func closeMsg(id string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_CloseAccount{CloseAccount: &custodyv1.MsgCloseAccount{AccountId: id}}}
}

func depositMsg(transferID, account string, amount int64) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_BankToBroker{BankToBroker: &custodyv1.MsgBankToBroker{TransferId: transferID, AccountId: account, Amount: amount}}}
}

func withdrawMsg(transferID, account string, amount int64) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_RequestWithdrawal{RequestWithdrawal: &custodyv1.MsgRequestWithdrawal{TransferId: transferID, AccountId: account, Amount: amount}}}
}

func confirmWithdrawalMsg(transferID string, success bool, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ConfirmWithdrawal{ConfirmWithdrawal: &custodyv1.MsgConfirmWithdrawal{TransferId: transferID, Success: success, Reason: reason}}}
}

func freezeMsg(account, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_FreezeAccount{FreezeAccount: &custodyv1.MsgFreezeAccount{AccountId: account, Reason: reason}}}
}

func unfreezeMsg(account, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_UnfreezeAccount{UnfreezeAccount: &custodyv1.MsgUnfreezeAccount{AccountId: account, Reason: reason}}}
}

// active opens and confirms an account of brokerX at bank.
func (e *env) active(id, bank string, broker contracts.Signer, bankSigner contracts.Signer) {
	e.t.Helper()
	e.must(broker, openMsg(id, bank))
	e.must(bankSigner, confirmMsg(id, true, ""))
}

// auditor is the regulator's reader: it may read every record, so the
// tests that check what a query computes read as it (reads_test.go checks
// what other readers see).
var auditor = contracts.Reader{Address: "regulator-key", Role: custodyv1.Role_ROLE_REGULATOR, Owner: "REG"}
