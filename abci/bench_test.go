package abci_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"syscall"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/calendar"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The node benchmark drives one App through what a validator does per
// block, over the production router and the load's custody mix
// (testnet/load/custody.go: deposits 36, withdrawal requests 24, orders 14,
// openings 3, and the follow-ups of each: confirmations, fills or cancels,
// approvals). Every tx must commit: the benchmark fails on any refusal, so it
// checks the fast paths as much as it times them.
//
// One iteration is one block of benchBlockTxs txs in the pipeline a node
// under load runs: CheckTx the next block's txs as they arrive (the mempool
// holds two blocks), PrepareProposal and ProcessProposal of the oldest,
// FinalizeBlock, Commit, then the recheck of what is left. It reports each
// stage in µs of CPU (the process's user and system time) per committed tx;
// ns/op is wall time per block.
const (
	benchBlockTxs = 1000
	benchAccounts = 64
	benchTraders  = 16
	benchKeys     = 8
	benchChainID  = "custody-bench-1"
	benchSecurity = "600000.SH"
	benchPrice    = 100000
	benchDate     = 20260105
)

type benchKey struct {
	priv ed25519.PrivateKey
	seq  uint64
}

type benchNet struct {
	b       testing.TB
	app     *abci.App
	height  int64
	secret  []byte
	banks   []*benchKey
	brokers []*benchKey
	clear   *benchKey
	clients []*benchKey // one per account, signing its withdrawals
	traders []ed25519.PrivateKey
	rng     uint64
	n       int
	// later holds follow-ups by the generation that may send them: a tx's
	// follow-up goes two blocks after it, when it has committed.
	later map[int][]func() []byte
	gen   int
}

func benchPriv(name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("bench key " + name))
	return ed25519.NewKeyFromSeed(s[:])
}

func pubOf(k ed25519.PrivateKey) []byte { return k.Public().(ed25519.PublicKey) }

func newBenchNet(b testing.TB, cfg abci.Config) *benchNet {
	b.Helper()
	n := &benchNet{b: b, secret: make([]byte, client.MinIdentitySecretLen), rng: 1, later: map[int][]func() []byte{}}
	participant := func(id string, role custodyv1.Role, keys int) (*custodyv1.Participant, []*benchKey) {
		p := &custodyv1.Participant{Id: id, Role: role, Name: id, ValidatorPower: 10}
		var out []*benchKey
		for i := 0; i < keys; i++ {
			k := benchPriv(fmt.Sprintf("%s/%d", id, i))
			p.PubKeys = append(p.PubKeys, pubOf(k))
			out = append(out, &benchKey{priv: k})
		}
		return p, out
	}
	bank, banks := participant("bank-1", custodyv1.Role_ROLE_BANK, benchKeys)
	broker, brokers := participant("broker-1", custodyv1.Role_ROLE_BROKER, benchKeys)
	reg, _ := participant("regulator-1", custodyv1.Role_ROLE_REGULATOR, 1)
	ch, chs := participant("clearing-house-1", custodyv1.Role_ROLE_CLEARING_HOUSE, 1)
	n.banks, n.brokers, n.clear = banks, brokers, chs[0]
	gen, err := protojson.Marshal(&custodyv1.GenesisState{Calendar: &custodyv1.CalendarGenesis{Params: calendar.AlwaysOpen()}, Participants: []*custodyv1.Participant{bank, broker, reg, ch}})
	if err != nil {
		b.Fatal(err)
	}
	app, err := abci.NewApp(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = app.Close() })
	n.app = app
	if _, err := app.InitChain(context.Background(), &abcitypes.RequestInitChain{
		ChainId: benchChainID, InitialHeight: 1, Time: n.blockTime(), AppStateBytes: gen,
	}); err != nil {
		b.Fatal(err)
	}

	// Setup as the load does it: open, approve and fund every account, and
	// open the business day with the instrument listed.
	type acct struct {
		id           string
		key          ed25519.PrivateKey
		shareholders []string
	}
	var accts []acct
	for i := 0; i < benchAccounts; i++ {
		k := &benchKey{priv: benchPriv(fmt.Sprintf("client %d", i))}
		n.clients = append(n.clients, k)
		accts = append(accts, acct{accountID(i), k.priv, nil})
	}
	for i := 0; i < benchTraders; i++ {
		k := benchPriv(fmt.Sprintf("trader %d", i))
		n.traders = append(n.traders, k)
		accts = append(accts, acct{traderID(i), k, []string{fmt.Sprintf("A%09d", i)}})
	}
	var open, approve, fund [][]byte
	for i, a := range accts {
		open = append(open, n.openTx(n.brokers[i%benchKeys], a.id, a.key, a.shareholders))
	}
	for i, a := range accts {
		approve = append(approve, n.sign(n.banks[i%benchKeys], client.ConfirmAccountMsg(a.id, pubOf(a.key))))
	}
	for i, a := range accts {
		fund = append(fund, n.sign(n.banks[i%benchKeys], &custodyv1.MsgBankToBroker{TransferId: "INIT-" + a.id, AccountId: a.id, Amount: 1_000_000_000}))
	}
	day := n.sign(n.clear, &custodyv1.MsgEndOfDay{Date: 0, NextDate: benchDate, Instruments: []*custodyv1.Instrument{{
		Security: benchSecurity, Name: "Bench Bank", Board: custodyv1.Board_BOARD_MAIN,
		ReferencePrice: benchPrice, Cycle: custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1,
	}}})
	for _, txs := range [][][]byte{open, approve, fund, {day}} {
		n.commitAll(txs)
	}
	return n
}

