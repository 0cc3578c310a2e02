package capture

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
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
