package capture

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/custody-ledger/custody/capture/source"
)

// Config says which endpoints are exchange sessions and of which protocol.
// The zero value of every field but the endpoint lists is usable.
type Config struct {
	SZSE []string // "host:port" of SZSE Binary trade gateways
	SSE  []string // "host:port" of SSE order databases (TDS)

	// GapTimeout is how long (in capture time) reassembly waits for a
	// missing segment before it declares the bytes lost, reports a gap and
	// lets the decoder resynchronise. Default 500ms.
	GapTimeout time.Duration
	// IdleTimeout closes connections that saw no packet for this long
	// (capture time). Default 10 minutes.
	IdleTimeout time.Duration
	// MaxBufferedPages bounds out-of-order data kept per connection (pages
	// of about 1.9 KiB); past it the oldest gap is declared lost. Default 4096.
	MaxBufferedPages int
	// MaxBufferedPagesTotal bounds out-of-order data kept over all
	// connections (pages of about 1.9 KiB). Default 65536 (about 125 MiB).
	MaxBufferedPagesTotal int

	// The limits below bound what hostile or broken input can make the
	// decoder hold. Each cut is counted in Stats and logged (at most once
	// a second per kind of cut).

	// MaxMessageBytes bounds one reassembled message (a TDS message spans
	// packets until its end-of-message bit). A longer one is cut: its bytes
	// up to the next end of message are skipped. Default 4 MiB.
	MaxMessageBytes int
	// MaxBufferedBytes bounds the message bytes held over all connections.
	// A message that would pass it is cut. Default 256 MiB.
	MaxBufferedBytes int
	// MaxConnections bounds the TCP connections on exchange endpoints
	// decoded at once; further connections are refused (counted) until
	// others end or go idle. Default 65536.
	MaxConnections int
	// MaxDedupKeys bounds the de-duplication state: keys are 16-byte
	// hashes kept in two generations, and the older generation ages out
	// when the newer holds half of this. A replay older than that window is
	// no longer recognised (the risk store's marks still catch it). Default
	// 2,000,000 (about 80 MiB).
	MaxDedupKeys int
	// MaxPrepared bounds the prepared-statement handles kept per TDS
	// connection; past it the oldest are forgotten. Default 4096.
	MaxPrepared int
	// MaxPacket bounds a packet record read from a capture file (and the
	// file's snap length). Default source.DefaultMaxPacket (256 KiB).
	MaxPacket int

	// Logger receives one line per kind of cut per second and a line when
	// the kernel drops packets of a live capture (nil: slog's default).
	Logger *slog.Logger
	// Observe, when set, is called from the capture goroutine with a copy
	// of the counters about once a second (wall time) while a capture runs,
	// and once at its end: riskd's status and metrics.
	Observe func(Stats)
}

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field string
	Value string
	Err   error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("capture: config %s %q: %v", e.Field, e.Value, e.Err)
}
func (e *ConfigError) Unwrap() error { return e.Err }

// ErrNoEndpoints is returned by Config.Validate when neither SZSE nor SSE
// names an endpoint: nothing could ever be decoded.
var ErrNoEndpoints = errors.New("capture: no exchange endpoints configured")

func (c Config) withDefaults() Config {
	if c.GapTimeout <= 0 {
		c.GapTimeout = 500 * time.Millisecond
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Minute
	}
	if c.MaxBufferedPages <= 0 {
		c.MaxBufferedPages = 4096
	}
	if c.MaxBufferedPagesTotal <= 0 {
		c.MaxBufferedPagesTotal = 65536
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 4 << 20
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = 256 << 20
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 65536
	}
	if c.MaxDedupKeys <= 0 {
		c.MaxDedupKeys = 2_000_000
	}
	if c.MaxPrepared <= 0 {
		c.MaxPrepared = 4096
	}
	if c.MaxPacket <= 0 {
		c.MaxPacket = source.DefaultMaxPacket
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate checks the endpoint lists.
func (c Config) Validate() error {
	_, err := c.endpoints()
	return err
}

// Endpoints returns the configured endpoints and their market.
func (c Config) Endpoints() (map[netip.AddrPort]Market, error) { return c.endpoints() }

func (c Config) endpoints() (map[netip.AddrPort]Market, error) {
	eps := make(map[netip.AddrPort]Market)
	add := func(field string, list []string, m Market) error {
		for _, s := range list {
			ap, err := parseEndpoint(s)
			if err != nil {
				return &ConfigError{Field: field, Value: s, Err: err}
			}
			if old, dup := eps[ap]; dup && old != m {
				return &ConfigError{Field: field, Value: s, Err: errors.New("endpoint configured for both markets")}
			}
			eps[ap] = m
		}
		return nil
	}
	if err := add("SZSE", c.SZSE, MarketSZSE); err != nil {
		return nil, err
	}
	if err := add("SSE", c.SSE, MarketSSE); err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		return nil, ErrNoEndpoints
	}
	return eps, nil
}

func parseEndpoint(s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", port)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("host must be an IP address: %w", err)
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}