func accountID(i int) string { return fmt.Sprintf("LC-%05d", i) }
func traderID(i int) string  { return fmt.Sprintf("LT-%05d", i) }

func (n *benchNet) blockTime() time.Time {
	return time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC).Add(time.Duration(n.height) * time.Second)
}

func (n *benchNet) sign(k *benchKey, msg proto.Message) []byte {
	tx, err := client.Sign(k.priv, benchChainID, k.seq, "", msg)
	if err != nil {
		n.b.Fatal(err)
	}
	k.seq++
	return tx
}

func (n *benchNet) openTx(broker *benchKey, acct string, key ed25519.PrivateKey, shareholders []string) []byte {
	id, err1 := client.IdentityHash(n.secret, "bench identity "+acct)
	card, err2 := client.CardHash(n.secret, "bench card "+acct)
	if err1 != nil || err2 != nil {
		n.b.Fatal(err1, err2)
	}
	m, err := client.OpenAccountMsg(key, &custodyv1.OpeningRequest{
		ChainId: benchChainID, AccountId: acct, BrokerId: "broker-1", BankId: "bank-1",
		IdentityHash: id, BankCardHash: card, ShareholderAccounts: shareholders,
	})
	if err != nil {
		n.b.Fatal(err)
	}
	return n.sign(broker, m)
}

// next is a deterministic xorshift: the mix must be the same every run.
func (n *benchNet) next(bound int) int {
	n.rng ^= n.rng << 13
	n.rng ^= n.rng >> 7
	n.rng ^= n.rng << 17
	return int(n.rng % uint64(bound))
}

