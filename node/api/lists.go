package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Lists are paged by an opaque cursor. Inside, a cursor is the list's name,
// its owner (an account id) and the sequence number to go on from — for
// the fund ledger an entry's seq, for transfers the ledger seq after the
// last transfer read — so a page never skips or repeats a record however
// much the list grows meanwhile. A page may come short, or even empty,
// with a cursor when filters leave few records; the list is done when an
// answer has no next_cursor.

const (
	// maxScanEntries bounds the ledger entries one filtered page reads.
	maxScanEntries = 5000
	// maxScanQueries bounds the node queries one filtered transfer page makes.
	maxScanQueries = 20
	// scanBatch is how many ledger entries a filtered read asks for at once.
	scanBatch = 500
)

// cst is China Standard Time, the markets' zone: a bare date in a filter
// means that day there.
var cst = time.FixedZone("CST", 8*60*60)

// page is the position and size of a list read.
type page struct {
	limit int
	// key is the cursor's position: "" for the first page.
	key string
}

// seq is the page's position in a list numbered by sequence.
func (p page) seq() (uint64, error) {
	if p.key == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(p.key, 10, 64)
	if err != nil {
		return 0, ErrBadCursor.Wrapf("not a cursor of this list")
	}
	return n, nil
}

func encodeCursor(list, owner, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + list + ":" + owner + ":" + key))
}

func seqCursor(list, owner string, seq uint64) string {
	return encodeCursor(list, owner, strconv.FormatUint(seq, 10))
}

// pageParams reads ?limit and ?cursor for the list named list of owner.
func (s *Server) pageParams(c *gin.Context, list, owner string) (page, error) {
	p := page{limit: s.cfg.DefaultPageSize}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.cfg.MaxPageSize {
			return page{}, ErrBadRequest.Wrapf("limit=%q: want 1 to %d", v, s.cfg.MaxPageSize)
		}
		p.limit = n
	}
	if v, ok := c.GetQuery("cursor"); ok {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		prefix := "v1:" + list + ":" + owner + ":"
		if err != nil || !strings.HasPrefix(string(raw), prefix) || len(raw) == len(prefix) {
			return page{}, ErrBadCursor.Wrapf("not a cursor of this %s", list)
		}
		p.key = strings.TrimPrefix(string(raw), prefix)
	}
	return p, nil
}

// timeRange reads ?since (inclusive) and ?until (exclusive) as Unix
// nanoseconds, the unit of the ledger's times. Each is an RFC 3339 time or
// a date YYYY-MM-DD in China Standard Time; a date as until includes that
// whole day. Unset bounds are 0 and max.
func timeRange(c *gin.Context) (since, until int64, err error) {
	since, until = 0, 1<<63-1
	parse := func(name string, endOfDay bool) (int64, bool, error) {
		v, ok := c.GetQuery(name)
		if !ok {
			return 0, false, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UnixNano(), true, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, cst)
		if err != nil {
			return 0, false, ErrBadRequest.Wrapf("%s=%q: want an RFC 3339 time or a date YYYY-MM-DD", name, v)
		}
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d.UnixNano(), true, nil
	}
	if v, ok, err := parse("since", false); err != nil {
		return 0, 0, err
	} else if ok {
		since = v
	}
	if v, ok, err := parse("until", true); err != nil {
		return 0, 0, err
	} else if ok {
		until = v
	}
	return since, until, nil
}

// enumFilter reads a comma-separated filter of enum values named without
// their prefix, in lower case ("status=pending,completed"). The accepted
// names come from the proto enum, so a value added to the enum is a value
// the filter takes. An absent filter is nil: everything passes.
func enumFilter(c *gin.Context, name, prefix string, values map[string]int32) (map[int32]bool, error) {
	v, ok := c.GetQuery(name)
	if !ok {
		return nil, nil
	}
	out := map[int32]bool{}
	for _, part := range strings.Split(v, ",") {
		n, ok := values[prefix+strings.ToUpper(strings.TrimSpace(part))]
		if !ok || n == 0 {
			var names []string
			for k, n := range values {
				if n != 0 {
					names = append(names, strings.ToLower(strings.TrimPrefix(k, prefix)))
				}
			}
			slices.Sort(names)
			return nil, ErrBadRequest.Wrapf("%s=%q: want one or more of %s", name, part, strings.Join(names, ", "))
		}
		out[n] = true
	}
	return out, nil
}

func passes(filter map[int32]bool, v int32) bool { return filter == nil || filter[v] }

// getLedger pages an account's fund ledger (资金流水) in sequence order,
// filtered by ?since/?until on the entry time and ?reason.
func (s *Server) getLedger(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	reasons, err := enumFilter(c, "reason", "LEDGER_REASON_", custodyv1.LedgerReason_value)
	if err != nil {
		fail(c, err)
		return
	}
	s.serveSeqList(c, seqList{
		name: "ledger", owner: id, field: "entries", filtered: reasons != nil,
		path: func(from uint64, n int) string { return fmt.Sprintf("ledger/%s?from=%d&limit=%d", id, from, n) },
		read: func(raw json.RawMessage) (uint64, int64, bool, error) {
			var e custodyv1.LedgerEntry
			if err := unmarshalJSON(raw, &e); err != nil {
				return 0, 0, false, err
			}
			return e.Seq, e.Time, passes(reasons, int32(e.Reason)), nil
		},
	})
}

