package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rule names, as they appear in alerts, in the TOML config ([rules.NAME])
// and in the admin API.
const (
	RuleOrderRate      = "order_rate"
	RuleInstantCancel  = "instant_cancel"
	RuleSpoofing       = "spoofing"
	RulePriceDeviation = "price_deviation"
	RuleLimitHold      = "limit_hold"
	RulePumpDump       = "pump_dump"
	RulePumpDump1m     = "pump_dump_1m"
	RuleSelfTrade      = "self_trade"
	RuleOffHours       = "off_hours"
	RuleLargeOrder     = "large_order"
	RuleConcentration  = "concentration"
	RuleWireLedger     = "wire_ledger"
	RuleFundOutflow    = "fund_outflow"
)

// ErrInvalidParams is returned (wrapped, naming the rule and field) by
// Params.Validate and by everything that accepts a parameter set.
var ErrInvalidParams = errors.New("risk: invalid rule parameters")

// ErrUnknownRule is returned by Params.Rule, Params.SetEnabled and
// Params.Set for a name that is not one of the Rule constants.
var ErrUnknownRule = errors.New("risk: unknown rule")

// Duration is a time.Duration that reads and writes as a Go duration string
// ("60s", "3m") in TOML and JSON.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("risk: duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// Base is embedded in every rule's parameters.
type Base struct {
	// Enabled switches the rule on. Default true.
	Enabled bool `toml:"enabled" json:"enabled"`
}

// OrderRateParams: programmatic / high-frequency trading. Orders plus
// cancels of one account, ≥ PerSecond in any 1 s or ≥ PerDay in a trading
// day (exchange rules in force 2025-07-07).
type OrderRateParams struct {
	Base
	PerSecond int64 `toml:"per_second" json:"per_second"` // default 300
	PerDay    int64 `toml:"per_day" json:"per_day"`       // default 20 000
}

// InstantCancelParams: an order cancelled within Within of its entry is an
// instantaneous-cancel pair; ≥ Pairs such pairs in Window with a day cancel
// ratio ≥ MinCancelRatioPct fires (our default).
type InstantCancelParams struct {
	Base
	Within            Duration `toml:"within" json:"within"`                             // default 1s
	Window            Duration `toml:"window" json:"window"`                             // default 1m
	Pairs             int64    `toml:"pairs" json:"pairs"`                               // default 10
	MinCancelRatioPct int64    `toml:"min_cancel_ratio_pct" json:"min_cancel_ratio_pct"` // default 50
}

// SpoofingParams: a large order (≥ MinQty shares or ≥ MinValueCNY)
// cancelled within CancelWithin, PerDay times in a trading day (our default).
type SpoofingParams struct {
	Base
	MinQty       int64    `toml:"min_qty" json:"min_qty"`             // default 300 000
	MinValueCNY  int64    `toml:"min_value_cny" json:"min_value_cny"` // default 2 000 000
	CancelWithin Duration `toml:"cancel_within" json:"cancel_within"` // default 60s
	PerDay       int64    `toml:"per_day" json:"per_day"`             // default 3
}

// PriceDeviationParams: an aggressive limit order (a buy above, a sell below
// the last price) deviating ≥ MaxBps basis points from the last price (our
// default mirrors the 2% price cage).
type PriceDeviationParams struct {
	Base
	MaxBps int64 `toml:"max_bps" json:"max_bps"` // default 200
}

// LimitHoldParams: holding the limit. An account's open orders at the limit
// price (buys at limit-up, sells at limit-down) of ≥ MinQty shares or ≥
// MinQueuePct of the queue at that price (our default).
type LimitHoldParams struct {
	Base
	MinQty      int64 `toml:"min_qty" json:"min_qty"`             // default 100 000
	MinQueuePct int64 `toml:"min_queue_pct" json:"min_queue_pct"` // default 30
}

// PumpDumpParams: in any Window of continuous trading, an account's volume
// on one side ≥ MinQty and ≥ MinSharePct of market volume, with the price
// moving ≥ MinMoveBps in that side's direction (our default).
type PumpDumpParams struct {
	Base
	Window      Duration `toml:"window" json:"window"`               // default 3m (1m for the small variant)
	MinQty      int64    `toml:"min_qty" json:"min_qty"`             // default 300 000 (100 000)
	MinSharePct int64    `toml:"min_share_pct" json:"min_share_pct"` // default 30
	MinMoveBps  int64    `toml:"min_move_bps" json:"min_move_bps"`   // default 300 (200)
	// Sessions are the continuous-trading sessions, "HH:MM-HH:MM" China time.
	Sessions []string `toml:"sessions" json:"sessions"` // default 09:30-11:30, 13:00-14:57
}

