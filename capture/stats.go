package capture

import (
	"fmt"
	"io"
	"sort"
)

// Stats counts what a capture saw. Every input that does not become an
// event is counted somewhere here: nothing is dropped silently.
type Stats struct {
	Packets uint64 `json:"packets"` // packets read from the source
	Bytes   uint64 `json:"bytes"`   // their captured bytes
	// Ignored packets were not TCP to or from a configured endpoint;
	// Malformed packets failed link, IP or TCP decoding.
	Ignored   uint64 `json:"ignored"`
	Malformed uint64 `json:"malformed"`
	Streams   uint64 `json:"streams"` // TCP connections on exchange endpoints

	// Messages counts decoded wire messages by type ("szse/100101",
	// "tds/sqlbatch", "tds/response" ...).
	Messages map[string]uint64 `json:"messages"`
	Events   uint64            `json:"events"`

	UnknownTypes uint64 `json:"unknown_types"` // well-framed messages of types the decoder skips
	Undecodable  uint64 `json:"undecodable"`   // messages that failed to parse (counted, skipped)
	BadChecksums uint64 `json:"bad_checksums"` // SZSE frames whose checksum failed
	Gaps         uint64 `json:"gaps"`          // lost-segment events reported by reassembly
	LostBytes    uint64 `json:"lost_bytes"`    // bytes those gaps covered
	Resyncs      uint64 `json:"resyncs"`       // times a decoder found its way back to a frame boundary
	SkippedBytes uint64 `json:"skipped_bytes"` // bytes discarded while resynchronising or at stream end
	Duplicates   uint64 `json:"duplicates"`    // replayed reports / re-read rows dropped by de-duplication
	TLSStreams   uint64 `json:"tls_streams"`   // TDS connections that negotiated encryption: not decodable
	TLSRecords   uint64 `json:"tls_records"`   // TLS records skipped (e.g. a TLS-wrapped LOGIN7)
	Panics       uint64 `json:"panics"`        // decoder panics turned into errors (should stay 0)

	// Limits (Config.Max*): what was cut to keep memory bounded.
	CutMessages    uint64 `json:"cut_messages"`    // messages longer than MaxMessageBytes, or past MaxBufferedBytes
	CutBytes       uint64 `json:"cut_bytes"`       // bytes those cuts skipped
	RefusedStreams uint64 `json:"refused_streams"` // connections not decoded: MaxConnections reached
	DedupAged      uint64 `json:"dedup_aged"`      // de-duplication keys aged out (MaxDedupKeys)
	PreparedAged   uint64 `json:"prepared_aged"`   // prepared-statement handles forgotten (MaxPrepared)

	// Kernel counters of a live source (zero for files): packets the
	// socket received and packets the kernel dropped because the capture
	// did not read fast enough (PACKET_STATISTICS).
	KernelPackets uint64 `json:"kernel_packets,omitempty"`
	KernelDrops   uint64 `json:"kernel_drops,omitempty"`
}

// MessagesTotal sums Messages.
func (s Stats) MessagesTotal() uint64 {
	var n uint64
	for _, v := range s.Messages {
		n += v
	}
	return n
}

// WriteSummary prints the counters one per line, message types sorted.
func (s Stats) WriteSummary(w io.Writer) error {
	_, err := fmt.Fprintf(w, "packets %d bytes %d ignored %d malformed %d streams %d\n"+
		"events %d messages %d unknown-types %d undecodable %d bad-checksums %d\n"+
		"gaps %d lost-bytes %d resyncs %d skipped-bytes %d duplicates %d tls-streams %d tls-records %d panics %d\n"+
		"cut-messages %d cut-bytes %d refused-streams %d dedup-aged %d prepared-aged %d kernel-packets %d kernel-drops %d\n",
		s.Packets, s.Bytes, s.Ignored, s.Malformed, s.Streams,
		s.Events, s.MessagesTotal(), s.UnknownTypes, s.Undecodable, s.BadChecksums,
		s.Gaps, s.LostBytes, s.Resyncs, s.SkippedBytes, s.Duplicates, s.TLSStreams, s.TLSRecords, s.Panics,
		s.CutMessages, s.CutBytes, s.RefusedStreams, s.DedupAged, s.PreparedAged, s.KernelPackets, s.KernelDrops)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(s.Messages))
	for k := range s.Messages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := fmt.Fprintf(w, "  %-20s %d\n", k, s.Messages[k]); err != nil {
			return err
		}
	}
	return nil
}
