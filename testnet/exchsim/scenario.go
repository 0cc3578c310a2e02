package exchsim

import "fmt"

// Market of an action.
const (
	SZSE = "SZSE"
	SSE  = "SSE"
)

// Action is one step of a scenario, performed by the OMS and answered by
// the exchange simulator.
type Action struct {
	Market   string
	Cancel   bool   // a cancel of Orig instead of a new order
	Orig     string // ClOrdID of the order to cancel
	ClOrdID  string
	Account  string
	Security string
	Buy      bool
	Price    int64 // CNY × 10 000
	Qty      int64 // shares
	// Fill is how many shares the exchange fills at once (0: none); more
	// than 100 shares are filled in two reports.
	Fill int64
	// Reject makes the exchange reject the order (or the cancel).
	Reject bool
}

// Scenario is a named list of actions.
type Scenario struct {
	Name    string
	Actions []Action
}

type idGen struct{ n int }

func (g *idGen) next(prefix string) string { g.n++; return fmt.Sprintf("%s%09d", prefix, g.n) }

// Normal is a plain session on both markets: orders, fills, a rejected
// order, a cancel, a refused cancel.
func Normal() Scenario {
	var g idGen
	s := Scenario{Name: "normal"}
	for _, m := range []string{SZSE, SSE} {
		acc, sec := "0100004698", "000001"
		if m == SSE {
			acc, sec = "A123456789", "600000"
		}
		a := g.next("C")
		b := g.next("C")
		c := g.next("C")
		s.Actions = append(s.Actions,
			Action{Market: m, ClOrdID: a, Account: acc, Security: sec, Buy: true, Price: 171000, Qty: 1200, Fill: 300},
			Action{Market: m, ClOrdID: b, Account: acc, Security: sec, Buy: false, Price: 172500, Qty: 500},
			Action{Market: m, ClOrdID: g.next("C"), Account: acc, Security: sec, Buy: true, Price: 0, Qty: 100, Reject: true},
			Action{Market: m, Cancel: true, ClOrdID: g.next("X"), Orig: b, Account: acc, Security: sec},
			Action{Market: m, ClOrdID: c, Account: acc, Security: sec, Buy: true, Price: 171000, Qty: 200, Fill: 200},
			Action{Market: m, Cancel: true, ClOrdID: g.next("X"), Orig: c, Account: acc, Security: sec, Reject: true},
		)
	}
	return s
}

// Spoofing places bursts of large orders away from the touch on one side,
// cancels them all, and trades small on the other side.
func Spoofing() Scenario {
	var g idGen
	s := Scenario{Name: "spoofing"}
	for _, m := range []string{SZSE, SSE} {
		acc, sec := "0100007777", "000002"
		if m == SSE {
			acc, sec = "A777777777", "600519"
		}
		for burst := 0; burst < 2; burst++ {
			var ids []string
			for i := 0; i < 5; i++ {
				id := g.next("S")
				ids = append(ids, id)
				s.Actions = append(s.Actions, Action{Market: m, ClOrdID: id, Account: acc, Security: sec, Buy: true, Price: int64(100000 - 100*i), Qty: 50000})
			}
			s.Actions = append(s.Actions, Action{Market: m, ClOrdID: g.next("S"), Account: acc, Security: sec, Buy: false, Price: 100100, Qty: 100, Fill: 100})
			for _, id := range ids {
				s.Actions = append(s.Actions, Action{Market: m, Cancel: true, ClOrdID: g.next("X"), Orig: id, Account: acc, Security: sec})
			}
		}
	}
	return s
}

// WashTrade has two associated accounts trade the same security with each
// other at the same price, back and forth.
func WashTrade() Scenario {
	var g idGen
	s := Scenario{Name: "wash"}
	for _, m := range []string{SZSE, SSE} {
		a, b, sec := "0100001111", "0100002222", "000003"
		if m == SSE {
			a, b, sec = "A111111111", "A222222222", "600036"
		}
		for i := 0; i < 4; i++ {
			buyer, seller := a, b
			if i%2 == 1 {
				buyer, seller = b, a
			}
			s.Actions = append(s.Actions,
				Action{Market: m, ClOrdID: g.next("W"), Account: seller, Security: sec, Buy: false, Price: 88000, Qty: 1000, Fill: 1000},
				Action{Market: m, ClOrdID: g.next("W"), Account: buyer, Security: sec, Buy: true, Price: 88000, Qty: 1000, Fill: 1000})
		}
	}
	return s
}

// ProgramBurst sends n small orders per market as fast as the link allows:
// past the programmatic-trading reporting thresholds (300 orders per second).
func ProgramBurst(n int) Scenario {
	var g idGen
	s := Scenario{Name: "burst"}
	for _, m := range []string{SZSE, SSE} {
		acc, sec := "0100009999", "000004"
		if m == SSE {
			acc, sec = "A999999999", "600004"
		}
		for i := 0; i < n; i++ {
			a := Action{Market: m, ClOrdID: g.next("P"), Account: acc, Security: sec, Buy: i%2 == 0, Price: 50000 + int64(i%7)*10, Qty: 100}
			if i%5 == 0 {
				a.Fill = 100
			}
			s.Actions = append(s.Actions, a)
		}
	}
	return s
}

// Scenarios are the built-in scenarios by name.
func Scenarios() map[string]Scenario {
	return map[string]Scenario{"normal": Normal(), "spoofing": Spoofing(), "wash": WashTrade(), "burst": ProgramBurst(400)}
}
