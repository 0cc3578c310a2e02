package exchsim

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/capture/layers"
)

// readTDS reads one whole TDS message (packets up to EOM).
func readTDS(r *bufio.Reader) (typ uint8, payload []byte, err error) {
	for {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return 0, nil, err
		}
		n := int(binary.BigEndian.Uint16(h[2:]))
		if n < 8 {
			return 0, nil, fmt.Errorf("exchsim: tds packet length %d", n)
		}
		b := make([]byte, n-8)
		if _, err := io.ReadFull(r, b); err != nil {
			return 0, nil, err
		}
		typ = h[0]
		payload = append(payload, b...)
		if h[1]&layers.TDSStatusEOM != 0 {
			return typ, payload, nil
		}
	}
}

var collation = [5]byte{0x04, 0x08, 0xD0, 0x00, 0x00} // zh-CN, CP936

func charCol(name string, n uint32) layers.TDSColumn {
	return layers.TDSColumn{Flags: 1, Type: layers.TDSType{ID: layers.TDSTypeBigChar, MaxLen: n, Collation: collation}, Name: name}
}
func intCol(name string) layers.TDSColumn {
	return layers.TDSColumn{Type: layers.TDSType{ID: layers.TDSTypeIntN, MaxLen: 4}, Name: name}
}

// Result-set layouts of the two tables the OMS polls (PROTOCOLS.md 2.2).
var (
	confirmCols = []layers.TDSColumn{intCol("rec_num"), charCol("date", 8), charCol("time", 8), charCol("reff", 10), charCol("acc", 10),
		charCol("stock", 6), charCol("bs", 1), charCol("price", 8), charCol("qty", 8), charCol("status", 1), charCol("qty2", 8),
		charCol("remark", 30), charCol("status1", 1), charCol("teordernum", 8), charCol("owflag", 3), charCol("ordrec", 8),
		charCol("firmid", 5), charCol("branchid", 5)}
	tradeCols = []layers.TDSColumn{charCol("gddm", 10), charCol("gdxm", 8), charCol("bcrq", 8), intCol("cjbh"), charCol("gsdm", 5),
		charCol("cjsl", 10), charCol("bcye", 10), charCol("zqdm", 6), charCol("sbsj", 6), charCol("cjsj", 6), charCol("cjjg", 8),
		charCol("cjje", 12), charCol("sqbh", 10), charCol("bs", 1), charCol("mjbh", 5)}
)

type row map[string]string

// orderDB is the simulated SSE order database with the 报盘机 folded in:
// an order row is confirmed (and filled, as the plan says) at once.
type orderDB struct {
	sim      *Sim
	orders   map[string]row // by rec_num
	leaves   map[string]int64
	confirms []row
	trades   []row
}

func priceText(p int64) string {
	return strconv.FormatInt(p/10000, 10) + "." + fmt.Sprintf("%03d", (p%10000)/10)
}

func (db *orderDB) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := db.sim.tap.Wrap(c, false)
	first := true
	for {
		if first {
			// TDS 8.0 strict / TLS: the first byte is a TLS handshake record.
			if b, err := r.Peek(1); err != nil || b[0] == 0x16 {
				return
			}
			first = false
		}
		typ, payload, err := readTDS(r)
		if err != nil {
			return
		}
		var resp []byte
		db.sim.mu.Lock()
		switch typ {
		case layers.TDSPacketPrelogin:
			resp = layers.AppendPrelogin(nil, layers.Prelogin{Version: [6]byte{16, 0, 0x10, 0}, Encryption: layers.EncryptNotSup, HasEncryption: true})
		case layers.TDSPacketLogin7:
			resp = layers.AppendLoginAck(nil, layers.TDSVersion74, "Microsoft SQL Server")
			resp = layers.AppendEnvChange(resp, 1, "Ashare_OIW", "master")
			resp = layers.AppendDone(resp, layers.TokenDone, 0, 0, 0)
		case layers.TDSPacketSQLBatch:
			text, err := layers.ParseSQLBatch(payload)
			if err == nil {
				resp, err = db.exec(text, nil, layers.TokenDone)
			}
			if err != nil {
				resp = layers.AppendError(nil, layers.TokenError, layers.TDSError{Number: 102, Class: 15, Message: err.Error(), Server: "sim"})
				resp = layers.AppendDone(resp, layers.TokenDone, layers.DoneError, 0, 0)
			}
		case layers.TDSPacketRPC:
			reqs, err := layers.ParseRPC(payload)
			if err == nil && len(reqs) == 1 && reqs[0].ProcID == layers.ProcExecuteSQL && len(reqs[0].Params) >= 2 {
				params := map[string]string{}
				for _, p := range reqs[0].Params[2:] {
					params[strings.ToLower(p.Name)] = p.Value.Text()
				}
				resp, err = db.exec(reqs[0].Params[0].Value.Text(), params, layers.TokenDoneInProc)
				resp = layers.AppendReturnStatus(resp, 0)
				resp = layers.AppendDone(resp, layers.TokenDoneProc, 0, 0, 0)
			}
			if err != nil || resp == nil {
				resp = layers.AppendDone(nil, layers.TokenDoneProc, layers.DoneError, 0, 0)
			}
		}
		db.sim.mu.Unlock()
		if _, err := w.Write(layers.AppendTDSMessage(nil, layers.TDSPacketResponse, 0, resp, 512)); err != nil {
			return
		}
	}
}