// mix returns count txs of the custody mix, follow-ups first.
func (n *benchNet) mix(count int) [][]byte {
	n.gen++
	var txs [][]byte
	for _, f := range n.later[n.gen] {
		if len(txs) < count {
			txs = append(txs, f())
		} else {
			n.later[n.gen+1] = append(n.later[n.gen+1], f)
		}
	}
	delete(n.later, n.gen)
	followUp := func(f func() []byte) { n.later[n.gen+2] = append(n.later[n.gen+2], f) }
	for len(txs) < count {
		n.n++
		id := n.n
		switch w := n.next(36 + 24 + 14 + 3); {
		case w < 36:
			bank := n.banks[n.next(benchKeys)]
			txs = append(txs, n.sign(bank, &custodyv1.MsgBankToBroker{
				TransferId: fmt.Sprintf("LD-%08d", id), AccountId: accountID(n.next(benchAccounts)), Amount: 100 + int64(n.next(1_000_000)),
			}))
		case w < 36+24:
			i := n.next(benchAccounts)
			transfer := fmt.Sprintf("%s/W%d", accountID(i), id)
			txs = append(txs, n.sign(n.clients[i], &custodyv1.MsgRequestWithdrawal{
				TransferId: transfer, AccountId: accountID(i), Amount: 1 + int64(n.next(10_000)),
			}))
			pay := id%10 != 0
			followUp(func() []byte {
				m := &custodyv1.MsgConfirmWithdrawal{TransferId: transfer, Success: pay}
				if !pay {
					m.Reason = "bench: bank card closed"
				}
				return n.sign(n.banks[n.next(benchKeys)], m)
			})
		case w < 36+24+14:
			i := n.next(benchTraders)
			qty := int64(100 * (1 + n.next(5)))
			t := &custodyv1.OrderTicket{
				ChainId: benchChainID, OrderId: fmt.Sprintf("%s/O%d", traderID(i), id), AccountId: traderID(i), Security: benchSecurity,
				Side: custodyv1.Side_SIDE_BUY, Type: custodyv1.OrderType_ORDER_TYPE_LIMIT, Price: benchPrice, Quantity: qty,
				BusinessDate: benchDate,
			}
			txs = append(txs, n.sign(n.brokers[n.next(benchKeys)], &custodyv1.MsgPlaceOrder{Ticket: t, ClientSignature: trading.SignOrder(n.traders[i], t)}))
			key := n.traders[i]
			followUp(func() []byte {
				if id%3 != 0 {
					return n.sign(n.brokers[n.next(benchKeys)], &custodyv1.MsgReportFill{
						ExecId: fmt.Sprintf("LX-%d", id), OrderId: t.OrderId, Price: t.Price, Quantity: qty,
					})
				}
				ct := &custodyv1.CancelTicket{ChainId: benchChainID, OrderId: t.OrderId}
				return n.sign(n.brokers[n.next(benchKeys)], &custodyv1.MsgCancelOrder{Ticket: ct, ClientSignature: trading.SignCancel(key, ct)})
			})
		default:
			acct := fmt.Sprintf("LN-%06d", id)
			key := benchPriv("new " + acct)
			txs = append(txs, n.openTx(n.brokers[n.next(benchKeys)], acct, key, nil))
			followUp(func() []byte { return n.sign(n.banks[n.next(benchKeys)], client.ConfirmAccountMsg(acct, pubOf(key))) })
		}
	}
	return txs
}

func (n *benchNet) checkTx(tx []byte, typ abcitypes.CheckTxType) {
	res, err := n.app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: tx, Type: typ})
	if err != nil || res.Code != 0 {
		n.b.Fatalf("CheckTx (%v): %v %s", typ, err, res.Log)
	}
}

