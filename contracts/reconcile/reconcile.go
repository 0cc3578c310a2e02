// Package reconcile is the daily reconciliation (对账) between each custody
// bank's books and the chain. After end-of-day clearing of a business
// date, a bank submits, per broker, its custody total for that broker's
// clients and the count and SHA-256 of its per-client balances (check 1,
// 总分核对, and check 2, 明细核对, of DOMAIN.md). The contract compares them
// with the chain's custody snapshot of that date, taken by clearing, and
// records the outcome with both sets of figures: a MATCH, or a BREAK that
// is also listed in a break index for the regulator. A bank submits once
// per date and broker; the first submission is the record.
package reconcile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of the reconciliation contract's refusals.
const Codespace = "reconcile"

// Refusals of submit_statement. Dates use trading/28 and broker ids
// accounts/2. Never renumber.
var (
	ErrNotCleared      = contracts.Register(Codespace, 1, "the date has not been cleared")
	ErrStatementExists = contracts.Register(Codespace, 2, "a statement for this date and broker was already submitted")
	ErrBadHash         = contracts.Register(Codespace, 3, "clients hash is not 32 bytes")
	ErrBadTotal        = contracts.Register(Codespace, 4, "custody total is negative")
	ErrUnknownBroker   = contracts.Register(Codespace, 5, "broker is not a broker participant")
)

// Routes of the reconciliation contract.
func Routes() []contracts.Route {
	return []contracts.Route{
		contracts.Handle("submit_statement", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateStatement, SubmitStatement),
		contracts.Handle("submit_transfer_journal", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateTransferJournal, SubmitTransferJournal),
		contracts.Handle("submit_clearing_file", []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}, ValidateClearingFile, SubmitClearingFile),
		contracts.Handle("submit_holdings_file", []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}, ValidateHoldingsFile, SubmitHoldingsFile),
		contracts.Handle("submit_interest_file", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateInterestFile, SubmitInterestFile),
	}
}

// ResultsPrefix is the prefix of a date's reconciliation results:
// 0x35 | date (4 bytes big-endian).
func ResultsPrefix(date uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixReconcile}, date)
}

// ResultKey is the key of a ReconResult: ResultsPrefix(date) |
// len(bank id) | bank id | broker id.
func ResultKey(date uint32, bankID, brokerID string) []byte {
	return append(contracts.LenPrefixed(ResultsPrefix(date), bankID), brokerID...)
}

// BreaksPrefix is the prefix of the break index: 0x3D, then the date
// (4 bytes) | len(bank id) | bank id | broker id of each break.
func BreaksPrefix() []byte { return []byte{contracts.PrefixReconcileBreak} }

// BreakKey is the break-index entry of a result that broke.
func BreakKey(date uint32, bankID, brokerID string) []byte {
	k := binary.BigEndian.AppendUint32(BreaksPrefix(), date)
	return append(contracts.LenPrefixed(k, bankID), brokerID...)
}

// EmptyClientsHash is the clients hash of no clients: SHA-256 of nothing.
func EmptyClientsHash() []byte {
	s := sha256.Sum256(nil)
	return s[:]
}

// ValidateStatement is the stateless check of MsgSubmitStatement.
func ValidateStatement(m *custodyv1.MsgSubmitStatement) error {
	if err := trading.ValidateDate(m.Date); err != nil {
		return err
	}
	if err := accounts.ValidateParticipantID(m.BrokerId); err != nil {
		return err
	}
	if m.CustodyTotal < 0 {
		return ErrBadTotal.Wrapf("%d", m.CustodyTotal)
	}
	if len(m.ClientsHash) != sha256.Size {
		return ErrBadHash.Wrapf("%d bytes", len(m.ClientsHash))
	}
	if len(m.Balances) > MaxFileLines {
		return ErrFileTooLong.Wrapf("%d balances", len(m.Balances))
	}
	if len(m.Balances) == 0 {
		return nil
	}
	// The balances are the file the hash is of: in account-id order, each
	// once, and hashing to clients_hash.
	ids, bals := make([]string, len(m.Balances)), make([]int64, len(m.Balances))
	for i, b := range m.Balances {
		if b == nil || b.Amount < 0 {
			return ErrBadFile.Wrapf("balance %d: %v", i, b)
		}
		if err := accounts.ValidateAccountID(b.AccountId); err != nil {
			return ErrBadFile.Wrapf("balance %d: %v", i, err)
		}
		if i > 0 && b.AccountId <= ids[i-1] {
			return ErrBadFile.Wrapf("balance %d: %s not after %s (account-id order, each once)", i, b.AccountId, ids[i-1])
		}
		ids[i], bals[i] = b.AccountId, b.Amount
	}
	if !bytes.Equal(clearing.ClientsHash(ids, bals), m.ClientsHash) {
		return ErrBalancesHash.Wrapf("%d balances", len(m.Balances))
	}
	return nil
}

