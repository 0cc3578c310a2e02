package reconcile

// The six daily checks of DOMAIN.md, each a first-class record on chain:
//
//	1 TOTAL      bank's custody balance      vs Σ the broker's client balances   submit_statement
//	2 CLIENTS    bank's mirror accounts      vs each client's closing balance    submit_statement (balances)
//	3 TRANSFERS  bank's transfer journal     vs the chain's journal of the date  submit_transfer_journal
//	4 CLEARING   clearing house's settlement vs the broker's fills, per market   submit_clearing_file
//	5 HOLDINGS   clearing house's holdings   vs each client's closing holdings   submit_holdings_file
//	6 INTEREST   bank's interest credited    vs the chain's interest postings    submit_interest_file
//
// Each file comes from the party that owns it (the signer), its hash is
// recorded, and it is compared with the chain's figures of the date's
// close (package interest keeps them), however late it arrives. The result
// is a ReconCheck (MATCH or BREAK, counts, both headline figures) and one
// ReconBreak per item that differs, naming the item — account, serial,
// market figure or security — and both figures. A break's identity is
// (date, counterparty, broker, check, item key), stable for ever, so an
// adjustment (调账) can resolve it by reference (MarkResolved).

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/interest"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Refusals of the check files and of MarkResolved. Never renumber.
var (
	ErrFileExists    = contracts.Register(Codespace, 50, "a file for this date, counterparty, broker and check was already submitted")
	ErrBalancesHash  = contracts.Register(Codespace, 51, "the balances do not hash to clients_hash")
	ErrNoBreak       = contracts.Register(Codespace, 52, "no such reconciliation break")
	ErrResolved      = contracts.Register(Codespace, 53, "the break is already resolved")
	ErrBadFile       = contracts.Register(Codespace, 54, "a line of the file is malformed")
	ErrFileTooLong   = contracts.Register(Codespace, 55, "the file has more lines than max_eod_items")
	ErrNotSettledYet = contracts.Register(Codespace, 56, "no interest settlement on that date has been cleared")
)

// BreakID is the stable identity of a reconciliation break.
type BreakID struct {
	Date         uint32
	Counterparty string // the bank (checks 1-3, 6) or the clearing house (4, 5)
	Broker       string
	Check        custodyv1.ReconCheckKind
	Item         string
}

// String is the break's reference text: "<date>/<counterparty>/<broker>/<check>/<item>".
func (id BreakID) String() string {
	return fmt.Sprintf("%d/%s/%s/%d/%s", id.Date, id.Counterparty, id.Broker, id.Check, id.Item)
}

// IDOf is the identity of a break record.
func IDOf(b *custodyv1.ReconBreak) BreakID {
	return BreakID{Date: b.Date, Counterparty: b.CounterpartyId, Broker: b.BrokerId, Check: b.Check, Item: b.ItemKey}
}

func checkPrefix(prefix byte, date uint32, counterparty, broker string, check custodyv1.ReconCheckKind) []byte {
	k := binary.BigEndian.AppendUint32([]byte{prefix}, date)
	k = contracts.LenPrefixed(contracts.LenPrefixed(k, counterparty), broker)
	return append(k, byte(check))
}

// CheckKey is a ReconCheck: 0x67 | date | len(cp) | cp | len(broker) | broker | check.
func CheckKey(date uint32, counterparty, broker string, check custodyv1.ReconCheckKind) []byte {
	return checkPrefix(contracts.PrefixReconCheck, date, counterparty, broker, check)
}

// ChecksPrefix is the prefix of a date's checks.
func ChecksPrefix(date uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixReconCheck}, date)
}

// ItemBreaksPrefix is the prefix of one check's breaks: 0x68 | the suffix of
// CheckKey.
func ItemBreaksPrefix(date uint32, counterparty, broker string, check custodyv1.ReconCheckKind) []byte {
	return checkPrefix(contracts.PrefixReconItemBreak, date, counterparty, broker, check)
}

// ItemBreakKey is a ReconBreak: ItemBreaksPrefix | item key.
func ItemBreakKey(id BreakID) []byte {
	return append(ItemBreaksPrefix(id.Date, id.Counterparty, id.Broker, id.Check), id.Item...)
}

// GetCheck returns a check's result, if submitted.
func GetCheck(store contracts.Store, date uint32, counterparty, broker string, check custodyv1.ReconCheckKind) (*custodyv1.ReconCheck, bool) {
	k := CheckKey(date, counterparty, broker, check)
	bz := store.Get(k)
	if bz == nil {
		return nil, false
	}
	var c custodyv1.ReconCheck
	contracts.Unmarshal(k, bz, &c)
	return &c, true
}

