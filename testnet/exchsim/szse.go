package exchsim

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/capture/layers"
)

const (
	pbu       = "123456"
	partition = 1
)

func readSZSE(r *bufio.Reader) (layers.SZSEMessage, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	if n > layers.SZSEMaxBody {
		return nil, fmt.Errorf("exchsim: szse body length %d", n)
	}
	rest := make([]byte, n+4)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, err
	}
	return layers.DecodeSZSE(binary.BigEndian.Uint32(hdr[:]), rest[:n])
}

// gateway is the simulated SZSE trade gateway.
type gateway struct {
	sim     *Sim
	reports [][]byte // every execution report frame sent, for replay
	orders  map[string]*gwOrder
	seq     int
}

type gwOrder struct {
	m      *layers.SZSENewOrderMsg
	id     string
	leaves int64 // ×100
	cum    int64
}

func (g *gateway) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := g.sim.tap.Wrap(c, false)
	for {
		m, err := readSZSE(r)
		if err != nil {
			return
		}
		var out []byte
		g.sim.mu.Lock()
		switch m := m.(type) {
		case *layers.SZSELogonMsg:
			out = layers.AppendSZSE(out, &layers.SZSELogonMsg{SenderCompID: m.TargetCompID, TargetCompID: m.SenderCompID, HeartBtInt: m.HeartBtInt, DefaultApplVerID: m.DefaultApplVerID})
			out = layers.AppendSZSE(out, &layers.SZSEPlatformStateMsg{PlatformID: 1, PlatformState: 2})
		case *layers.SZSEHeartbeatMsg:
			out = layers.AppendSZSE(out, m)
		case *layers.SZSEReportSyncMsg:
			from := int64(1)
			if len(m.Partitions) > 0 {
				from = m.Partitions[0].ReportIndex
			}
			for i := from - 1; i >= 0 && i < int64(len(g.reports)); i++ {
				out = append(out, g.reports[i]...)
			}
			out = layers.AppendSZSE(out, &layers.SZSEReportFinishedMsg{PartitionNo: partition, ReportIndex: int64(len(g.reports)), PlatformID: 1})
		case *layers.SZSENewOrderMsg:
			out = g.order(m)
		case *layers.SZSECancelRequestMsg:
			out = g.cancel(m)
		case *layers.SZSELogoutMsg:
			out = layers.AppendSZSE(out, &layers.SZSELogoutMsg{SessionStatus: 4, Text: "bye"})
		}
		g.sim.mu.Unlock()
		if len(out) > 0 {
			if _, err := w.Write(out); err != nil {
				return
			}
		}
	}
}

func (g *gateway) header(security string) layers.SZSEReportHeader {
	return layers.SZSEReportHeader{PartitionNo: partition, ReportIndex: int64(len(g.reports) + 1), ApplID: "010", ReportingPBUID: pbu,
		SubmittingPBUID: pbu, SecurityID: security, SecurityIDSource: "102", OwnerType: 1, ClearingFirm: "01",
		TransactTime: layers.SZSETimestamp(time.Now()), UserInfo: "sim"}
}

func (g *gateway) report(out []byte, m layers.SZSEMessage) []byte {
	f := layers.AppendSZSE(nil, m)
	g.reports = append(g.reports, f)
	return append(out, f...)
}

