// Package market is the risk core's market-data gateway: the snapshot type,
// its line format (read from a file or from a TCP feed), and a cache of the
// latest snapshot per security.
//
// # Line format
//
// One snapshot per line, UTF-8, fields separated by spaces:
//
//	TIME MARKET SECURITY key=value ...
//
// TIME is RFC 3339 with optional fraction and offset (2025-07-08T09:30:00.5+08:00);
// MARKET is SSE or SZSE; SECURITY the six-digit code. Keys, all optional:
//
//	last=10.23  prev=10.00  up=11.00  down=9.00   prices in CNY, up to 4 decimals
//	vol=123400                                    cumulative day volume, shares
//	turnover=1262382.00                           cumulative day turnover, CNY (up to 4 decimals)
//	bids=10.22:500,10.21:1000                     best bids, price:qty, best first
//	asks=10.23:300                                best asks, price:qty, best first
//
// Prices are parsed as exact decimals into CNY × 10 000 (capture.PriceScale);
// no float is involved. Blank lines and lines starting with '#' are ignored.
// Unknown keys are an error, so a typo does not silently drop a field.
package market

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custody-ledger/custody/capture"
)

// ErrSyntax is returned (wrapped, with the line number) by ParseLine and Read
// for a line that does not follow the format.
var ErrSyntax = errors.New("market: bad snapshot line")

// Level is one price level of the book: price (CNY × 10 000) and quantity.
type Level struct {
	Price int64 `json:"price"`
	Qty   int64 `json:"qty"`
}

// Snapshot is the state of one security at one time.
type Snapshot struct {
	Time      time.Time      `json:"time"`
	Market    capture.Market `json:"market"`
	Security  string         `json:"security"`
	Last      int64          `json:"last,omitempty"`
	PrevClose int64          `json:"prev_close,omitempty"`
	LimitUp   int64          `json:"limit_up,omitempty"`
	LimitDown int64          `json:"limit_down,omitempty"`
	Volume    int64          `json:"volume,omitempty"`
	Turnover  int64          `json:"turnover,omitempty"` // CNY × 10 000
	Bids      []Level        `json:"bids,omitempty"`
	Asks      []Level        `json:"asks,omitempty"`
}

// ParseLine parses one line. It returns ok=false for a blank or comment line.
func ParseLine(line string) (s Snapshot, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return Snapshot{}, false, nil
	}
	f := strings.Fields(line)
	if len(f) < 3 {
		return Snapshot{}, false, fmt.Errorf("%w: want TIME MARKET SECURITY, got %d fields", ErrSyntax, len(f))
	}
	if s.Time, err = time.Parse(time.RFC3339Nano, f[0]); err != nil {
		return Snapshot{}, false, fmt.Errorf("%w: time %q", ErrSyntax, f[0])
	}
	switch f[1] {
	case "SSE":
		s.Market = capture.MarketSSE
	case "SZSE":
		s.Market = capture.MarketSZSE
	default:
		return Snapshot{}, false, fmt.Errorf("%w: market %q", ErrSyntax, f[1])
	}
	s.Security = f[2]
	for _, kv := range f[3:] {
		k, v, found := strings.Cut(kv, "=")
		if !found {
			return Snapshot{}, false, fmt.Errorf("%w: field %q is not key=value", ErrSyntax, kv)
		}
		var perr error
		switch k {
		case "last":
			s.Last, perr = ParsePrice(v)
		case "prev":
			s.PrevClose, perr = ParsePrice(v)
		case "up":
			s.LimitUp, perr = ParsePrice(v)
		case "down":
			s.LimitDown, perr = ParsePrice(v)
		case "vol":
			s.Volume, perr = strconv.ParseInt(v, 10, 64)
		case "turnover":
			s.Turnover, perr = ParsePrice(v)
		case "bids":
			s.Bids, perr = parseLevels(v)
		case "asks":
			s.Asks, perr = parseLevels(v)
		default:
			perr = errors.New("unknown key")
		}
		if perr != nil {
			return Snapshot{}, false, fmt.Errorf("%w: %s: %v", ErrSyntax, kv, perr)
		}
	}
	return s, true, nil
}