func (db *orderDB) exec(text string, params map[string]string, done uint8) ([]byte, error) {
	stmts, err := layers.ParseSQL(text)
	if err != nil {
		return nil, err
	}
	var resp []byte
	for _, s := range stmts {
		switch {
		case s.Verb == "INSERT" && s.Table == "ashare_ordwth":
			for _, vals := range s.Rows {
				rw := row{}
				for i, a := range vals {
					v := a.Text
					if a.Param != "" {
						v = params[strings.ToLower(a.Param)]
					}
					rw[s.Columns[i]] = strings.TrimSpace(v)
				}
				db.insert(rw)
			}
			resp = layers.AppendDone(resp, done, layers.DoneCount, 0xC3, uint64(len(s.Rows)))
		case s.Verb == "SELECT" && (s.Table == "ashare_ordwth2" || s.Table == "ashare_cjhb"):
			after, _ := strconv.Atoi(text[strings.LastIndexAny(text, "> ")+1:])
			cols, rows, key := confirmCols, db.confirms, "rec_num"
			if s.Table == "ashare_cjhb" {
				cols, rows, key = tradeCols, db.trades, "cjbh"
			}
			resp = layers.AppendColMetadata(resp, cols)
			n := 0
			for _, rw := range rows {
				if k, _ := strconv.Atoi(rw[key]); k <= after {
					continue
				}
				vals := make([]layers.TDSValue, len(cols))
				for i, c := range cols {
					v, ok := rw[c.Name]
					switch {
					case !ok:
					case c.Type.ID == layers.TDSTypeIntN:
						iv, _ := strconv.ParseInt(v, 10, 64)
						vals[i] = layers.TDSValue{Kind: layers.ValueInt, Int: iv}
					default:
						vals[i] = layers.TDSValue{Kind: layers.ValueString, Str: v}
					}
				}
				var err error
				if resp, err = layers.AppendRow(resp, cols, vals, n%2 == 1); err != nil {
					return nil, err
				}
				n++
			}
			resp = layers.AppendDone(resp, done, layers.DoneCount, 0xC1, uint64(n))
		default:
			resp = layers.AppendDone(resp, done, 0, 0, 0)
		}
	}
	return resp, nil
}

// insert stores an order-table row and plays the 报盘机: confirmation (or
// rejection) and trades.
func (db *orderDB) insert(o row) {
	db.orders[o["rec_num"]] = o
	a := db.sim.plan[o["reff"]]
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	c := row{"rec_num": strconv.Itoa(len(db.confirms) + 1), "date": now.Format("20060102"), "time": now.Format("15:04:05"),
		"reff": o["reff"], "acc": o["acc"], "stock": o["stock"], "bs": o["bs"], "price": o["price"], "qty": o["qty"],
		"owflag": o["owflag"], "ordrec": o["ordrec"], "branchid": o["branchid"], "teordernum": fmt.Sprintf("T%07d", len(db.confirms)+1)}
	db.confirms = append(db.confirms, c)
	if strings.EqualFold(o["owflag"], "WTH") {
		orig := db.orders[o["ordrec"]]
		if a.Reject || orig == nil || db.leaves[o["ordrec"]] == 0 {
			c["status"], c["remark"] = "F", "cancel refused"
			return
		}
		c["status"], c["qty2"] = "W", strconv.FormatInt(db.leaves[o["ordrec"]], 10)
		c["acc"], c["stock"], c["bs"], c["price"] = orig["acc"], orig["stock"], orig["bs"], orig["price"]
		db.leaves[o["ordrec"]] = 0
		return
	}
	qty, _ := strconv.ParseInt(o["qty"], 10, 64)
	if a.Reject || o["price"] == "0.000" || qty <= 0 {
		c["status"], c["remark"] = "F", "bad price"
		return
	}
	c["status"] = "O"
	db.leaves[o["rec_num"]] = qty
	for _, q := range splitFill(a.Fill) {
		db.leaves[o["rec_num"]] -= q
		db.trades = append(db.trades, row{"gddm": o["acc"], "bcrq": now.Format("20060102"), "cjbh": strconv.Itoa(len(db.trades) + 1),
			"gsdm": "12345", "cjsl": strconv.FormatInt(q, 10), "zqdm": o["stock"], "sbsj": strings.ReplaceAll(o["time"], ":", ""),
			"cjsj": now.Format("150405"), "cjjg": o["price"], "cjje": "0", "sqbh": o["reff"], "bs": o["bs"]})
	}
}

