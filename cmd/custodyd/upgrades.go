package main

import "github.com/custody-ledger/custody/abci"

// upgrades are the migrations this release of custodyd runs, one per
// software upgrade plan it carries (docs/operations.md, "Software
// upgrades"). A release that ships upgrade NAME adds
//
//	{Name: "NAME", AppVersion: N, Migrate: func(s contracts.Store) error { ... }}
//
// here; at the plan's height the node runs it once and the chain goes on
// at app version N. A node at a plan's height whose binary has no entry of
// that name stops with "UPGRADE NEEDED". The chain has had no upgrade yet.
var upgrades = []abci.Migration{}
