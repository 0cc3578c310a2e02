// Package fault runs crash and disk faults against a four-validator
// network under load (`custodynet faults`, `make faults`), one scenario after
// the other, and checks after each that nothing committed was lost and no
// node forked.
//
// The network runs each node as a `custodyd start` child process, so a kill
// is a real SIGKILL and a refused start is a process that exits with its
// reason. A load from package load (the custody mix, at most
// Config.Load.InFlight txs in flight) runs through all scenarios.
//
// # Scenarios
//
//   - kill9-validator: SIGKILL one validator; the other three keep
//     committing the load's txs; restarted, it catches up to the same app
//     hash.
//   - kill9-each-in-turn: the same for every validator, one after another.
//   - kill9-all-mid-height: SIGKILL every node at once while the chain is
//     mid-height (their consensus steps are recorded), then start them
//     again from their disks.
//   - state-sync-join: a fresh full node joins from a snapshot.
//   - disk-full: a validator's home copied onto a tmpfs with no byte free
//     must refuse to start and say so (skipped unless root can mount).
//   - corrupt-app-db, corrupt-blockstore: bytes flipped in the application
//     state's or the block store's table files; the node must refuse to
//     start, naming the corruption.
//   - corrupt-app-journal: bytes flipped in the application state's
//     journal. goleveldb drops damaged journal records, so the node may
//     come up at an older height and replay blocks instead of refusing;
//     either outcome passes, provided it never reports a different hash.
//   - byzantine-double-sign: a twin of one validator (same key, own home)
//     signs conflicting votes; the DuplicateVoteEvidence must be committed,
//     the block must carry a "misbehaviour" event and every validator must
//     hold the misbehaviour record (package contracts/evidence).
//   - byzantine-invalid-proposer: one validator restarted with
//     node.EnvProposerFault proposes blocks with an undecodable, then an
//     oversize tx; no block of its may commit; honest again, it proposes.
//   - slow-disk: one validator's synced writes to CometBFT's stores are
//     delayed 300 ms (node.EnvSyncDelay); the chain goes on at its pace.
//   - partition-isolate-one, partition-split-2-2, partition-flapping-link:
//     on a second network whose nodes run in network namespaces of their
//     own (netnsNet; root and iproute2, else SKIP): one validator cut from
//     its peers (the three go on; healed, it catches up), a 2–2 split
//     (no node may commit while split, nothing forks, the chain resumes
//     on healing), a link going down and up every 1.5 s.
//
// # Checks after every scenario
//
// Every running node reaches the chain's tip; every height the load saw has
// the same block id and app hash on every node that holds it, so every tx
// the load saw committed is in the same block everywhere; every setup
// account's funds on every node, read at one height, equal what the txs
// committed up to that height make them (load.Custody.CheckFunds); and no
// invariant is broken on any node.
package fault
