// Package node wires one Custody Ledger node: the ABCI application
// (package abci) and a CometBFT node that talks to it in-process, through
// proxy.NewLocalClientCreator, with no socket in between.
//
// # What a home holds
//
// A node's home is CometBFT's usual layout plus one file of ours:
//
//	config/config.toml               CometBFT's config (p2p, rpc, consensus, mempool, state sync, ...)
//	config/app.toml                  the application's config (AppConfig: pruning, snapshots, metrics, api, tx, invariants)
//	config/genesis.json              the chain's genesis; app_state is protojson of custodyv1.GenesisState
//	config/node_key.json             the p2p identity
//	config/priv_validator_key.json   the consensus key
//	data/priv_validator_state.json   the last height/round/step signed (double-sign protection)
//	data/*.db                        CometBFT's block, state, evidence and tx-index stores
//	data/app/                        the application's IAVL database
//	data/snapshots/                  state sync snapshots this node serves
//
// The testnet package writes homes; `custodyd start --home DIR` runs one.
//
// # The caller's duties, in order
//
//  1. New(home, opts...) reads config.toml (LoadCometConfig) and app.toml
//     (LoadAppConfig), applies the options, validates both and checks that
//     the genesis and keys exist. It opens nothing.
//  2. Start(ctx) opens the application's state (abci.NewApp), builds the
//     CometBFT node (which replays any block the application lacks: the
//     ABCI handshake), starts consensus, p2p and the RPC server, and then
//     the REST API when [api] address is set.
//  3. Stop() shuts the REST API down (draining its requests), stops
//     CometBFT (so no ABCI call is in flight) and then closes the
//     application: the reverse of Start.
//
// # Customising
//
// Options override what the home says: WithLogger or WithLogOutput for
// logs, WithMetricsRegisterer for where the app's metrics go,
// WithAPIAddress for [api] address, and WithCometConfig / WithAppConfig to
// edit either config after it is read (the testnet uses these to run
// several nodes in one process). WithApplication swaps the custody
// application for another ABCI application; only the load benchmark uses it,
// to run CometBFT's kvstore through the same wiring as a baseline.
//
// # Logs and metrics
//
// Logs are CometBFT's structured logger: key=value lines (log_format
// "plain") or JSON objects ("json"), filtered by log_level, with the
// application logging under module=app. With instrumentation.prometheus on,
// CometBFT serves its metrics at prometheus_listen_addr from Prometheus'
// default registry; the application's metrics (txs by type and result code,
// invariant status) are registered into the same registry unless
// [metrics] enabled is false, so one scrape sees both. CometBFT always uses
// the default registry, so at most one node per process may have
// instrumentation.prometheus on; in-process test networks turn it off.
//
// # Out of scope
//
// Consensus, p2p, RPC, the light client and state sync are CometBFT's; this
// package only configures them. Business rules live in contracts, their
// ABCI adapter in abci, the REST API in node/api: Start runs it on [api]
// address over CometBFT's in-process RPC client, and Stop shuts it down
// first.
package node
