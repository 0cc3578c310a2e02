package layers

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// TDS data type ids (PROTOCOLS.md 2.4.8).
const (
	TDSTypeNull          = 0x1F
	TDSTypeInt1          = 0x30
	TDSTypeBit           = 0x32
	TDSTypeInt2          = 0x34
	TDSTypeInt4          = 0x38
	TDSTypeDateTime4     = 0x3A
	TDSTypeFloat4        = 0x3B
	TDSTypeMoney         = 0x3C
	TDSTypeDateTime      = 0x3D
	TDSTypeFloat8        = 0x3E
	TDSTypeMoney4        = 0x7A
	TDSTypeInt8          = 0x7F
	TDSTypeGUID          = 0x24
	TDSTypeIntN          = 0x26
	TDSTypeBitN          = 0x68
	TDSTypeFloatN        = 0x6D
	TDSTypeMoneyN        = 0x6E
	TDSTypeDateTimeN     = 0x6F
	TDSTypeDecimalN      = 0x6A
	TDSTypeNumericN      = 0x6C
	TDSTypeDateN         = 0x28
	TDSTypeTimeN         = 0x29
	TDSTypeDateTime2N    = 0x2A
	TDSTypeDateTimeOffN  = 0x2B
	TDSTypeLegacyChar    = 0x2F
	TDSTypeLegacyVarChar = 0x27
	TDSTypeLegacyBinary  = 0x2D
	TDSTypeLegacyVarBin  = 0x25
	TDSTypeBigVarBin     = 0xA5
	TDSTypeBigVarChar    = 0xA7
	TDSTypeBigBinary     = 0xAD
	TDSTypeBigChar       = 0xAF
	TDSTypeNVarChar      = 0xE7
	TDSTypeNChar         = 0xEF
	TDSTypeText          = 0x23
	TDSTypeNText         = 0x63
	TDSTypeImage         = 0x22
)

// TDSType is a TYPE_INFO.
type TDSType struct {
	ID        uint8
	MaxLen    uint32 // 0xFFFF for PLP (MAX) short-length types
	Precision uint8
	Scale     uint8
	Collation [5]byte
}

// TDSColumn is one column of COLMETADATA.
type TDSColumn struct {
	UserType uint32
	Flags    uint16
	Type     TDSType
	Name     string
}

// ValueKind says which field of TDSValue holds the value.
type ValueKind uint8

const (
	ValueNull ValueKind = iota
	ValueInt
	ValueString // character data, decimals, money and floats as text
	ValueBytes  // binary data, dates and times (raw), GUIDs
)

// TDSValue is one decoded column or parameter value.
type TDSValue struct {
	Kind  ValueKind
	Int   int64
	Str   string
	Bytes []byte
}

// Text renders any value as text ("" for NULL): the form SQL columns of the
// ashare_* tables are compared in.
func (v TDSValue) Text() string {
	switch v.Kind {
	case ValueInt:
		return strconv.FormatInt(v.Int, 10)
	case ValueString:
		return v.Str
	case ValueBytes:
		return hex.EncodeToString(v.Bytes)
	}
	return ""
}

func isCharType(id uint8) bool {
	switch id {
	case TDSTypeBigVarChar, TDSTypeBigChar, TDSTypeNVarChar, TDSTypeNChar, TDSTypeLegacyChar, TDSTypeLegacyVarChar, TDSTypeText, TDSTypeNText:
		return true
	}
	return false
}

func isUnicode(id uint8) bool {
	return id == TDSTypeNVarChar || id == TDSTypeNChar || id == TDSTypeNText
}

