package contracts

// Invariant is a named check over the whole state. It returns a message that
// says what it found and whether the invariant is broken. Invariants run
// after every block in tests, on demand through the invariants query, and
// never change state.
type Invariant struct {
	Name  string
	Check func(Store) (msg string, broken bool)
}

// InvariantResult is the outcome of one Invariant.
type InvariantResult struct {
	Name   string `json:"name"`
	Broken bool   `json:"broken"`
	Msg    string `json:"msg"`
}

// CheckInvariants runs every invariant in order and returns their results.
func CheckInvariants(store Store, invs []Invariant) []InvariantResult {
	out := make([]InvariantResult, 0, len(invs))
	for _, inv := range invs {
		msg, broken := inv.Check(store)
		out = append(out, InvariantResult{Name: inv.Name, Broken: broken, Msg: msg})
	}
	return out
}
