package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Trading, clearing and reconciliation reads. Who may read each record is
// declared in the contract that owns it (contracts/trading, clearing,
// reconcile Reads) and enforced by the node for the caller whose token
// each query carries: market data is public; orders and holdings go with
// the account; fills with the account and the clearing house; settlement
// data with its broker and the clearing house; reconciliation results
// with their bank and broker and the clearing house. Lists hold only what
// the caller may read.

func (s *Server) getBusinessDay(c *gin.Context) {
	s.serveRecord(c, recordSpec{
		path: "business-day", key: trading.BusinessDayKey(),
		codec: protoCodec(func() proto.Message { return &custodyv1.BusinessDay{} }),
		zero:  func() any { return &custodyv1.BusinessDay{} },
	})
}

func (s *Server) getInstruments(c *gin.Context) {
	s.serveNodeList(c, "instruments", "instruments", nil)
}

func (s *Server) getInstrument(c *gin.Context) {
	sec := c.Param("security")
	if err := trading.ValidateSecurity(sec); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		path: "instrument/" + sec, key: trading.InstrumentKey(sec),
		codec: protoCodec(func() proto.Message { return &custodyv1.Instrument{} }),
	})
}

func (s *Server) getHoldings(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	s.serveNodeList(c, "holdings/"+id, "holdings", nil)
}

func (s *Server) getHolding(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	sec := c.Param("security")
	if err := trading.ValidateSecurity(sec); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		path: "holding/" + id + "/" + sec, key: trading.HoldingKey(id, sec),
		codec: protoCodec(func() proto.Message { return &custodyv1.Holding{} }),
		zero:  func() any { return &custodyv1.Holding{AccountId: id, Security: sec} },
	})
}

// getOrders pages an account's orders in order-id order, filtered by
// ?status.
func (s *Server) getOrders(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	statuses, err := enumFilter(c, "status", "ORDER_STATUS_", custodyv1.OrderStatus_value)
	if err != nil {
		fail(c, err)
		return
	}
	q := url.Values{}
	if statuses != nil {
		var names []string
		for v := range statuses {
			names = append(names, custodyv1.OrderStatus(v).String())
		}
		q.Set("status", strings.Join(names, ","))
	}
	s.serveKeyList(c, keyList{name: "orders", owner: id, path: "orders/" + id, query: q, field: "orders"})
}

// orderParam is the order id "<account id>/<suffix>" of an order route.
func orderParam(c *gin.Context, acct string) (string, bool) {
	id := acct + "/" + c.Param("suffix")
	if _, err := trading.ValidateOrderID(id); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return "", false
	}
	return id, true
}

func (s *Server) getOrder(c *gin.Context) {
	acct, ok := accountParam(c)
	if !ok {
		return
	}
	id, ok := orderParam(c, acct)
	if !ok {
		return
	}
	s.serveRecord(c, recordSpec{
		path: "order/" + id, key: trading.OrderKey(id),
		codec: protoCodec(func() proto.Message { return &custodyv1.Order{} }),
	})
}

// getOrderFills lists an order's fills (one page: an order has few).
func (s *Server) getOrderFills(c *gin.Context) {
	acct, ok := accountParam(c)
	if !ok {
		return
	}
	id, ok := orderParam(c, acct)
	if !ok {
		return
	}
	s.serveNodeList(c, "fills/"+id, "fills", nil)
}

// getFill reads a fill by exec id: its account's readers and the clearing
// house.
func (s *Server) getFill(c *gin.Context) {
	exec := c.Param("exec_id")
	if err := trading.ValidateExecID(exec); err != nil {
		fail(c, ErrBadRequest.Wrapf("%v", err))
		return
	}
	s.serveRecord(c, recordSpec{
		path: "fill/" + exec, key: trading.FillKey(exec),
		codec: protoCodec(func() proto.Message { return &custodyv1.Fill{} }),
	})
}

// dateParam reads a business date from the path: YYYYMMDD or YYYY-MM-DD.
func dateParam(c *gin.Context, name string) (uint32, bool) {
	d, err := parseBusinessDate(c.Param(name))
	if err != nil {
		fail(c, err)
		return 0, false
	}
	return d, true
}

func parseBusinessDate(v string) (uint32, error) {
	t, err := time.Parse("20060102", strings.ReplaceAll(v, "-", ""))
	if err != nil || (strings.Contains(v, "-") && len(v) != len(time.DateOnly)) {
		return 0, ErrBadRequest.Wrapf("date %q: want YYYYMMDD or YYYY-MM-DD", v)
	}
	d, _ := strconv.ParseUint(t.Format("20060102"), 10, 32)
	return uint32(d), nil
}

// participantParam validates a participant id path parameter.
func participantParam(c *gin.Context, name string) (string, bool) {
	id := c.Param(name)
	if err := accounts.ValidateParticipantID(id); err != nil {
		fail(c, ErrBadRequest.Wrapf("%s: %v", name, err))
		return "", false
	}
	return id, true
}

// getReports lists a date's settlement reports: every broker's for the
// clearing house and the regulator, its own for a broker.
func (s *Server) getReports(c *gin.Context) {
	date, ok := dateParam(c, "date")
	if !ok {
		return
	}
	s.serveNodeList(c, fmt.Sprintf("reports/%d", date), "reports", nil)
}

