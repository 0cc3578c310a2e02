// Package exchsim simulates both ends of a broker's exchange links so that
// the capture path can be tested on real wire traffic: an SZSE Binary trade
// gateway (TGW) and an SSE order database (SQL Server speaking TDS, with the
// 报盘机 folded in), each driven by a simulated broker OMS over real TCP on
// loopback. Scripted scenarios (normal flow, spoofing bursts, wash trades,
// a programmatic-trading burst) produce the order flow; every byte written
// is recorded by a Tap, and WritePcap turns a recording into a pcap or
// pcapng file with optional loss, reordering and duplication.
//
// Expected returns, for each scenario run, the events a correct decoder
// must produce, built from the messages the simulators themselves sent and
// received, not by decoding the wire.
//
// Nothing here is needed in production.
package exchsim
