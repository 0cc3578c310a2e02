package abci

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/calendar"
	"github.com/custody-ledger/custody/credential"
	"github.com/custody-ledger/custody/proof"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The tests drive the App with a small router of their own over real
// message types, so that they exercise the adapter (envelope, caches,
// sequence rule, proofs, snapshots) independently of how far the real
// contracts have got. Its state lives under testPrefix.
const testChainID = "custody-test-1"

var (
	testPrefix      = []byte{0xF0}
	errTestRefused  = contracts.Register("abcitest", 1, "refused by the test contract")
	errTestOverdraw = contracts.Register("abcitest", 2, "overdraft")
	errTestDup      = contracts.Register("abcitest", 3, "duplicate transfer id")
	errTestInvalid  = contracts.Register("abcitest", 4, "invalid test message")
)

func testKey(prefix string, parts ...string) []byte {
	k := append([]byte(nil), testPrefix...)
	k = append(k, prefix...)
	for _, p := range parts {
		k = append(k, '/')
		k = append(k, p...)
	}
	return k
}

func getInt(st contracts.Store, key []byte) int64 {
	bz := st.Get(key)
	if bz == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(bz))
}

func setInt(st contracts.Store, key []byte, v int64) []byte {
	bz := binary.BigEndian.AppendUint64(nil, uint64(v))
	st.Set(key, bz)
	return bz
}

// testRouter: the bank credits ("bank_to_broker", idempotent on transfer
// id), the broker debits ("request_withdrawal", no overdraft), the regulator
// freezes ("freeze_account"; account "refuse" is refused).
func testRouter() *contracts.Router {
	bank := []custodyv1.Role{custodyv1.Role_ROLE_BANK}
	broker := []custodyv1.Role{custodyv1.Role_ROLE_BROKER}
	reg := []custodyv1.Role{custodyv1.Role_ROLE_REGULATOR}
	return contracts.NewRouter(
		contracts.Handle("bank_to_broker", bank,
			func(m *custodyv1.MsgBankToBroker) error {
				if m.TransferId == "" || m.AccountId == "" || m.Amount <= 0 {
					return errTestInvalid.Wrapf("transfer %q account %q amount %d", m.TransferId, m.AccountId, m.Amount)
				}
				return nil
			},
			func(c *contracts.Context, m *custodyv1.MsgBankToBroker) ([]byte, error) {
				tk := testKey("transfer", m.TransferId)
				if c.Store.Has(tk) {
					return nil, errTestDup.Wrapf("%s", m.TransferId)
				}
				c.Store.Set(tk, []byte(m.AccountId))
				setInt(c.Store, testKey("total"), getInt(c.Store, testKey("total"))+m.Amount)
				c.Emit("credit", "account", m.AccountId, "transfer", m.TransferId)
				return setInt(c.Store, testKey("balance", m.AccountId), getInt(c.Store, testKey("balance", m.AccountId))+m.Amount), nil
			}),
		contracts.Handle("request_withdrawal", broker,
			func(m *custodyv1.MsgRequestWithdrawal) error {
				if m.AccountId == "" || m.Amount <= 0 {
					return errTestInvalid.Wrapf("account %q amount %d", m.AccountId, m.Amount)
				}
				return nil
			},
			func(c *contracts.Context, m *custodyv1.MsgRequestWithdrawal) ([]byte, error) {
				bal := getInt(c.Store, testKey("balance", m.AccountId))
				if bal < m.Amount {
					return nil, errTestOverdraw.Wrapf("balance %d, amount %d", bal, m.Amount)
				}
				setInt(c.Store, testKey("total"), getInt(c.Store, testKey("total"))-m.Amount)
				return setInt(c.Store, testKey("balance", m.AccountId), bal-m.Amount), nil
			}),
		contracts.Handle("freeze_account", reg,
			func(m *custodyv1.MsgFreezeAccount) error {
				if m.AccountId == "" {
					return errTestInvalid.Wrapf("empty account")
				}
				return nil
			},
			func(c *contracts.Context, m *custodyv1.MsgFreezeAccount) ([]byte, error) {
				// Write before refusing: the refusal must drop this write.
				c.Store.Set(testKey("frozen", m.AccountId), []byte(m.Reason))
				switch m.AccountId {
				case "refuse":
					return nil, errTestRefused.Wrapf("account %q", m.AccountId)
				case "panic": // a contract bug
					var missing map[string]*custodyv1.MsgFreezeAccount
					_ = missing["x"].Reason
				case "disk-failure": // what store.IAVL panics with when the disk fails
					panic(&store.Failure{Op: "get", Key: []byte("k"), Err: errors.New("input/output error")})
				}
				c.Emit("freeze", "account", m.AccountId)
				return nil, nil
			}),
	)
}

