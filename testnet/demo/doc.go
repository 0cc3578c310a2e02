// Package demo plays one scripted business day on a local network: the
// product's front door (`make demo`, `custodynet demo`) and the headless test
// that checks the day's figures (demo_test.go, `make demo-check`).
//
// # What runs
//
//   - The default four-node network (testnet.DefaultManifest: a custody
//     bank, a broker, a regulator and a clearing house, each a validator)
//     with a risk operator, risk-1, added to its genesis; nodes run through a
//     testnet.Provider: child processes for the command, in process for the
//     test.
//   - The exchange simulators (testnet/exchsim): an SZSE Binary gateway and
//     an SSE order database on loopback. Every order the broker places on
//     chain also crosses their wire, and every fill the broker reports on
//     chain is one the exchange sent back, under the exchange's exec id.
//   - The risk core (`riskd run`, as a child process, or risk/daemon in
//     process), capturing the simulators' traffic live on lo, onboarding the
//     accounts from the chain, following the chain's fills and withdrawals,
//     and anchoring its alerts on chain as risk-1.
//
// # The day
//
// Play runs the phases of Phases in order; each is one function of Demo
// (phases.go) and reads as the script of what happens: accounts opened by
// the three-party agreement (broker requests, bank confirms) and funded,
// the risk core started, the business day opened, orders, cancels and
// fills on both markets, a same-day ETF round trip whose proceeds cannot
// be withdrawn before clearing, a spoofing pattern, a wash trade between
// two associated accounts (a married couple), a burst over the
// programmatic-trading threshold, end-of-day clearing, the bank's
// statement with one deliberate break, and the risk core's alerts anchored
// and verified against the chain with proofs. docs/demo.md tells the story phase by phase.
//
// # The summary
//
// Summary is read back from the chain (settlement reports, custody
// snapshots and reconciliation results with Merkle proofs against
// light-client-verified headers; transfers, orders and invariants from the
// nodes) and from the risk core (its alerts, each checked against the root
// anchored on chain). Nothing in it is the script's own bookkeeping: the
// test compares it with figures computed by hand from DOMAIN.md's fee
// rules.
//
// Progress is reported through Config.Progress; Display renders it in
// place on a terminal and as plain lines otherwise.
//
// Nothing here is needed in production.
package demo
