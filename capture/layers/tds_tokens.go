package layers

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Response token ids (PROTOCOLS.md 2.4.7).
const (
	TokenReturnStatus  = 0x79
	TokenColMetadata   = 0x81
	TokenTabName       = 0xA4
	TokenColInfo       = 0xA5
	TokenOrder         = 0xA9
	TokenError         = 0xAA
	TokenInfo          = 0xAB
	TokenReturnValue   = 0xAC
	TokenLoginAck      = 0xAD
	TokenFeatureExtAck = 0xAE
	TokenRow           = 0xD1
	TokenNBCRow        = 0xD2
	TokenEnvChange     = 0xE3
	TokenSessionState  = 0xE4
	TokenSSPI          = 0xED
	TokenFedAuthInfo   = 0xEE
	TokenDone          = 0xFD
	TokenDoneProc      = 0xFE
	TokenDoneInProc    = 0xFF
)

// DONE status bits.
const (
	DoneMore  = 0x0001
	DoneError = 0x0002
	DoneCount = 0x0010
	DoneAttn  = 0x0020
)

// TDSTokenState is what a token stream parser carries between tokens and
// messages of one connection: the negotiated version (0 means 7.2+) and the
// current result set's columns.
type TDSTokenState struct {
	Version uint32
	Columns []TDSColumn

	// cols remembers the last few COLMETADATA tokens by their bytes: a
	// poller's responses repeat the same few (one per table it polls),
	// which are then reused, not re-parsed.
	cols    [4]colCacheEntry
	colNext int
	row     []TDSValue // reused by every ROW token
}

type colCacheEntry struct {
	raw  []byte
	ver  uint32
	cols []TDSColumn
}

// cachedColumns returns the columns of a remembered COLMETADATA that b
// starts with, and its length.
func (s *TDSTokenState) cachedColumns(b []byte) ([]TDSColumn, int) {
	for i := range s.cols {
		e := &s.cols[i]
		if len(e.raw) > 0 && e.ver == s.Version && bytes.HasPrefix(b, e.raw) {
			return e.cols, len(e.raw)
		}
	}
	return nil, 0
}

func (s *TDSTokenState) pre72() bool { return s.Version != 0 && s.Version < 0x72000000 }

// TDSDone is a DONE, DONEPROC or DONEINPROC token.
type TDSDone struct {
	Status   uint16
	CurCmd   uint16
	RowCount uint64
}

// TDSError is an ERROR or INFO token.
type TDSError struct {
	Number  int32
	State   uint8
	Class   uint8
	Message string
	Server  string
	Proc    string
	Line    int32
}

// TDSEnvChange is an ENVCHANGE token; New and Old are text for the string
// types (database, language, packet size ...) and hex-free raw bytes
// otherwise.
type TDSEnvChange struct {
	Type     uint8
	New, Old string
}

// TDSToken is one parsed response token; ID selects the meaningful field.
type TDSToken struct {
	ID           uint8
	Columns      []TDSColumn // COLMETADATA
	Row          []TDSValue  // ROW, NBCROW (reused: valid during the callback only)
	Done         TDSDone
	Error        TDSError // ERROR, INFO
	EnvChange    TDSEnvChange
	LoginVersion uint32 // LOGINACK TDS version
	ProgName     string // LOGINACK
	ReturnStatus int32
	ReturnParam  TDSParam // RETURNVALUE
}