// testInvariants: the sum of balances equals the credited total, none negative.
func testInvariants() []contracts.Invariant {
	return []contracts.Invariant{{
		Name: "test/total",
		Check: func(st contracts.Store) (string, bool) {
			prefix := testKey("balance", "")
			it := st.Iterator(prefix, contracts.PrefixEnd(prefix))
			defer it.Close()
			var sum int64
			for ; it.Valid(); it.Next() {
				v := int64(binary.BigEndian.Uint64(it.Value()))
				if v < 0 {
					return "negative balance", true
				}
				sum += v
			}
			if total := getInt(st, testKey("total")); total != sum {
				return "balances do not add up to the total", true
			}
			return "ok", false
		},
	}}
}

// signer is a test key. Keys are derived from names, so every run (and the
// golden hash) sees the same keys.
type signer struct {
	name string
	priv ed25519.PrivateKey
	seq  uint64
}

func newSigner(name string) *signer {
	seed := sha256.Sum256([]byte("abci-test-key/" + name))
	return &signer{name: name, priv: ed25519.NewKeyFromSeed(seed[:])}
}

func (s *signer) pub() []byte     { return s.priv.Public().(ed25519.PublicKey) }
func (s *signer) address() string { return auth.Address(s.pub()) }

type testNet struct {
	bank, broker, regulator *signer
	outsider                *signer // not in genesis
}

func newTestNet() *testNet {
	return &testNet{
		bank:      newSigner("bank"),
		broker:    newSigner("broker"),
		regulator: newSigner("regulator"),
		outsider:  newSigner("outsider"),
	}
}

func (n *testNet) genesis(t testing.TB) []byte {
	gen := &custodyv1.GenesisState{Calendar: &custodyv1.CalendarGenesis{Params: calendar.AlwaysOpen()}, Participants: []*custodyv1.Participant{
		{Id: "bank-a", Role: custodyv1.Role_ROLE_BANK, Name: "Bank A", PubKeys: [][]byte{n.bank.pub()}, ValidatorPower: 10},
		{Id: "broker-a", Role: custodyv1.Role_ROLE_BROKER, Name: "Broker A", PubKeys: [][]byte{n.broker.pub()}, ValidatorPower: 10},
		{Id: "regulator", Role: custodyv1.Role_ROLE_REGULATOR, Name: "Regulator", PubKeys: [][]byte{n.regulator.pub()}, ValidatorPower: 10},
	}}
	bz, err := protojson.Marshal(gen)
	require.NoError(t, err)
	return bz
}

// txOpts alter a tx for the refusal tests.
type txOpts struct {
	chainID  string
	seq      *uint64
	memo     string
	badSig   bool
	asSigner string // body signer address override
}

// sign builds a canonical signed tx and advances the signer's sequence.
func (s *signer) sign(t testing.TB, msg *custodyv1.Msg) []byte {
	tx := s.signWith(t, msg, txOpts{})
	s.seq++
	return tx
}

func (s *signer) signWith(t testing.TB, msg *custodyv1.Msg, o txOpts) []byte {
	if o.chainID == "" {
		o.chainID = testChainID
	}
	seq := s.seq
	if o.seq != nil {
		seq = *o.seq
	}
	addr := s.address()
	if o.asSigner != "" {
		addr = o.asSigner
	}
	body := &custodyv1.TxBody{ChainId: o.chainID, Signer: addr, Sequence: seq, Memo: o.memo, Msg: msg}
	bodyBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(body)
	require.NoError(t, err)
	sig := ed25519.Sign(s.priv, auth.SignBytes(bodyBytes))
	if o.badSig {
		sig[0] ^= 1
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(&custodyv1.TxRaw{BodyBytes: bodyBytes, Signature: sig})
	require.NoError(t, err)
	return raw
}

func credit(transfer, account string, amount int64) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_BankToBroker{BankToBroker: &custodyv1.MsgBankToBroker{TransferId: transfer, AccountId: account, Amount: amount}}}
}