// ParsePrice parses a non-negative decimal with at most four fraction digits
// into units of 1/10 000 exactly.
func ParsePrice(v string) (int64, error) {
	ip, fp, _ := strings.Cut(v, ".")
	if ip == "" || len(fp) > 4 || strings.HasPrefix(ip, "-") || strings.HasPrefix(ip, "+") {
		return 0, fmt.Errorf("%w: price %q", ErrSyntax, v)
	}
	i, err := strconv.ParseInt(ip, 10, 64)
	if err != nil || i > 1<<40 {
		return 0, fmt.Errorf("%w: price %q", ErrSyntax, v)
	}
	var frac int64
	if fp != "" {
		for len(fp) < 4 {
			fp += "0"
		}
		if frac, err = strconv.ParseInt(fp, 10, 64); err != nil || frac < 0 {
			return 0, fmt.Errorf("%w: price %q", ErrSyntax, v)
		}
	}
	return i*capture.PriceScale + frac, nil
}

// FormatPrice renders a price in units of 1/10 000 as ParsePrice reads it.
func FormatPrice(p int64) string {
	return fmt.Sprintf("%d.%04d", p/capture.PriceScale, p%capture.PriceScale)
}

func parseLevels(v string) ([]Level, error) {
	var out []Level
	for _, lv := range strings.Split(v, ",") {
		p, q, ok := strings.Cut(lv, ":")
		if !ok {
			return nil, fmt.Errorf("level %q is not price:qty", lv)
		}
		price, err := ParsePrice(p)
		if err != nil {
			return nil, err
		}
		qty, err := strconv.ParseInt(q, 10, 64)
		if err != nil || qty < 0 {
			return nil, fmt.Errorf("level %q: bad quantity", lv)
		}
		out = append(out, Level{Price: price, Qty: qty})
	}
	return out, nil
}

// Format renders s as one line of the documented format (without newline).
func (s Snapshot) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", s.Time.Format(time.RFC3339Nano), s.Market, s.Security)
	for _, f := range []struct {
		k string
		v int64
	}{{"last", s.Last}, {"prev", s.PrevClose}, {"up", s.LimitUp}, {"down", s.LimitDown}} {
		if f.v != 0 {
			fmt.Fprintf(&b, " %s=%s", f.k, FormatPrice(f.v))
		}
	}
	if s.Volume != 0 {
		fmt.Fprintf(&b, " vol=%d", s.Volume)
	}
	if s.Turnover != 0 {
		fmt.Fprintf(&b, " turnover=%s", FormatPrice(s.Turnover))
	}
	writeLevels(&b, "bids", s.Bids)
	writeLevels(&b, "asks", s.Asks)
	return b.String()
}

func writeLevels(b *strings.Builder, k string, ls []Level) {
	if len(ls) == 0 {
		return
	}
	b.WriteString(" " + k + "=")
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "%s:%d", FormatPrice(l.Price), l.Qty)
	}
}

// Read parses snapshots from r line by line and calls emit for each, in
// order. It stops at the first syntax error or emit error.
func Read(r io.Reader, emit func(Snapshot) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		s, ok, err := ParseLine(sc.Text())
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if !ok {
			continue
		}
		if err := emit(s); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("market: read: %w", err)
	}
	return nil
}

// Serve accepts feed connections on ln and reads snapshots from each in the
// line format, calling emit (serialised: one call at a time) for each. A
// connection with a bad line is closed; the others go on. Serve returns when
// ctx is done or ln fails, after closing ln and its connections.
func Serve(ctx context.Context, ln net.Listener, emit func(Snapshot) error) error {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		conns = map[net.Conn]struct{}{}
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	var emitMu sync.Mutex
	for {
		c, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("market: accept: %w", err)
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { mu.Lock(); delete(conns, c); mu.Unlock(); c.Close() }()
			_ = Read(c, func(s Snapshot) error {
				emitMu.Lock()
				defer emitMu.Unlock()
				return emit(s)
			})
		}()
	}
}

// Cache holds the latest snapshot per security. It is safe for concurrent
// use. A snapshot older than the one held is ignored, so a late line cannot
// roll a security back.
type Cache struct {
	mu sync.RWMutex
	m  map[string]Snapshot // by security code
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: make(map[string]Snapshot)} }

// Put stores s if it is not older than the snapshot held for its security.
func (c *Cache) Put(s Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[s.Security]; ok && s.Time.Before(old.Time) {
		return
	}
	c.m[s.Security] = s
}

// Get returns the latest snapshot of security.
func (c *Cache) Get(security string) (Snapshot, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.m[security]
	return s, ok
}

// Len is the number of securities held.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