// Checks returns a date's check results in (counterparty, broker, check) order.
func Checks(store contracts.Store, date uint32) []*custodyv1.ReconCheck {
	prefix := ChecksPrefix(date)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.ReconCheck
	for ; it.Valid(); it.Next() {
		var c custodyv1.ReconCheck
		contracts.Unmarshal(it.Key(), it.Value(), &c)
		out = append(out, &c)
	}
	return out
}

// ItemBreaks returns a check's breaks in item-key order.
func ItemBreaks(store contracts.Store, c *custodyv1.ReconCheck) []*custodyv1.ReconBreak {
	prefix := ItemBreaksPrefix(c.Date, c.CounterpartyId, c.BrokerId, c.Check)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.ReconBreak
	for ; it.Valid(); it.Next() {
		var b custodyv1.ReconBreak
		contracts.Unmarshal(it.Key(), it.Value(), &b)
		out = append(out, &b)
	}
	return out
}

// GetBreak returns a break by its identity.
func GetBreak(store contracts.Store, id BreakID) (*custodyv1.ReconBreak, bool) {
	k := ItemBreakKey(id)
	bz := store.Get(k)
	if bz == nil {
		return nil, false
	}
	var b custodyv1.ReconBreak
	contracts.Unmarshal(k, bz, &b)
	return &b, true
}

// MarkResolved marks a break resolved by ref (an adjustment's id), for the
// contract that resolves breaks (调账, dual control is its business). It
// refuses an unknown break and one already resolved; the check's result is
// left as it was (the record of what broke), the break says what fixed it.
func MarkResolved(ctx *contracts.Context, id BreakID, ref string) error {
	b, ok := GetBreak(ctx.Store, id)
	if !ok {
		return ErrNoBreak.Wrapf("%s", id)
	}
	if b.Resolved {
		return ErrResolved.Wrapf("%s by %s", id, b.ResolvedBy)
	}
	b.Resolved, b.ResolvedBy, b.ResolvedHeight = true, ref, ctx.Block.Height
	ctx.Store.Set(ItemBreakKey(id), contracts.Marshal(b))
	ctx.Emit("reconciliation_break_resolved", "break", id.String(), "by", ref)
	return nil
}

// comparison collects one check's items.
type comparison struct {
	check  *custodyv1.ReconCheck
	breaks []*custodyv1.ReconBreak
}

func newComparison(ctx *contracts.Context, date uint32, counterparty, broker string, kind custodyv1.ReconCheckKind, fileHash []byte) *comparison {
	return &comparison{check: &custodyv1.ReconCheck{Date: date, CounterpartyId: counterparty, BrokerId: broker, Check: kind,
		FileHash: fileHash, Height: ctx.Block.Height, Time: ctx.Block.UnixNano()}}
}

// item compares one item's figures; a difference is a break.
func (c *comparison) item(key, what string, chain, file int64) {
	c.check.Items++
	if chain == file && what == "amount" {
		return
	}
	c.breaks = append(c.breaks, &custodyv1.ReconBreak{Date: c.check.Date, CounterpartyId: c.check.CounterpartyId,
		BrokerId: c.check.BrokerId, Check: c.check.Check, ItemKey: key, What: what, ChainAmount: chain, FileAmount: file})
}

// record writes the check and its breaks (refusing a second file) and
// returns the check's bytes.
func (c *comparison) record(ctx *contracts.Context) ([]byte, error) {
	k := CheckKey(c.check.Date, c.check.CounterpartyId, c.check.BrokerId, c.check.Check)
	if ctx.Store.Has(k) {
		return nil, ErrFileExists.Wrapf("%d %s/%s check %d", c.check.Date, c.check.CounterpartyId, c.check.BrokerId, c.check.Check)
	}
	c.check.Breaks = uint32(len(c.breaks))
	c.check.Status = custodyv1.ReconStatus_RECON_STATUS_MATCH
	if len(c.breaks) > 0 {
		c.check.Status = custodyv1.ReconStatus_RECON_STATUS_BREAK
	}
	bz := contracts.Marshal(c.check)
	ctx.Store.Set(k, bz)
	for _, b := range c.breaks {
		ctx.Store.Set(ItemBreakKey(IDOf(b)), contracts.Marshal(b))
		ctx.Emit("reconciliation_break", "break", IDOf(b).String(), "what", b.What,
			"chain", fmt.Sprint(b.ChainAmount), "file", fmt.Sprint(b.FileAmount))
	}
	ctx.Emit("reconciliation_check", "date", fmt.Sprint(c.check.Date), "counterparty_id", c.check.CounterpartyId,
		"broker_id", c.check.BrokerId, "check", c.check.Check.String(), "status", c.check.Status.String(),
		"items", fmt.Sprint(c.check.Items), "breaks", fmt.Sprint(c.check.Breaks),
		"chain_total", fmt.Sprint(c.check.ChainTotal), "file_total", fmt.Sprint(c.check.FileTotal))
	return bz, nil
}

