// Package risk is the risk core: a bypass that watches the captured order
// flow, market snapshots and chain events, scores them against the
// abnormal-trading rules of the exchanges, and raises alerts. It never sits
// in the trading link.
//
// # Shape
//
// The package follows etcd raft's split between a pure core and a thin
// shell:
//
//   - Core is synchronous, single-threaded and deterministic. Step takes one
//     Input (an order-flow event, a market snapshot, a ledger event, a clock
//     tick, a parameter version, base data) and returns the alerts it raised.
//     Time is the inputs' own event time (capture timestamps, block times);
//     the core never reads a clock, so a replay of the same inputs gives the
//     same alerts, with the same ids, in the same order.
//   - Runner is the shell. It numbers inputs (Seq), persists them in
//     batches, routes each to the worker goroutine owning its
//     associated-account group (market data, ticks and parameters go to
//     all), stores what the cores return and checkpoints them. Submit is
//     called from one source goroutine in stream order.
//
// # Partitioning
//
// Events are keyed by associated-account group (Groups; an account in no
// group is its own group), so cross-account rules see the whole group in one
// core. Owner splits the key space between processes and the runner splits
// an owner's share between workers with disjoint hash bits. Every input
// applied by a partition first advances that partition's clock, and timers
// (the wire-vs-ledger bound) carry their own deadline as the alert time, so
// an alert does not depend on how the key space is cut: two processes each
// owning half produce, together, exactly the alerts of one.
//
// # Rules
//
// Each rule is a small method over per-account, per-group or per-security
// state built from the windows of risk/window (time windows of 1 s, 1 min,
// 3 min; trading-day counters; amortised O(1) updates). Parameters are one
// Params value with a field per rule, DOMAIN.md defaults in DefaultParams;
// see docs/risk.md for each rule's trigger. Rule names are the Rule*
// constants.
//
// # Alerts
//
// An Alert's id is derived from the rule, its subject and the ids of the
// events that triggered it (AlertID), so a replay recreates the same id and
// stores keep one copy. Alerts carry a severity, the evidence event ids
// ("ev:SEQ" for captured events, "ledger:ID" for chain events) and a status
// lifecycle (open, acknowledged, escalated, closed) recording who and when.
//
// # Recovery
//
// The runner stores each alert before its checkpoint covers the input that
// raised it. On start it restores every partition's last checkpoint and
// replays the stored inputs after the oldest one; cores skip inputs they
// already applied, and the store ignores alert ids it already holds, so
// nothing is lost or duplicated.
//
// # The chain and the daemon
//
// risk/chain is the chain side through the client SDK: it anchors batches
// and parameter hashes with the risk operator's key (the anchor.Anchorer),
// reads them back with IAVL proofs against light-client-verified headers
// (`riskd verify-alert`), onboards base data, turns blocks into
// LedgerEvents (the LedgerFeed) and submits freezes (admin.Freezer).
// risk/daemon is `riskd run`: the sources, one pump goroutine owning the
// Runner, the batcher, the admin API and the hot standby, which follows
// the leader's stored input stream and, alert numbers being a function of
// that stream, can take over anchoring where the leader stopped.
//
// # Out of scope here
//
// The exchange holiday calendar (off-hours checks weekends and sessions
// only), holdings from the chain (onboarding loads them when the trading
// contract keeps them), and regrouping accounts without a restart.
//
// Subpackages: window (sliding windows), market (snapshot feed and cache),
// store (badger), anchor (Merkle batches and proofs), admin (gin API),
// config (TOML), replay (the riskd replay pipeline), chain (the chain
// side), daemon (riskd run). docs/risk.md is the operator's reference.
package risk
