package ledger

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/approvals"
	"github.com/custody-ledger/custody/contracts/participants"
)

// keyQueryPaths are the paths of institution keys and dual control.
var keyQueryPaths = []string{
	"keys/<participant id>", "key-history/<participant id>",
	"approvals/<participant id>", "approval/<participant id>/<id>",
}

// queryKeys answers the key and approval paths; ok is false for any other.
// Read policy (participants.MayReadKeyHistory, approvals.MayRead) is the
// REST API's to apply: this answers whoever reaches the node's query port.
func queryKeys(store contracts.Store, head, rest, rawQuery string, data []byte) (out []byte, ok bool, err error) {
	switch head {
	case "keys":
		p, err := participants.Get(store, rest)
		if err != nil {
			return nil, true, ErrNotFound.Wrapf("%v", err)
		}
		out, err = list("keys", participants.Keys(store, p), nil)
		return out, true, err
	case "key-history":
		if _, err := participants.Get(store, rest); err != nil {
			return nil, true, ErrNotFound.Wrapf("%v", err)
		}
		page, err := parsePage(rawQuery, data)
		if err != nil {
			return nil, true, err
		}
		out, err = list("events", participants.History(store, rest, page.FromSeq, page.Limit), nil)
		return out, true, err
	case "approvals":
		page, err := parsePage(rawQuery, data)
		if err != nil {
			return nil, true, err
		}
		q, _ := url.ParseQuery(rawQuery) // parsePage refused a bad one
		pendingOnly := q.Get("pending") == "true"
		out, err = list("approvals", approvals.List(store, rest, page.FromSeq, page.Limit, pendingOnly), nil)
		return out, true, err
	case "approval":
		owner, idText, found := strings.Cut(rest, "/")
		id, perr := strconv.ParseUint(idText, 10, 64)
		if !found || perr != nil {
			return nil, true, ErrBadQuery.Wrapf("approval/<participant id>/<id>, got %q", rest)
		}
		p, err := approvals.Get(store, owner, id)
		if err != nil {
			return nil, true, ErrNotFound.Wrapf("%v", err)
		}
		out, err = record(p)
		return out, true, err
	}
	return nil, false, nil
}
