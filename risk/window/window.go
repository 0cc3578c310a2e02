// Package window provides the sliding windows the risk rules are built on:
// windows by event time (1 s, 1 min, 3 min), windows by count, a monotonic
// min/max window, and a trading-day counter.
//
// Every window is driven by the timestamps it is given (nanoseconds of event
// time), never by a wall clock, so replaying the same events rebuilds the same
// state. Updates are amortised O(1): an entry is pushed once and evicted once.
// Fields are exported so the engine can checkpoint a window with encoding/gob;
// callers outside the engine should treat them as read-only.
package window

// Entry is one item in a window: its event time (ns), a value (a quantity, a
// price, or 1 for counting) and a reference the caller chooses, usually the
// sequence number of the event that produced it (used as alert evidence).
type Entry struct {
	T   int64
	V   int64
	Ref uint64
}

// ring is a growable FIFO of entries. The zero value is an empty ring.
// Invariant: 0 <= Len <= len(Buf); entries are Buf[(Head+i)%len(Buf)], i < Len.
type ring struct {
	Buf  []Entry
	Head int
	Len  int
}

func (r *ring) push(e Entry) {
	if r.Len == len(r.Buf) {
		n := len(r.Buf) * 2
		if n == 0 {
			n = 4
		}
		buf := make([]Entry, n)
		for i := 0; i < r.Len; i++ {
			buf[i] = r.Buf[(r.Head+i)%len(r.Buf)]
		}
		r.Buf, r.Head = buf, 0
	}
	r.Buf[(r.Head+r.Len)%len(r.Buf)] = e
	r.Len++
}

func (r *ring) front() Entry { return r.Buf[r.Head] }
func (r *ring) back() Entry  { return r.Buf[(r.Head+r.Len-1)%len(r.Buf)] }
func (r *ring) at(i int) Entry {
	return r.Buf[(r.Head+i)%len(r.Buf)]
}

func (r *ring) popFront() Entry {
	e := r.Buf[r.Head]
	r.Buf[r.Head] = Entry{}
	r.Head = (r.Head + 1) % len(r.Buf)
	r.Len--
	if r.Len == 0 {
		r.Head = 0
		// Give memory back when a burst has drained: an idle account should
		// cost a few words, not the peak of its busiest second.
		if len(r.Buf) > 64 {
			r.Buf = nil
		}
	}
	return e
}

func (r *ring) popBack() Entry {
	i := (r.Head + r.Len - 1) % len(r.Buf)
	e := r.Buf[i]
	r.Buf[i] = Entry{}
	r.Len--
	if r.Len == 0 {
		r.Head = 0
	}
	return e
}

// Time is a sliding window over the last Span nanoseconds of event time: it
// holds the entries with T > now-Span and keeps their count and sum. The zero
// value with Span set is ready to use.
type Time struct {
	Span int64
	Sum  int64
	Q    ring
}

// NewTime returns a time window spanning span nanoseconds.
func NewTime(span int64) Time { return Time{Span: span} }

// Add evicts what has fallen out of the window at e.T, then appends e.
// Entries must be added in non-decreasing time; an older entry is treated as
// if it arrived at the newest time seen (event streams can be slightly out of
// order across markets, and a window must never run backwards).
func (w *Time) Add(e Entry) {
	if w.Q.Len > 0 && e.T < w.Q.back().T {
		e.T = w.Q.back().T
	}
	w.Advance(e.T)
	w.Q.push(e)
	w.Sum += e.V
}

// Advance evicts the entries that are no longer within Span of now.
func (w *Time) Advance(now int64) {
	for w.Q.Len > 0 && w.Q.front().T <= now-w.Span {
		w.Sum -= w.Q.popFront().V
	}
}

// Count is the number of entries in the window.
func (w *Time) Count() int { return w.Q.Len }

// At returns the i-th entry, oldest first.
func (w *Time) At(i int) Entry { return w.Q.at(i) }

// Oldest returns the oldest entry; ok is false when the window is empty.
func (w *Time) Oldest() (Entry, bool) {
	if w.Q.Len == 0 {
		return Entry{}, false
	}
	return w.Q.front(), true
}

// Refs returns the references of the entries in the window, oldest first,
// at most max of them (the newest max when the window holds more).
func (w *Time) Refs(max int) []uint64 {
	start := 0
	if max > 0 && w.Q.Len > max {
		start = w.Q.Len - max
	}
	out := make([]uint64, 0, w.Q.Len-start)
	for i := start; i < w.Q.Len; i++ {
		out = append(out, w.Q.at(i).Ref)
	}
	return out
}