// SelfTradeParams: a buy fill and a sell fill of the same security, price
// and quantity between one account or associated accounts within MatchWithin
// is a self-trade; ≥ PerDay in a day, or any one ≥ MinQty, fires (our default).
type SelfTradeParams struct {
	Base
	PerDay      int64    `toml:"per_day" json:"per_day"`           // default 5
	MinQty      int64    `toml:"min_qty" json:"min_qty"`           // default 100 000
	MatchWithin Duration `toml:"match_within" json:"match_within"` // default 1s (our default)
}

// OffHoursParams: an order or cancel outside Sessions or on a weekend.
type OffHoursParams struct {
	Base
	// Sessions are when orders may be sent, "HH:MM-HH:MM" China time.
	Sessions []string `toml:"sessions" json:"sessions"` // default 09:15-11:30, 13:00-15:00
}

// LargeOrderParams: a single order ≥ MinQty shares or ≥ MinValueCNY.
type LargeOrderParams struct {
	Base
	MinQty      int64 `toml:"min_qty" json:"min_qty"`             // default 300 000
	MinValueCNY int64 `toml:"min_value_cny" json:"min_value_cny"` // default 2 000 000
}

// ConcentrationParams: an associated-account group's position in a security
// ≥ MaxBps of its float shares (our default: the 5% disclosure line). Needs
// base data (holdings and float shares); silent without it.
type ConcentrationParams struct {
	Base
	MaxBps int64 `toml:"max_bps" json:"max_bps"` // default 500
}

// WireLedgerParams: a fill seen on the exchange link with no matching fill
// on chain within Bound, or a chain fill with no wire fill within Bound (our
// default).
type WireLedgerParams struct {
	Base
	Bound Duration `toml:"bound" json:"bound"` // default 5m
}

// FundOutflowParams: a withdrawal (securities → bank) ≥ MinOutflowPct of the
// proceeds of the account's large sells (each ≥ MinSellValueCNY) in the
// preceding Window (our default).
type FundOutflowParams struct {
	Base
	MinSellValueCNY int64    `toml:"min_sell_value_cny" json:"min_sell_value_cny"` // default 2 000 000
	Window          Duration `toml:"window" json:"window"`                         // default 24h
	MinOutflowPct   int64    `toml:"min_outflow_pct" json:"min_outflow_pct"`       // default 80
}

// Params is the whole rule-parameter set in force. Its field order is fixed,
// so its JSON encoding is canonical and Hash is stable.
type Params struct {
	OrderRate      OrderRateParams      `toml:"order_rate" json:"order_rate"`
	InstantCancel  InstantCancelParams  `toml:"instant_cancel" json:"instant_cancel"`
	Spoofing       SpoofingParams       `toml:"spoofing" json:"spoofing"`
	PriceDeviation PriceDeviationParams `toml:"price_deviation" json:"price_deviation"`
	LimitHold      LimitHoldParams      `toml:"limit_hold" json:"limit_hold"`
	PumpDump       PumpDumpParams       `toml:"pump_dump" json:"pump_dump"`
	PumpDump1m     PumpDumpParams       `toml:"pump_dump_1m" json:"pump_dump_1m"`
	SelfTrade      SelfTradeParams      `toml:"self_trade" json:"self_trade"`
	OffHours       OffHoursParams       `toml:"off_hours" json:"off_hours"`
	LargeOrder     LargeOrderParams     `toml:"large_order" json:"large_order"`
	Concentration  ConcentrationParams  `toml:"concentration" json:"concentration"`
	WireLedger     WireLedgerParams     `toml:"wire_ledger" json:"wire_ledger"`
	FundOutflow    FundOutflowParams    `toml:"fund_outflow" json:"fund_outflow"`
}

