package approvals

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Invariants of the approvals contract.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{{Name: "approvals/pending-index", Check: pendingIndex}}
}

// pendingIndex: each institution's approvals are numbered 1..N under their
// own key; an approval is PENDING exactly when the index holds its message
// hash, pointing back at it; a decided one names its checker. So a held
// message can be neither lost nor executed twice.
func pendingIndex(store contracts.Store) (string, bool) {
	var msgs []string
	pending := 0
	indexed := map[string]bool{}
	pre := []byte{contracts.PrefixApproval}
	it := store.Iterator(pre, contracts.PrefixEnd(pre))
	lastOwner, lastID := "", uint64(0)
	for ; it.Valid(); it.Next() {
		var p custodyv1.PendingApproval
		contracts.Unmarshal(it.Key(), it.Value(), &p)
		if !bytes.Equal(it.Key(), Key(p.ParticipantId, p.Id)) {
			msgs = append(msgs, fmt.Sprintf("approval %d of %s is stored under %x", p.Id, p.ParticipantId, it.Key()))
		}
		if p.ParticipantId != lastOwner {
			lastOwner, lastID = p.ParticipantId, 0
		}
		if p.Id != lastID+1 {
			msgs = append(msgs, fmt.Sprintf("approval %d of %s follows %d", p.Id, p.ParticipantId, lastID))
		}
		lastID = p.Id
		sum := sha256.Sum256(p.Msg)
		idx := store.Get(PendingMsgKey(p.ParticipantId, sum[:]))
		isPending := p.Status == custodyv1.ApprovalStatus_APPROVAL_STATUS_PENDING
		switch {
		case isPending && (len(idx) != 8 || binary.BigEndian.Uint64(idx) != p.Id):
			msgs = append(msgs, fmt.Sprintf("pending approval %d of %s is not in the index", p.Id, p.ParticipantId))
		case !isPending && len(idx) == 8 && binary.BigEndian.Uint64(idx) == p.Id:
			msgs = append(msgs, fmt.Sprintf("%s approval %d of %s is still in the index", p.Status, p.Id, p.ParticipantId))
		case !isPending && p.Checker == "":
			msgs = append(msgs, fmt.Sprintf("%s approval %d of %s has no checker", p.Status, p.Id, p.ParticipantId))
		}
		if isPending {
			pending++
			indexed[string(PendingMsgKey(p.ParticipantId, sum[:]))] = true
		}
	}
	it.Close()
	ipre := []byte{contracts.PrefixPendingMsg}
	entries := 0
	ix := store.Iterator(ipre, contracts.PrefixEnd(ipre))
	for ; ix.Valid(); ix.Next() {
		entries++
		if !indexed[string(ix.Key())] {
			msgs = append(msgs, fmt.Sprintf("index entry %x names no pending approval", ix.Key()))
		}
	}
	ix.Close()
	if len(msgs) > 0 {
		return fmt.Sprintf("%d problems: %v", len(msgs), msgs), true
	}
	return fmt.Sprintf("%d pending approvals, %d index entries", pending, entries), false
}
