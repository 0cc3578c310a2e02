package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/evidence"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// CodespaceQuery holds the refusals of Query.
const CodespaceQuery = "query"

var (
	// ErrUnknownPath is returned by Query for a path it does not serve.
	ErrUnknownPath = contracts.Register(CodespaceQuery, 1, "unknown query path")
	// ErrBadQuery is returned by Query for malformed arguments.
	ErrBadQuery = contracts.Register(CodespaceQuery, 2, "malformed query arguments")
	// ErrNotFound is returned by Query when the record does not exist or
	// the reader may not read it: the two are one answer (Policy).
	ErrNotFound = contracts.Register(CodespaceQuery, 3, "record not found")
)

// QueryPaths lists the paths Query serves (docs/messages.md names each).
var QueryPaths = append([]string{
	"account/<id>", "funds/<id>", "ledger/<id>", "transfers/<account id>", "client-keys/<account id>",
	"transfer/<bank id>/<transfer id>", "custody/<bank id>/<broker id>", "supply",
	"participants", "participant/<id>", "signer/<address>", "invariants",
	"anchors/<operator>", "anchor/<operator>/<seq>",
	"misbehaviour", "misbehaviour/<height>",
}, slices.Concat(tradingQueryPaths, keyQueryPaths, correctionsQueryPaths, governanceQueryPaths)...)

// Page selects a range of an account's fund ledger or transfers: from the
// ledger sequence FromSeq, at most Limit items (0: the page maximum). It
// comes as JSON in the query data, or as "?from=N&limit=M" after the path.
type Page struct {
	FromSeq uint64 `json:"from_seq,string"`
	Limit   int    `json:"limit"`
}

// MaxTransferScan bounds the fund-ledger entries one transfers/<id> page
// reads looking for transfers: an account with a long trading history and
// few transfers answers a short page with next_seq, not a scan of it all.
const MaxTransferScan = 5 * funds.MaxEntriesPerPage

var pj = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// reading is one Query: the state, who asks, and the path as asked.
type reading struct {
	store  contracts.Store
	reader contracts.Reader
	path   string
}

// notFound is the one answer for a record that does not exist and for one
// the reader may not read: the same code and the same words, naming only
// what the reader asked for, so that neither tells which ids exist.
func (q reading) notFound() error { return ErrNotFound.Wrapf("%s", q.path) }

// get returns the bytes at key if the reader may read them (Policy), or
// notFound.
func (q reading) get(key []byte) ([]byte, error) {
	bz := q.store.Get(key)
	if bz == nil || !Policy().MayRead(q.store, q.reader, key, bz) {
		return nil, q.notFound()
	}
	return bz, nil
}

// getMessage is get decoded into m.
func (q reading) getMessage(key []byte, m proto.Message) ([]byte, error) {
	bz, err := q.get(key)
	if err != nil {
		return nil, err
	}
	contracts.Unmarshal(key, bz, m)
	return record(m)
}

// admit returns notFound unless the reader is in a: the gate of a list
// (an account's ledger goes with the account) and of a record that a
// missing key stands for (a zero custody total).
func (q reading) admit(a contracts.Audience) error {
	if !Policy().Admits(q.store, q.reader, a) {
		return q.notFound()
	}
	return nil
}

// admitAccount is admit of an account's readers, for a list of the
// account's records: an account that does not exist has no list, for the
// regulator either.
func (q reading) admitAccount(id string) error {
	if _, _, ok := accounts.Parties(q.store, id); !ok {
		return q.notFound()
	}
	return q.admit(contracts.Audience{Account: id})
}

// orZero answers the record at key, or zero when no key is stored: the
// stored record goes to its readers, the zero one to a's.
func (q reading) orZero(key []byte, a contracts.Audience, zero proto.Message) ([]byte, error) {
	if q.store.Get(key) != nil {
		return q.getMessage(key, zero)
	}
	if err := q.admit(a); err != nil {
		return nil, err
	}
	return record(zero)
}

