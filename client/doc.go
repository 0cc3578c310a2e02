// Package client is the Go SDK of Custody Ledger: it builds and signs
// transactions, broadcasts them over CometBFT's RPC, tracks each signer's
// sequence, turns result codes back into the registered contract errors, and
// reads state — as JSON for convenience, or as raw values with IAVL proofs
// that it checks against the app hash of a light-client-verified header.
//
// The pieces:
//
//   - tx.go: Sign and WrapMsg produce the canonical TxRaw bytes a node
//     accepts; DecodeTx reads them back.
//   - Client (client.go): broadcast (sync, or waiting for the block), sign
//     and broadcast with automatic sequences, and queries.
//   - TxError (errors.go): a refused tx, matchable with errors.Is against the
//     sentinels of the contracts packages.
//   - Verifier (verify.go): a CometBFT light client over a primary node and
//     witnesses; ProvenQuery checks a value's proof against the header it
//     verified. The SDK never trusts a node's word where a proof can be
//     checked.
//
// The keyring lives in client/keys; the CLI (cmd/custodycli) and the REST
// server are thin layers over this package.
package client