// readTypeInfo reads a TYPE_INFO after the type byte has been consumed.
func readTypeInfo(r *lrd, id uint8) (TDSType, error) {
	t := TDSType{ID: id}
	switch id {
	case TDSTypeNull, TDSTypeInt1, TDSTypeBit, TDSTypeInt2, TDSTypeInt4, TDSTypeDateTime4, TDSTypeFloat4,
		TDSTypeMoney, TDSTypeDateTime, TDSTypeFloat8, TDSTypeMoney4, TDSTypeInt8, TDSTypeDateN:
	case TDSTypeGUID, TDSTypeIntN, TDSTypeBitN, TDSTypeFloatN, TDSTypeMoneyN, TDSTypeDateTimeN,
		TDSTypeLegacyBinary, TDSTypeLegacyVarBin:
		t.MaxLen = uint32(r.u8())
	case TDSTypeLegacyChar, TDSTypeLegacyVarChar:
		t.MaxLen = uint32(r.u8())
		copy(t.Collation[:], r.take(5))
	case TDSTypeDecimalN, TDSTypeNumericN:
		t.MaxLen = uint32(r.u8())
		t.Precision, t.Scale = r.u8(), r.u8()
	case TDSTypeTimeN, TDSTypeDateTime2N, TDSTypeDateTimeOffN:
		t.Scale = r.u8()
	case TDSTypeBigVarBin, TDSTypeBigBinary:
		t.MaxLen = uint32(r.u16())
	case TDSTypeBigVarChar, TDSTypeBigChar, TDSTypeNVarChar, TDSTypeNChar:
		t.MaxLen = uint32(r.u16())
		copy(t.Collation[:], r.take(5))
	case TDSTypeText, TDSTypeNText, TDSTypeImage:
		t.MaxLen = r.u32()
		if id != TDSTypeImage {
			copy(t.Collation[:], r.take(5))
		}
	default:
		return t, &UnsupportedError{Protocol: "tds", Type: uint32(id)}
	}
	return t, r.err
}

func appendTypeInfo(d []byte, t TDSType) []byte {
	d = append(d, t.ID)
	switch t.ID {
	case TDSTypeGUID, TDSTypeIntN, TDSTypeBitN, TDSTypeFloatN, TDSTypeMoneyN, TDSTypeDateTimeN, TDSTypeLegacyBinary, TDSTypeLegacyVarBin:
		d = append(d, byte(t.MaxLen))
	case TDSTypeLegacyChar, TDSTypeLegacyVarChar:
		d = append(append(d, byte(t.MaxLen)), t.Collation[:]...)
	case TDSTypeDecimalN, TDSTypeNumericN:
		d = append(d, byte(t.MaxLen), t.Precision, t.Scale)
	case TDSTypeTimeN, TDSTypeDateTime2N, TDSTypeDateTimeOffN:
		d = append(d, t.Scale)
	case TDSTypeBigVarBin, TDSTypeBigBinary:
		d = binary.LittleEndian.AppendUint16(d, uint16(t.MaxLen))
	case TDSTypeBigVarChar, TDSTypeBigChar, TDSTypeNVarChar, TDSTypeNChar:
		d = append(binary.LittleEndian.AppendUint16(d, uint16(t.MaxLen)), t.Collation[:]...)
	}
	return d
}

func fixedSize(id uint8) int {
	switch id {
	case TDSTypeNull:
		return 0
	case TDSTypeInt1, TDSTypeBit:
		return 1
	case TDSTypeInt2:
		return 2
	case TDSTypeInt4, TDSTypeDateTime4, TDSTypeFloat4, TDSTypeMoney4:
		return 4
	case TDSTypeMoney, TDSTypeDateTime, TDSTypeFloat8, TDSTypeInt8:
		return 8
	}
	return -1
}

