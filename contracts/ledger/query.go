package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
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
)

// CodespaceQuery holds the refusals of Query.
const CodespaceQuery = "query"

var (
	// ErrUnknownPath is returned by Query for a path it does not serve.
	ErrUnknownPath = contracts.Register(CodespaceQuery, 1, "unknown query path")
	// ErrBadQuery is returned by Query for malformed arguments.
	ErrBadQuery = contracts.Register(CodespaceQuery, 2, "malformed query arguments")
	// ErrNotFound is returned by Query when the record does not exist.
	ErrNotFound = contracts.Register(CodespaceQuery, 3, "record not found")
)

// QueryPaths lists the paths Query serves (docs/messages.md names each).
var QueryPaths = append([]string{
	"account/<id>", "funds/<id>", "ledger/<id>", "transfers/<account id>",
	"transfer/<bank id>/<transfer id>", "custody/<bank id>/<broker id>", "supply",
	"participants", "participant/<id>", "signer/<address>", "invariants",
	"anchors/<operator>", "anchor/<operator>/<seq>",
	"misbehaviour", "misbehaviour/<height>",
}, tradingQueryPaths...)

// Page selects a range of an account's fund ledger or transfers: from the
// ledger sequence FromSeq, at most Limit items (0: the page maximum). It
// comes as JSON in the query data, or as "?from=N&limit=M" after the path.
type Page struct {
	FromSeq uint64 `json:"from_seq,string"`
	Limit   int    `json:"limit"`
}

var pj = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// Query answers a read-only query over store with JSON: protojson for
// records (proto field names, 64-bit integers as strings), and for lists an
// object wrapping an array of them. It never writes. The abci package
// serves it under /custody/<path>; a client that wants a proof asks for the
// raw key instead (accounts.AccountKey, funds.FundsKey, funds.EntryKey,
// transfers.TransferKey, ...) and decodes the record itself.
func Query(store contracts.Store, path string, data []byte) ([]byte, error) {
	path, rawQuery, _ := strings.Cut(strings.TrimPrefix(path, "/"), "?")
	head, rest, _ := strings.Cut(path, "/")
	switch head {
	case "account":
		a, err := accounts.Get(store, rest)
		if err != nil {
			return nil, ErrNotFound.Wrapf("%v", err)
		}
		return record(a)
	case "funds":
		f := funds.Get(store, rest)
		if f == nil {
			return nil, ErrNotFound.Wrapf("no funds for account %q", rest)
		}
		return record(f)
	case "ledger", "transfers":
		if rest == "" {
			return nil, ErrBadQuery.Wrapf("%s needs an account id", head)
		}
		page, err := parsePage(rawQuery, data)
		if err != nil {
			return nil, err
		}
		if head == "ledger" {
			entries := funds.Entries(store, rest, page.FromSeq, page.Limit)
			return list("entries", entries, nil)
		}
		ts, next := transfers.ByAccount(store, rest, page.FromSeq, page.Limit)
		return list("transfers", ts, map[string]any{"next_seq": strconv.FormatUint(next, 10)})
	case "transfer":
		bank, id, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, ErrBadQuery.Wrapf("transfer/<bank id>/<transfer id>, got %q", path)
		}
		t, err := transfers.Get(store, bank, id)
		if err != nil {
			return nil, ErrNotFound.Wrapf("%v", err)
		}
		return record(t)
	case "custody":
		bank, broker, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, ErrBadQuery.Wrapf("custody/<bank id>/<broker id>, got %q", path)
		}
		return json.Marshal(map[string]string{
			"bank_id": bank, "broker_id": broker,
			"total": strconv.FormatInt(funds.GetCustodyTotal(store, bank, broker), 10),
		})
	case "supply":
		return record(funds.GetSupply(store))
	case "participants":
		return list("participants", participants.All(store), nil)
	case "participant":
		p, err := participants.Get(store, rest)
		if err != nil {
			return nil, ErrNotFound.Wrapf("%v", err)
		}
		return record(p)
	case "signer":
		rec, err := auth.Get(store, rest)
		if err != nil {
			return nil, ErrNotFound.Wrapf("%v", err)
		}
		return record(rec)
	case "anchors", "anchor":
		return queryAnchors(store, head, rest, rawQuery, data)
	case "misbehaviour":
		return evidence.Query(store, rest, rawQuery)
	case "invariants":
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
	if out, ok, err := queryTrading(store, head, rest, rawQuery); ok {
		return out, err
	}
	return nil, ErrUnknownPath.Wrapf("%q", path)
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

// queryAnchors answers anchors/<operator> (a page of batches, by batch seq,
// and the last parameter version) and anchor/<operator>/<seq>.
func queryAnchors(store contracts.Store, head, rest, rawQuery string, data []byte) ([]byte, error) {
	if head == "anchor" {
		op, s, ok := strings.Cut(rest, "/")
		seq, err := strconv.ParseUint(s, 10, 64)
		if !ok || op == "" || err != nil {
			return nil, ErrBadQuery.Wrapf("anchor/<operator>/<seq>, got %q", rest)
		}
		b, err := anchors.GetBatch(store, op, seq)
		if err != nil {
			return nil, ErrNotFound.Wrapf("%v", err)
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
	bs := anchors.Batches(store, rest, page.FromSeq, page.Limit)
	if bs == nil {
		bs = []*anchors.Batch{}
	}
	return json.Marshal(struct {
		Batches    []*anchors.Batch `json:"batches"`
		LastParams *anchors.Params  `json:"last_params"`
	}{bs, anchors.LastParams(store, rest)})
}