// Snapshot is the chain's custody snapshot of (bank, broker) at the close
// of date; a pair without clients has a zero snapshot.
func Snapshot(store contracts.Store, date uint32, bankID, brokerID string) *custodyv1.CustodySnapshot {
	k := clearing.SnapshotKey(date, bankID, brokerID)
	s := &custodyv1.CustodySnapshot{Date: date, BankId: bankID, BrokerId: brokerID, ClientsHash: EmptyClientsHash()}
	if bz := store.Get(k); bz != nil {
		contracts.Unmarshal(k, bz, s)
	}
	return s
}

// SubmitStatement records the signing bank's statement for a date and
// broker against the chain's snapshot. Checks, in order: the broker is a
// broker participant, the date was cleared (it has settlement reports), no
// statement yet for (date, bank, broker). Writes: the result, and the
// break-index entry when it breaks.
func SubmitStatement(ctx *contracts.Context, m *custodyv1.MsgSubmitStatement) ([]byte, error) {
	bank := ctx.Signer.Owner
	if _, err := participants.GetWithRole(ctx.Store, m.BrokerId, custodyv1.Role_ROLE_BROKER); err != nil {
		return nil, ErrUnknownBroker.Wrapf("%q: %v", m.BrokerId, err)
	}
	if !ctx.Store.Has(clearing.ReportKey(m.Date, m.BrokerId)) {
		return nil, ErrNotCleared.Wrapf("%d (business date %d)", m.Date, trading.GetBusinessDay(ctx.Store).Date)
	}
	k := ResultKey(m.Date, bank, m.BrokerId)
	if ctx.Store.Has(k) {
		return nil, ErrStatementExists.Wrapf("%d %s/%s", m.Date, bank, m.BrokerId)
	}
	snap := Snapshot(ctx.Store, m.Date, bank, m.BrokerId)
	r := &custodyv1.ReconResult{
		Date: m.Date, BankId: bank, BrokerId: m.BrokerId,
		BankTotal: m.CustodyTotal, ChainTotal: snap.Total,
		BankClientCount: m.ClientCount, ChainClientCount: snap.ClientCount,
		BankClientsHash: m.ClientsHash, ChainClientsHash: snap.ClientsHash,
		Status: custodyv1.ReconStatus_RECON_STATUS_MATCH,
		Height: ctx.Block.Height, Time: ctx.Block.UnixNano(),
	}
	if r.BankTotal != r.ChainTotal || r.BankClientCount != r.ChainClientCount || !bytes.Equal(r.BankClientsHash, r.ChainClientsHash) {
		r.Status = custodyv1.ReconStatus_RECON_STATUS_BREAK
		ctx.Store.Set(BreakKey(m.Date, bank, m.BrokerId), []byte{1})
	}
	if err := within(ctx.Store, len(m.Balances)); err != nil {
		return nil, err
	}
	// Check 1 (总分核对) and check 2 (明细核对) as first-class results. With
	// balances, check 2 names every account that differs; with the hash
	// alone it can only say that some do.
	total := newComparison(ctx, m.Date, bank, m.BrokerId, custodyv1.ReconCheckKind_RECON_CHECK_TOTAL, m.ClientsHash)
	total.item("total", "amount", snap.Total, m.CustodyTotal)
	total.check.ChainTotal, total.check.FileTotal = snap.Total, m.CustodyTotal
	if _, err := total.record(ctx); err != nil {
		return nil, err
	}
	clients := checkClients(ctx, m, bank)
	if len(m.Balances) == 0 {
		clients = newComparison(ctx, m.Date, bank, m.BrokerId, custodyv1.ReconCheckKind_RECON_CHECK_CLIENTS, m.ClientsHash)
		clients.check.ChainTotal, clients.check.FileTotal = int64(snap.ClientCount), int64(m.ClientCount)
		if !bytes.Equal(snap.ClientsHash, m.ClientsHash) || snap.ClientCount != m.ClientCount {
			clients.item("clients_hash", "clients hash differs (no balances in the statement)", int64(snap.ClientCount), int64(m.ClientCount))
		} else {
			clients.check.Items++
		}
	}
	if _, err := clients.record(ctx); err != nil {
		return nil, err
	}
	bz := contracts.Marshal(r)
	ctx.Store.Set(k, bz)
	ctx.Emit("reconciliation", "date", fmt.Sprint(m.Date), "bank_id", bank, "broker_id", m.BrokerId,
		"status", r.Status.String(), "bank_total", fmt.Sprint(r.BankTotal), "chain_total", fmt.Sprint(r.ChainTotal),
		"bank_clients", fmt.Sprint(r.BankClientCount), "chain_clients", fmt.Sprint(r.ChainClientCount))
	return bz, nil
}

