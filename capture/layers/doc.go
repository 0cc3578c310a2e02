// Package layers holds the pure wire decoders and encoders of the capture
// path: the SZSE Binary trading interface (TGW) and Microsoft TDS as used by
// the SSE order database (报盘库).
//
// The decoders follow gopacket's DecodingLayer contract. SZSEFrame and
// TDSPacket implement DecodeFromBytes / CanDecode / NextLayerType, reset
// every field on each call, check lengths before reading, sub-slice instead
// of copying and do not allocate; their layer types are registered once, from
// one table (layertypes.go), and a duplicate number panics at init.
//
// Above the frame level the decoders are plain functions over byte slices:
// DecodeSZSE turns a frame body into one of the SZSE message structs; the TDS
// helpers parse PRELOGIN, SQL batches, RPC requests and response token
// streams; ParseSQL recognises the few statement shapes that matter for the
// ashare_* tables. Every message type also has an encoder (AppendTo /
// Append* functions), used by the simulators in testnet/exchsim and by the
// round-trip tests.
//
// Nothing here knows about TCP, sessions or events: package capture owns
// reassembly, direction and the mapping to capture.Event. No function in this
// package panics on input; the fuzz targets in *_fuzz_test.go, with their
// corpora in testdata/fuzz, keep it so.
//
// Reference: docs/protocols.md (SZSE Binary; the SSE order database over TDS).
package layers
