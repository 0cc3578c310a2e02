// Package testnet writes and runs local Custody Ledger networks: CometBFT's
// e2e harness, scaled down to what one machine and one test need.
//
// # Stages
//
//   - Manifest (manifest.go): what the network is. networks/simple.toml is
//     the default four validators: a bank, a broker, a regulator and a
//     clearing house. Every field's comment gives its default.
//   - Generate (generate.go): one home per node under a directory, in
//     CometBFT's config/ and data/ layout, with a shared genesis.json whose
//     app_state names the institutions and their signing keys, free
//     loopback ports, persistent peers, and CometBFT tuned for loopback
//     (DESIGN.md's measurements). testnet.json records the nodes; Load reads
//     it back. Each institution's signing keys go to HOME/keyring-test, an
//     UNENCRYPTED client/keys "test" keyring: testnet only.
//   - Launch (launcher.go): a Launcher starts and stops nodes through a
//     Provider: InProcess (tests) or Processes (`custodynet testnet start`,
//     one `custodyd start` child per node).
//   - Perturb (launcher.go, join.go): StopNode, KillNode, RestartNode, and
//     AddNode, which writes a fresh full node and starts it by state sync
//     with a trust root taken from a live node at that moment.
//
// The end-to-end test (e2e_test.go) runs all of them against four real
// CometBFT nodes in this process and checks the chain through the client
// SDK over RPC.
//
// The exchange and OMS simulators in testnet/exchsim are a separate package.
//
// Nothing here is needed in production; a production network's homes are
// written the same way but with each institution's own keys and hosts.
package testnet