func (g *gateway) order(m *layers.SZSENewOrderMsg) []byte {
	a := g.sim.plan[m.ClOrdID]
	g.seq++
	ord := &gwOrder{m: m, id: fmt.Sprintf("SZ%014d", g.seq), leaves: m.OrderQty}
	c := &layers.SZSEExecutionConfirmMsg{SZSEReportHeader: g.header(m.SecurityID), OrderID: ord.id, ClOrdID: m.ClOrdID,
		ExecID: fmt.Sprintf("E%015d", len(g.reports)+1), ExecType: '0', OrdStatus: '0', LeavesQty: m.OrderQty, Side: m.Side,
		OrdType: m.OrdType, OrderQty: m.OrderQty, Price: m.Price, AccountID: m.AccountID, BranchID: m.BranchID, Spot: m.Spot}
	if a.Reject || m.Price <= 0 {
		c.ExecType, c.OrdStatus, c.OrdRejReason, c.LeavesQty = '8', '8', 1, 0
		return g.report(nil, c)
	}
	g.orders[m.ClOrdID] = ord
	out := g.report(nil, c)
	for _, q := range splitFill(a.Fill) {
		ord.leaves -= q * 100
		ord.cum += q * 100
		st := byte('1')
		if ord.leaves == 0 {
			st = '2'
		}
		out = g.report(out, &layers.SZSEExecutionReportMsg{SZSEReportHeader: g.header(m.SecurityID), OrderID: ord.id, ClOrdID: m.ClOrdID,
			ExecID: fmt.Sprintf("T%015d", len(g.reports)+1), ExecType: 'F', OrdStatus: st, LastPx: m.Price, LastQty: q * 100,
			LeavesQty: ord.leaves, CumQty: ord.cum, Side: m.Side, AccountID: m.AccountID, BranchID: m.BranchID, CashMargin: '1'})
	}
	return out
}

// splitFill fills more than 100 shares in two reports.
func splitFill(q int64) []int64 {
	if q <= 0 {
		return nil
	}
	if q <= 100 {
		return []int64{q}
	}
	h := q / 200 * 100
	return []int64{h, q - h}
}

func (g *gateway) cancel(m *layers.SZSECancelRequestMsg) []byte {
	a := g.sim.plan[m.ClOrdID]
	ord := g.orders[m.OrigClOrdID]
	if a.Reject || ord == nil || ord.leaves == 0 {
		id := ""
		if ord != nil {
			id = ord.id
		}
		return g.report(nil, &layers.SZSECancelRejectMsg{SZSEReportHeader: g.header(m.SecurityID), ClOrdID: m.ClOrdID, OrigClOrdID: m.OrigClOrdID,
			Side: m.Side, OrdStatus: '2', CxlRejReason: 2, RejectText: "cannot cancel", OrderID: id})
	}
	c := &layers.SZSEExecutionConfirmMsg{SZSEReportHeader: g.header(m.SecurityID), OrderID: ord.id, ClOrdID: m.ClOrdID, OrigClOrdID: m.OrigClOrdID,
		ExecID: fmt.Sprintf("E%015d", len(g.reports)+1), ExecType: '4', OrdStatus: '4', LeavesQty: 0, CumQty: ord.cum, Side: ord.m.Side,
		OrdType: ord.m.OrdType, OrderQty: ord.m.OrderQty, Price: ord.m.Price, AccountID: ord.m.AccountID, BranchID: ord.m.BranchID, Spot: ord.m.Spot}
	ord.leaves = 0
	return g.report(nil, c)
}

// szseOMS is the broker side of an SZSE session.
type szseOMS struct {
	w    net.Conn
	r    *bufio.Reader
	exp  *[]capture.Event
	name [2]string // stream names: to and from the exchange
	ids  map[string]string
}

func (o *szseOMS) send(m layers.SZSEMessage) error {
	_, err := o.w.Write(layers.AppendSZSE(nil, m))
	return err
}

func side(buy bool) byte {
	if buy {
		return '1'
	}
	return '2'
}

func capSide(c byte) capture.Side {
	switch c {
	case '1', 'B', 'b':
		return capture.SideBuy
	case '2', 'S', 's':
		return capture.SideSell
	}
	return capture.SideUnknown
}

func (o *szseOMS) expect(e capture.Event) {
	e.Market = capture.MarketSZSE
	*o.exp = append(*o.exp, e)
}

