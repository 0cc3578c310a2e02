// Package load sends a bounded, seeded load to a local network and measures
// it: committed txs per second, submit-to-commit latency (p50, p90, p99),
// refusals and failures by code, txs lost, and each node's CPU and memory.
// RunBench runs it twice on the same machine, against the custody network
// and against the same network running CometBFT's example kvstore, and
// reports our figures as ratios to the kvstore's (`custodynet bench`,
// `make bench`).
//
// # Shape of a run
//
//   - A Workload says what to send. Custody is the ledger's mix: bank
//     deposits, withdrawal requests signed by each client's own key and
//     the bank's confirmations, account openings and approvals, regulator
//     freezes. Its Setup opens, approves and funds the client accounts
//     first. KVStore is the baseline: "key=value" txs padded to the custody
//     run's median size.
//   - Signers are pinned to the nodes round-robin, each to one node, so a
//     signer's txs reach one mempool in sequence order; a signer sends one
//     broadcast at a time (broadcast_tx_sync) and counts its sequence
//     itself.
//   - The Runner dispatches actions as fast as a window of Config.InFlight
//     txs allows: a closed loop, whose slots free when the watcher reads a
//     block holding the tx (or it is refused). Transport errors and full mempools
//     are retried with the same bytes.
//   - The watcher reads every height in order (block and block_results, a
//     few heights in parallel from different nodes) and resolves txs by
//     hash. A height's commit time is the next header's BFT time (the
//     median of its precommit timestamps; every node runs on this
//     machine's clock), so the latencies do not include the watcher's own
//     reading time.
//   - Drain waits for what is in flight; what no block holds by then is
//     lost, and listed.
//
// Everything random comes from Config.Seed. Custody also keeps a model of
// every setup account's funds from the committed txs, which CheckFunds
// compares with a node's state at a height (the fault scenarios use it).
//
// # Out-of-order sequences
//
// Under load, a few of a signer's txs sometimes fail in a block with
// contracts.ErrBadSequence although the signer sent them in order to one
// node, and the txs it sent after them are then dropped from every mempool
// by the recheck: accepted by CheckTx, never committed. The cause is in
// CometBFT 0.38's mempool with an in-process (local) ABCI client: the
// application's CheckTx runs under the client's mutex, but the tx is
// appended to the mempool list afterwards, in the calling goroutine
// (CListMempool.CheckTx sets the response callback after CheckTxAsync
// returned). A node receiving a signer's txs N and N+1 from two peers at
// once can check N first and still append N+1 first. A proposer reaps its
// list in order, so its block holds N+1 before N: N+1 fails (its sequence
// is not consumed), N commits, and every later tx of the signer in the
// block fails too. abci.PrepareProposal now puts each signer's txs back in
// sequence order (TestMempool_AppendsOutOfCheckOrder shows both committing);
// should a proposer still produce such a block, the runner records each
// refusal as an anomaly,
// continues the signer from the sequence the node says it expects, and
// counts the dropped txs as lost; Do sends setup txs one per signer at a
// time, which the race cannot reorder.
//
// # Failed is not final
//
// A tx that failed in a block with contracts.ErrBadSequence consumed
// nothing, and its bytes stay a valid tx of its signer at that sequence.
// CometBFT removes a tx that failed in a block from the mempool's cache as
// well as from the mempool (mempool.keep-invalid-txs-in-cache is false),
// so a peer that still holds a copy (one that had not yet applied the
// block, or was restarting) can gossip it back, and a later block can
// commit it once its predecessor is in. The runner therefore keeps
// watching such a tx and counts it committed if that happens (Reincluded);
// clients must not treat a bad-sequence failure in a block as final
// either, nor sign another tx at that sequence before it is settled.
//
// # Out of scope
//
// The load tool measures; it does not tune. Tuning (what RunBench applies
// to both networks) is Tuning, printed with every report.
package load
