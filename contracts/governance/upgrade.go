package governance

import (
	"encoding/binary"
	"regexp"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Software upgrades, after Cosmos SDK's x/upgrade. A plan (name, height,
// info) is agreed by proposal like any membership change. At the plan's
// height the abci package looks for a migration registered under its name:
// a binary without one stops before executing that block ("UPGRADE
// NEEDED"), and the new binary runs the migration once, in that block,
// then records the plan as applied (PrefixAppliedUpgrade) with the new
// application version (PrefixAppVersion), which FinalizeBlock hands to
// CometBFT as ConsensusParams.Version.App.

// CodespaceUpgrade holds the refusals of upgrade plans.
const CodespaceUpgrade = "upgrade"

var (
	ErrBadPlan     = contracts.Register(CodespaceUpgrade, 1, "malformed upgrade plan")
	ErrPlanExists  = contracts.Register(CodespaceUpgrade, 2, "another upgrade is already scheduled")
	ErrPlanApplied = contracts.Register(CodespaceUpgrade, 3, "an upgrade of that name was already applied")
	ErrPlanTooSoon = contracts.Register(CodespaceUpgrade, 4, "upgrade height is not in the future")
	ErrNoPlan      = contracts.Register(CodespaceUpgrade, 5, "no such upgrade is scheduled")
)

var planNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,31}$`)

const maxPlanInfo = 512

// ValidatePlan checks a plan without state.
func ValidatePlan(p *custodyv1.UpgradePlan) error {
	if p == nil {
		return ErrBadPlan.Wrapf("no plan")
	}
	if !planNamePattern.MatchString(p.Name) {
		return ErrBadPlan.Wrapf("name %q must match %s", p.Name, planNamePattern)
	}
	if p.Height <= 0 {
		return ErrBadPlan.Wrapf("height %d", p.Height)
	}
	if len(p.Info) > maxPlanInfo {
		return ErrBadPlan.Wrapf("info of %d bytes, at most %d", len(p.Info), maxPlanInfo)
	}
	return nil
}

// CheckPlan refuses a plan that cannot be scheduled at height: one is
// already scheduled, its name was used, or its height is not after height.
func CheckPlan(store contracts.Store, p *custodyv1.UpgradePlan, height int64) error {
	if cur := GetPlan(store); cur != nil {
		return ErrPlanExists.Wrapf("%q at height %d (cancel it first)", cur.Name, cur.Height)
	}
	if store.Has(AppliedKey(p.Name)) {
		return ErrPlanApplied.Wrapf("%q", p.Name)
	}
	if p.Height <= height {
		return ErrPlanTooSoon.Wrapf("height %d, the chain is at %d", p.Height, height)
	}
	return nil
}

// GetPlan returns the scheduled plan, or nil.
func GetPlan(store contracts.Store) *custodyv1.UpgradePlan {
	bz := store.Get(PlanKey())
	if bz == nil {
		return nil
	}
	var p custodyv1.UpgradePlan
	contracts.Unmarshal(PlanKey(), bz, &p)
	return &p
}

// GetApplied returns the record of an applied upgrade, or nil.
func GetApplied(store contracts.Store, name string) *custodyv1.AppliedUpgrade {
	bz := store.Get(AppliedKey(name))
	if bz == nil {
		return nil
	}
	var a custodyv1.AppliedUpgrade
	contracts.Unmarshal(AppliedKey(name), bz, &a)
	return &a
}

// Applied returns every applied upgrade in name order.
func Applied(store contracts.Store) []*custodyv1.AppliedUpgrade {
	pre := []byte{contracts.PrefixAppliedUpgrade}
	it := store.Iterator(pre, contracts.PrefixEnd(pre))
	defer it.Close()
	var out []*custodyv1.AppliedUpgrade
	for ; it.Valid(); it.Next() {
		var a custodyv1.AppliedUpgrade
		contracts.Unmarshal(it.Key(), it.Value(), &a)
		out = append(out, &a)
	}
	return out
}

// MarkApplied records that the scheduled plan ran with the new application
// version and clears the plan. The abci package calls it after the plan's
// migration succeeded, in the plan's block.
func MarkApplied(store contracts.Store, plan *custodyv1.UpgradePlan, appVersion uint64) {
	store.Set(AppliedKey(plan.Name), contracts.Marshal(&custodyv1.AppliedUpgrade{Plan: plan, AppVersion: appVersion}))
	store.Set(AppVersionKey(), binary.BigEndian.AppendUint64(nil, appVersion))
	store.Delete(PlanKey())
}

// AppVersion is the application version recorded by the last upgrade, or 0
// when the chain never upgraded (the binary's own version then applies).
func AppVersion(store contracts.Store) uint64 {
	bz := store.Get(AppVersionKey())
	if len(bz) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(bz)
}
