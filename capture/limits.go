package capture

import (
	"hash/maphash"
	"log/slog"
	"net/netip"
	"time"
)

// dedupKey is a fixed-size identity of a report or row: two independent
// 64-bit hashes of its fields (a collision needs both to match: about
// 2^-128 per pair), so the state costs the same whatever the fields hold.
type dedupKey [2]uint64

// dedupSet remembers recently seen keys in two generations. New keys go
// into cur; when cur holds half the limit, old (and what only it held) is
// forgotten and cur becomes old. A key found in old moves to cur, so a key
// that keeps being replayed stays remembered. Memory is bounded by the
// limit; the window of recognition is at least limit/2 distinct keys.
type dedupSet struct {
	cur, old     map[dedupKey]struct{}
	half         int
	seed1, seed2 maphash.Seed
	aged         *uint64
}

func newDedupSet(limit int, aged *uint64) dedupSet {
	return dedupSet{cur: make(map[dedupKey]struct{}), half: max(1, limit/2),
		seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), aged: aged}
}

// seen reports whether key was seen within the window, recording it.
func (s *dedupSet) seen(key []byte) bool {
	k := dedupKey{maphash.Bytes(s.seed1, key), maphash.Bytes(s.seed2, key)}
	if _, ok := s.cur[k]; ok {
		return true
	}
	_, ok := s.old[k]
	if ok {
		delete(s.old, k)
	}
	if len(s.cur) >= s.half {
		*s.aged += uint64(len(s.old))
		s.old, s.cur = s.cur, make(map[dedupKey]struct{}, s.half/4)
	}
	s.cur[k] = struct{}{}
	return ok
}

// appendEndpoint appends an endpoint's 18 bytes (address, port) to a key.
func appendEndpoint(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr().As16()
	return append(append(b, a[:]...), byte(ap.Port()>>8), byte(ap.Port()))
}

// cutKind names a limit that cut input, for the log.
type cutKind int

const (
	cutMessage cutKind = iota
	cutTotal
	cutConnections
	cutDedup
	cutPrepared
	numCuts
)

var cutText = [numCuts]string{
	cutMessage:     "message longer than MaxMessageBytes: skipped to its end",
	cutTotal:       "buffered message bytes reached MaxBufferedBytes: message skipped to its end",
	cutConnections: "MaxConnections reached: connection not decoded",
	cutDedup:       "de-duplication state reached MaxDedupKeys: oldest generation aged out",
	cutPrepared:    "MaxPrepared reached on a TDS connection: oldest handles forgotten",
}

// cutLog logs each kind of cut at most once a second (wall time: it is
// about the operator's log, not the trade series), with the counts since.
type cutLog struct {
	log    *slog.Logger
	last   [numCuts]time.Time
	missed [numCuts]uint64
}

func (l *cutLog) note(k cutKind, stream string, n int) {
	now := time.Now()
	if now.Sub(l.last[k]) < time.Second {
		l.missed[k]++
		return
	}
	l.log.Warn("capture: input cut to keep memory bounded", "limit", cutText[k], "stream", stream, "bytes", n, "more_since_last_line", l.missed[k])
	l.last[k], l.missed[k] = now, 0
}
