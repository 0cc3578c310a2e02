// Package contracts holds the settlement rules of Custody Ledger: pure,
// deterministic functions of (state, signed message, block context) that
// return state changes, events and an error.
//
// Every validator runs the same contracts over the same transactions in the
// same order and must reach the same state, byte for byte. So nothing in this
// package or below it reads the clock (block time comes in the Context),
// draws randomness, uses floats, starts goroutines, iterates a map where the
// order could reach state, or touches the disk or the network except through
// the Store it is given. A lint test (lint_test.go) walks the sources and
// refuses the most common ways to break this.
//
// The pieces:
//
//   - Store: the ordered key/value view a contract reads and writes. The abci
//     package hands each tx a buffered view of the IAVL working tree, so a
//     failed tx leaves no trace.
//   - Context: block height and time, chain id, the authenticated signer, the
//     store and the event sink of one tx.
//   - Error and the code registry (errors.go): every refusal is a registered
//     (codespace, code) that clients can rely on; codes are never renumbered.
//   - Router: the table from message type to handler and the roles allowed to
//     send it. The abci package authenticates the signer, then asks the Router.
//   - Prefixes (prefixes.go): the first byte of every state key, in one table
//     so that no two contracts share a key space.
//
// Each contract lives in its own sub-package (auth, participants, accounts,
// funds, transfers, supervision, trading, clearing, reconcile, anchors,
// approvals) with
// a README that lays out its state keys, messages, error codes and
// invariants; fees and market are pure libraries of the trading rules.
// docs/settlement.md tells the trading and settlement rules in words.
package contracts
