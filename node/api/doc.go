// Package api is a node's REST API: the front door for investors, and the
// integration point of bank, broker, clearing-house and regulator back
// offices. It runs inside each node (package node starts it when app.toml
// sets [api] address, or custodyd start --api) and reaches the chain only
// through the Go SDK (package client) over CometBFT's in-process RPC
// client, so the API, the CLI and any SDK user run the same code: reads are
// the node's /custody/ JSON queries and /store/key proofs, writes are
// signed txs relayed to the mempool. It never signs and never writes state
// by itself. All gin code lives in this package.
//
// # Routes
//
// Version 1 lives under /v1; openapi.json (served at /openapi.json) is the
// reference and a test keeps it equal to the routes registered here:
//
//	GET  /v1/status, /v1/validators                network status
//	GET  /v1/participants[/{id}]                    the institutions
//	GET  /v1/keys/{address}                         a signing key's record
//	GET  /v1/accounts/{id}[/funds|/ledger|/transfers]
//	GET  /v1/transfers/{bank_id}/{transfer_id}
//	GET  /v1/custody/{bank_id}/{broker_id}           a bank's custody total for a broker
//	GET  /v1/supply, /v1/invariants                 chain-wide figures, institutions only
//	GET  /v1/business-day, /v1/instruments[/{security}]        market data
//	GET  /v1/accounts/{id}/holdings[/{security}], .../orders[/{suffix}[/fills]], /v1/fills/{exec_id}
//	GET  /v1/settlement/{date}/reports[/{broker_id}], .../fills/{broker_id}, /v1/settlement/breaks
//	GET  /v1/reconciliation/{date}[/{bank_id}/{broker_id}], /v1/reconciliation/breaks
//	GET  /v1/anchors/{operator}[/{seq}]             anchored alert batches
//	POST /v1/txs, GET /v1/txs/{hash}                relay a signed tx, look one up
//
// One-record reads answer {height, value}; with ?prove=true they add the
// raw value and its IAVL proof (client.RESTProof), which
// client.VerifyRESTProof checks against a header the caller's own light
// client verified. Lists answer {height, items, next_cursor} and page with
// an opaque cursor (the next sequence number inside).
//
// # Authentication and authorization
//
// Every /v1 request carries "Authorization: Bearer <token>": an EdDSA JWT
// signed by the caller's ed25519 key (client.NewToken, custodycli token),
// for this chain (aud), living at most five minutes. The server looks the
// subject up in the chain's key registry and checks the signature against
// the registered public key; the key's role and owner then decide what the
// caller reaches: a client its own account, a broker its clients, a bank
// its custody clients, the clearing house the custody totals, the
// regulator everything. No password or session exists anywhere.
//
// # Errors
//
// Every failure is application/problem+json (RFC 9457) with a stable code
// member: "api/<n>" for the API's own failures (Error values in
// problem.go), "<codespace>/<code>" for the ledger's registered refusals.
// problemOf is the one place that maps errors to HTTP statuses.
//
// # Operation
//
// Server is configured like net/http.Server (Config: read-header, read,
// write and idle timeouts, a per-request timeout, body and header limits;
// app.toml [api] carries them) and stops with Shutdown. TLS is on when a
// certificate is given (reloaded when its files change; mutual TLS with a
// client CA); CORS is off unless origins are listed; X-Forwarded-For is
// read only from Config.TrustedProxies. Each key has a token bucket, and
// each client IP one for unauthenticated calls only (bounded memory), so a
// valid token is never refused for its neighbours' sake. GET /healthz
// (the process serves) and GET /readyz (caught up, application serving,
// consensus live; health.go) are the load balancer's unauthenticated
// probes. The access log names caller, status and time and never a token;
// Idempotency-Key makes a POST answer replayable.
package api
