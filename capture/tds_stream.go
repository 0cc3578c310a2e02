package capture

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/custody-ledger/custody/capture/layers"
	"github.com/google/gopacket"
	"github.com/google/gopacket/reassembly"
)

// Tables of the SSE order database (PROTOCOLS.md 2.2).
const (
	tableOrders  = "ashare_ordwth"  // written by the OMS: orders and cancels
	tableConfirm = "ashare_ordwth2" // written by the 报盘机: confirmations and rejects
	tableTrades  = "ashare_cjhb"    // written by the 报盘机: trades
)

// tdsConn is the per-connection state both directions of a TDS connection
// share: the negotiated version, encryption, the request whose response is
// streaming, and the prepared-statement handles (PROTOCOLS.md 2.5).
type tdsConn struct {
	c    *conn
	half [2]*tdsHalf
	tok  layers.TDSTokenState

	preloginSent bool // client PRELOGIN seen, server answer pending
	preloginDone bool
	clientEnc    int // -1 unknown
	encrypted    bool

	// pendingTable is the table the last SELECT read; the next response's
	// rows belong to it.
	pendingTable string
	// pendingPrepare is the statement of an sp_prepare / sp_prepexec whose
	// handle the response's RETURNVALUE carries.
	pendingPrepare string
	prepared       map[int64]prepared
	preparedOrder  []int64 // handles in the order they were prepared (may hold unprepared ones)

	// Reused per message: bound RPC parameters, the row being mapped, the
	// lower-case names of the current result set (colsOf: its first column).
	params   []boundParam
	rv       rowView
	colNames []string
	colsOf   *layers.TDSColumn
}

type prepared struct {
	stmt  string
	names []string // parameter names in declaration order
}

// tdsHalf reassembles TDS packets of one direction into messages.
type tdsHalf struct {
	t      *tdsConn
	dir    int
	buf    []byte
	bufOff uint64
	// msg accumulates the payloads of the current message; msgOff is the
	// stream offset of its first packet, msgType its packet type.
	msg     []byte
	msgOff  uint64
	msgType uint8
	inMsg   bool
	// cut: the current message passed a limit; its packets are skipped
	// until its end-of-message packet.
	cut bool
	// resync: after a gap, drop packets up to and including the next EOM,
	// then start afresh at a message boundary.
	resync bool
	pkt    layers.TDSPacket
	// pktSize is the negotiated packet size as seen: every packet but the
	// last of a message has exactly this length.
	pktSize int
}

// candidate says whether the header in h.pkt could start a packet of this
// stream while resynchronising: sane status and window, and the length of
// a packet of this stream (full size unless it ends a message).
func (h *tdsHalf) candidate() bool {
	p := &h.pkt
	if p.Window != 0 || p.Status&^0x1F != 0 || !layers.TDSKnownType(p.Type) || p.Length < layers.TDSHeaderLen {
		return false
	}
	size := h.pktSize
	if size == 0 {
		size = 4096
	}
	if p.EOM() {
		return int(p.Length) <= size
	}
	return h.pktSize == 0 || int(p.Length) == h.pktSize
}

func newTDSConn(c *conn) *tdsConn {
	t := &tdsConn{c: c, clientEnc: -1, prepared: make(map[int64]prepared)}
	for i := range t.half {
		t.half[i] = &tdsHalf{t: t, dir: i}
	}
	return t
}

func (h *tdsHalf) toExchange() bool { return h.t.c.direction(h.dir) == DirToExchange }

func (h *tdsHalf) gap() {
	st := &h.t.c.d.stats
	st.SkippedBytes += uint64(len(h.buf) + len(h.msg))
	h.dropMsg()
	h.buf, h.inMsg = h.buf[:0], false
	h.resync = true
	if !h.toExchange() {
		h.t.pendingTable = "" // the rows in flight are lost
	}
}

func (h *tdsHalf) end() {
	h.t.c.d.stats.SkippedBytes += uint64(len(h.buf) + len(h.msg))
	h.dropMsg()
	h.buf, h.msg = nil, nil
}

// dropMsg forgets the message being assembled, returning its bytes to the
// decoder's budget; a buffer grown past 1 MiB is released rather than kept.
func (h *tdsHalf) dropMsg() {
	h.t.c.d.buffered -= len(h.msg)
	h.msg = h.msg[:0]
	if cap(h.msg) > 1<<20 {
		h.msg = nil
	}
}

