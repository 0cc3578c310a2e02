package window

import (
	"math/rand"
	"testing"
	"time"
)

// naive keeps every entry and recomputes: the model the windows must match.
type naive struct{ es []Entry }

func (n *naive) in(now, span int64) []Entry {
	var out []Entry
	for _, e := range n.es {
		if e.T > now-span {
			out = append(out, e)
		}
	}
	return out
}

func TestTime_MatchesNaiveModel(t *testing.T) {
	const seed = 42
	rng := rand.New(rand.NewSource(seed))
	for _, span := range []int64{int64(time.Second), int64(time.Minute), 3 * int64(time.Minute)} {
		w := NewTime(span)
		var m naive
		now := int64(0)
		for i := 0; i < 5000; i++ {
			now += rng.Int63n(int64(50 * time.Millisecond))
			e := Entry{T: now, V: rng.Int63n(1000), Ref: uint64(i)}
			w.Add(e)
			m.es = append(m.es, e)
			want := m.in(now, span)
			var sum int64
			for _, x := range want {
				sum += x.V
			}
			if w.Count() != len(want) || w.Sum != sum {
				t.Fatalf("seed %d span %d step %d: got count %d sum %d, want %d %d", seed, span, i, w.Count(), w.Sum, len(want), sum)
			}
			if len(want) > 0 && w.At(0) != want[0] {
				t.Fatalf("step %d: oldest %v, want %v", i, w.At(0), want[0])
			}
		}
	}
}

func TestTime_BoundaryIsExclusive(t *testing.T) {
	w := NewTime(int64(time.Second))
	w.Add(Entry{T: 0, V: 1})
	w.Add(Entry{T: int64(time.Second) - 1, V: 1})
	if w.Count() != 2 {
		t.Fatalf("got %d entries 1ns inside the window, want 2", w.Count())
	}
	w.Add(Entry{T: int64(time.Second), V: 1})
	if w.Count() != 2 {
		t.Fatalf("got %d entries after the first left, want 2", w.Count())
	}
}

func TestTime_OutOfOrderNeverRunsBackwards(t *testing.T) {
	w := NewTime(int64(time.Second))
	w.Add(Entry{T: 5e9, V: 1})
	w.Add(Entry{T: 1e9, V: 1}) // late: clamped to 5e9
	if w.Count() != 2 || w.At(1).T != 5e9 {
		t.Fatalf("late entry: count %d, time %d", w.Count(), w.At(1).T)
	}
}

func TestCount_KeepsLastN(t *testing.T) {
	w := NewCount(3)
	for i := int64(1); i <= 5; i++ {
		w.Add(Entry{T: i, V: i})
	}
	if w.Len() != 3 || w.Sum != 3+4+5 || w.At(0).V != 3 || !w.Full() {
		t.Fatalf("got len %d sum %d first %d", w.Len(), w.Sum, w.At(0).V)
	}
}

func TestExtremes_MatchesNaiveModel(t *testing.T) {
	const seed = 7
	rng := rand.New(rand.NewSource(seed))
	span := int64(time.Minute)
	w := NewExtremes(span)
	var m naive
	now := int64(0)
	for i := 0; i < 5000; i++ {
		now += rng.Int63n(int64(200 * time.Millisecond))
		e := Entry{T: now, V: 100000 + rng.Int63n(2000) - 1000}
		w.Add(e)
		m.es = append(m.es, e)
		in := m.in(now, span)
		lo, hi := in[0].V, in[0].V
		for _, x := range in {
			lo, hi = min(lo, x.V), max(hi, x.V)
		}
		gl, _ := w.Lowest()
		gh, _ := w.Highest()
		gf, _ := w.First()
		if gl.V != lo || gh.V != hi || gf != in[0] {
			t.Fatalf("seed %d step %d: got min %d max %d first %v, want %d %d %v", seed, i, gl.V, gh.V, gf, lo, hi, in[0])
		}
	}
}

func TestDay_ResetsOnNewDay(t *testing.T) {
	var d Day
	d.Add(10, 5)
	d.Add(10, 7)
	if n, s := d.Get(10); n != 2 || s != 12 {
		t.Fatalf("got %d %d", n, s)
	}
	d.Add(11, 1)
	if n, _ := d.Get(10); n != 0 {
		t.Fatalf("old day still counted: %d", n)
	}
	if n, s := d.Get(11); n != 1 || s != 1 {
		t.Fatalf("got %d %d", n, s)
	}
}

func TestDayOf_ChinaMidnight(t *testing.T) {
	cst := time.FixedZone("CST", ChinaOffset)
	a := time.Date(2025, 7, 8, 23, 59, 59, 0, cst).UnixNano()
	b := time.Date(2025, 7, 9, 0, 0, 0, 0, cst).UnixNano()
	if DayOf(b)-DayOf(a) != 1 {
		t.Fatalf("midnight CST does not change the day: %d %d", DayOf(a), DayOf(b))
	}
	if got := ClockOf(time.Date(2025, 7, 8, 9, 30, 0, 0, cst).UnixNano()); got != 9*3600+30*60 {
		t.Fatalf("ClockOf 09:30 = %d", got)
	}
}

func BenchmarkTime_Add(b *testing.B) {
	w := NewTime(int64(time.Second))
	for i := 0; i < b.N; i++ {
		w.Add(Entry{T: int64(i) * 1e6, V: 1})
	}
}