// Query answers a read-only query over store for reader with JSON:
// protojson for records (proto field names, 64-bit integers as strings),
// and for lists an object wrapping an array of them. It never writes.
// What reader may not read (Policy) is not in the answer: a record it may
// not read is ErrNotFound, worded as for a record that does not exist; a
// list holds only the items it may read. The abci package serves Query
// under /custody/<path>; a client that wants a proof asks for the raw key
// instead (accounts.AccountKey, funds.FundsKey, transfers.TransferKey, ...).
func Query(store contracts.Store, reader contracts.Reader, path string, data []byte) ([]byte, error) {
	path, rawQuery, _ := strings.Cut(strings.TrimPrefix(path, "/"), "?")
	q := reading{store: store, reader: reader, path: path}
	head, rest, _ := strings.Cut(path, "/")
	switch head {
	case "account":
		return q.getMessage(accounts.AccountKey(rest), &custodyv1.Account{})
	case "funds":
		return q.getMessage(funds.FundsKey(rest), &custodyv1.Funds{})
	case "ledger", "transfers":
		if rest == "" {
			return nil, ErrBadQuery.Wrapf("%s needs an account id", head)
		}
		page, err := parsePage(rawQuery, data)
		if err != nil {
			return nil, err
		}
		if err := q.admitAccount(rest); err != nil {
			return nil, err
		}
		if head == "ledger" {
			entries := funds.Entries(store, rest, page.FromSeq, page.Limit)
			return list("entries", entries, nil)
		}
		ts, next := transfersOf(store, rest, page.FromSeq, page.Limit)
		return list("transfers", ts, map[string]any{"next_seq": strconv.FormatUint(next, 10)})
	case "client-keys":
		// The account's client-key history (who registered, proposed,
		// replaced or disabled which key, when): read like the account.
		if rest == "" {
			return nil, ErrBadQuery.Wrapf("client-keys needs an account id")
		}
		page, err := parsePage(rawQuery, data)
		if err != nil {
			return nil, err
		}
		if err := q.admitAccount(rest); err != nil {
			return nil, err
		}
		return clientKeys(store, rest, page)
	case "transfer":
		bank, id, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, ErrBadQuery.Wrapf("transfer/<bank id>/<transfer id>, got %q", path)
		}
		return q.getMessage(transfers.TransferKey(bank, id), &custodyv1.Transfer{})
	case "custody":
		bank, broker, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, ErrBadQuery.Wrapf("custody/<bank id>/<broker id>, got %q", path)
		}
		if err := q.admit(funds.CustodyTotalAudience(bank, broker)); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{
			"bank_id": bank, "broker_id": broker,
			"total": strconv.FormatInt(funds.GetCustodyTotal(store, bank, broker), 10),
		})
	case "supply":
		return q.orZero(funds.SupplyKey(), contracts.Audience{Institutions: true}, &custodyv1.Supply{})
	case "participants":
		return list("participants", participants.All(store), nil)
	case "participant":
		return q.getMessage(append([]byte{contracts.PrefixParticipant}, rest...), &custodyv1.Participant{})
	case "signer":
		addr, err := auth.ParseAddress(rest)
		if err != nil {
			return nil, ErrBadQuery.Wrapf("%v", err)
		}
		return q.getMessage(append([]byte{contracts.PrefixKey}, addr...), &custodyv1.KeyRecord{})
	case "anchors", "anchor":
		return q.anchors(head, rest, rawQuery, data)
	case "misbehaviour":
		// A validator's misbehaviour is a case for every institution
		// (evidence.Reads).
		if err := q.admit(contracts.Audience{Institutions: true}); err != nil {
			return nil, err
		}
		return evidence.Query(store, rest, rawQuery)
	case "invariants":
		// The invariants walk the whole state: institutions only.
		if err := q.admit(contracts.Audience{Institutions: true}); err != nil {
			return nil, err
		}
		res := contracts.CheckInvariants(store, Invariants())
		broken := false
		for _, r := range res {
			broken = broken || r.Broken
		}
		return json.Marshal(struct {
			Broken     bool                        `json:"broken"`
			Invariants []contracts.InvariantResult `json:"invariants"`
		}{broken, res})
	}
	if out, ok, err := q.trading(head, rest, rawQuery); ok {
		return out, err
	}
	if out, ok, err := q.queryCorrections(head, rest, rawQuery); ok {
		return out, err
	}
	if out, ok, err := q.queryKeys(head, rest, rawQuery, data); ok {
		return out, err
	}
	if out, ok, err := q.queryGovernance(head, rest); ok {
		return out, err
	}
	return nil, ErrUnknownPath.Wrapf("%q", path)
}

// transfersOf returns up to limit transfers of an account in the order
// they began, found through its fund ledger from fromSeq on (each transfer
// begins with exactly one deposit or freeze entry), reading at most
// MaxTransferScan entries; and the ledger sequence to go on from.
func transfersOf(store contracts.Store, accountID string, fromSeq uint64, limit int) ([]*custodyv1.Transfer, uint64) {
	if limit <= 0 || limit > funds.MaxEntriesPerPage {
		limit = funds.MaxEntriesPerPage
	}
	var out []*custodyv1.Transfer
	seen := map[string]bool{} // a deposit reversal may write two entries
	next, scanned := fromSeq, 0
	for len(out) < limit && scanned < MaxTransferScan {
		entries := funds.Entries(store, accountID, next, min(funds.MaxEntriesPerPage, MaxTransferScan-scanned))
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if len(out) == limit {
				break
			}
			next = e.Seq + 1
			scanned++
			// A transfer begins with one of these entries; a reversal (冲正)
			// with its own, naming the reversal's id (<id>#R).
			switch e.Reason {
			case custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT, custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_FREEZE,
				custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT_REVERSED, custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_REVERSED:
			default:
				continue
			}
			bank, id, ok := strings.Cut(e.RefId, "/")
			if !ok || seen[e.RefId] {
				continue
			}
			seen[e.RefId] = true
			if t, err := transfers.Get(store, bank, id); err == nil {
				out = append(out, t)
			}
		}
	}
	return out, next
}