func debit(account string, amount int64) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_RequestWithdrawal{RequestWithdrawal: &custodyv1.MsgRequestWithdrawal{TransferId: "w", AccountId: account, Amount: amount}}}
}

func freeze(account string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_FreezeAccount{FreezeAccount: &custodyv1.MsgFreezeAccount{AccountId: account, Reason: "test"}}}
}

// chain drives one App through blocks, as CometBFT would.
type chain struct {
	t      testing.TB
	app    *App
	height int64
	retain int64 // RetainHeight of the last Commit
}

var genesisTime = time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)

func newTestApp(t testing.TB, cfg Config) *App {
	t.Helper()
	app, err := newApp(cfg, testRouter(), testInvariants())
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close() })
	return app
}

// newChain makes an app and runs InitChain with the test genesis.
func newChain(t testing.TB, cfg Config, net *testNet) *chain {
	t.Helper()
	app := newTestApp(t, cfg)
	_, err := app.InitChain(context.Background(), &abcitypes.RequestInitChain{
		ChainId: testChainID, InitialHeight: 1, Time: genesisTime, AppStateBytes: net.genesis(t),
	})
	require.NoError(t, err)
	return &chain{t: t, app: app}
}

func blockTime(h int64) time.Time { return genesisTime.Add(time.Duration(h) * time.Second) }

// finalize runs FinalizeBlock (without Commit) for the next height.
func (c *chain) finalize(txs ...[]byte) *abcitypes.ResponseFinalizeBlock {
	c.t.Helper()
	res, err := c.app.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{
		Height: c.height + 1, Time: blockTime(c.height + 1), Txs: txs,
	})
	require.NoError(c.t, err)
	require.Len(c.t, res.TxResults, len(txs))
	return res
}

// block runs FinalizeBlock and Commit, and checks the invariants.
func (c *chain) block(txs ...[]byte) *abcitypes.ResponseFinalizeBlock {
	c.t.Helper()
	res := c.finalize(txs...)
	c.commit()
	return res
}

func (c *chain) commit() {
	c.t.Helper()
	res, err := c.app.Commit(context.Background(), &abcitypes.RequestCommit{})
	require.NoError(c.t, err)
	c.retain = res.RetainHeight
	c.height++
	for _, r := range c.app.CheckInvariants() {
		require.False(c.t, r.Broken, "height %d: invariant %s: %s", c.height, r.Name, r.Msg)
	}
}

func (c *chain) checkTx(tx []byte) *abcitypes.ResponseCheckTx {
	c.t.Helper()
	res, err := c.app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: tx, Type: abcitypes.CheckTxType_New})
	require.NoError(c.t, err)
	return res
}

func (c *chain) info() *abcitypes.ResponseInfo {
	c.t.Helper()
	res, err := c.app.Info(context.Background(), &abcitypes.RequestInfo{})
	require.NoError(c.t, err)
	return res
}

// query asks as the regulator, who may read every record (the test
// contracts' keys belong to no declared kind, so only it reads them).
func (c *chain) query(path string, data []byte, height int64, prove bool) *abcitypes.ResponseQuery {
	c.t.Helper()
	return c.queryAs(c.token(regulatorKey), path, data, height, prove)
}

// queryAs asks with the credential token ("" for an anonymous query).
func (c *chain) queryAs(token, path string, data []byte, height int64, prove bool) *abcitypes.ResponseQuery {
	c.t.Helper()
	res, err := c.app.Query(context.Background(), &abcitypes.RequestQuery{
		Path: path, Data: proof.WithCredential(token, data), Height: height, Prove: prove,
	})
	require.NoError(c.t, err)
	return res
}

// regulatorKey is newTestNet's regulator key.
var regulatorKey = newSigner("regulator").priv

// token is a credential of key issued at the last block's time (the clock
// the app checks credentials against).
func (c *chain) token(key ed25519.PrivateKey) string {
	c.t.Helper()
	tok, err := credential.NewToken(key, testChainID, blockTime(c.height), time.Minute)
	require.NoError(c.t, err)
	return tok
}

// requireCode asserts a result's (codespace, code) is err's.
func requireCode(t testing.TB, want *contracts.Error, codespace string, code uint32, log string) {
	t.Helper()
	require.Equal(t, want.Codespace+"/"+itoa(want.Code), codespace+"/"+itoa(code), "log: %s", log)
}

func itoa(c uint32) string { return strconv.FormatUint(uint64(c), 10) }