// ParseTDSTokens parses a response message payload token by token, calling
// fn for each. A LOGINACK updates st.Version; a COLMETADATA replaces
// st.Columns. It stops at the first token it cannot parse (tokens are not
// safely skippable in general) and returns a wrapped error.
func ParseTDSTokens(payload []byte, st *TDSTokenState, fn func(*TDSToken) error) (err error) {
	defer decodeGuard(&err, "tds tokens")
	r := lrd{b: payload}
	var tok TDSToken
	for r.left() > 0 {
		id := r.u8()
		tok = TDSToken{ID: id}
		switch id {
		case TokenColMetadata:
			if cols, n := st.cachedColumns(r.b[r.off:]); n > 0 {
				r.off += n
				st.Columns, tok.Columns = cols, cols
				break
			}
			start := r.off
			n := r.u16()
			st.Columns = nil
			if n != 0xFFFF {
				if int(n) > r.left() {
					return fmt.Errorf("tds colmetadata: %d columns: %w", n, ErrBadLength)
				}
				cols := make([]TDSColumn, 0, n)
				for i := 0; i < int(n) && r.err == nil; i++ {
					var c TDSColumn
					if st.pre72() {
						c.UserType = uint32(r.u16())
					} else {
						c.UserType = r.u32()
					}
					c.Flags = r.u16()
					t, err := readTypeInfo(&r, r.u8())
					if err != nil {
						return fmt.Errorf("tds colmetadata column %d: %w", i, err)
					}
					c.Type = t
					if t.ID == TDSTypeText || t.ID == TDSTypeNText || t.ID == TDSTypeImage {
						parts := r.u8()
						for range parts {
							r.usvarchar()
						}
					}
					c.Name = r.bvarchar()
					cols = append(cols, c)
				}
				st.Columns = cols
				if r.err == nil && r.off-start <= 16<<10 {
					e := &st.cols[st.colNext]
					st.colNext = (st.colNext + 1) % len(st.cols)
					e.raw, e.ver, e.cols = append(e.raw[:0], r.b[start:r.off]...), st.Version, cols
				}
			}
			tok.Columns = st.Columns
		case TokenRow, TokenNBCRow:
			var bitmap []byte
			if id == TokenNBCRow {
				bitmap = r.take((len(st.Columns) + 7) / 8)
			}
			if cap(st.row) < len(st.Columns) {
				st.row = make([]TDSValue, len(st.Columns))
			}
			tok.Row = st.row[:len(st.Columns)]
			clear(tok.Row)
			for i, c := range st.Columns {
				if bitmap != nil && bitmap[i/8]&(1<<(i%8)) != 0 {
					continue
				}
				v, err := readValue(&r, c.Type)
				if err != nil {
					return fmt.Errorf("tds row column %q: %w", c.Name, err)
				}
				tok.Row[i] = v
			}
		case TokenDone, TokenDoneProc, TokenDoneInProc:
			tok.Done.Status, tok.Done.CurCmd = r.u16(), r.u16()
			if st.pre72() {
				tok.Done.RowCount = uint64(r.u32())
			} else {
				tok.Done.RowCount = r.u64()
			}
		case TokenError, TokenInfo:
			s := lrd{b: r.take(int(r.u16()))}
			e := &tok.Error
			e.Number, e.State, e.Class = int32(s.u32()), s.u8(), s.u8()
			e.Message, e.Server, e.Proc = s.usvarchar(), s.bvarchar(), s.bvarchar()
			if st.pre72() {
				e.Line = int32(s.u16())
			} else {
				e.Line = int32(s.u32())
			}
		case TokenLoginAck:
			s := lrd{b: r.take(int(r.u16()))}
			s.u8()
			if b := s.take(4); b != nil {
				tok.LoginVersion = binary.BigEndian.Uint32(b)
				st.Version = tok.LoginVersion
			}
			tok.ProgName = s.bvarchar()
		case TokenEnvChange:
			s := lrd{b: r.take(int(r.u16()))}
			tok.EnvChange.Type = s.u8()
			switch tok.EnvChange.Type {
			case 1, 2, 3, 4, 5, 6, 13, 19:
				tok.EnvChange.New, tok.EnvChange.Old = s.bvarchar(), s.bvarchar()
			}
		case TokenReturnStatus:
			tok.ReturnStatus = int32(r.u32())
		case TokenReturnValue:
			p := &tok.ReturnParam
			r.u16() // ordinal
			p.Name, p.Status = r.bvarchar(), r.u8()
			if st.pre72() {
				r.u16()
			} else {
				r.u32()
			}
			r.u16() // flags
			t, err := readTypeInfo(&r, r.u8())
			if err != nil {
				return fmt.Errorf("tds returnvalue: %w", err)
			}
			p.Type = t
			if p.Value, err = readValue(&r, t); err != nil {
				return fmt.Errorf("tds returnvalue: %w", err)
			}
		case TokenTabName, TokenColInfo, TokenOrder, TokenSSPI:
			r.take(int(r.u16()))
		case TokenSessionState, TokenFedAuthInfo:
			n := r.u32()
			if int64(n) > int64(r.left()) {
				return fmt.Errorf("tds token %#x: %w", id, ErrTruncated)
			}
			r.take(int(n))
		case TokenFeatureExtAck:
			for r.err == nil {
				if r.u8() == 0xFF {
					break
				}
				n := r.u32()
				if int64(n) > int64(r.left()) {
					return fmt.Errorf("tds featureextack: %w", ErrTruncated)
				}
				r.take(int(n))
			}
		default:
			return fmt.Errorf("tds token: %w", &UnsupportedError{Protocol: "tds", Type: uint32(id)})
		}
		if r.err != nil {
			return fmt.Errorf("tds token %#x: %w", id, r.err)
		}
		if err := fn(&tok); err != nil {
			return err
		}
	}
	return nil
}