// addToMsg appends a packet's payload to the message being assembled, or
// cuts the message when it would pass MaxMessageBytes or the decoder's
// MaxBufferedBytes: what it holds is dropped and the rest, up to the end
// of the message, is skipped (counted in CutBytes).
func (h *tdsHalf) addToMsg(p []byte) {
	d := h.t.c.d
	if h.cut {
		d.stats.CutBytes += uint64(len(p))
		return
	}
	kind := cutMessage
	switch {
	case len(h.msg)+len(p) > d.cfg.MaxMessageBytes:
	case d.buffered+len(p) > d.cfg.MaxBufferedBytes:
		kind = cutTotal
	default:
		h.msg = append(h.msg, p...)
		d.buffered += len(p)
		return
	}
	h.cut = true
	d.cut(kind, h.t.c.names[h.dir], len(h.msg)+len(p))
	h.dropMsg()
}

func (h *tdsHalf) feed(data []byte, offset uint64, sg reassembly.ScatterGather) {
	if h.t.encrypted {
		return
	}
	prev := len(h.buf)
	var b []byte
	if prev == 0 {
		b, h.bufOff = data, offset
	} else {
		h.buf = append(h.buf, data...)
		b = h.buf
	}
	n := h.consume(b, prev, sg)
	h.bufOff += uint64(n)
	h.buf = append(h.buf[:0], b[n:]...)
}

// isTLSRecord reports whether b starts with a TLS record header (content
// type 0x14–0x17, version 3.x) and returns the record's length.
func isTLSRecord(b []byte) (int, bool) {
	if len(b) < 5 || b[0] < 0x14 || b[0] > 0x17 || b[1] != 3 || b[2] > 4 {
		return 0, false
	}
	return 5 + int(binary.BigEndian.Uint16(b[3:])), true
}

func (h *tdsHalf) consume(b []byte, prev int, sg reassembly.ScatterGather) int {
	st := &h.t.c.d.stats
	off := 0
	for len(b)-off >= layers.TDSHeaderLen {
		if n, ok := isTLSRecord(b[off:]); ok {
			// Either TDS 8.0 strict / full TLS (nothing decodable), or the
			// TLS-wrapped LOGIN7 of "encryption off" (skip it, plain TDS
			// resumes). A TLS handshake record before any TDS message means
			// the former.
			if !h.t.preloginDone && b[off] == 0x16 && !h.inMsg {
				h.t.markEncrypted()
				return len(b)
			}
			if len(b)-off < n {
				return off
			}
			st.TLSRecords++
			off += n
			continue
		}
		err := h.pkt.DecodeFromBytes(b[off:], gopacket.NilDecodeFeedback)
		if errors.Is(err, layers.ErrTruncated) && (!h.resync || h.candidate()) {
			return off // wait for the rest of the packet
		}
		if err != nil || (h.resync && !h.plausibleNext(b[off:])) {
			// Not a packet boundary: only possible while resynchronising
			// (or on a corrupt stream). Slide one byte.
			if !h.resync {
				st.Undecodable++
				h.resync = true
				h.dropMsg()
				h.inMsg = false
			}
			off++
			st.SkippedBytes++
			continue
		}
		n := int(h.pkt.Length)
		if !h.pkt.EOM() && !h.resync {
			h.pktSize = max(h.pktSize, n)
		}
		if h.resync {
			off += n
			st.SkippedBytes += uint64(n)
			if h.pkt.EOM() {
				h.resync = false
				st.Resyncs++
			}
			continue
		}
		if !h.inMsg {
			h.inMsg, h.msgType, h.msgOff, h.cut = true, h.pkt.Type, h.bufOff+uint64(off), false
			h.dropMsg()
		}
		h.addToMsg(h.pkt.Payload)
		off += n
		if h.pkt.EOM() {
			end := off - 1 - prev
			if end < 0 {
				end = 0
			}
			h.inMsg = false
			if !h.cut {
				h.t.message(h, h.msgType, h.msg, h.msgOff, sg.CaptureInfo(end))
			}
			h.dropMsg()
			if h.t.encrypted {
				return len(b)
			}
		}
	}
	return off
}

// plausibleNext checks, while resynchronising, that a decoded header is
// followed by another plausible header when the bytes are there; a single
// 8-byte match inside data is too weak on its own.
func (h *tdsHalf) plausibleNext(b []byte) bool {
	n := int(h.pkt.Length)
	if !h.candidate() {
		return false
	}
	if len(b) < n+layers.TDSHeaderLen {
		return true
	}
	var next layers.TDSPacket
	err := next.DecodeFromBytes(b[n:], gopacket.NilDecodeFeedback)
	return err == nil || errors.Is(err, layers.ErrTruncated)
}