// sseOMS is the broker counter writing to and polling the order database.
type sseOMS struct {
	w       net.Conn
	r       *bufio.Reader
	exp     *[]capture.Event
	rec     int
	recs    map[string]int // reff → rec_num
	confirm int
	trade   int
	polls   int
}

func (o *sseOMS) roundTrip(typ uint8, payload []byte) ([]byte, error) {
	// A small packet size makes every request a multi-packet message.
	if _, err := o.w.Write(layers.AppendTDSMessage(nil, typ, layers.TDSStatusResetConn, payload, 256)); err != nil {
		return nil, err
	}
	_, resp, err := readTDS(o.r)
	return resp, err
}

func (o *sseOMS) login() error {
	if _, err := o.roundTrip(layers.TDSPacketPrelogin, layers.AppendPrelogin(nil, layers.Prelogin{Encryption: layers.EncryptNotSup, HasEncryption: true})); err != nil {
		return err
	}
	_, err := o.roundTrip(layers.TDSPacketLogin7, layers.AppendLogin7(nil, layers.Login7{HostName: "oms", UserName: "oms", AppName: "counter", ServerName: "oiw", Database: "Ashare_OIW"}))
	return err
}

func (o *sseOMS) expect(e capture.Event) {
	e.Market = capture.MarketSSE
	*o.exp = append(*o.exp, e)
}

var orderCols = []string{"rec_num", "date", "time", "reff", "acc", "stock", "bs", "price", "qty", "status", "owflag", "ordrec", "firmid", "branchid"}

func (o *sseOMS) do(a Action) error {
	o.rec++
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	bs := "S"
	if a.Buy {
		bs = "B"
	}
	vals := map[string]string{"rec_num": strconv.Itoa(o.rec), "date": now.Format("20060102"), "time": now.Format("15:04:05"),
		"reff": a.ClOrdID, "acc": a.Account, "stock": a.Security, "bs": bs, "price": priceText(a.Price),
		"qty": strconv.FormatInt(a.Qty, 10), "status": "R", "owflag": "LPT", "ordrec": "", "firmid": "", "branchid": "00001"}
	ev := capture.Event{Kind: capture.KindOrder, Direction: capture.DirToExchange, Account: a.Account, Security: a.Security,
		Side: capSide(bs[0]), Price: a.Price, Qty: a.Qty, ClOrdID: a.ClOrdID, RecNum: int64(o.rec)}
	if a.Cancel {
		vals["owflag"], vals["ordrec"], vals["qty"], vals["price"] = "WTH", strconv.Itoa(o.recs[a.Orig]), "0", "0.000"
		ev.Kind, ev.Side, ev.Price, ev.Qty, ev.OrigRecNum = capture.KindCancel, capSide(bs[0]), 0, 0, int64(o.recs[a.Orig])
	}
	o.recs[a.ClOrdID] = o.rec
	var payload []byte
	typ := layers.TDSPacketSQLBatch
	if o.rec%2 == 0 {
		// Parameterised, as drivers send it: sp_executesql.
		var ph, decl []string
		params := []layers.TDSParam{{}, {}}
		for i, c := range orderCols {
			p := "@p" + strconv.Itoa(i+1)
			ph = append(ph, p)
			decl = append(decl, p+" nvarchar(20)")
			params = append(params, layers.TDSParam{Name: p, Type: layers.TDSType{ID: layers.TDSTypeNVarChar, MaxLen: 40, Collation: collation},
				Value: layers.TDSValue{Kind: layers.ValueString, Str: vals[c]}})
		}
		nv := func(s string) layers.TDSParam {
			return layers.TDSParam{Type: layers.TDSType{ID: layers.TDSTypeNVarChar, MaxLen: 8000, Collation: collation}, Value: layers.TDSValue{Kind: layers.ValueString, Str: s}}
		}
		params[0] = nv("INSERT INTO ashare_ordwth (" + strings.Join(orderCols, ",") + ") VALUES (" + strings.Join(ph, ",") + ")")
		params[1] = nv(strings.Join(decl, ","))
		var err error
		if payload, err = layers.AppendRPC(nil, []layers.TDSRPC{{ProcID: layers.ProcExecuteSQL, Params: params}}, true); err != nil {
			return err
		}
		typ = layers.TDSPacketRPC
	} else {
		var lits []string
		for _, c := range orderCols {
			lits = append(lits, "'"+strings.ReplaceAll(vals[c], "'", "''")+"'")
		}
		payload = layers.AppendSQLBatch(nil, "INSERT INTO [dbo].[ashare_ordwth] ("+strings.Join(orderCols, ", ")+") VALUES ("+strings.Join(lits, ", ")+")", true)
	}
	if _, err := o.roundTrip(typ, payload); err != nil {
		return err
	}
	o.expect(ev)
	return o.poll()
}