// DefaultParams returns the DOMAIN.md defaults, every rule enabled.
func DefaultParams() Params {
	on := Base{Enabled: true}
	return Params{
		OrderRate:      OrderRateParams{on, 300, 20_000},
		InstantCancel:  InstantCancelParams{on, Duration(time.Second), Duration(time.Minute), 10, 50},
		Spoofing:       SpoofingParams{on, 300_000, 2_000_000, Duration(60 * time.Second), 3},
		PriceDeviation: PriceDeviationParams{on, 200},
		LimitHold:      LimitHoldParams{on, 100_000, 30},
		PumpDump:       PumpDumpParams{on, Duration(3 * time.Minute), 300_000, 30, 300, []string{"09:30-11:30", "13:00-14:57"}},
		PumpDump1m:     PumpDumpParams{on, Duration(time.Minute), 100_000, 30, 200, []string{"09:30-11:30", "13:00-14:57"}},
		SelfTrade:      SelfTradeParams{on, 5, 100_000, Duration(time.Second)},
		OffHours:       OffHoursParams{on, []string{"09:15-11:30", "13:00-15:00"}},
		LargeOrder:     LargeOrderParams{on, 300_000, 2_000_000},
		Concentration:  ConcentrationParams{on, 500},
		WireLedger:     WireLedgerParams{on, Duration(5 * time.Minute)},
		FundOutflow:    FundOutflowParams{on, 2_000_000, Duration(24 * time.Hour), 80},
	}
}

// RuleNames lists the rules in their canonical order.
func RuleNames() []string {
	return []string{RuleOrderRate, RuleInstantCancel, RuleSpoofing, RulePriceDeviation, RuleLimitHold,
		RulePumpDump, RulePumpDump1m, RuleSelfTrade, RuleOffHours, RuleLargeOrder, RuleConcentration,
		RuleWireLedger, RuleFundOutflow}
}

// Rule returns a pointer to the named rule's parameters (a *XParams) and to
// its Base.
func (p *Params) Rule(name string) (any, *Base, error) {
	switch name {
	case RuleOrderRate:
		return &p.OrderRate, &p.OrderRate.Base, nil
	case RuleInstantCancel:
		return &p.InstantCancel, &p.InstantCancel.Base, nil
	case RuleSpoofing:
		return &p.Spoofing, &p.Spoofing.Base, nil
	case RulePriceDeviation:
		return &p.PriceDeviation, &p.PriceDeviation.Base, nil
	case RuleLimitHold:
		return &p.LimitHold, &p.LimitHold.Base, nil
	case RulePumpDump:
		return &p.PumpDump, &p.PumpDump.Base, nil
	case RulePumpDump1m:
		return &p.PumpDump1m, &p.PumpDump1m.Base, nil
	case RuleSelfTrade:
		return &p.SelfTrade, &p.SelfTrade.Base, nil
	case RuleOffHours:
		return &p.OffHours, &p.OffHours.Base, nil
	case RuleLargeOrder:
		return &p.LargeOrder, &p.LargeOrder.Base, nil
	case RuleConcentration:
		return &p.Concentration, &p.Concentration.Base, nil
	case RuleWireLedger:
		return &p.WireLedger, &p.WireLedger.Base, nil
	case RuleFundOutflow:
		return &p.FundOutflow, &p.FundOutflow.Base, nil
	}
	return nil, nil, fmt.Errorf("%w: %q", ErrUnknownRule, name)
}

// SetEnabled switches the named rule on or off.
func (p *Params) SetEnabled(name string, on bool) error {
	_, b, err := p.Rule(name)
	if err != nil {
		return err
	}
	b.Enabled = on
	return nil
}

