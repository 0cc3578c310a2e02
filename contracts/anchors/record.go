package anchors

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// HashLen is the length of a Merkle root and of a parameter hash.
const HashLen = 32

// recordFormat is the first byte of every record value; a new layout gets a
// new number and the decoder keeps reading the old ones.
const recordFormat byte = 1

// ErrBadRecord is returned by DecodeBatch and DecodeParams for bytes that are
// not a record of the layout they read.
var ErrBadRecord = errors.New("anchors: malformed record")

// HexBytes is a byte string that JSON shows as lower-case hex, the form the
// risk core prints roots and hashes in.
type HexBytes []byte

// MarshalText implements encoding.TextMarshaler.
func (h HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *HexBytes) UnmarshalText(b []byte) error {
	out, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("anchors: hex: %w", err)
	}
	*h = out
	return nil
}

// String is the hex form.
func (h HexBytes) String() string { return hex.EncodeToString(h) }

// Batch is the on-chain record of one anchored alert batch: the message's
// fields, and where and when the chain took it.
//
// Value layout (docs/state.md, README.md): format byte 1 | seq | first_seq
// | last_seq | count | root (32) | params_hash (32) | from_unix_ms |
// to_unix_ms | height | time (unix ns) — integers 8 bytes big-endian — then
// len | tx hash, len | signer address (hex), len | operator, each length
// one byte.
type Batch struct {
	Operator   string   `json:"operator"`
	Seq        uint64   `json:"seq,string"`
	FirstSeq   uint64   `json:"first_seq,string"`
	LastSeq    uint64   `json:"last_seq,string"`
	Count      uint64   `json:"count,string"`
	Root       HexBytes `json:"root"`
	ParamsHash HexBytes `json:"params_hash"`
	FromUnixMs int64    `json:"from_unix_ms,string"`
	ToUnixMs   int64    `json:"to_unix_ms,string"`
	// Height and Time (unix ns) are the block that took the batch.
	Height int64    `json:"height,string"`
	Time   int64    `json:"time,string"`
	TxHash HexBytes `json:"tx_hash"`
	// Signer is the address of the key that signed the anchoring tx.
	Signer string `json:"signer"`
}

// Params is the on-chain record of one anchored rule-parameter version.
//
// Value layout: format byte 1 | version | params_hash (32) | height | time
// (unix ns), then len | tx hash, len | changed_by, len | signer address,
// len | operator.
type Params struct {
	Operator   string   `json:"operator"`
	Version    uint64   `json:"version,string"`
	ParamsHash HexBytes `json:"params_hash"`
	ChangedBy  string   `json:"changed_by"`
	Height     int64    `json:"height,string"`
	Time       int64    `json:"time,string"`
	TxHash     HexBytes `json:"tx_hash"`
	Signer     string   `json:"signer"`
}

func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// appendStr appends len(s) as one byte, then s. Callers bound s to 255
// bytes (ids ≤ 32, addresses 40, hashes 32, changed_by ≤ 64).
func appendStr(b []byte, s []byte) []byte {
	if len(s) > 255 {
		panic(fmt.Sprintf("anchors: record field of %d bytes", len(s)))
	}
	return append(append(b, byte(len(s))), s...)
}

// Encode returns the record's value bytes.
func (b *Batch) Encode() []byte {
	out := make([]byte, 0, 1+8*4+2*HashLen+8*4+3+HashLen+40+32)
	out = append(out, recordFormat)
	for _, v := range []uint64{b.Seq, b.FirstSeq, b.LastSeq, b.Count} {
		out = appendU64(out, v)
	}
	out = append(out, fixed(b.Root)...)
	out = append(out, fixed(b.ParamsHash)...)
	for _, v := range []int64{b.FromUnixMs, b.ToUnixMs, b.Height, b.Time} {
		out = appendU64(out, uint64(v))
	}
	out = appendStr(out, b.TxHash)
	out = appendStr(out, []byte(b.Signer))
	return appendStr(out, []byte(b.Operator))
}

// fixed pads or cuts h to HashLen bytes; the contract only stores validated
// 32-byte hashes, so this never changes one.
func fixed(h []byte) []byte {
	out := make([]byte, HashLen)
	copy(out, h)
	return out
}

// reader walks a record value; the first short read sets err and every
// later read returns zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = ErrBadRecord
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u64() uint64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (r *reader) bytes(n int) []byte { return append([]byte(nil), r.take(n)...) }

func (r *reader) str() []byte {
	n := r.take(1)
	if n == nil {
		return nil
	}
	return r.bytes(int(n[0]))
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = ErrBadRecord
	}
	return r.err
}

// DecodeBatch reads a Batch from its value bytes (Encode's layout).
func DecodeBatch(value []byte) (*Batch, error) {
	r := &reader{b: value}
	if f := r.take(1); f == nil || f[0] != recordFormat {
		return nil, fmt.Errorf("%w: batch format", ErrBadRecord)
	}
	b := &Batch{Seq: r.u64(), FirstSeq: r.u64(), LastSeq: r.u64(), Count: r.u64(),
		Root: r.bytes(HashLen), ParamsHash: r.bytes(HashLen)}
	b.FromUnixMs, b.ToUnixMs, b.Height, b.Time = int64(r.u64()), int64(r.u64()), int64(r.u64()), int64(r.u64())
	b.TxHash = r.str()
	b.Signer = string(r.str())
	b.Operator = string(r.str())
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("%w: batch", err)
	}
	return b, nil
}

// Encode returns the record's value bytes.
func (p *Params) Encode() []byte {
	out := make([]byte, 0, 1+8+HashLen+16+4+HashLen+64+40+32)
	out = append(out, recordFormat)
	out = appendU64(out, p.Version)
	out = append(out, fixed(p.ParamsHash)...)
	out = appendU64(out, uint64(p.Height))
	out = appendU64(out, uint64(p.Time))
	out = appendStr(out, p.TxHash)
	out = appendStr(out, []byte(p.ChangedBy))
	out = appendStr(out, []byte(p.Signer))
	return appendStr(out, []byte(p.Operator))
}

// DecodeParams reads a Params from its value bytes (Encode's layout).
func DecodeParams(value []byte) (*Params, error) {
	r := &reader{b: value}
	if f := r.take(1); f == nil || f[0] != recordFormat {
		return nil, fmt.Errorf("%w: params format", ErrBadRecord)
	}
	p := &Params{Version: r.u64(), ParamsHash: r.bytes(HashLen)}
	p.Height, p.Time = int64(r.u64()), int64(r.u64())
	p.TxHash = r.str()
	p.ChangedBy = string(r.str())
	p.Signer = string(r.str())
	p.Operator = string(r.str())
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("%w: params", err)
	}
	return p, nil
}
