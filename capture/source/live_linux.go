//go:build linux

package source

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// ErrUnavailable is returned by OpenLive when AF_PACKET sockets cannot be
// opened (not root, no CAP_NET_RAW, or a sandbox without packet sockets).
var ErrUnavailable = errors.New("source: live capture unavailable")

// live reads an AF_PACKET socket. It does not use pcapgo.EthernetHandle:
// that handle has no read timeout, so a capture could not be cancelled on a
// quiet link, and it does not expose the packet type needed to drop the
// loopback's outgoing copies.
type live struct {
	fd    int
	buf   []byte
	oob   []byte
	lt    layers.LinkType
	index int
	// received and dropped sum the kernel's counters (KernelStats).
	received, dropped uint64
}

// OpenLive opens iface for capture with the kernel filter f. poll is how
// long ReadPacketData waits before returning ErrTimeout (default 100ms).
func OpenLive(iface string, f Filter, poll time.Duration) (Source, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if ifi.Flags&net.FlagLoopback != 0 {
		f.DropOutgoing = true
	}
	prog, err := f.Compile()
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, iface, err)
	}
	s := &live{fd: fd, buf: make([]byte, 256<<10), oob: make([]byte, 256), lt: linkType(iface), index: ifi.Index}
	fail := func(what string, err error) (Source, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("source: %s %s: %w", iface, what, err)
	}
	// Attach the filter before binding so no unfiltered packet is queued.
	raw := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		raw[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(raw)), Filter: &raw[0]}); err != nil {
		return fail("attach filter", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return fail("bind", err)
	}
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	tv := unix.NsecToTimeval(poll.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fail("set timeout", err)
	}
	// A deep socket buffer absorbs bursts while the decoder is busy: 64 MiB
	// past net.core.rmem_max when we may (CAP_NET_ADMIN), else as much as
	// the system allows. Drops that still happen are counted by the kernel
	// and read back through KernelStats.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf)
	}
	// Reading the statistics resets them: start from zero now.
	if _, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err != nil {
		return fail("packet statistics", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fail("timestamps", err)
	}
	return s, nil
}

// rcvBuf is the socket receive buffer asked for: at 100 MB/s of mirrored
// traffic, about half a second of it.
const rcvBuf = 64 << 20

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// KernelStats implements KernelCounter: PACKET_STATISTICS, which the kernel
// resets on every read, summed since the socket was opened.
func (s *live) KernelStats() (received, dropped uint64, err error) {
	st, err := unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return s.received, s.dropped, fmt.Errorf("source: packet statistics: %w", err)
	}
	// tp_packets counts every packet that passed the filter, dropped ones
	// included.
	s.received += uint64(st.Packets)
	s.dropped += uint64(st.Drops)
	return s.received, s.dropped, nil
}

// linkType reads the interface's ARPHRD type: Ethernet framing for
// Ethernet and loopback, raw IP for tunnels.
func linkType(iface string) layers.LinkType {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err == nil {
		if t, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && (t == unix.ARPHRD_NONE || t == 0xFFFE) {
			return layers.LinkTypeRaw
		}
	}
	return layers.LinkTypeEthernet
}

func (s *live) LinkType() layers.LinkType { return s.lt }
func (s *live) Close() error              { return unix.Close(s.fd) }

func (s *live) ReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	for {
		n, oobn, _, _, err := unix.Recvmsg(s.fd, s.buf, s.oob, unix.MSG_TRUNC)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				return nil, gopacket.CaptureInfo{}, ErrTimeout
			}
			return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: recvmsg: %w", err)
		}
		ci := gopacket.CaptureInfo{Length: n, CaptureLength: min(n, len(s.buf)), InterfaceIndex: s.index}
		if msgs, err := unix.ParseSocketControlMessage(s.oob[:oobn]); err == nil {
			for _, m := range msgs {
				if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
					ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
					ci.Timestamp = time.Unix(ts.Sec, ts.Nsec)
				}
			}
		}
		if ci.Timestamp.IsZero() {
			ci.Timestamp = time.Now()
		}
		return s.buf[:ci.CaptureLength], ci, nil // valid until the next read
	}
}
