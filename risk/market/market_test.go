package market

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/capture"
)

const sample = `# a comment
2025-07-08T09:30:00.5+08:00 SZSE 000001 last=10.23 prev=10.00 up=11.00 down=9.00 vol=123400 turnover=1262382.25 bids=10.22:500,10.21:1000 asks=10.23:300

2025-07-08T09:30:03+08:00 SSE 600000 last=8.5 vol=10
`

func TestRead_ParsesDocumentedFormat(t *testing.T) {
	var got []Snapshot
	require.NoError(t, Read(strings.NewReader(sample), func(s Snapshot) error { got = append(got, s); return nil }))
	require.Len(t, got, 2)
	s := got[0]
	if s.Market != capture.MarketSZSE || s.Security != "000001" || s.Last != 102300 || s.PrevClose != 100000 ||
		s.LimitUp != 110000 || s.LimitDown != 90000 || s.Volume != 123400 || s.Turnover != 12623822500 {
		t.Fatalf("got %+v", s)
	}
	if len(s.Bids) != 2 || s.Bids[1] != (Level{Price: 102100, Qty: 1000}) || s.Asks[0].Qty != 300 {
		t.Fatalf("levels: %+v %+v", s.Bids, s.Asks)
	}
	if got[1].Last != 85000 || got[1].Market != capture.MarketSSE {
		t.Fatalf("got %+v", got[1])
	}
	// Round trip through Format.
	back, ok, err := ParseLine(s.Format())
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, back.Time.Equal(s.Time))
	back.Time = s.Time
	require.Equal(t, s, back)
}

func TestParseLine_RejectsBadInput(t *testing.T) {
	for _, line := range []string{
		"2025-07-08T09:30:00Z NYSE 000001",
		"yesterday SZSE 000001",
		"2025-07-08T09:30:00Z SZSE 000001 last=10.23456",
		"2025-07-08T09:30:00Z SZSE 000001 last=-1",
		"2025-07-08T09:30:00Z SZSE 000001 colour=red",
		"2025-07-08T09:30:00Z SZSE 000001 bids=10.00",
		"2025-07-08T09:30:00Z SZSE",
	} {
		if _, _, err := ParseLine(line); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: got %v, want ErrSyntax", line, err)
		}
	}
}

func TestCache_KeepsLatest(t *testing.T) {
	c := NewCache()
	t0 := time.Unix(100, 0)
	c.Put(Snapshot{Time: t0, Security: "000001", Last: 1})
	c.Put(Snapshot{Time: t0.Add(-time.Second), Security: "000001", Last: 2})
	c.Put(Snapshot{Time: t0.Add(time.Second), Security: "000002", Last: 3})
	s, ok := c.Get("000001")
	if !ok || s.Last != 1 || c.Len() != 2 {
		t.Fatalf("got %+v %v len %d", s, ok, c.Len())
	}
}

func TestServe_ReadsTCPFeed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	c := NewCache()
	got := make(chan Snapshot, 4)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, func(s Snapshot) error { c.Put(s); got <- s; return nil }) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	_, err = conn.Write([]byte(sample))
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("no snapshot over TCP")
		}
	}
	conn.Close()
	s, ok := c.Get("600000")
	require.True(t, ok)
	require.Equal(t, int64(85000), s.Last)
	cancel()
	require.NoError(t, <-done)
}