// fileHash is SHA-256 of the deterministic encoding of a file message.
func fileHash(m proto.Message) []byte {
	s := sha256.Sum256(contracts.Marshal(m))
	return s[:]
}

// sides merges the chain's and the file's items by key (both sorted) into
// calls of c.item; a key on one side only is "missing in file" or
// "missing on chain".
type keyed struct {
	key    string
	amount int64
}

func (c *comparison) merge(chain, file []keyed) {
	slices.SortFunc(chain, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	slices.SortFunc(file, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i, j := 0, 0; i < len(chain) || j < len(file); {
		switch {
		case j == len(file) || i < len(chain) && chain[i].key < file[j].key:
			c.item(chain[i].key, "missing in file", chain[i].amount, 0)
			i++
		case i == len(chain) || file[j].key < chain[i].key:
			c.item(file[j].key, "missing on chain", 0, file[j].amount)
			j++
		default:
			c.item(chain[i].key, "amount", chain[i].amount, file[j].amount)
			i++
			j++
		}
	}
}

// repeats drops and reports the lines of a file whose key repeats (each
// item once per file: a serial twice is itself a break).
func (c *comparison) repeats(file []keyed) []keyed {
	slices.SortStableFunc(file, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	var out []keyed
	for i, f := range file {
		if i > 0 && file[i-1].key == f.key {
			c.breaks = append(c.breaks, &custodyv1.ReconBreak{Date: c.check.Date, CounterpartyId: c.check.CounterpartyId,
				BrokerId: c.check.BrokerId, Check: c.check.Check, ItemKey: f.key + "/repeat", What: "repeated in file", FileAmount: f.amount})
			continue
		}
		out = append(out, f)
	}
	return out
}

func total(items []keyed) int64 {
	var t int64
	for _, i := range items {
		t += i.amount
	}
	return t
}

// cleared refuses a date the chain has not cleared for the broker.
func cleared(store contracts.Store, date uint32, brokerID string) error {
	if _, err := participants.GetWithRole(store, brokerID, custodyv1.Role_ROLE_BROKER); err != nil {
		return ErrUnknownBroker.Wrapf("%q: %v", brokerID, err)
	}
	if !store.Has(clearing.ReportKey(date, brokerID)) {
		return ErrNotCleared.Wrapf("%d (business date %d)", date, trading.GetBusinessDay(store).Date)
	}
	return nil
}

func within(store contracts.Store, n int) error {
	if max := trading.GetParams(store).MaxEodItems; uint32(n) > max {
		return ErrFileTooLong.Wrapf("%d lines, at most %d", n, max)
	}
	return nil
}

// brokerClients lists the accounts of the broker (at the bank, when bankID
// is not empty), in account-id order.
func brokerClients(store contracts.Store, bankID, brokerID string) []*custodyv1.Account {
	var out []*custodyv1.Account
	accounts.ForEach(store, func(a *custodyv1.Account) {
		if a.BrokerId == brokerID && (bankID == "" || a.BankId == bankID) {
			out = append(out, a)
		}
	})
	return out
}

// checkClients is check 2 for a statement with balances: every listed
// account against its closing balance, and every client of the pair with a
// non-zero close that the bank did not list.
func checkClients(ctx *contracts.Context, m *custodyv1.MsgSubmitStatement, bank string) *comparison {
	c := newComparison(ctx, m.Date, bank, m.BrokerId, custodyv1.ReconCheckKind_RECON_CHECK_CLIENTS, m.ClientsHash)
	var file []keyed
	for _, b := range m.Balances {
		file = append(file, keyed{b.AccountId, b.Amount})
	}
	file = c.repeats(file)
	var chain []keyed
	for _, a := range brokerClients(ctx.Store, bank, m.BrokerId) {
		if v := interest.ClosingBalance(ctx.Store, a.Id, m.Date); v != 0 || slices.ContainsFunc(file, func(k keyed) bool { return k.key == a.Id }) {
			chain = append(chain, keyed{a.Id, v})
		}
	}
	c.check.ChainTotal, c.check.FileTotal = total(chain), total(file)
	c.merge(chain, file)
	return c
}
