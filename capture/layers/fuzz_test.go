package layers

import (
	"fmt"
	"testing"

	"github.com/google/gopacket"
)

// FuzzSZSE feeds arbitrary bytes to the frame decoder and, for whole
// frames, to the message decoder; whatever decodes must re-encode to the
// same body length.
func FuzzSZSE(f *testing.F) {
	for _, m := range szseSamples() {
		f.Add(AppendSZSE(nil, m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr SZSEFrame
		for len(b) > 0 {
			if err := fr.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
				return
			}
			if m, err := DecodeSZSE(fr.MsgType, fr.Payload); err == nil {
				if len(m.AppendBody(nil)) > len(fr.Payload) {
					t.Fatalf("type %d: re-encoded body longer than input", fr.MsgType)
				}
			}
			b = b[fr.Len():]
		}
	})
}

// FuzzTDS runs every TDS parser over arbitrary payloads.
func FuzzTDS(f *testing.F) {
	f.Add(AppendSQLBatch(nil, "INSERT INTO ashare_ordwth (reff,qty) VALUES ('J1', @p1)", true))
	rpc, _ := AppendRPC(nil, []TDSRPC{{ProcID: ProcExecuteSQL, Params: []TDSParam{
		{Type: TDSType{ID: TDSTypeNVarChar, MaxLen: 100}, Value: TDSValue{Kind: ValueString, Str: "SELECT 1"}},
		{Name: "@p1", Type: TDSType{ID: TDSTypeIntN, MaxLen: 8}, Value: TDSValue{Kind: ValueInt, Int: 100}}}}}, true)
	f.Add(rpc)
	cols := []TDSColumn{{Type: TDSType{ID: TDSTypeIntN, MaxLen: 4}, Name: "rec_num"}, {Type: TDSType{ID: TDSTypeBigChar, MaxLen: 10}, Name: "reff"}}
	tok := AppendColMetadata(AppendLoginAck(nil, TDSVersion74, "sql"), cols)
	tok, _ = AppendRow(tok, cols, []TDSValue{{Kind: ValueInt, Int: 1}, {Kind: ValueString, Str: "J1"}}, true)
	f.Add(AppendDone(tok, TokenDone, DoneCount, 0xC1, 1))
	f.Add(AppendPrelogin(nil, Prelogin{Encryption: EncryptOff, HasEncryption: true}))
	f.Add(AppendLogin7(nil, Login7{UserName: "u", Database: "db"}))
	f.Add(AppendTDSMessage(nil, TDSPacketSQLBatch, 0, AppendSQLBatch(nil, "SELECT * FROM ashare_cjhb", true), 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p TDSPacket
		_ = p.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
		if text, err := ParseSQLBatch(b); err == nil {
			_, _ = ParseSQL(text)
		}
		_, _ = ParseRPC(b)
		_ = ParseTDSTokens(b, &TDSTokenState{}, func(*TDSToken) error { return nil })
		_ = ParseTDSTokens(b, &TDSTokenState{Version: TDSVersion71}, func(*TDSToken) error { return nil })
		_, _ = ParsePrelogin(b)
		_, _ = ParseLogin7(b)
		_, _ = ParseSQL(string(b))

		// Reused buffers give what fresh ones do: a parser dirtied by
		// another statement, and a token state that has seen (and
		// remembered) the same payload's COLMETADATA before.
		var sp SQLParser
		sp.Parse("INSERT INTO ashare_ordwth (a, b, c) VALUES (1, 'x', @p1), (2, NULL, GETDATE()); SELECT * FROM t")
		got, gerr := sp.Parse(string(b))
		want, werr := ParseSQL(string(b))
		if (gerr == nil) != (werr == nil) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("reused SQL parser: %v %v, fresh: %v %v", got, gerr, want, werr)
		}
		tokens := func(st *TDSTokenState) (string, error) {
			var out []string
			err := ParseTDSTokens(b, st, func(tok *TDSToken) error {
				out = append(out, fmt.Sprint(tok.ID, tok.Columns, tok.Row, tok.Done, tok.ReturnParam))
				return nil
			})
			return fmt.Sprint(out), err
		}
		var st TDSTokenState
		first, ferr := tokens(&st)
		st.Version, st.Columns = 0, nil // as fresh, but with the remembered COLMETADATA
		again, aerr := tokens(&st)
		if first != again || (ferr == nil) != (aerr == nil) {
			t.Fatalf("token state reused: %s (%v), fresh: %s (%v)", again, aerr, first, ferr)
		}
	})
}
