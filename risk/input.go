package risk

import (
	"context"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk/market"
)

// InputKind says which field of an Input is set.
type InputKind uint8

const (
	InputEvent    InputKind = iota + 1 // Event: order flow from the exchange link
	InputSnapshot                      // Snapshot: market data (broadcast to every partition)
	InputLedger                        // Ledger: a fill or a withdrawal recorded on chain
	InputTick                          // Tick: the clock moved on without an event
	InputParams                        // Params: a new rule-parameter version (broadcast)
	InputHolding                       // Holding: base data, an account's position
	InputSecurity                      // Security: base data, a security's float shares (broadcast)
)

// Input is one item of the core's input stream. Seq numbers the stream from
// 1 in the order the core must see it; checkpoints record the last Seq
// applied, and recovery replays what follows.
type Input struct {
	Seq      uint64           `json:"seq"`
	Kind     InputKind        `json:"kind"`
	Event    *capture.Event   `json:"event,omitempty"`
	Snapshot *market.Snapshot `json:"snapshot,omitempty"`
	Ledger   *LedgerEvent     `json:"ledger,omitempty"`
	Tick     time.Time        `json:"tick,omitzero"`
	Params   *ParamVersion    `json:"params,omitempty"`
	Holding  *Holding         `json:"holding,omitempty"`
	Security *SecurityBase    `json:"security,omitempty"`
}

// Time is the event time of the input (zero for parameter changes, which
// take effect at their position in the stream, not at a time).
func (in *Input) Time() time.Time {
	switch in.Kind {
	case InputEvent:
		return in.Event.CaptureTime
	case InputSnapshot:
		return in.Snapshot.Time
	case InputLedger:
		return in.Ledger.Time
	case InputTick:
		return in.Tick
	}
	return time.Time{}
}

// Account is the account the input belongs to, or "" for a broadcast input.
func (in *Input) Account() string {
	switch in.Kind {
	case InputEvent:
		return in.Event.Account
	case InputLedger:
		return in.Ledger.Account
	case InputHolding:
		return in.Holding.Account
	}
	return ""
}

// LedgerKind is what a ledger event records.
type LedgerKind uint8

const (
	LedgerFill       LedgerKind = iota + 1 // a fill reported on chain
	LedgerWithdrawal                       // securities → bank transfer out of the custody account
)

// LedgerEvent is a fact the chain recorded, as the risk core needs it. It is
// the seam between the chain client and the wire-vs-ledger and fund-outflow
// rules: a LedgerFeed produces them, in block order.
type LedgerEvent struct {
	// ID is unique on the chain (for example height/tx-index/event-index);
	// it is the evidence id of the event ("ledger:ID").
	ID      string     `json:"id"`
	Kind    LedgerKind `json:"kind"`
	Time    time.Time  `json:"time"` // block time
	Account string     `json:"account"`
	// Fill fields: the exchange's execution id links the chain fill to the
	// fill seen on the wire.
	Security string       `json:"security,omitempty"`
	Side     capture.Side `json:"side,omitempty"`
	Price    int64        `json:"price,omitempty"` // CNY × 10 000
	Qty      int64        `json:"qty,omitempty"`
	ExecID   string       `json:"exec_id,omitempty"`
	// Withdrawal amount in fen (0.01 CNY).
	AmountFen int64 `json:"amount_fen,omitempty"`
}

// LedgerFeed is the seam through which chain events reach the risk core.
// Run calls emit for each ledger event after fromHeight, in block order,
// until ctx is done or the feed fails. The chain client implements it; tests
// feed LedgerEvents directly as Inputs.
type LedgerFeed interface {
	Run(ctx context.Context, fromHeight int64, emit func(LedgerEvent) error) error
}

// Holding is base data: the position an account holds in a security at
// onboarding (上场). It replaces the position the core had for the pair.
type Holding struct {
	Account  string `json:"account"`
	Security string `json:"security"`
	Qty      int64  `json:"qty"`
}

// SecurityBase is base data about a security.
type SecurityBase struct {
	Security    string `json:"security"`
	FloatShares int64  `json:"float_shares"`
}

// ParamVersion is one version of the rule-parameter set: who changed it and
// when (wall-clock time of the change, recorded, never used by the rules).
type ParamVersion struct {
	Version int64     `json:"version"`
	Who     string    `json:"who"`
	When    time.Time `json:"when"`
	Note    string    `json:"note,omitempty"`
	Params  Params    `json:"params"`
}
