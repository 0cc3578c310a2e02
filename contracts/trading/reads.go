package trading

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads declares who may read the trading contract's records. Market data
// (instruments, the business day, the trading parameters) is public;
// holdings and orders go with their account; a fill goes with its account
// and the clearing house, which settles it; a position is the clearing
// house's. The indexes (open orders, a day's fills, an order's fills) are
// the regulator's: the lists that use them show their records instead.
func Reads() []contracts.RecordKind {
	public := func(_, _ []byte) contracts.Audience { return contracts.Audience{Public: true} }
	clearingHouse := []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}
	return []contracts.RecordKind{
		// A held settlement is its broker's and the clearing house's, like
		// the day's settlement report: 0x55 | date (4 bytes) | broker id.
		{Name: "held settlement", ByKey: true, Prefix: []byte{contracts.PrefixHeldSettlement}, Audience: func(key, _ []byte) contracts.Audience {
			if len(key) <= 5 {
				return contracts.Audience{}
			}
			return contracts.Audience{Participants: []string{string(key[5:])}, Roles: clearingHouse}
		}},
		{Name: "instrument", ByKey: true, Prefix: []byte{contracts.PrefixInstrument}, Audience: public},
		{Name: "trading state", ByKey: true, Prefix: []byte{contracts.PrefixTradingState}, Audience: public},
		{Name: "holding", ByKey: true, Prefix: []byte{contracts.PrefixHolding}, Audience: func(key, _ []byte) contracts.Audience {
			id, ok := contracts.LenPrefixedPart(key, 1)
			if !ok {
				return contracts.Audience{}
			}
			return contracts.Audience{Account: id}
		}},
		{Name: "order", Prefix: []byte{contracts.PrefixOrder}, Audience: func(_, value []byte) contracts.Audience {
			var o custodyv1.Order
			if proto.Unmarshal(value, &o) != nil || o.AccountId == "" {
				return contracts.Audience{}
			}
			return contracts.Audience{Account: o.AccountId}
		}},
		{Name: "fill", Prefix: []byte{contracts.PrefixFill}, Audience: func(_, value []byte) contracts.Audience {
			var f custodyv1.Fill
			if proto.Unmarshal(value, &f) != nil || f.AccountId == "" {
				return contracts.Audience{}
			}
			return contracts.Audience{Account: f.AccountId, Roles: clearingHouse}
		}},
		{Name: "position", ByKey: true, Prefix: []byte{contracts.PrefixPosition}, Audience: func(_, _ []byte) contracts.Audience {
			return contracts.Audience{Roles: clearingHouse}
		}},
		{Name: "open order index", Prefix: []byte{contracts.PrefixOpenOrder}},
		{Name: "day fill index", Prefix: []byte{contracts.PrefixDayFill}},
		{Name: "order fill index", Prefix: []byte{contracts.PrefixOrderFill}},
	}
}
