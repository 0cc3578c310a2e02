// Package abci is the Custody Ledger's ABCI 2.0 application: the thin,
// deterministic adapter between CometBFT and the settlement contracts, over
// one IAVL tree whose root hash is the app hash.
//
// # What it owns
//
// Decoding and authenticating txs, the mempool's view of state (CheckTx),
// proposal validation, block execution with all-or-nothing txs, saving and
// pruning versions, queries with Merkle proofs, and state sync snapshots.
// The business rules are not here: they are the contracts' (package
// contracts/ledger assembles them). This package never reads the wall
// clock, draws randomness, starts goroutines or ranges over maps on the
// state path; the two helpers that must (the snapshot exporter in
// abci/snapshot, the metrics timer in abci/internal/telemetry) live in their
// own packages.
//
// # The life of a tx
//
//  1. Envelope (DecodeTx, no state): at most MaxTxBytes; TxRaw then TxBody
//     decode, and each re-encodes to exactly the bytes received (canonical
//     protobuf: no unknown fields, fields in order, so one payload has one
//     hash); memo at most 256 bytes; chain id equal to the chain's (set at
//     InitChain and kept in state); the message has a contract and passes
//     its stateless validation.
//  2. Authentication (auth.Authenticate, on state): the signer's key is
//     registered and enabled, the ed25519 signature over
//     auth.SignBytes(body_bytes) verifies, and the sequence is the key's next.
//  3. Role: the signer's role may send this message (Router.Check).
//  4. Execution: the contract runs over a Cache; its writes are kept only if
//     it succeeds.
//
// Each refusal is an ABCI result code from the contracts error registry
// (codespace "tx" for steps 1-3, the contract's own codespace for step 4)
// with the reason in Log, never a Go error. What a refusal leaves behind:
// steps 1-3 leave nothing at all (the app hash is unchanged); a refusal by
// the contract (step 4) keeps only the signer's sequence increment, so a
// refused tx can never be replayed into a later block where it might
// succeed (the Cosmos SDK's rule). A tx is thus all or nothing, and a failed
// one leaves no trace but its sequence, its code and its log.
//
// # CheckTx, proposals and FinalizeBlock
//
// CheckTx runs steps 1-4 against the check state: a Cache over the last
// committed version to which each accepted tx applies its effects (sequence
// and contract writes). The mempool therefore refuses sequence gaps,
// duplicates and a second withdrawal that would overdraw after a first one
// still pending. After Commit the check state restarts from the new version
// and CometBFT's Recheck re-runs the remaining mempool txs over it; a tx
// whose contract now refuses it (the block froze the account or spent the
// balance) stays, its sequence consumed, and fails in its block with the
// contract's code, so that its signer's later txs are not dropped in
// cascade for a sequence gap. Authentication refusals still drop it.
//
// Each signature is verified once per node: the first check whose ed25519
// verification succeeds records the SHA-256 of the tx in a bounded cache
// (whatever refuses the tx after it), and every later CheckTx, recheck and
// FinalizeBlock of those exact bytes skips it (a tx never seen in CheckTx is
// verified in FinalizeBlock). This is sound because the key that must sign
// is fixed by the signer address (the hash of the public key), and it cannot
// change a result: a node that verifies again gets the same answer. A
// client's ticket signature (an order or a cancel the broker submits) is
// cached the same way, keyed by the hash of key, signature and signed bytes
// (ticketVerifier, through contracts.Context.VerifySignature).
//
// PrepareProposal and ProcessProposal share one routine, step 1: the
// proposer drops txs that fail it (and stops at the block's MaxTxBytes),
// and ProcessProposal rejects a block holding one. Steps 2-4 need the state
// of the block being built, so FinalizeBlock judges them.
//
// FinalizeBlock executes the txs in order, each in its own Cache over the
// working tree, flushed in sorted key order; block height and time come
// from the request. It returns one ExecTxResult per tx (Code, Codespace,
// Log, Data from the contract, and Events: a "tx" event with type, signer
// and sequence, then the contract's) and the working hash as AppHash.
// Events are not part of the results hash: settlement facts live in state
// or Data.
//
// # Commit, restart and pruning
//
// Commit saves the working tree as version H (IAVL versions are block
// heights), prunes versions older than PruneKeepRecent, may start a
// snapshot, and returns RetainHeight: 0 when every version is kept,
// otherwise the oldest kept version, lowered to the oldest kept snapshot so
// peers can still state-sync from it. Info reports the last saved height and
// hash, so CometBFT's handshake replays exactly the blocks the app lacks
// after a restart. The chain id is in state (key PrefixParams|"chain_id"),
// so a restarted or state-synced node knows it.
//
// # Queries and proofs
//
// Query reads a saved version: Height 0 means the latest. Paths:
//
//	/store/key          Data = raw key; Value = its value (nil if absent);
//	                    with Prove, ProofOps holds one ProofOp of type
//	                    "ics23:iavl" with an ICS23 membership or
//	                    non-membership proof
//	/custody/<path>     the ledger's JSON queries over that version
//	/invariants         the invariants' results (JSON) on that version
//
// State version H is the state after block H; its root is the AppHash that
// FinalizeBlock H returned, which CometBFT records in the header of block
// H+1. A client verifies a response at Height H with VerifyProof against
// header H+1's AppHash, obtained through a light client.
//
// # State sync
//
// Every SnapshotInterval heights Commit starts an export of the saved
// version (package abci/snapshot, which documents the format): it runs in
// the background over the immutable version, so consensus is not blocked.
// Chunks are SHA-256 hashed in the snapshot's Metadata; a restoring node
// (OfferSnapshot, ApplySnapshotChunk) checks each chunk, imports the nodes
// into its empty tree and finally compares the root with the app hash its
// light client verified, rejecting the snapshot (and wiping the import) if
// they differ.
//
// # Validator updates and upgrades
//
// After a block's txs, FinalizeBlock closes expired governance proposals
// and returns the validator updates the block's passed proposals queued
// (contracts/governance; CometBFT applies them at H+2). Before the txs, at
// the height of a scheduled upgrade plan, it runs the migration registered
// under the plan's name (Config.Migrations, upgrade.go) and returns the new
// app version as ConsensusParamUpdates.Version.App, or, without one,
// returns ErrUpgradeNeeded: CometBFT stops consensus with the block stored
// and the new binary executes it on restart. Info reports the app version
// the state records.
//
// # Concurrency
//
// App is not safe for concurrent use: CometBFT's local client
// (proxy.NewLocalClientCreator) serializes every call behind one mutex.
//
// # Out of scope
//
// Vote extensions,
// fees and gas (the network is permissioned; a tx costs its signer a
// sequence number), and an out-of-process (socket or gRPC) transport.
package abci