func (t *tdsConn) markEncrypted() {
	if !t.encrypted {
		t.encrypted = true
		t.c.d.stats.TLSStreams++
		t.c.d.tdsCount(tdsTLS)
	}
}

// message handles one reassembled TDS message.
func (t *tdsConn) message(h *tdsHalf, typ uint8, payload []byte, off uint64, ci gopacket.CaptureInfo) {
	d := t.c.d
	st := &d.stats
	toExch := h.toExchange()
	switch typ {
	case layers.TDSPacketPrelogin:
		d.tdsCount(tdsPrelogin)
		if t.preloginDone || t.preloginSent {
			return // TLS handshake records carried in PRELOGIN packets
		}
		p, err := layers.ParsePrelogin(payload)
		if err != nil {
			st.Undecodable++
			return
		}
		t.preloginSent = true
		t.clientEnc = -1
		if p.HasEncryption {
			t.clientEnc = int(p.Encryption)
		}
	case layers.TDSPacketLogin7:
		d.tdsCount(tdsLogin7)
		t.preloginDone = true
		if _, err := layers.ParseLogin7(payload); err != nil {
			st.Undecodable++
		}
	case layers.TDSPacketSQLBatch:
		d.tdsCount(tdsSQLBatch)
		t.preloginDone = true
		text, err := layers.ParseSQLBatch(payload)
		if err != nil {
			st.Undecodable++
			return
		}
		t.statements(h, text, false, nil, off, ci, "tds/sqlbatch")
	case layers.TDSPacketRPC:
		d.tdsCount(tdsRPC)
		t.preloginDone = true
		reqs, err := layers.ParseRPC(payload)
		if err != nil {
			st.Undecodable++
			return
		}
		for _, q := range reqs {
			t.rpc(h, q, off, ci)
		}
	case layers.TDSPacketResponse:
		if toExch {
			st.Undecodable++ // a server message on the client side: not this protocol
			return
		}
		if t.preloginSent && !t.preloginDone {
			d.tdsCount(tdsPrelogin)
			t.preloginDone = true
			p, err := layers.ParsePrelogin(payload)
			if err != nil {
				st.Undecodable++
				return
			}
			if encryptionOn(t.clientEnc, p) {
				t.markEncrypted()
			}
			return
		}
		t.preloginDone = true
		d.tdsCount(tdsResponse)
		t.response(h, payload, off, ci)
	default:
		d.namedCount("tds/" + strconv.Itoa(int(typ)))
	}
}

// encryptionOn applies the PRELOGIN negotiation (PROTOCOLS.md 2.4.2): all
// traffic is encrypted unless one side does not support encryption or both
// said OFF (then only LOGIN7 is, and it is skipped as TLS records).
func encryptionOn(client int, server layers.Prelogin) bool {
	if !server.HasEncryption || client < 0 {
		return false
	}
	s := int(server.Encryption)
	switch {
	case client == layers.EncryptNotSup && s != layers.EncryptReq, s == layers.EncryptNotSup:
		return false
	case client == layers.EncryptOff && s == layers.EncryptOff:
		return false
	}
	return true
}

// rpc handles one RPC request: the sp_executesql family carries the
// statement and its parameters (PROTOCOLS.md 2.4.6).
func (t *tdsConn) rpc(h *tdsHalf, q layers.TDSRPC, off uint64, ci gopacket.CaptureInfo) {
	ps := q.Params
	arg := func(i int) string {
		if i < len(ps) {
			return ps[i].Value.Text()
		}
		return ""
	}
	switch q.ProcID {
	case layers.ProcExecuteSQL:
		names := t.c.d.declNames(arg(1))
		t.statements(h, arg(0), true, t.bindParams(ps, 2, names), off, ci, "tds/rpc")
	case layers.ProcPrepExec:
		// @handle OUT, declarations, statement, values.
		names := t.c.d.declNames(arg(1))
		t.pendingPrepare = arg(1) + "\x00" + arg(2)
		t.statements(h, arg(2), true, t.bindParams(ps, 3, names), off, ci, "tds/rpc")
	case layers.ProcPrepare:
		t.pendingPrepare = arg(1) + "\x00" + arg(2)
	case layers.ProcExecute:
		if len(ps) == 0 || ps[0].Value.Kind != layers.ValueInt {
			t.c.d.stats.Undecodable++
			return
		}
		p, ok := t.prepared[ps[0].Value.Int]
		if !ok {
			// Prepared before the capture started: values without a statement.
			t.c.d.stats.Undecodable++
			return
		}
		t.statements(h, p.stmt, true, t.bindParams(ps, 1, p.names), off, ci, "tds/rpc")
	case layers.ProcUnprepare:
		if len(ps) > 0 {
			delete(t.prepared, ps[0].Value.Int)
		}
	default:
		t.c.d.tdsCount(tdsRPCOther)
	}
}