func (o *szseOMS) do(a Action) error {
	now := layers.SZSETimestamp(time.Now())
	if a.Cancel {
		m := &layers.SZSECancelRequestMsg{ApplID: "010", SubmittingPBUID: pbu, SecurityID: a.Security, SecurityIDSource: "102", OwnerType: 1,
			ClearingFirm: "01", TransactTime: now, UserInfo: "oms", ClOrdID: a.ClOrdID, OrigClOrdID: a.Orig, Side: '1', OrderID: o.ids[a.Orig]}
		if err := o.send(m); err != nil {
			return err
		}
		o.expect(capture.Event{Kind: capture.KindCancel, Direction: capture.DirToExchange, Security: m.SecurityID, Side: capSide(m.Side),
			ClOrdID: m.ClOrdID, OrigClOrdID: m.OrigClOrdID, OrderID: m.OrderID})
		return o.read(1)
	}
	m := &layers.SZSENewOrderMsg{ApplID: "010", SubmittingPBUID: pbu, SecurityID: a.Security, SecurityIDSource: "102", OwnerType: 1,
		ClearingFirm: "01", TransactTime: now, UserInfo: "oms", ClOrdID: a.ClOrdID, AccountID: a.Account, BranchID: "0001",
		OrderRestrictions: "1", Side: side(a.Buy), OrdType: '2', OrderQty: a.Qty * 100, Price: a.Price,
		Spot: layers.SZSESpotExt{TimeInForce: '0', CashMargin: '1'}}
	if err := o.send(m); err != nil {
		return err
	}
	o.expect(capture.Event{Kind: capture.KindOrder, Direction: capture.DirToExchange, Account: m.AccountID, Security: m.SecurityID,
		Side: capSide(m.Side), Price: m.Price, Qty: m.OrderQty / 100, ClOrdID: m.ClOrdID})
	n := 1
	if !a.Reject && a.Price > 0 {
		n += len(splitFill(a.Fill))
	}
	return o.read(n)
}

// read reads n execution reports (or until ReportFinished when n < 0),
// recording the events they must produce.
func (o *szseOMS) read(n int) error {
	for n != 0 {
		m, err := readSZSE(o.r)
		if err != nil {
			return fmt.Errorf("exchsim: oms read: %w", err)
		}
		from := capture.DirFromExchange
		switch m := m.(type) {
		case *layers.SZSEExecutionConfirmMsg:
			k := capture.KindConfirm
			if m.ExecType == '8' {
				k = capture.KindReject
			}
			if n > 0 {
				o.ids[m.ClOrdID] = m.OrderID
				o.expect(capture.Event{Kind: k, Direction: from, Account: m.AccountID, Security: m.SecurityID, Side: capSide(m.Side),
					Price: m.Price, Qty: m.OrderQty / 100, ClOrdID: m.ClOrdID, OrigClOrdID: m.OrigClOrdID, OrderID: m.OrderID,
					ExecID: m.ExecID, Cancelled: m.ExecType == '4'})
			}
		case *layers.SZSEExecutionReportMsg:
			if n > 0 {
				o.expect(capture.Event{Kind: capture.KindFill, Direction: from, Account: m.AccountID, Security: m.SecurityID,
					Side: capSide(m.Side), Price: m.LastPx, Qty: m.LastQty / 100, ClOrdID: m.ClOrdID, OrderID: m.OrderID, ExecID: m.ExecID})
			}
		case *layers.SZSECancelRejectMsg:
			if n > 0 {
				o.expect(capture.Event{Kind: capture.KindCancelReject, Direction: from, Security: m.SecurityID, Side: capSide(m.Side),
					ClOrdID: m.ClOrdID, OrigClOrdID: m.OrigClOrdID, OrderID: m.OrderID})
			}
		case *layers.SZSEReportFinishedMsg:
			if n < 0 {
				return nil
			}
			continue
		default:
			continue
		}
		if n > 0 {
			n--
		}
	}
	return nil
}
