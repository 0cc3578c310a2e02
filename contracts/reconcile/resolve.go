package reconcile

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// MarkResultResolved records that an applied correction resolved the break of
// (date, bank, broker): the result keeps its figures, its BREAK status and
// its place in the regulator's break list, and gains resolved_by (the
// correction's reference, e.g. "adj/<id>") and resolved_height. The
// adjustments contract calls it, and then resolves the result's item
// breaks of checks 1 and 2 (MarkResolved); it panics when there is no
// unresolved break, which its callers have checked.
func MarkResultResolved(ctx *contracts.Context, date uint32, bankID, brokerID, ref string) {
	r, ok := GetResult(ctx.Store, date, bankID, brokerID)
	if !ok || r.Status != custodyv1.ReconStatus_RECON_STATUS_BREAK || r.ResolvedBy != "" {
		panic(fmt.Sprintf("reconcile: no open break %d %s/%s to resolve by %s", date, bankID, brokerID, ref))
	}
	r.ResolvedBy, r.ResolvedHeight = ref, ctx.Block.Height
	ctx.Store.Set(ResultKey(date, bankID, brokerID), contracts.Marshal(r))
	ctx.Emit("reconciliation_resolved", "date", fmt.Sprint(date), "bank_id", bankID, "broker_id", brokerID, "resolved_by", ref)
}