// prepare records a prepared-statement handle, forgetting the oldest past
// MaxPrepared (a hostile stream could otherwise prepare without end).
func (t *tdsConn) prepare(handle int64, p prepared) {
	d := t.c.d
	if _, ok := t.prepared[handle]; !ok {
		if len(t.prepared) >= d.cfg.MaxPrepared {
			for len(t.preparedOrder) > 0 && len(t.prepared) >= d.cfg.MaxPrepared {
				delete(t.prepared, t.preparedOrder[0])
				t.preparedOrder = t.preparedOrder[1:]
			}
			d.cut(cutPrepared, t.c.names[0], 0)
		}
		t.preparedOrder = append(t.preparedOrder, handle)
		if len(t.preparedOrder) > 2*d.cfg.MaxPrepared {
			// Unprepared handles linger in the order: compact it.
			live := t.preparedOrder[:0]
			for _, h := range t.preparedOrder {
				if _, ok := t.prepared[h]; ok {
					live = append(live, h)
				}
			}
			t.preparedOrder = live
		}
	}
	t.prepared[handle] = p
}

// declNames lists parameter names from "@p1 nvarchar(10),@p2 bigint".
func declNames(decl string) []string {
	var names []string
	depth, startTok := 0, true
	for i := 0; i < len(decl); i++ {
		switch c := decl[i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			startTok = true
		case c == '@' && startTok:
			j := i + 1
			for j < len(decl) && decl[j] != ' ' && decl[j] != '\t' && decl[j] != ',' {
				j++
			}
			names = append(names, strings.ToLower(decl[i:j]))
			startTok = false
			i = j - 1
		}
	}
	return names
}

// boundParam is one RPC parameter value with the name it binds to.
type boundParam struct {
	name string
	v    layers.TDSValue
}

// bindParams names the values of an RPC: by name when the RPC names them,
// else by position in the declaration. The slice is reused per connection.
func (t *tdsConn) bindParams(ps []layers.TDSParam, from int, names []string) []boundParam {
	bp := t.params[:0]
	for i := from; i < len(ps); i++ {
		name := ps[i].Name
		if name == "" && i-from < len(names) {
			name = names[i-from]
		}
		bp = append(bp, boundParam{name, ps[i].Value})
	}
	t.params = bp
	return bp
}

func lookupParam(ps []boundParam, name string) (layers.TDSValue, bool) {
	for i := len(ps) - 1; i >= 0; i-- { // the last binding of a name wins
		if strings.EqualFold(ps[i].name, name) {
			return ps[i].v, true
		}
	}
	return layers.TDSValue{}, false
}

// rowView is one row's columns by lower-case name. The tables have about
// twenty columns: a scan of short names costs less than a map per row, and
// both slices are reused.
type rowView struct {
	names, vals []string
}

// get returns a column's value with spaces trimmed ("" when absent); the
// last column of a name wins.
func (r *rowView) get(k string) string {
	for i := len(r.names) - 1; i >= 0; i-- {
		if r.names[i] == k {
			return strings.TrimSpace(r.vals[i])
		}
	}
	return ""
}

// maxCachedSQL bounds the parsed-statement cache (statement texts of
// sp_executesql and prepared statements: a driver sends a few texts over
// and over); past it the cache starts afresh.
const maxCachedSQL = 1024

// parseSQL parses statement text; parameterised text (the same for every
// execution) is parsed once and reused. Literal batches carry their values
// in the text and are not cached.
func (d *Decoder) parseSQL(text string, cache bool) ([]layers.SQLStatement, error) {
	if !cache || len(text) > 4096 {
		return d.sql.Parse(text) // valid until the next Parse: statements() is done with it by then
	}
	if st, ok := d.sqlCache[text]; ok {
		return st, nil
	}
	st, err := layers.ParseSQL(text)
	if err != nil {
		return nil, err
	}
	if len(d.sqlCache) >= maxCachedSQL {
		clear(d.sqlCache)
	}
	d.sqlCache[text] = st
	return st, nil
}