// Count is a sliding window over the last N entries, whatever their times,
// with a running sum.
type Count struct {
	N   int
	Sum int64
	Q   ring
}

// NewCount returns a count window of the last n entries.
func NewCount(n int) Count { return Count{N: n} }

// Add appends e, evicting the oldest entry when the window is full.
func (w *Count) Add(e Entry) {
	if w.N <= 0 {
		return
	}
	if w.Q.Len == w.N {
		w.Sum -= w.Q.popFront().V
	}
	w.Q.push(e)
	w.Sum += e.V
}

// Len is the number of entries held (at most N).
func (w *Count) Len() int { return w.Q.Len }

// Full reports whether the window holds N entries.
func (w *Count) Full() bool { return w.Q.Len == w.N }

// At returns the i-th entry, oldest first.
func (w *Count) At(i int) Entry { return w.Q.at(i) }

// Extremes is a sliding time window that answers the minimum and maximum
// value over the last Span nanoseconds in O(1), with two monotonic deques
// (each entry is pushed and popped at most once per deque). It also keeps the
// first value of the window (its opening), for moves measured from the start.
type Extremes struct {
	Span int64
	Min  ring // increasing values
	Max  ring // decreasing values
	All  ring // every entry, for First
}

// NewExtremes returns a min/max window spanning span nanoseconds.
func NewExtremes(span int64) Extremes { return Extremes{Span: span} }

// Add evicts what left the window at e.T and appends e (times as for Time.Add).
func (w *Extremes) Add(e Entry) {
	if w.All.Len > 0 && e.T < w.All.back().T {
		e.T = w.All.back().T
	}
	w.Advance(e.T)
	for w.Min.Len > 0 && w.Min.back().V >= e.V {
		w.Min.popBack()
	}
	w.Min.push(e)
	for w.Max.Len > 0 && w.Max.back().V <= e.V {
		w.Max.popBack()
	}
	w.Max.push(e)
	w.All.push(e)
}

// Advance evicts the entries older than Span at now.
func (w *Extremes) Advance(now int64) {
	cut := now - w.Span
	for w.All.Len > 0 && w.All.front().T <= cut {
		w.All.popFront()
	}
	for w.Min.Len > 0 && w.Min.front().T <= cut {
		w.Min.popFront()
	}
	for w.Max.Len > 0 && w.Max.front().T <= cut {
		w.Max.popFront()
	}
}

// Lowest returns the minimum entry in the window.
func (w *Extremes) Lowest() (Entry, bool) {
	if w.Min.Len == 0 {
		return Entry{}, false
	}
	return w.Min.front(), true
}

// Highest returns the maximum entry in the window.
func (w *Extremes) Highest() (Entry, bool) {
	if w.Max.Len == 0 {
		return Entry{}, false
	}
	return w.Max.front(), true
}

// First returns the oldest entry in the window.
func (w *Extremes) First() (Entry, bool) {
	if w.All.Len == 0 {
		return Entry{}, false
	}
	return w.All.front(), true
}

// Day counts and sums within one trading day; it resets itself when it is
// given a time on another day. Day numbers come from the caller (see DayOf).
type Day struct {
	DayNum int64
	N      int64
	Sum    int64
}

// Add counts v on the day of t, resetting first if the day changed.
func (d *Day) Add(day int64, v int64) {
	d.roll(day)
	d.N++
	d.Sum += v
}

// Get returns the count and sum for day (zero when day is not the current one).
func (d *Day) Get(day int64) (n, sum int64) {
	if d.DayNum != day {
		return 0, 0
	}
	return d.N, d.Sum
}

func (d *Day) roll(day int64) {
	if d.DayNum != day {
		d.DayNum, d.N, d.Sum = day, 0, 0
	}
}

// ChinaOffset is the offset of China Standard Time from UTC, in seconds.
// Trading days and sessions are defined on this clock; a fixed zone avoids
// depending on the host's tz database.
const ChinaOffset = 8 * 3600

// DayOf returns the trading-day number (days since 1970-01-01 in China
// Standard Time) of an event time in nanoseconds since the Unix epoch.
func DayOf(ns int64) int64 {
	s := ns/1e9 + ChinaOffset
	if ns < 0 && ns%1e9 != 0 {
		s--
	}
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return d
}

// ClockOf returns the time of day in China Standard Time, in seconds since
// midnight, of an event time in nanoseconds.
func ClockOf(ns int64) int64 {
	s := ns/1e9 + ChinaOffset
	if ns < 0 && ns%1e9 != 0 {
		s--
	}
	r := s % 86400
	if r < 0 {
		r += 86400
	}
	return r
}