// readValue reads one value in the wire form of t (PROTOCOLS.md 2.4.9).
func readValue(r *lrd, t TDSType) (TDSValue, error) {
	if n := fixedSize(t.ID); n >= 0 {
		return scalar(t.ID, r.take(n)), r.err
	}
	switch t.ID {
	case TDSTypeGUID, TDSTypeIntN, TDSTypeBitN, TDSTypeFloatN, TDSTypeMoneyN, TDSTypeDateTimeN,
		TDSTypeDecimalN, TDSTypeNumericN, TDSTypeDateN, TDSTypeTimeN, TDSTypeDateTime2N, TDSTypeDateTimeOffN,
		TDSTypeLegacyBinary, TDSTypeLegacyVarBin, TDSTypeLegacyChar, TDSTypeLegacyVarChar:
		n := int(r.u8())
		if r.err != nil || n == 0 {
			return TDSValue{}, r.err
		}
		b := r.take(n)
		if r.err != nil {
			return TDSValue{}, r.err
		}
		return byteLenValue(t, b), nil
	case TDSTypeBigVarBin, TDSTypeBigBinary, TDSTypeBigVarChar, TDSTypeBigChar, TDSTypeNVarChar, TDSTypeNChar:
		var b []byte
		if t.MaxLen == 0xFFFF {
			var null bool
			b, null = readPLP(r)
			if null || r.err != nil {
				return TDSValue{}, r.err
			}
		} else {
			n := r.u16()
			if n == 0xFFFF || r.err != nil {
				return TDSValue{}, r.err
			}
			b = r.take(int(n))
		}
		return charOrBytes(t, b), r.err
	case TDSTypeText, TDSTypeNText, TDSTypeImage:
		ptr := int(r.u8())
		if ptr == 0 || r.err != nil {
			return TDSValue{}, r.err
		}
		r.take(ptr + 8)
		n := r.u32()
		b := r.take(int(n))
		return charOrBytes(t, b), r.err
	}
	return TDSValue{}, &UnsupportedError{Protocol: "tds", Type: uint32(t.ID)}
}

func readPLP(r *lrd) (b []byte, null bool) {
	total := r.u64()
	if total == math.MaxUint64 {
		return nil, true
	}
	for r.err == nil {
		n := r.u32()
		if n == 0 {
			break
		}
		if int64(n) > int64(r.left()) {
			r.err = ErrTruncated
			break
		}
		b = append(b, r.take(int(n))...)
	}
	return b, false
}

func charOrBytes(t TDSType, b []byte) TDSValue {
	if isCharType(t.ID) {
		if isUnicode(t.ID) {
			return TDSValue{Kind: ValueString, Str: ucs2(b)}
		}
		// Single-byte code page data; the ashare_* columns are ASCII.
		// Short values (codes, accounts, quantities) repeat: share them.
		if len(b) <= 16 {
			return TDSValue{Kind: ValueString, Str: intern(b)}
		}
		return TDSValue{Kind: ValueString, Str: string(b)}
	}
	return TDSValue{Kind: ValueBytes, Bytes: b}
}

func scalar(id uint8, b []byte) TDSValue {
	switch len(b) {
	case 0:
		return TDSValue{}
	}
	switch id {
	case TDSTypeInt1, TDSTypeBit, TDSTypeBitN:
		return TDSValue{Kind: ValueInt, Int: int64(b[0])}
	case TDSTypeInt2:
		return TDSValue{Kind: ValueInt, Int: int64(int16(binary.LittleEndian.Uint16(b)))}
	case TDSTypeInt4:
		return TDSValue{Kind: ValueInt, Int: int64(int32(binary.LittleEndian.Uint32(b)))}
	case TDSTypeInt8:
		return TDSValue{Kind: ValueInt, Int: int64(binary.LittleEndian.Uint64(b))}
	case TDSTypeFloat4:
		return TDSValue{Kind: ValueString, Str: strconv.FormatFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 'f', -1, 32)}
	case TDSTypeFloat8:
		return TDSValue{Kind: ValueString, Str: strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)), 'f', -1, 64)}
	case TDSTypeMoney4:
		return TDSValue{Kind: ValueString, Str: scaled(big.NewInt(int64(int32(binary.LittleEndian.Uint32(b)))), 4)}
	case TDSTypeMoney:
		v := int64(binary.LittleEndian.Uint32(b))<<32 | int64(binary.LittleEndian.Uint32(b[4:]))
		return TDSValue{Kind: ValueString, Str: scaled(big.NewInt(v), 4)}
	}
	return TDSValue{Kind: ValueBytes, Bytes: b}
}

