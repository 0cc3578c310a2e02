//go:build !linux

package source

import (
	"errors"
	"time"
)

// ErrUnavailable is returned by OpenLive where AF_PACKET does not exist.
var ErrUnavailable = errors.New("source: live capture unavailable")

// OpenLive is only implemented on Linux (AF_PACKET).
func OpenLive(iface string, f Filter, poll time.Duration) (Source, error) {
	return nil, ErrUnavailable
}
