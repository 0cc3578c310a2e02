// Package source reads packets for the capture path: pcap and pcapng files
// through its own bounded, zero-copy readers (every length a file claims is
// checked against a limit before anything is allocated), and live traffic
// on Linux through an AF_PACKET socket with a kernel BPF filter on the
// configured endpoints.
// Neither needs cgo; a libpcap source is deliberately absent (DESIGN.md:
// pure Go by default).
//
// A Source hands out packet data with its capture info and link type; it
// does not decode anything. Package capture owns decoding.
package source