// GetResult returns the result of (date, bank, broker), if any.
func GetResult(store contracts.Store, date uint32, bankID, brokerID string) (*custodyv1.ReconResult, bool) {
	k := ResultKey(date, bankID, brokerID)
	bz := store.Get(k)
	if bz == nil {
		return nil, false
	}
	var r custodyv1.ReconResult
	contracts.Unmarshal(k, bz, &r)
	return &r, true
}

// Results returns a date's results in (bank, broker) order.
func Results(store contracts.Store, date uint32) []*custodyv1.ReconResult {
	prefix := ResultsPrefix(date)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.ReconResult
	for ; it.Valid(); it.Next() {
		var r custodyv1.ReconResult
		contracts.Unmarshal(it.Key(), it.Value(), &r)
		out = append(out, &r)
	}
	return out
}

// Breaks returns up to limit breaks (≤ 0: all) from date from on, in
// (date, bank, broker) order: the regulator's list.
func Breaks(store contracts.Store, from uint32, limit int) []*custodyv1.ReconResult {
	prefix := BreaksPrefix()
	it := store.Iterator(binary.BigEndian.AppendUint32(BreaksPrefix(), from), contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.ReconResult
	for ; it.Valid() && (limit <= 0 || len(out) < limit); it.Next() {
		k := it.Key()
		rk := append([]byte{contracts.PrefixReconcile}, k[1:]...)
		bz := store.Get(rk)
		if bz == nil {
			panic(fmt.Sprintf("reconcile: invariant broken: break %x without its result", k))
		}
		var r custodyv1.ReconResult
		contracts.Unmarshal(rk, bz, &r)
		out = append(out, &r)
	}
	return out
}

// Invariants of the reconciliation contract.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{{Name: "reconcile/breaks-indexed", Check: checkBreaks}, {Name: "reconcile/check-breaks", Check: checkCheckBreaks}}
}

// checkBreaks: a result is listed in the break index exactly when it
// broke, and its status says what its figures say.
func checkBreaks(store contracts.Store) (string, bool) {
	prefix := []byte{contracts.PrefixReconcile}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	n, nBreaks := 0, 0
	for ; it.Valid(); it.Next() {
		n++
		var r custodyv1.ReconResult
		contracts.Unmarshal(it.Key(), it.Value(), &r)
		differ := r.BankTotal != r.ChainTotal || r.BankClientCount != r.ChainClientCount || !bytes.Equal(r.BankClientsHash, r.ChainClientsHash)
		indexed := store.Has(append([]byte{contracts.PrefixReconcileBreak}, it.Key()[1:]...))
		broke := r.Status == custodyv1.ReconStatus_RECON_STATUS_BREAK
		if broke {
			nBreaks++
		}
		if differ != broke || indexed != broke {
			return fmt.Sprintf("result %d %s/%s is %s, figures differ %v, indexed %v", r.Date, r.BankId, r.BrokerId, r.Status, differ, indexed), true
		}
	}
	bi := store.Iterator(BreaksPrefix(), contracts.PrefixEnd(BreaksPrefix()))
	defer bi.Close()
	indexed := 0
	for ; bi.Valid(); bi.Next() {
		indexed++
	}
	if indexed != nBreaks {
		return fmt.Sprintf("%d breaks indexed, %d results broke", indexed, nBreaks), true
	}
	return fmt.Sprintf("%d results, %d breaks, all indexed", n, nBreaks), false
}

// checkCheckBreaks: every check result counts exactly the break records
// under it, and is a BREAK exactly when it has one.
func checkCheckBreaks(store contracts.Store) (string, bool) {
	prefix := []byte{contracts.PrefixReconCheck}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	n, nBreaks := 0, 0
	for ; it.Valid(); it.Next() {
		var c custodyv1.ReconCheck
		contracts.Unmarshal(it.Key(), it.Value(), &c)
		got := len(ItemBreaks(store, &c))
		broke := c.Status == custodyv1.ReconStatus_RECON_STATUS_BREAK
		if got != int(c.Breaks) || broke != (got > 0) {
			return fmt.Sprintf("check %d %s/%s %s is %s with %d breaks recorded, %d counted", c.Date, c.CounterpartyId, c.BrokerId, c.Check, c.Status, got, c.Breaks), true
		}
		n++
		nBreaks += got
	}
	return fmt.Sprintf("%d checks, %d breaks, all recorded", n, nBreaks), false
}