// Set replaces the named rule's parameters with the JSON object raw, fields
// absent from raw keeping their current values. It validates the result and
// leaves p unchanged on error.
func (p *Params) Set(name string, raw json.RawMessage) error {
	q := p.Clone()
	v, _, err := q.Rule(name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidParams, name, err)
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// Clone returns a deep copy of p.
func (p Params) Clone() Params {
	q := p
	q.PumpDump.Sessions = append([]string(nil), p.PumpDump.Sessions...)
	q.PumpDump1m.Sessions = append([]string(nil), p.PumpDump1m.Sessions...)
	q.OffHours.Sessions = append([]string(nil), p.OffHours.Sessions...)
	return q
}

// Validate checks every field; the error names the rule and field and wraps
// ErrInvalidParams.
func (p Params) Validate() error {
	var errs []error
	pos := func(rule, field string, v int64) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%w: %s.%s must be > 0, got %d", ErrInvalidParams, rule, field, v))
		}
	}
	pct := func(rule, field string, v int64) {
		if v < 0 || v > 100 {
			errs = append(errs, fmt.Errorf("%w: %s.%s must be within 0..100, got %d", ErrInvalidParams, rule, field, v))
		}
	}
	dur := func(rule, field string, v Duration) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%w: %s.%s must be > 0, got %s", ErrInvalidParams, rule, field, v.D()))
		}
	}
	sess := func(rule string, s []string) {
		if len(s) == 0 {
			errs = append(errs, fmt.Errorf("%w: %s.sessions must not be empty", ErrInvalidParams, rule))
		}
		if _, err := parseSessions(s); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s.sessions: %v", ErrInvalidParams, rule, err))
		}
	}
	pos(RuleOrderRate, "per_second", p.OrderRate.PerSecond)
	pos(RuleOrderRate, "per_day", p.OrderRate.PerDay)
	dur(RuleInstantCancel, "within", p.InstantCancel.Within)
	dur(RuleInstantCancel, "window", p.InstantCancel.Window)
	pos(RuleInstantCancel, "pairs", p.InstantCancel.Pairs)
	pct(RuleInstantCancel, "min_cancel_ratio_pct", p.InstantCancel.MinCancelRatioPct)
	pos(RuleSpoofing, "min_qty", p.Spoofing.MinQty)
	pos(RuleSpoofing, "min_value_cny", p.Spoofing.MinValueCNY)
	dur(RuleSpoofing, "cancel_within", p.Spoofing.CancelWithin)
	pos(RuleSpoofing, "per_day", p.Spoofing.PerDay)
	pos(RulePriceDeviation, "max_bps", p.PriceDeviation.MaxBps)
	pos(RuleLimitHold, "min_qty", p.LimitHold.MinQty)
	pct(RuleLimitHold, "min_queue_pct", p.LimitHold.MinQueuePct)
	for _, pd := range []struct {
		n string
		p PumpDumpParams
	}{{RulePumpDump, p.PumpDump}, {RulePumpDump1m, p.PumpDump1m}} {
		dur(pd.n, "window", pd.p.Window)
		pos(pd.n, "min_qty", pd.p.MinQty)
		pct(pd.n, "min_share_pct", pd.p.MinSharePct)
		pos(pd.n, "min_move_bps", pd.p.MinMoveBps)
		sess(pd.n, pd.p.Sessions)
	}
	pos(RuleSelfTrade, "per_day", p.SelfTrade.PerDay)
	pos(RuleSelfTrade, "min_qty", p.SelfTrade.MinQty)
	dur(RuleSelfTrade, "match_within", p.SelfTrade.MatchWithin)
	sess(RuleOffHours, p.OffHours.Sessions)
	pos(RuleLargeOrder, "min_qty", p.LargeOrder.MinQty)
	pos(RuleLargeOrder, "min_value_cny", p.LargeOrder.MinValueCNY)
	pos(RuleConcentration, "max_bps", p.Concentration.MaxBps)
	dur(RuleWireLedger, "bound", p.WireLedger.Bound)
	pos(RuleFundOutflow, "min_sell_value_cny", p.FundOutflow.MinSellValueCNY)
	dur(RuleFundOutflow, "window", p.FundOutflow.Window)
	pct(RuleFundOutflow, "min_outflow_pct", p.FundOutflow.MinOutflowPct)
	return errors.Join(errs...)
}

// Hash is the SHA-256 of the canonical JSON encoding of p: the fingerprint
// of the rule-parameter set in force, anchored with each alert batch.
func (p Params) Hash() [32]byte {
	b, err := json.Marshal(p)
	if err != nil {
		// Params holds only ints, bools, strings and durations.
		panic("risk: params do not marshal: " + err.Error())
	}
	return sha256.Sum256(b)
}

// HashHex is Hash in lower-case hex.
func (p Params) HashHex() string {
	h := p.Hash()
	return hex.EncodeToString(h[:])
}

// session is [From, To) in seconds since midnight, China time.
type session struct{ From, To int64 }

func parseSessions(ss []string) ([]session, error) {
	out := make([]session, 0, len(ss))
	for _, s := range ss {
		a, b, ok := strings.Cut(s, "-")
		if !ok {
			return nil, fmt.Errorf("session %q is not HH:MM-HH:MM", s)
		}
		from, err1 := parseClock(a)
		to, err2 := parseClock(b)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("session %q: %w", s, err)
		}
		if to <= from {
			return nil, fmt.Errorf("session %q ends before it starts", s)
		}
		out = append(out, session{from, to})
	}
	return out, nil
}

func parseClock(s string) (int64, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf("clock %q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("clock %q is not HH:MM", s)
	}
	return int64(hh*3600 + mm*60), nil
}

func inSessions(ss []session, clock int64) bool {
	for _, s := range ss {
		if clock >= s.From && clock < s.To {
			return true
		}
	}
	return false
}