// poll reads new confirmations and trades. Every third poll re-reads the
// last confirmation, as polling OMSs do: the decoder must de-duplicate.
func (o *sseOMS) poll() error {
	o.polls++
	after := o.confirm
	if o.polls%3 == 0 && after > 0 {
		after--
	}
	if err := o.query("SELECT * FROM ashare_ordwth2 WHERE rec_num > "+strconv.Itoa(after), "rec_num", &o.confirm, o.confirmEvent); err != nil {
		return err
	}
	return o.query("SELECT * FROM ashare_cjhb WHERE cjbh > "+strconv.Itoa(o.trade), "cjbh", &o.trade, o.tradeEvent)
}

func (o *sseOMS) query(sql, key string, last *int, ev func(map[string]string) capture.Event) error {
	resp, err := o.roundTrip(layers.TDSPacketSQLBatch, layers.AppendSQLBatch(nil, sql, true))
	if err != nil {
		return err
	}
	var st layers.TDSTokenState
	return layers.ParseTDSTokens(resp, &st, func(tok *layers.TDSToken) error {
		if tok.ID != layers.TokenRow && tok.ID != layers.TokenNBCRow {
			return nil
		}
		m := map[string]string{}
		for i, v := range tok.Row {
			m[st.Columns[i].Name] = strings.TrimSpace(v.Text())
		}
		k, _ := strconv.Atoi(m[key])
		if k <= *last {
			return nil // re-read
		}
		*last = k
		o.expect(ev(m))
		return nil
	})
}

func (o *sseOMS) confirmEvent(m map[string]string) capture.Event {
	price, _ := strconv.ParseFloat(m["price"], 64)
	qty, _ := strconv.ParseInt(m["qty"], 10, 64)
	rec, _ := strconv.ParseInt(m["rec_num"], 10, 64)
	e := capture.Event{Kind: capture.KindConfirm, Direction: capture.DirFromExchange, Account: m["acc"], Security: m["stock"],
		Side: capSide(firstByte(m["bs"])), Price: int64(price*10000 + 0.5), Qty: qty, ClOrdID: m["reff"], OrderID: m["teordernum"], RecNum: rec}
	wth := strings.EqualFold(m["owflag"], "WTH")
	if wth {
		e.OrigRecNum, _ = strconv.ParseInt(m["ordrec"], 10, 64)
		e.Cancelled = m["status"] == "W"
		if m["qty2"] != "" {
			e.Qty, _ = strconv.ParseInt(m["qty2"], 10, 64)
		}
	}
	if m["status"] != "O" && m["status"] != "W" {
		e.Kind = capture.KindReject
		if wth {
			e.Kind = capture.KindCancelReject
		}
	}
	return e
}

func (o *sseOMS) tradeEvent(m map[string]string) capture.Event {
	price, _ := strconv.ParseFloat(m["cjjg"], 64)
	qty, _ := strconv.ParseInt(m["cjsl"], 10, 64)
	return capture.Event{Kind: capture.KindFill, Direction: capture.DirFromExchange, Account: m["gddm"], Security: m["zqdm"],
		Side: capSide(firstByte(m["bs"])), Price: int64(price*10000 + 0.5), Qty: qty, ClOrdID: m["sqbh"], ExecID: m["cjbh"]}
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}