// cpuTime is the CPU this process has used (user and system, every
// thread: the garbage collector's share is the app's too). On a shared
// machine it moves far less than wall time under other jobs' load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// block runs one height over txs: proposal, FinalizeBlock, Commit. It
// returns the time each stage took.
func (n *benchNet) block(txs [][]byte) (propose, finalize, commit time.Duration) {
	ctx := context.Background()
	n.height++
	t0 := cpuTime()
	prep, err := n.app.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 30, Height: n.height, Time: n.blockTime()})
	if err != nil || len(prep.Txs) != len(txs) {
		n.b.Fatalf("PrepareProposal: %v, kept %d of %d", err, len(prep.Txs), len(txs))
	}
	proc, err := n.app.ProcessProposal(ctx, &abcitypes.RequestProcessProposal{Txs: prep.Txs, Height: n.height, Time: n.blockTime()})
	if err != nil || proc.Status != abcitypes.ResponseProcessProposal_ACCEPT {
		n.b.Fatalf("ProcessProposal: %v %v", err, proc.Status)
	}
	t1 := cpuTime()
	res, err := n.app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Txs: prep.Txs, Height: n.height, Time: n.blockTime()})
	if err != nil {
		n.b.Fatal(err)
	}
	for i, r := range res.TxResults {
		if r.Code != 0 {
			n.b.Fatalf("height %d tx %d: %s/%d %s", n.height, i, r.Codespace, r.Code, r.Log)
		}
	}
	t2 := cpuTime()
	if _, err := n.app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		n.b.Fatal(err)
	}
	return t1 - t0, t2 - t1, cpuTime() - t2
}

// commitAll checks txs and commits them in one block (setup).
func (n *benchNet) commitAll(txs [][]byte) {
	for _, tx := range txs {
		n.checkTx(tx, abcitypes.CheckTxType_New)
	}
	n.block(txs)
}

// BenchmarkNodeBlock is the per-tx cost of one node: see the comment at
// the top of this file. Run it with -benchtime Nx (N blocks) and -count.
func BenchmarkNodeBlock(b *testing.B) {
	abci.SetDecodeCheck(false) // a test's check, not a node's cost
	defer abci.SetDecodeCheck(true)
	for _, disk := range []bool{false, true} {
		name := "mem"
		if disk {
			name = "leveldb"
		}
		b.Run(name, func(b *testing.B) {
			cfg := abci.Config{}
			if disk {
				cfg = abci.Config{Dir: b.TempDir(), PruneKeepRecent: 1000}
			}
			n := newBenchNet(b, cfg)
			pending := n.mix(benchBlockTxs)
			for _, tx := range pending {
				n.checkTx(tx, abcitypes.CheckTxType_New)
			}
			var check, recheck, propose, finalize, commit time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				arriving := n.mix(benchBlockTxs)
				b.StartTimer()
				t0 := cpuTime()
				for _, tx := range arriving {
					n.checkTx(tx, abcitypes.CheckTxType_New)
				}
				check += cpuTime() - t0
				p, f, c := n.block(pending)
				propose, finalize, commit = propose+p, finalize+f, commit+c
				t1 := cpuTime()
				for _, tx := range arriving {
					n.checkTx(tx, abcitypes.CheckTxType_Recheck)
				}
				recheck += cpuTime() - t1
				pending = arriving
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N*benchBlockTxs) }
			b.ReportMetric(per(check+recheck+propose+finalize+commit), "µs/tx")
			b.ReportMetric(per(check), "check-µs/tx")
			b.ReportMetric(per(recheck), "recheck-µs/tx")
			b.ReportMetric(per(propose), "propose-µs/tx")
			b.ReportMetric(per(finalize), "finalize-µs/tx")
			b.ReportMetric(per(commit), "commit-µs/tx")
		})
	}
}

// TestNodeBlock_CustodyMix runs a few blocks of the benchmark's mix over the
// real contracts: every tx commits, through the caches (signatures, decoded
// txs) and the recheck, and no contract modifies a cached message (the
// package's tests compare each delivered tx with a fresh decoding).
func TestNodeBlock_CustodyMix(t *testing.T) {
	n := newBenchNet(t, abci.Config{})
	pending := n.mix(200)
	for _, tx := range pending {
		n.checkTx(tx, abcitypes.CheckTxType_New)
	}
	for i := 0; i < 4; i++ {
		arriving := n.mix(200)
		for _, tx := range arriving {
			n.checkTx(tx, abcitypes.CheckTxType_New)
		}
		n.block(pending)
		for _, tx := range arriving {
			n.checkTx(tx, abcitypes.CheckTxType_Recheck)
		}
		pending = arriving
	}
}