func byteLenValue(t TDSType, b []byte) TDSValue {
	switch t.ID {
	case TDSTypeIntN:
		switch len(b) {
		case 1:
			return scalar(TDSTypeInt1, b)
		case 2:
			return scalar(TDSTypeInt2, b)
		case 4:
			return scalar(TDSTypeInt4, b)
		case 8:
			return scalar(TDSTypeInt8, b)
		}
	case TDSTypeBitN:
		return scalar(TDSTypeBit, b)
	case TDSTypeFloatN:
		if len(b) == 4 {
			return scalar(TDSTypeFloat4, b)
		} else if len(b) == 8 {
			return scalar(TDSTypeFloat8, b)
		}
	case TDSTypeMoneyN:
		if len(b) == 4 {
			return scalar(TDSTypeMoney4, b)
		} else if len(b) == 8 {
			return scalar(TDSTypeMoney, b)
		}
	case TDSTypeDecimalN, TDSTypeNumericN:
		mag := make([]byte, len(b)-1)
		for i := range mag { // little-endian magnitude → big-endian for big.Int
			mag[i] = b[len(b)-1-i]
		}
		v := new(big.Int).SetBytes(mag)
		if b[0] == 0 {
			v.Neg(v)
		}
		return TDSValue{Kind: ValueString, Str: scaled(v, int(t.Scale))}
	case TDSTypeLegacyChar, TDSTypeLegacyVarChar:
		return TDSValue{Kind: ValueString, Str: string(b)}
	}
	return TDSValue{Kind: ValueBytes, Bytes: b}
}

// scaled renders v / 10^scale in decimal.
func scaled(v *big.Int, scale int) string {
	s := new(big.Int).Abs(v).String()
	if scale > 0 {
		if scale > 38 {
			scale = 38
		}
		for len(s) <= scale {
			s = "0" + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if v.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// appendValue encodes v in the wire form of t. It supports the types the
// simulators use: INTN, char types (non-MAX), binary types.
func appendValue(d []byte, t TDSType, v TDSValue) ([]byte, error) {
	switch t.ID {
	case TDSTypeIntN:
		if v.Kind == ValueNull {
			return append(d, 0), nil
		}
		n := int(t.MaxLen)
		d = append(d, byte(n))
		switch n {
		case 1:
			return append(d, byte(v.Int)), nil
		case 2:
			return binary.LittleEndian.AppendUint16(d, uint16(v.Int)), nil
		case 4:
			return binary.LittleEndian.AppendUint32(d, uint32(v.Int)), nil
		case 8:
			return binary.LittleEndian.AppendUint64(d, uint64(v.Int)), nil
		}
	case TDSTypeInt4:
		return binary.LittleEndian.AppendUint32(d, uint32(v.Int)), nil
	case TDSTypeInt8:
		return binary.LittleEndian.AppendUint64(d, uint64(v.Int)), nil
	case TDSTypeBigVarChar, TDSTypeBigChar, TDSTypeNVarChar, TDSTypeNChar, TDSTypeBigVarBin, TDSTypeBigBinary:
		if t.MaxLen == 0xFFFF {
			break
		}
		if v.Kind == ValueNull {
			return binary.LittleEndian.AppendUint16(d, 0xFFFF), nil
		}
		var b []byte
		switch {
		case isUnicode(t.ID):
			b = AppendUCS2(nil, v.Text())
		case v.Kind == ValueBytes:
			b = v.Bytes
		default:
			b = []byte(v.Text())
		}
		if t.ID == TDSTypeBigChar || t.ID == TDSTypeNChar {
			for len(b) < int(t.MaxLen) { // char(n) arrives space-padded
				if isUnicode(t.ID) {
					b = append(b, ' ', 0)
				} else {
					b = append(b, ' ')
				}
			}
		}
		return append(binary.LittleEndian.AppendUint16(d, uint16(len(b))), b...), nil
	}
	return d, fmt.Errorf("tds encode type %#x: %w", t.ID, &UnsupportedError{Protocol: "tds", Type: uint32(t.ID)})
}