// AppendColMetadata appends a COLMETADATA token (TDS 7.2+).
func AppendColMetadata(d []byte, cols []TDSColumn) []byte {
	d = binary.LittleEndian.AppendUint16(append(d, TokenColMetadata), uint16(len(cols)))
	for _, c := range cols {
		d = binary.LittleEndian.AppendUint32(d, c.UserType)
		d = binary.LittleEndian.AppendUint16(d, c.Flags)
		d = appendTypeInfo(d, c.Type)
		d = appendBVarchar(d, c.Name)
	}
	return d
}

// AppendRow appends a ROW token, or an NBCROW when nbc is set and some
// value is NULL.
func AppendRow(d []byte, cols []TDSColumn, vals []TDSValue, nbc bool) ([]byte, error) {
	if len(vals) != len(cols) {
		return d, fmt.Errorf("tds row: %d values for %d columns: %w", len(vals), len(cols), ErrMalformed)
	}
	var bitmap []byte
	if nbc {
		bitmap = make([]byte, (len(cols)+7)/8)
		for i, v := range vals {
			if v.Kind == ValueNull {
				bitmap[i/8] |= 1 << (i % 8)
			}
		}
		d = append(append(d, TokenNBCRow), bitmap...)
	} else {
		d = append(d, TokenRow)
	}
	var err error
	for i, v := range vals {
		if bitmap != nil && v.Kind == ValueNull {
			continue
		}
		if d, err = appendValue(d, cols[i].Type, v); err != nil {
			return d, err
		}
	}
	return d, nil
}

// AppendDone appends a DONE-family token (TDS 7.2+ layout).
func AppendDone(d []byte, id uint8, status, curCmd uint16, rows uint64) []byte {
	d = binary.LittleEndian.AppendUint16(append(d, id), status)
	d = binary.LittleEndian.AppendUint16(d, curCmd)
	return binary.LittleEndian.AppendUint64(d, rows)
}

// AppendLoginAck appends a LOGINACK token.
func AppendLoginAck(d []byte, version uint32, prog string) []byte {
	body := append([]byte{1}, binary.BigEndian.AppendUint32(nil, version)...)
	body = appendBVarchar(body, prog)
	body = append(body, 16, 0, 0x10, 0)
	return append(binary.LittleEndian.AppendUint16(append(d, TokenLoginAck), uint16(len(body))), body...)
}

// AppendEnvChange appends a string-valued ENVCHANGE token (database,
// packet size ...).
func AppendEnvChange(d []byte, typ uint8, newV, oldV string) []byte {
	body := appendBVarchar(appendBVarchar([]byte{typ}, newV), oldV)
	return append(binary.LittleEndian.AppendUint16(append(d, TokenEnvChange), uint16(len(body))), body...)
}

// AppendError appends an ERROR token (id TokenError) or INFO (TokenInfo).
func AppendError(d []byte, id uint8, e TDSError) []byte {
	body := binary.LittleEndian.AppendUint32(nil, uint32(e.Number))
	body = append(body, e.State, e.Class)
	body = appendUSVarchar(body, e.Message)
	body = appendBVarchar(appendBVarchar(body, e.Server), e.Proc)
	body = binary.LittleEndian.AppendUint32(body, uint32(e.Line))
	return append(binary.LittleEndian.AppendUint16(append(d, id), uint16(len(body))), body...)
}

