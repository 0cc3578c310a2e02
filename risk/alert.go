package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Severity ranks an alert.
type Severity uint8

const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
)

var severityNames = map[Severity]string{SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	for k, v := range severityNames {
		if v == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("risk: unknown severity %q", b)
}

// Status is where an alert is in its lifecycle.
type Status string

const (
	StatusOpen         Status = "open"
	StatusAcknowledged Status = "acknowledged"
	StatusEscalated    Status = "escalated"
	StatusClosed       Status = "closed"
)

// ErrBadTransition is returned by Alert.Transition for a move the lifecycle
// does not allow (anything out of closed, or back to open).
var ErrBadTransition = errors.New("risk: alert status transition not allowed")

// ErrNoActor is returned by Alert.Transition when who is empty.
var ErrNoActor = errors.New("risk: status change needs who")

// Transition records one status change.
type Transition struct {
	From Status    `json:"from"`
	To   Status    `json:"to"`
	Who  string    `json:"who"`
	When time.Time `json:"when"`
	Note string    `json:"note,omitempty"`
}

// Alert is one finding of a rule. The fields up to Detail are fixed when the
// rule fires and are what the anchored Merkle leaf commits to; Status and
// History change over its life.
type Alert struct {
	// ID is derived from the rule, the subject and the evidence (see
	// AlertID): replaying the same events yields the same ID, so stores and
	// batches never hold one finding twice.
	ID       string    `json:"id"`
	Rule     string    `json:"rule"`
	Severity Severity  `json:"severity"`
	Accounts []string  `json:"accounts"`
	Security string    `json:"security,omitempty"`
	Time     time.Time `json:"time"` // event time the rule fired at
	// Evidence lists the ids of the events that triggered the alert:
	// "ev:SEQ" for a captured event, "ledger:ID" for a chain event.
	Evidence []string `json:"evidence"`
	Detail   string   `json:"detail"`
	// TriggerSeq is the input sequence number being applied when the rule
	// fired; with Time it orders alerts identically on every run.
	TriggerSeq uint64 `json:"trigger_seq"`

	// Seq is assigned by the store on first insert (0 until then).
	Seq     uint64       `json:"seq,omitempty"`
	Status  Status       `json:"status"`
	History []Transition `json:"history,omitempty"`
}

// AlertID derives an alert id: SHA-256 over the rule, the subject accounts
// and security, and the evidence ids, each length-prefixed, in hex.
func AlertID(rule string, accounts []string, security string, evidence []string) string {
	h := sha256.New()
	w := func(s string) {
		var n [4]byte
		n[0], n[1], n[2], n[3] = byte(len(s)>>24), byte(len(s)>>16), byte(len(s)>>8), byte(len(s))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	w(rule)
	for _, a := range accounts {
		w(a)
	}
	w("|")
	w(security)
	for _, e := range evidence {
		w(e)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// EventRef is the evidence id of captured event seq.
func EventRef(seq uint64) string { return fmt.Sprintf("ev:%d", seq) }

// LedgerRef is the evidence id of a ledger event.
func LedgerRef(id string) string { return "ledger:" + id }

// Canonical returns the bytes an anchored leaf commits to: the JSON of the
// immutable fields, in a fixed order.
func (a *Alert) Canonical() []byte {
	b, err := json.Marshal(struct {
		ID         string    `json:"id"`
		Rule       string    `json:"rule"`
		Severity   Severity  `json:"severity"`
		Accounts   []string  `json:"accounts"`
		Security   string    `json:"security"`
		Time       time.Time `json:"time"`
		Evidence   []string  `json:"evidence"`
		Detail     string    `json:"detail"`
		TriggerSeq uint64    `json:"trigger_seq"`
	}{a.ID, a.Rule, a.Severity, a.Accounts, a.Security, a.Time.UTC(), a.Evidence, a.Detail, a.TriggerSeq})
	if err != nil {
		panic("risk: alert does not marshal: " + err.Error())
	}
	return b
}

// Transition moves the alert to status to, recording who and when. Allowed:
// open → acknowledged | escalated | closed; acknowledged → escalated | closed;
// escalated → acknowledged | closed. Errors wrap ErrBadTransition or ErrNoActor.
func (a *Alert) Transition(to Status, who string, when time.Time, note string) error {
	if who == "" {
		return ErrNoActor
	}
	ok := false
	switch a.Status {
	case StatusOpen:
		ok = to == StatusAcknowledged || to == StatusEscalated || to == StatusClosed
	case StatusAcknowledged:
		ok = to == StatusEscalated || to == StatusClosed
	case StatusEscalated:
		ok = to == StatusAcknowledged || to == StatusClosed
	}
	if !ok {
		return fmt.Errorf("%w: %s → %s", ErrBadTransition, a.Status, to)
	}
	a.History = append(a.History, Transition{From: a.Status, To: to, Who: who, When: when, Note: note})
	a.Status = to
	return nil
}

// SortAlerts orders alerts by event time, then trigger sequence, then rule,
// then id: the order replay prints them in, whatever the partitioning.
func SortAlerts(as []Alert) {
	slices.SortStableFunc(as, func(x, y Alert) int {
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		if x.TriggerSeq != y.TriggerSeq {
			if x.TriggerSeq < y.TriggerSeq {
				return -1
			}
			return 1
		}
		if x.Rule != y.Rule {
			if x.Rule < y.Rule {
				return -1
			}
			return 1
		}
		if x.ID < y.ID {
			return -1
		} else if x.ID > y.ID {
			return 1
		}
		return 0
	})
}