// declNames is declNames with the same cache policy as parseSQL.
func (d *Decoder) declNames(decl string) []string {
	if len(decl) > 4096 {
		return declNames(decl)
	}
	if n, ok := d.declCache[decl]; ok {
		return n
	}
	n := declNames(decl)
	if len(d.declCache) >= maxCachedSQL {
		clear(d.declCache)
	}
	d.declCache[decl] = n
	return n
}

// statements handles SQL text from a batch or an RPC.
func (t *tdsConn) statements(h *tdsHalf, text string, cache bool, params []boundParam, off uint64, ci gopacket.CaptureInfo, msgType string) {
	stmts, err := t.c.d.parseSQL(text, cache)
	if err != nil {
		t.c.d.stats.Undecodable++
		return
	}
	rv := &t.rv
	for _, s := range stmts {
		switch s.Verb {
		case "SELECT":
			t.pendingTable = s.Table
		case "INSERT":
			switch s.Table {
			case tableOrders, tableConfirm, tableTrades:
			default:
				continue
			}
			for _, row := range s.Rows {
				rv.names, rv.vals = rv.names[:0], rv.vals[:0]
				for i, a := range row {
					if i >= len(s.Columns) {
						break
					}
					switch {
					case a.Param != "":
						if v, ok := lookupParam(params, a.Param); ok {
							rv.names, rv.vals = append(rv.names, s.Columns[i]), append(rv.vals, v.Text())
						}
					case !a.Null && !a.Expr:
						rv.names, rv.vals = append(rv.names, s.Columns[i]), append(rv.vals, a.Text)
					}
				}
				t.row(h, s.Table, rv, off, ci, msgType)
			}
		}
	}
}

// columnNames returns the current result set's column names in lower
// case, lowered once per COLMETADATA rather than once per row.
func (t *tdsConn) columnNames() []string {
	cols := t.tok.Columns
	if len(cols) == 0 {
		return nil
	}
	if len(t.colNames) != len(cols) || t.colsOf != &cols[0] {
		t.colNames = t.colNames[:0]
		for _, c := range cols {
			t.colNames = append(t.colNames, strings.ToLower(c.Name))
		}
		t.colsOf = &cols[0]
	}
	return t.colNames
}

// response walks a server token stream: LOGINACK fixes the version,
// RETURNVALUE binds a prepared handle, ROWs of a watched table become
// events.
func (t *tdsConn) response(h *tdsHalf, payload []byte, off uint64, ci gopacket.CaptureInfo) {
	table := t.pendingTable
	err := layers.ParseTDSTokens(payload, &t.tok, func(tok *layers.TDSToken) error {
		switch tok.ID {
		case layers.TokenReturnValue:
			if t.pendingPrepare != "" && tok.ReturnParam.Value.Kind == layers.ValueInt {
				decl, stmt, _ := strings.Cut(t.pendingPrepare, "\x00")
				t.prepare(tok.ReturnParam.Value.Int, prepared{stmt: stmt, names: t.c.d.declNames(decl)})
				t.pendingPrepare = ""
			}
		case layers.TokenRow, layers.TokenNBCRow:
			if table != tableConfirm && table != tableTrades && table != tableOrders {
				return nil
			}
			names := t.columnNames()
			rv := &t.rv
			rv.names, rv.vals = rv.names[:0], rv.vals[:0]
			for i, v := range tok.Row {
				if i < len(names) && v.Kind != layers.ValueNull {
					rv.names, rv.vals = append(rv.names, names[i]), append(rv.vals, v.Text())
				}
			}
			t.row(h, table, rv, off, ci, "tds/rows")
		}
		return nil
	})
	if err != nil {
		var ue *layers.UnsupportedError
		if errors.As(err, &ue) {
			t.c.d.stats.UnknownTypes++
		} else {
			t.c.d.stats.Undecodable++
		}
	}
	t.pendingTable = ""
}

