package layers

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/gopacket"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "\n", "", "|", "").Replace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func u2(s string) string { return hex.EncodeToString(AppendUCS2(nil, s)) }

// Reference: PROTOCOLS.md 2.4.5, the go-mssqldb SQL batch capture [V].
func TestParseSQLBatch_GoMSSQLCapture(t *testing.T) {
	const text = "INSERT INTO ashare_ordwth(reff) VALUES ('J000000001')"
	pkt := unhex(t, "01 01 0088 0000 01 00 | 16000000 12000000 0200 0000000000000000 01000000"+u2(text))
	var p TDSPacket
	if err := p.DecodeFromBytes(pkt, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if p.Type != TDSPacketSQLBatch || !p.EOM() || p.Length != 0x88 || int(p.Length) != len(pkt) {
		t.Fatalf("header %+v", p)
	}
	got, err := ParseSQLBatch(p.Payload)
	if err != nil || got != text {
		t.Fatalf("got %q, %v", got, err)
	}
	// FreeTDS at 7.1 sends the same text without ALL_HEADERS.
	got, err = ParseSQLBatch(AppendUCS2(nil, text))
	if err != nil || got != text {
		t.Fatalf("7.1 form: got %q, %v", got, err)
	}
	if again := AppendSQLBatch(nil, text, true); string(again) != string(p.Payload) {
		t.Fatal("AppendSQLBatch differs from the capture")
	}
}

// Reference: PROTOCOLS.md 2.4.6, the go-mssqldb sp_executesql capture [V].
func TestParseRPC_GoMSSQLCapture(t *testing.T) {
	stmt := "INSERT INTO ashare_ordwth(reff,qty) VALUES (@p1,@p2)"
	decl := "@p1 nvarchar(10),@p2 bigint"
	payload := unhex(t, "16000000 12000000 0200 0000000000000000 01000000 | FFFF 0A00 | 0000"+
		"| 00 00 E7 6800 0000000000 6800"+u2(stmt)+
		"| 00 00 E7 3600 0000000000 3600"+u2(decl)+
		"| 03"+u2("@p1")+"00 E7 1400 0000000000 1400"+u2("J000000002")+
		"| 03"+u2("@p2")+"00 26 08 08 6400000000000000")
	pkt := AppendTDSMessage(nil, TDSPacketRPC, TDSStatusResetConn, payload, 4096)
	if pkt[1] != 0x09 || len(pkt) != 0x113 {
		t.Fatalf("header % x, len %#x; want status 09, len 0x113", pkt[:8], len(pkt))
	}
	reqs, err := ParseRPC(payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].ProcID != ProcExecuteSQL || len(reqs[0].Params) != 4 {
		t.Fatalf("got %+v", reqs)
	}
	ps := reqs[0].Params
	if ps[0].Value.Str != stmt || ps[1].Value.Str != decl || ps[2].Name != "@p1" || ps[2].Value.Str != "J000000002" ||
		ps[3].Name != "@p2" || ps[3].Value.Kind != ValueInt || ps[3].Value.Int != 100 {
		t.Fatalf("params %+v", ps)
	}
	again, err := AppendRPC(nil, reqs, true)
	if err != nil || string(again) != string(payload) {
		t.Fatalf("AppendRPC differs: %v", err)
	}
}

// Reference: PROTOCOLS.md 2.4.9, the hand-built stream decoded by go-mssqldb [V].
func TestParseTDSTokens_VerifiedStream(t *testing.T) {
	b := unhex(t, "81 0300 | 00000000 0000 38 07"+u2("rec_num")+"| 00000000 0900 AF 0A00 0408D00000 04"+u2("reff")+
		"| 00000000 0900 AF 0800 0408D00000 04"+u2("qty2")+
		"| D1 07000000 0A00"+hex.EncodeToString([]byte("J000000001"))+"FFFF"+
		"| D2 02 08000000 0800"+hex.EncodeToString([]byte("100     "))+
		"| FD 1000 C100 0200000000000000")
	var st TDSTokenState
	var rows [][]string
	var done TDSDone
	err := ParseTDSTokens(b, &st, func(tok *TDSToken) error {
		switch tok.ID {
		case TokenRow, TokenNBCRow:
			var r []string
			for _, v := range tok.Row {
				if v.Kind == ValueNull {
					r = append(r, "NULL")
				} else {
					r = append(r, v.Text())
				}
			}
			rows = append(rows, r)
		case TokenDone:
			done = tok.Done
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"7", "J000000001", "NULL"}, {"8", "NULL", "100     "}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
	if done.Status != DoneCount || done.CurCmd != 0xC1 || done.RowCount != 2 {
		t.Fatalf("done %+v", done)
	}
	if names := []string{st.Columns[0].Name, st.Columns[1].Name, st.Columns[2].Name}; !reflect.DeepEqual(names, []string{"rec_num", "reff", "qty2"}) {
		t.Fatalf("columns %v", names)
	}
}

// TestTDS_TokenRoundTrip encodes every token the encoders know and parses it back.
func TestTDS_TokenRoundTrip(t *testing.T) {
	coll := [5]byte{0x04, 0x08, 0xD0, 0, 0}
	cols := []TDSColumn{
		{Type: TDSType{ID: TDSTypeIntN, MaxLen: 4}, Name: "rec_num"},
		{Type: TDSType{ID: TDSTypeBigChar, MaxLen: 10, Collation: coll}, Name: "reff", Flags: 1},
		{Type: TDSType{ID: TDSTypeNVarChar, MaxLen: 60, Collation: coll}, Name: "remark", Flags: 1},
		{Type: TDSType{ID: TDSTypeIntN, MaxLen: 8}, Name: "big"},
	}
	var b []byte
	b = AppendLoginAck(b, TDSVersion74, "Microsoft SQL Server")
	b = AppendEnvChange(b, 1, "Ashare_OIW", "master")
	b = AppendError(b, TokenInfo, TDSError{Number: 5701, State: 2, Class: 0, Message: "changed db", Server: "srv", Line: 1})
	b = AppendColMetadata(b, cols)
	var err error
	if b, err = AppendRow(b, cols, []TDSValue{{Kind: ValueInt, Int: 1}, {Kind: ValueString, Str: "J1"}, {Kind: ValueString, Str: "拒绝"}, {Kind: ValueInt, Int: -5}}, false); err != nil {
		t.Fatal(err)
	}
	if b, err = AppendRow(b, cols, []TDSValue{{Kind: ValueInt, Int: 2}, {}, {}, {Kind: ValueInt, Int: 1 << 40}}, true); err != nil {
		t.Fatal(err)
	}
	b = AppendReturnStatus(b, 0)
	b = AppendError(b, TokenError, TDSError{Number: 2627, State: 1, Class: 14, Message: "pk violation", Server: "srv", Proc: "", Line: 1})
	b = AppendDone(b, TokenDoneProc, DoneCount, 0xC3, 1)
	var st TDSTokenState
	var got []string
	err = ParseTDSTokens(b, &st, func(tok *TDSToken) error {
		switch tok.ID {
		case TokenLoginAck:
			got = append(got, "loginack "+tok.ProgName)
		case TokenEnvChange:
			got = append(got, "env "+tok.EnvChange.New+" "+tok.EnvChange.Old)
		case TokenInfo, TokenError:
			got = append(got, "msg "+tok.Error.Message)
		case TokenColMetadata:
			got = append(got, "cols")
		case TokenRow, TokenNBCRow:
			s := "row"
			for _, v := range tok.Row {
				s += " " + v.Text()
			}
			got = append(got, s)
		case TokenReturnStatus:
			got = append(got, "status")
		case TokenDoneProc:
			got = append(got, "doneproc")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"loginack Microsoft SQL Server", "env Ashare_OIW master", "msg changed db", "cols",
		"row 1 J1         拒绝 -5", "row 2   1099511627776", "status", "msg pk violation", "doneproc"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if st.Version != TDSVersion74 {
		t.Fatalf("version %#x", st.Version)
	}
}

func TestTDS_MultiPacketMessage(t *testing.T) {
	text := strings.Repeat("SELECT * FROM ashare_cjhb; ", 100)
	msg := AppendTDSMessage(nil, TDSPacketSQLBatch, 0, AppendSQLBatch(nil, text, true), 512)
	var payload []byte
	packets := 0
	for rest := msg; len(rest) > 0; {
		var p TDSPacket
		if err := p.DecodeFromBytes(rest, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		packets++
		payload = append(payload, p.Payload...)
		rest = rest[p.Length:]
		if p.EOM() != (len(rest) == 0) {
			t.Fatalf("packet %d: EOM %v with %d bytes left", packets, p.EOM(), len(rest))
		}
	}
	if packets < 5 {
		t.Fatalf("%d packets", packets)
	}
	got, err := ParseSQLBatch(payload)
	if err != nil || got != text {
		t.Fatalf("got %d chars, %v", len(got), err)
	}
}

func TestPrelogin_RoundTrip(t *testing.T) {
	in := Prelogin{Version: [6]byte{16, 0, 0x10, 0, 0, 0}, Encryption: EncryptNotSup, HasEncryption: true}
	got, err := ParsePrelogin(AppendPrelogin(nil, in))
	if err != nil || got != in {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := ParsePrelogin([]byte{0, 0, 40, 0, 1}); !errors.Is(err, ErrBadLength) && !errors.Is(err, ErrTruncated) {
		t.Fatalf("bad offset: %v", err)
	}
}

func TestLogin7_RoundTrip(t *testing.T) {
	in := Login7{TDSVersion: TDSVersion74, PacketSize: 4096, HostName: "oms1", UserName: "oms", AppName: "counter", ServerName: "oiw", Database: "Ashare_OIW"}
	b := AppendLogin7(nil, in)
	if b[4] != 0x04 || b[7] != 0x74 {
		t.Fatalf("version bytes % x, want 04 00 00 74", b[4:8])
	}
	got, err := ParseLogin7(b)
	if err != nil || got != in {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestTDSPacket_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"short", "0101", ErrTruncated},
		{"unknown type", "99010010 00000100", ErrMalformed},
		{"length below header", "01010004 00000100", ErrBadLength},
		{"length past data", "01010040 00000100 00", ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p TDSPacket
			if err := p.DecodeFromBytes(unhex(t, tt.in), gopacket.NilDecodeFeedback); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseTDSTokens_UnknownTokenIsTyped(t *testing.T) {
	err := ParseTDSTokens([]byte{0x88, 0, 0}, &TDSTokenState{}, func(*TDSToken) error { return nil })
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Type != 0x88 {
		t.Fatalf("got %v", err)
	}
}

func TestTDSPacket_DoesNotMalloc(t *testing.T) {
	msg := AppendTDSMessage(nil, TDSPacketSQLBatch, 0, AppendSQLBatch(nil, "SELECT 1", true), 4096)
	var p TDSPacket
	if n := testing.AllocsPerRun(100, func() { _ = p.DecodeFromBytes(msg, gopacket.NilDecodeFeedback) }); n != 0 {
		t.Fatalf("allocates %v", n)
	}
}

func TestParseSQL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []SQLStatement
	}{
		{"literal insert", "INSERT INTO [dbo].[ashare_ordwth] (rec_num, reff, price, owflag) VALUES (1, 'J1', '15.000  ', N'WTH')",
			[]SQLStatement{{Verb: "INSERT", Table: "ashare_ordwth", Columns: []string{"rec_num", "reff", "price", "owflag"},
				Rows: [][]SQLArg{{{Text: "1"}, {Text: "J1"}, {Text: "15.000  "}, {Text: "WTH"}}}}}},
		{"params and null", "insert ashare_ordwth(reff,qty,firmid) values (@p1, @p2, NULL)",
			[]SQLStatement{{Verb: "INSERT", Table: "ashare_ordwth", Columns: []string{"reff", "qty", "firmid"},
				Rows: [][]SQLArg{{{Param: "@p1"}, {Param: "@p2"}, {Null: true}}}}}},
		{"multi row and expr", "INSERT INTO t (a,b) VALUES ('x''y', GETDATE()), (-1.5, 2)",
			[]SQLStatement{{Verb: "INSERT", Table: "t", Columns: []string{"a", "b"},
				Rows: [][]SQLArg{{{Text: "x'y"}, {Expr: true}}, {{Text: "-1.5"}, {Text: "2"}}}}}},
		{"select", "SELECT rec_num, (SELECT 1 FROM x) FROM Ashare_OIW.dbo.ashare_ordwth2 WHERE rec_num > 5; UPDATE ashare_ordwth SET status='P'",
			[]SQLStatement{{Verb: "SELECT", Table: "ashare_ordwth2"}, {Verb: "UPDATE", Table: "ashare_ordwth"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSQL(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"INSERT INTO t (a) VALUES ('x", "INSERT INTO t (a,b) VALUES (1)", "SELECT [x FROM y"} {
		if _, err := ParseSQL(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSQL(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}