// AppendReturnStatus appends a RETURNSTATUS token.
func AppendReturnStatus(d []byte, v int32) []byte {
	return binary.LittleEndian.AppendUint32(append(d, TokenReturnStatus), uint32(v))
}

// Well-known RPC procedure ids (PROTOCOLS.md 2.4.6).
const (
	ProcCursorOpen  = 2
	ProcExecuteSQL  = 10
	ProcPrepare     = 11
	ProcExecute     = 12
	ProcPrepExec    = 13
	ProcPrepExecRPC = 14
	ProcUnprepare   = 15
)

var procNames = map[string]uint16{
	"sp_executesql": ProcExecuteSQL, "sp_prepare": ProcPrepare, "sp_execute": ProcExecute,
	"sp_prepexec": ProcPrepExec, "sp_prepexecrpc": ProcPrepExecRPC, "sp_unprepare": ProcUnprepare,
}

// TDSParam is one RPC parameter or RETURNVALUE.
type TDSParam struct {
	Name   string
	Status uint8
	Type   TDSType
	Value  TDSValue
}

// TDSRPC is one RPC request of an RPC message.
type TDSRPC struct {
	// ProcName is set when the procedure is called by name; ProcID when by
	// number (0xFFFF form). ProcID is also filled for the well-known names.
	ProcName string
	ProcID   uint16
	Options  uint16
	Params   []TDSParam
}

// ParseRPC parses an RPC message payload into its requests.
func ParseRPC(payload []byte) (reqs []TDSRPC, err error) {
	defer decodeGuard(&err, "tds rpc")
	r := lrd{b: skipAllHeaders(payload)}
	for r.left() > 0 {
		var q TDSRPC
		n := r.u16()
		if n == 0xFFFF {
			q.ProcID = r.u16()
		} else {
			q.ProcName = ucs2(r.take(2 * int(n)))
			q.ProcID = procNames[q.ProcName]
		}
		q.Options = r.u16()
		// Drivers send a statement, its declarations and a value per
		// column: one allocation for the usual count rather than five,
		// never more than the bytes left could hold (a parameter takes
		// at least four).
		q.Params = make([]TDSParam, 0, min(24, r.left()/4))
		for r.err == nil && r.left() > 0 {
			if c := r.b[r.off]; c == 0x80 || c == 0xFE || c == 0xFF {
				r.off++
				break
			}
			var p TDSParam
			p.Name, p.Status = r.bvarchar(), r.u8()
			t, err := readTypeInfo(&r, r.u8())
			if err != nil {
				return reqs, fmt.Errorf("tds rpc param %q: %w", p.Name, err)
			}
			p.Type = t
			if p.Value, err = readValue(&r, t); err != nil {
				return reqs, fmt.Errorf("tds rpc param %q: %w", p.Name, err)
			}
			q.Params = append(q.Params, p)
		}
		if r.err != nil {
			return reqs, fmt.Errorf("tds rpc: %w", r.err)
		}
		reqs = append(reqs, q)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("tds rpc: empty: %w", ErrTruncated)
	}
	return reqs, nil
}

// AppendRPC appends an RPC message payload (TDS 7.2+ separators).
func AppendRPC(d []byte, reqs []TDSRPC, allHeaders bool) ([]byte, error) {
	if allHeaders {
		d = AppendAllHeaders(d)
	}
	var err error
	for i, q := range reqs {
		if i > 0 {
			d = append(d, 0xFF)
		}
		if q.ProcName != "" {
			d = appendUSVarchar(d, q.ProcName)
		} else {
			d = binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(d, 0xFFFF), q.ProcID)
		}
		d = binary.LittleEndian.AppendUint16(d, q.Options)
		for _, p := range q.Params {
			d = append(appendBVarchar(d, p.Name), p.Status)
			d = appendTypeInfo(d, p.Type)
			if d, err = appendValue(d, p.Type, p.Value); err != nil {
				return d, err
			}
		}
	}
	return d, nil
}