func (s *Server) getReport(c *gin.Context) {
	date, ok := dateParam(c, "date")
	if !ok {
		return
	}
	broker, ok := participantParam(c, "broker_id")
	if !ok {
		return
	}
	s.serveRecord(c, recordSpec{
		path: fmt.Sprintf("report/%d/%s", date, broker), key: clearing.ReportKey(date, broker),
		codec: protoCodec(func() proto.Message { return &custodyv1.SettlementReport{} }),
	})
}

// getDayFills pages a broker's fills of a business date, in exec-id order.
func (s *Server) getDayFills(c *gin.Context) {
	date, ok := dateParam(c, "date")
	if !ok {
		return
	}
	broker, ok := participantParam(c, "broker_id")
	if !ok {
		return
	}
	owner := fmt.Sprintf("%d/%s", date, broker)
	s.serveKeyList(c, keyList{name: "day-fills", owner: owner, path: "day-fills/" + owner, field: "fills"})
}

// getSettlementBreaks lists the settlement breaks from ?since (a business
// date) on: the clearing house and the regulator see all, a broker its own.
func (s *Server) getSettlementBreaks(c *gin.Context) {
	path, ok := sinceDatePath(c, "settlement-breaks")
	if !ok {
		return
	}
	s.serveNodeList(c, path, "breaks", nil)
}

// getReconciliations lists a date's reconciliation results, filtered to
// the caller's own for a bank or a broker.
func (s *Server) getReconciliations(c *gin.Context) {
	date, ok := dateParam(c, "date")
	if !ok {
		return
	}
	s.serveRecons(c, fmt.Sprintf("reconciliation/%d", date), "results")
}

// getReconciliationBreaks lists the reconciliation breaks from ?since on.
func (s *Server) getReconciliationBreaks(c *gin.Context) {
	path, ok := sinceDatePath(c, "reconciliation-breaks")
	if !ok {
		return
	}
	s.serveRecons(c, path, "breaks")
}

func (s *Server) serveRecons(c *gin.Context, path, field string) {
	s.serveNodeList(c, path, field, nil)
}

func (s *Server) getReconciliation(c *gin.Context) {
	date, ok := dateParam(c, "date")
	if !ok {
		return
	}
	bank, ok := participantParam(c, "bank_id")
	if !ok {
		return
	}
	broker, ok := participantParam(c, "broker_id")
	if !ok {
		return
	}
	s.serveRecord(c, recordSpec{
		path: fmt.Sprintf("reconciliation/%d/%s/%s", date, bank, broker), key: reconcile.ResultKey(date, bank, broker),
		codec: protoCodec(func() proto.Message { return &custodyv1.ReconResult{} }),
	})
}

// sinceDatePath is a break list's node path with ?since as its first date.
func sinceDatePath(c *gin.Context, path string) (string, bool) {
	v, ok := c.GetQuery("since")
	if !ok {
		return path, true
	}
	d, err := parseBusinessDate(v)
	if err != nil {
		fail(c, err)
		return "", false
	}
	return fmt.Sprintf("%s?from=%d", path, d), true
}

// serveNodeList answers a list the node gives in one piece (the node
// bounds it), keeping the items keep passes (nil keeps all).
func (s *Server) serveNodeList(c *gin.Context, path, field string, keep func(json.RawMessage) (bool, error)) {
	res, err := s.chain.Query(c.Request.Context(), "/custody/"+path, nil, 0, false)
	if err != nil {
		fail(c, err)
		return
	}
	var body map[string]json.RawMessage
	var items []json.RawMessage
	if err := json.Unmarshal(res.Value, &body); err == nil {
		err = json.Unmarshal(body[field], &items)
	}
	if err != nil {
		fail(c, ErrUpstream.Wrapf("%s: %v", path, err))
		return
	}
	out := List{Height: res.Height, Items: []json.RawMessage{}}
	for _, raw := range items {
		if keep != nil {
			ok, err := keep(raw)
			if err != nil {
				fail(c, err)
				return
			}
			if !ok {
				continue
			}
		}
		out.Items = append(out.Items, raw)
	}
	c.JSON(http.StatusOK, out)
}

// keyList is a list the node pages by key: it answers up to limit items
// and, when more follow, "next", the key to go on from.
type keyList struct {
	name, owner string
	path        string
	query       url.Values
	field       string
}

// serveKeyList answers one page of l, the node's "next" wrapped in the
// opaque cursor.
func (s *Server) serveKeyList(c *gin.Context, l keyList) {
	pg, err := s.pageParams(c, l.name, l.owner)
	if err != nil {
		fail(c, err)
		return
	}
	q := url.Values{}
	for k, v := range l.query {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(pg.limit))
	if pg.key != "" {
		q.Set("from", pg.key)
	}
	res, err := s.chain.Query(c.Request.Context(), "/custody/"+l.path+"?"+q.Encode(), nil, 0, false)
	if err != nil {
		fail(c, err)
		return
	}
	var body map[string]json.RawMessage
	var items []json.RawMessage
	var next string
	if err := json.Unmarshal(res.Value, &body); err == nil {
		err = json.Unmarshal(body[l.field], &items)
		if n, ok := body["next"]; ok && err == nil {
			err = json.Unmarshal(n, &next)
		}
	}
	if err != nil {
		fail(c, ErrUpstream.Wrapf("%s: %v", l.name, err))
		return
	}
	out := List{Height: res.Height, Items: nonNil(items)}
	if next != "" {
		out.NextCursor = encodeCursor(l.name, l.owner, next)
	}
	c.JSON(http.StatusOK, out)
}
