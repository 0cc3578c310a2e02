// Package capture turns the mirrored traffic of a broker's exchange links
// into an ordered stream of normalized order-flow events for the risk core.
// It is a bypass: it only ever reads packets, never touches the trading
// link, and knows nothing about risk rules.
//
// # The path of a packet
//
// A source (package capture/source: a pcap or pcapng file, or a live
// AF_PACKET socket with a kernel BPF filter on the endpoint ports) hands
// packets to a Decoder. The Decoder:
//
//  1. decodes link, IP and TCP without allocating (Ethernet, 802.1Q,
//     Linux cooked capture, BSD loopback, raw IP; IPv4 and IPv6), and drops
//     what is not TCP to or from a configured endpoint (counted as Ignored);
//  2. reassembles each TCP connection and direction with gopacket's
//     reassembly: out-of-order and overlapping segments, retransmissions and
//     duplicates are resolved there, a capture may start mid-session, FIN
//     and RST end a stream, and a segment missing for longer than
//     Config.GapTimeout (capture time) is declared lost: Stats.Gaps and
//     Stats.LostBytes count it;
//  3. decides market and direction from the endpoint: bytes towards an SZSE
//     trade gateway or an SSE order database are orders and cancels, bytes
//     from it are confirmations, fills and rejects;
//  4. cuts the byte stream into messages with the protocol decoder (package
//     capture/layers): SZSE Binary frames (checksum verified), or TDS packets
//     reassembled into messages (SQL batches, RPC requests such as
//     sp_executesql with their parameters, response token streams);
//  5. maps each message that carries order flow to an Event, numbers it in
//     the capture point's single trade series (Event.Seq, from 1) and calls
//     emit synchronously, in packet order.
//
// # Loss and resynchronisation
//
// After a gap a decoder never guesses. The SZSE decoder scans for the next
// offset where a known message type with its exact body length is followed
// by a valid checksum; the TDS decoder drops packets up to the end of the
// message the gap cut (EOM), accepting only headers with this stream's
// packet size. Bytes skipped are counted (Stats.SkippedBytes, Resyncs), and
// everything after the resync point is decoded. A bad SZSE checksum is a
// resync signal too (Stats.BadChecksums). Unknown SZSE message types are
// well framed: they are counted (Stats.UnknownTypes) and skipped.
//
// # Duplicates
//
// The SZSE gateway replays execution reports after ReportSynchronization,
// and an OMS polling the SSE confirmation and trade tables re-reads rows:
// reports are de-duplicated on (gateway, PartitionNo, ReportIndex), rows on
// their keys (rec_num, cjbh). Stats.Duplicates counts what was dropped.
//
// # Encryption
//
// A TDS connection whose PRELOGIN negotiates encryption, or that opens with
// a TLS record (TDS 8.0 strict), cannot be read passively; it is counted in
// Stats.TLSStreams and ignored. The login-only TLS of "encryption off" is
// skipped record by record (Stats.TLSRecords) and decoding resumes.
//
// # Caller's duties
//
// Build a Config with the exchange endpoints (IP:port), then either call
// DecodePcapFile / CaptureLive, or drive a Decoder yourself: Decode for each
// packet in capture order, Flush on a timer when a live link is quiet, and
// Close at the end (it flushes what reassembly still holds). A Decoder is
// single-threaded; run one per capture point. Downstream clocks must run on
// Event.CaptureTime, never on the wall clock, so that a pcap replays
// identically.
//
// # Out of scope
//
// Risk rules, persistence, market data, SSE's binary TDGW gateway, MARS
// (multiplexed TDS sessions), and decrypting TLS.
package capture
