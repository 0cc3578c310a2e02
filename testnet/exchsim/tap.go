package exchsim

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Segment is one Write on a recorded connection.
type Segment struct {
	Conn       int  // index into Tap.Conns
	FromClient bool // written by the connecting side
	Data       []byte
	Time       time.Time
}

// ConnInfo names the two ends of a recorded connection.
type ConnInfo struct {
	Client, Server netip.AddrPort
}

// Tap records every write of the connections it wraps, in one global order.
// Writes are serialised through the Tap so that the recorded order is the
// order in which the bytes went onto the wire.
type Tap struct {
	mu    sync.Mutex
	Conns []ConnInfo
	Segs  []Segment
}

// Wrap records c's writes; client says c is the connecting side.
func (t *Tap) Wrap(c net.Conn, client bool) net.Conn {
	if t == nil {
		return c
	}
	la := addrPort(c.LocalAddr())
	ra := addrPort(c.RemoteAddr())
	ci := ConnInfo{Client: la, Server: ra}
	if !client {
		ci = ConnInfo{Client: ra, Server: la}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	id := -1
	for i, x := range t.Conns {
		if x == ci {
			id = i
		}
	}
	if id < 0 {
		id = len(t.Conns)
		t.Conns = append(t.Conns, ci)
	}
	return &tapConn{Conn: c, t: t, id: id, client: client}
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

type tapConn struct {
	net.Conn
	t      *Tap
	id     int
	client bool
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.t.Segs = append(c.t.Segs, Segment{Conn: c.id, FromClient: c.client, Data: append([]byte(nil), b[:n]...), Time: time.Now()})
	}
	return n, err
}
