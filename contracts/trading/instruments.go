package trading

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/fees"
	"github.com/custody-ledger/custody/contracts/market"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// GetInstrument returns the instrument, or ErrUnknownInstrument.
func GetInstrument(store contracts.Store, security string) (*custodyv1.Instrument, error) {
	k := InstrumentKey(security)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrUnknownInstrument.Wrapf("%q", security)
	}
	var inst custodyv1.Instrument
	contracts.Unmarshal(k, bz, &inst)
	return &inst, nil
}

// SetInstrument writes an instrument record.
func SetInstrument(store contracts.Store, inst *custodyv1.Instrument) {
	store.Set(InstrumentKey(inst.Security), contracts.Marshal(inst))
}

// Normalize returns a copy of inst with its market filled in from the
// security's suffix, as it is stored.
func Normalize(inst *custodyv1.Instrument) *custodyv1.Instrument {
	out := proto.Clone(inst).(*custodyv1.Instrument)
	out.Market = MarketOf(out.Security)
	return out
}

// ForEachInstrument calls fn for every instrument in security order.
func ForEachInstrument(store contracts.Store, fn func(*custodyv1.Instrument)) {
	prefix := []byte{contracts.PrefixInstrument}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var inst custodyv1.Instrument
		contracts.Unmarshal(it.Key(), it.Value(), &inst)
		fn(&inst)
	}
}

// MarketInstrument is what the market rules need of an instrument.
func MarketInstrument(inst *custodyv1.Instrument) market.Instrument {
	return market.Instrument{
		Board:       market.Board(inst.Board),
		PrevClose:   inst.ReferencePrice,
		Tick:        inst.Tick,
		RiskWarning: inst.RiskWarning,
		NoLimit:     inst.NoLimitDays > 0,
		Halted:      inst.Halted,
	}
}

// FeeClass is the handling-fee class of an instrument's board.
func FeeClass(inst *custodyv1.Instrument) fees.Class {
	switch inst.Board {
	case custodyv1.Board_BOARD_FUND:
		return fees.ClassFund
	case custodyv1.Board_BOARD_BOND:
		return fees.ClassBond
	}
	return fees.ClassEquity
}

// GetPosition returns the clearing house's position in a security (zero
// when it never traded).
func GetPosition(store contracts.Store, security string) *custodyv1.Position {
	k := PositionKey(security)
	pos := &custodyv1.Position{Security: security}
	if bz := store.Get(k); bz != nil {
		contracts.Unmarshal(k, bz, pos)
	}
	return pos
}

// ForEachPosition calls fn for every clearing-house position in security
// order.
func ForEachPosition(store contracts.Store, fn func(*custodyv1.Position)) {
	prefix := []byte{contracts.PrefixPosition}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var p custodyv1.Position
		contracts.Unmarshal(it.Key(), it.Value(), &p)
		fn(&p)
	}
}