func parsePage(rawQuery string, data []byte) (Page, error) {
	var p Page
	if len(data) > 0 {
		if err := json.Unmarshal(data, &p); err != nil {
			return Page{}, ErrBadQuery.Wrapf("page: %v", err)
		}
	}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return Page{}, ErrBadQuery.Wrapf("%v", err)
		}
		if v := q.Get("from"); v != "" {
			if p.FromSeq, err = strconv.ParseUint(v, 10, 64); err != nil {
				return Page{}, ErrBadQuery.Wrapf("from: %v", err)
			}
		}
		if v := q.Get("limit"); v != "" {
			if p.Limit, err = strconv.Atoi(v); err != nil {
				return Page{}, ErrBadQuery.Wrapf("limit: %v", err)
			}
		}
	}
	if p.Limit < 0 {
		return Page{}, ErrBadQuery.Wrapf("negative limit %d", p.Limit)
	}
	return p, nil
}

func record(m proto.Message) ([]byte, error) {
	bz, err := pj.Marshal(m)
	if err != nil {
		return nil, errors.Join(contracts.ErrInternal, fmt.Errorf("ledger: encode %T: %w", m, err))
	}
	// protojson varies its whitespace on purpose; compact it so that every
	// node answers a query with the same bytes.
	var buf bytes.Buffer
	if err := json.Compact(&buf, bz); err != nil {
		return nil, errors.Join(contracts.ErrInternal, fmt.Errorf("ledger: compact %T: %w", m, err))
	}
	return buf.Bytes(), nil
}

func list[M proto.Message](name string, items []M, extra map[string]any) ([]byte, error) {
	raws := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		bz, err := record(it)
		if err != nil {
			return nil, err
		}
		raws = append(raws, bz)
	}
	out := map[string]any{name: raws}
	if extra != nil {
		for _, k := range []string{"next_seq"} {
			if v, ok := extra[k]; ok {
				out[k] = v
			}
		}
	}
	return json.Marshal(out)
}

// clientKeys answers client-keys/<account id>: a page of the account's
// key history and the pending replacement, if any (null otherwise).
func clientKeys(store contracts.Store, accountID string, page Page) ([]byte, error) {
	events, err := list("events", accounts.KeyEvents(store, accountID, page.FromSeq, page.Limit), nil)
	if err != nil {
		return nil, err
	}
	pending := json.RawMessage("null")
	if p := accounts.GetPendingKey(store, accountID); p != nil {
		if pending, err = record(p); err != nil {
			return nil, err
		}
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(events, &out); err != nil {
		return nil, err
	}
	out["pending"] = pending
	return json.Marshal(out)
}

// anchors answers anchors/<operator> (a page of batches, by batch seq,
// and the last parameter version) and anchor/<operator>/<seq>.
func (q reading) anchors(head, rest, rawQuery string, data []byte) ([]byte, error) {
	if head == "anchor" {
		op, s, ok := strings.Cut(rest, "/")
		seq, err := strconv.ParseUint(s, 10, 64)
		if !ok || op == "" || err != nil {
			return nil, ErrBadQuery.Wrapf("anchor/<operator>/<seq>, got %q", rest)
		}
		if _, err := q.get(anchors.BatchKey(op, seq)); err != nil {
			return nil, err
		}
		b, err := anchors.GetBatch(q.store, op, seq)
		if err != nil {
			return nil, q.notFound()
		}
		return json.Marshal(b)
	}
	if rest == "" {
		return nil, ErrBadQuery.Wrapf("anchors needs an operator id")
	}
	page, err := parsePage(rawQuery, data)
	if err != nil {
		return nil, err
	}
	if err := q.admit(anchors.OperatorAudience(rest)); err != nil {
		return nil, err
	}
	bs := anchors.Batches(q.store, rest, page.FromSeq, page.Limit)
	if bs == nil {
		bs = []*anchors.Batch{}
	}
	return json.Marshal(struct {
		Batches    []*anchors.Batch `json:"batches"`
		LastParams *anchors.Params  `json:"last_params"`
	}{bs, anchors.LastParams(q.store, rest)})
}