// row turns one row of an ashare_* table, inserted or read, into an event.
// Columns are mapped by name, never by position (PROTOCOLS.md 2.2).
func (t *tdsConn) row(h *tdsHalf, table string, rv *rowView, off uint64, ci gopacket.CaptureInfo, msgType string) {
	d := t.c.d
	get := rv.get
	num := func(k string) int64 { v, _ := strconv.ParseInt(get(k), 10, 64); return v }
	var ev *Event
	dir := h.dir
	switch table {
	case tableOrders:
		kind := KindOrder
		if strings.EqualFold(get("owflag"), "WTH") {
			kind = KindCancel
		}
		if t.dedup('o', get("rec_num"), get("reff")) {
			return
		}
		ev = t.c.event(dir, off, ci, kind, msgType)
		ev.Direction = DirToExchange
		ev.RecNum = num("rec_num")
		if kind == KindCancel {
			ev.OrigRecNum = num("ordrec")
		} else {
			ev.OrdType = sseOrdType(get("owflag"))
		}
		ev.TransactTime = sseTime(get("date"), get("time"))
	case tableConfirm:
		status := get("status")
		if t.dedup('c', get("rec_num"), get("reff"), status, get("owflag")) {
			return
		}
		kind := KindConfirm
		if status != "O" && status != "W" {
			kind = KindReject
			if strings.EqualFold(get("owflag"), "WTH") {
				kind = KindCancelReject
			}
		}
		ev = t.c.event(dir, off, ci, kind, msgType)
		ev.Direction = DirFromExchange
		ev.RecNum, ev.OrderID = num("rec_num"), get("teordernum")
		if strings.EqualFold(get("owflag"), "WTH") {
			ev.OrigRecNum = num("ordrec")
			ev.Cancelled = status == "W"
			if q := get("qty2"); q != "" {
				ev.LeavesQty = 0
				ev.CumQty = 0
				ev.Qty, _ = strconv.ParseInt(q, 10, 64)
			}
		}
		if kind == KindReject || kind == KindCancelReject {
			ev.Text = get("remark")
			ev.RejectCode = int32(num("remark"))
			if status == "?" {
				ev.Text = "communication failure"
			}
		}
		ev.TransactTime = sseTime(get("date"), get("time"))
	case tableTrades:
		if t.dedup('t', get("cjbh")) {
			return
		}
		ev = t.c.event(dir, off, ci, KindFill, msgType)
		ev.Direction = DirFromExchange
		ev.Account, ev.Security, ev.Gateway, ev.ClOrdID, ev.ExecID = get("gddm"), get("zqdm"), get("gsdm"), get("sqbh"), get("cjbh")
		ev.Side = sseSide(get("bs"))
		ev.Price, _ = parseScaled(get("cjjg"), 4)
		ev.Qty, _ = strconv.ParseInt(get("cjsl"), 10, 64)
		ev.TransactTime = sseTime(get("bcrq"), get("cjsj"))
		d.publish(ev)
		return
	default:
		return
	}
	// Order-table and confirmation-table columns.
	ev.Account, ev.Security, ev.ClOrdID, ev.Branch = get("acc"), get("stock"), get("reff"), get("branchid")
	ev.Side = sseSide(get("bs"))
	ev.Price, _ = parseScaled(get("price"), 4)
	if ev.Qty == 0 {
		ev.Qty, _ = strconv.ParseInt(get("qty"), 10, 64)
	}
	d.publish(ev)
}

// dedup builds the identity of an SSE row (table tag, exchange endpoint,
// key columns) and checks it against the de-duplication window.
func (t *tdsConn) dedup(table byte, fields ...string) bool {
	d := t.c.d
	d.key = appendEndpoint(append(d.key[:0], 'S', table), t.c.exchange)
	for _, f := range fields {
		d.key = append(append(d.key, f...), 0)
	}
	return d.dedup()
}

func sseSide(s string) Side {
	switch s {
	case "B", "b":
		return SideBuy
	case "S", "s":
		return SideSell
	}
	return SideUnknown
}

func sseOrdType(owflag string) string {
	switch strings.ToUpper(owflag) {
	case "", "LPT", "ORD":
		return "limit"
	}
	return strings.ToLower(owflag)
}

var chinaTime = time.FixedZone("CST", 8*3600)

// sseTime joins date YYYYMMDD and time HH:MM:SS or HHMMSS (China Standard
// Time); anything else gives the zero time.
func sseTime(date, clock string) time.Time {
	clock = strings.ReplaceAll(clock, ":", "")
	if len(date) != 8 || len(clock) != 6 {
		return time.Time{}
	}
	t, err := time.ParseInLocation("20060102150405", date+clock, chinaTime)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseScaled parses decimal text ("15.000") into an integer × 10^scale,
// exactly; digits past scale must be zero.
func parseScaled(s string, scale int) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, false
	}
	for len(frac) > scale {
		if frac[len(frac)-1] != '0' {
			return 0, false
		}
		frac = frac[:len(frac)-1]
	}
	frac += strings.Repeat("0", scale-len(frac))
	if whole == "" {
		whole = "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}