// seqList is a list the node serves in pages by sequence number: an
// account's fund ledger, an operator's anchored batches.
type seqList struct {
	name, owner string
	// path is the node's query path of n items from sequence from on.
	path func(from uint64, n int) string
	// field names the array in the node's answer.
	field string
	// read returns an item's sequence number, its time (Unix ns; items
	// come in time order) and whether it passes the filters other than time.
	read func(raw json.RawMessage) (seq uint64, time int64, keep bool, err error)
	// filtered says whether read filters (then pages read ahead more).
	filtered bool
}

// serveSeqList answers one page of l: ?limit, ?cursor, ?since, ?until.
// Without filters it asks the node for limit+1 items, the extra one
// naming the next page's cursor; with filters it reads ahead in batches,
// at most maxScanEntries per page.
func (s *Server) serveSeqList(c *gin.Context, l seqList) {
	pg, err := s.pageParams(c, l.name, l.owner)
	if err != nil {
		fail(c, err)
		return
	}
	since, until, err := timeRange(c)
	if err != nil {
		fail(c, err)
		return
	}
	from, err := pg.seq()
	if err != nil {
		fail(c, err)
		return
	}
	batch := pg.limit + 1
	if l.filtered || since > 0 || until < 1<<63-1 {
		batch = max(batch, scanBatch)
	}
	out := List{Items: []json.RawMessage{}}
	scanned := 0
	for {
		res, err := s.chain.Query(c.Request.Context(), "/custody/"+l.path(from, batch), nil, 0, false)
		if err != nil {
			fail(c, err)
			return
		}
		if out.Height == 0 {
			out.Height = res.Height
		}
		var body map[string]json.RawMessage
		var items []json.RawMessage
		if err := json.Unmarshal(res.Value, &body); err == nil {
			err = json.Unmarshal(body[l.field], &items)
		}
		if err != nil {
			fail(c, ErrUpstream.Wrapf("%s: %v", l.name, err))
			return
		}
		for _, raw := range items {
			seq, t, keep, err := l.read(raw)
			if err != nil {
				fail(c, err)
				return
			}
			if t >= until {
				// Items are in time order: nothing later matches.
				c.JSON(http.StatusOK, out)
				return
			}
			if len(out.Items) == pg.limit {
				out.NextCursor = seqCursor(l.name, l.owner, seq)
				c.JSON(http.StatusOK, out)
				return
			}
			if t >= since && keep {
				out.Items = append(out.Items, raw)
			}
			from = seq + 1
		}
		scanned += len(items)
		if len(items) < batch {
			c.JSON(http.StatusOK, out)
			return
		}
		if scanned >= maxScanEntries {
			out.NextCursor = seqCursor(l.name, l.owner, from)
			c.JSON(http.StatusOK, out)
			return
		}
	}
}

// getAccountTransfers pages an account's transfers in the order they
// began, filtered by ?status, ?direction and ?since/?until on the request
// time.
func (s *Server) getAccountTransfers(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	pg, err := s.pageParams(c, "transfers", id)
	if err != nil {
		fail(c, err)
		return
	}
	since, until, err := timeRange(c)
	if err != nil {
		fail(c, err)
		return
	}
	statuses, err := enumFilter(c, "status", "TRANSFER_STATUS_", custodyv1.TransferStatus_value)
	if err != nil {
		fail(c, err)
		return
	}
	directions, err := enumFilter(c, "direction", "TRANSFER_DIRECTION_", custodyv1.TransferDirection_value)
	if err != nil {
		fail(c, err)
		return
	}
	from, err := pg.seq()
	if err != nil {
		fail(c, err)
		return
	}
	out := List{Items: []json.RawMessage{}}
	for q := 0; ; q++ {
		// Ask for exactly what the page still needs: the node's next_seq is
		// then the cursor of the next page, with nothing read and dropped.
		n := pg.limit - len(out.Items)
		res, err := s.chain.Query(c.Request.Context(), fmt.Sprintf("/custody/transfers/%s?from=%d&limit=%d", id, from, n), nil, 0, false)
		if err != nil {
			fail(c, err)
			return
		}
		if out.Height == 0 {
			out.Height = res.Height
		}
		var body struct {
			Transfers []json.RawMessage `json:"transfers"`
			NextSeq   string            `json:"next_seq"`
		}
		if err := json.Unmarshal(res.Value, &body); err != nil {
			fail(c, ErrUpstream.Wrapf("transfers: %v", err))
			return
		}
		next, err := strconv.ParseUint(body.NextSeq, 10, 64)
		if err != nil {
			fail(c, ErrUpstream.Wrapf("transfers: next_seq %q", body.NextSeq))
			return
		}
		for _, raw := range body.Transfers {
			var t custodyv1.Transfer
			if err := unmarshalJSON(raw, &t); err != nil {
				fail(c, err)
				return
			}
			if t.RequestedTime >= until {
				c.JSON(http.StatusOK, out)
				return
			}
			if t.RequestedTime >= since && passes(statuses, int32(t.Status)) && passes(directions, int32(t.Direction)) {
				out.Items = append(out.Items, raw)
			}
		}
		from = next
		// The node reads the ledger until it has n transfers or the ledger
		// ends: fewer than n means the end.
		if len(body.Transfers) < n {
			c.JSON(http.StatusOK, out)
			return
		}
		if len(out.Items) == pg.limit || q+1 >= maxScanQueries {
			out.NextCursor = seqCursor("transfers", id, from)
			c.JSON(http.StatusOK, out)
			return
		}
	}
}
