package risk

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk/market"
)

// The rule scenarios live in testdata/rules/*.txt as datadriven scripts (raft
// style). A script is a list of commands, one per line; a command whose
// output is checked is followed by "----", the expected output, and a blank
// line. `go test ./risk -run Scenarios -rewrite` rewrites the expectations;
// review the diff.
//
// Commands (times are HH:MM:SS[.fff] China time on 2025-07-08, a Tuesday, or
// full RFC 3339):
//
//	params RULE key=value ...        change a rule's parameters (JSON values)
//	disable RULE / enable RULE
//	group ACCT ACCT ...               associated accounts (before any event)
//	snap TIME SEC key=value ...       market snapshot (market line format keys)
//	order TIME acct= sec= side= px= qty= id=
//	cancel TIME acct= sec= orig= id=    (SSE style: order rec=N, cancel ordrec=N)
//	fill TIME acct= sec= side= px= qty= exec= id= leaves=
//	reject TIME acct= id=
//	lfill TIME acct= sec= side= px= qty= exec= lid=
//	withdraw TIME acct= fen= lid=
//	holding ACCT SEC QTY
//	float SEC SHARES
//	tick TIME
//	repeat N STEP CMD ...             run CMD N times, TIME += STEP each, {i} → 0..N-1
//	alerts                            print the alerts raised since the last `alerts`
var rewrite = flag.Bool("rewrite", false, "rewrite datadriven expectations")

var cst = time.FixedZone("CST", 8*3600)

type scenario struct {
	t       *testing.T
	params  Params
	initial Params // params in force when the core was created
	lists   [][]string
	core    *Core
	seq     uint64
	inputs  []Input
	alerts  []Alert
}

func (sc *scenario) ensureCore() {
	if sc.core == nil {
		sc.initial = sc.params.Clone()
		sc.core = NewCore(sc.params, NewGroups(sc.lists))
	}
}

func parseTime(s string) (time.Time, error) {
	if strings.Contains(s, "T") {
		return time.Parse(time.RFC3339Nano, s)
	}
	return time.ParseInLocation("2006-01-02 15:04:05.999999999", "2025-07-08 "+s, cst)
}

func kv(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		m[k] = v
	}
	return m
}

func (sc *scenario) px(s string) int64 {
	if s == "" {
		return 0
	}
	p, err := market.ParsePrice(s)
	if err != nil {
		sc.t.Fatalf("price %q: %v", s, err)
	}
	return p
}

func (sc *scenario) num(s string) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		sc.t.Fatalf("number %q: %v", s, err)
	}
	return n
}

func side(s string) capture.Side {
	switch s {
	case "buy":
		return capture.SideBuy
	case "sell":
		return capture.SideSell
	}
	return capture.SideUnknown
}

func (sc *scenario) feed(in Input) {
	sc.ensureCore()
	sc.seq++
	in.Seq = sc.seq
	if in.Event != nil {
		in.Event.Seq = sc.seq
	}
	sc.inputs = append(sc.inputs, in)
	sc.alerts = append(sc.alerts, sc.core.Step(in)...)
}

// run executes one command and returns its output.
func (sc *scenario) run(line string) string {
	f := strings.Fields(line)
	cmd, args := f[0], f[1:]
	switch cmd {
	case "params":
		var js []string
		for _, a := range args[1:] {
			k, v, _ := strings.Cut(a, "=")
			js = append(js, fmt.Sprintf("%q:%s", k, v))
		}
		if err := sc.params.Set(args[0], []byte("{"+strings.Join(js, ",")+"}")); err != nil {
			return "error: " + err.Error()
		}
		if sc.core != nil {
			sc.feed(Input{Kind: InputParams, Params: &ParamVersion{Version: int64(sc.seq), Params: sc.params}})
		}
		return ""
	case "enable", "disable":
		if err := sc.params.SetEnabled(args[0], cmd == "enable"); err != nil {
			return "error: " + err.Error()
		}
		if sc.core != nil {
			sc.feed(Input{Kind: InputParams, Params: &ParamVersion{Version: int64(sc.seq), Params: sc.params}})
		}
		return ""
	case "group":
		if sc.core != nil {
			sc.t.Fatal("group must come before events")
		}
		sc.lists = append(sc.lists, args)
		return ""
	case "repeat":
		n := int(sc.num(args[0]))
		step, err := time.ParseDuration(args[1])
		if err != nil {
			sc.t.Fatalf("repeat step: %v", err)
		}
		t0, err := parseTime(args[3])
		if err != nil {
			sc.t.Fatalf("repeat time: %v", err)
		}
		var out strings.Builder
		for i := 0; i < n; i++ {
			ts := t0.Add(time.Duration(i) * step).Format(time.RFC3339Nano)
			rest := strings.ReplaceAll(strings.Join(args[4:], " "), "{i}", strconv.Itoa(i))
			out.WriteString(sc.run(args[2] + " " + ts + " " + rest))
		}
		return out.String()
	case "holding":
		sc.feed(Input{Kind: InputHolding, Holding: &Holding{Account: args[0], Security: args[1], Qty: sc.num(args[2])}})
		return ""
	case "float":
		sc.feed(Input{Kind: InputSecurity, Security: &SecurityBase{Security: args[0], FloatShares: sc.num(args[1])}})
		return ""
	case "alerts":
		var b strings.Builder
		for _, a := range sc.alerts {
			fmt.Fprintf(&b, "%s %s %s %s %s [%s] %s\n", a.Rule, a.Severity, strings.Join(a.Accounts, ","), orDash(a.Security),
				a.Time.In(cst).Format("15:04:05.000"), strings.Join(a.Evidence, " "), a.Detail)
		}
		sc.alerts = nil
		if b.Len() == 0 {
			return "none\n"
		}
		return b.String()
	}
	t, err := parseTime(args[0])
	if err != nil {
		sc.t.Fatalf("%s: time: %v", line, err)
	}
	m := kv(args[1:])
	switch cmd {
	case "snap":
		s, ok, err := market.ParseLine(t.Format(time.RFC3339Nano) + " SZSE " + strings.Join(args[1:], " "))
		if err != nil || !ok {
			sc.t.Fatalf("%s: %v", line, err)
		}
		sc.feed(Input{Kind: InputSnapshot, Snapshot: &s})
	case "tick":
		sc.feed(Input{Kind: InputTick, Tick: t})
	case "order", "cancel", "fill", "reject":
		e := &capture.Event{CaptureTime: t, Account: m["acct"], Security: m["sec"], Side: side(m["side"]),
			Price: sc.px(m["px"]), Qty: sc.num(m["qty"]), ClOrdID: m["id"], OrigClOrdID: m["orig"],
			ExecID: m["exec"], LeavesQty: sc.num(m["leaves"]), Market: capture.MarketSZSE,
			RecNum: sc.num(m["rec"]), OrigRecNum: sc.num(m["ordrec"])}
		e.Kind = map[string]capture.Kind{"order": capture.KindOrder, "cancel": capture.KindCancel,
			"fill": capture.KindFill, "reject": capture.KindReject}[cmd]
		sc.feed(Input{Kind: InputEvent, Event: e})
	case "lfill":
		sc.feed(Input{Kind: InputLedger, Ledger: &LedgerEvent{ID: m["lid"], Kind: LedgerFill, Time: t, Account: m["acct"],
			Security: m["sec"], Side: side(m["side"]), Price: sc.px(m["px"]), Qty: sc.num(m["qty"]), ExecID: m["exec"]}})
	case "withdraw":
		sc.feed(Input{Kind: InputLedger, Ledger: &LedgerEvent{ID: m["lid"], Kind: LedgerWithdrawal, Time: t,
			Account: m["acct"], AmountFen: sc.num(m["fen"])}})
	default:
		sc.t.Fatalf("unknown command %q", cmd)
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runScript runs one datadriven file, checking or rewriting expectations,
// and returns the scenario (for metamorphic checks over its inputs).
func runScript(t *testing.T, path string) *scenario {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := &scenario{t: t, params: DefaultParams()}
	lines := strings.Split(string(raw), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out = append(out, line)
		trim := strings.TrimSpace(line)
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		got := sc.run(trim)
		hasExp := i+1 < len(lines) && lines[i+1] == "----"
		if !hasExp && got == "" {
			continue
		}
		var want []string
		if hasExp {
			i += 2
			for ; i < len(lines) && lines[i] != ""; i++ {
				want = append(want, lines[i])
			}
		}
		if *rewrite {
			out = append(out, "----")
			out = append(out, strings.Split(strings.TrimRight(got, "\n"), "\n")...)
			out = append(out, "")
			continue
		}
		if w := strings.Join(want, "\n"); strings.TrimRight(got, "\n") != w {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, i+1, trim, got, w)
		}
		out = append(out, "----")
		out = append(out, want...)
		out = append(out, "")
	}
	if *rewrite {
		text := strings.Join(out, "\n")
		for strings.Contains(text, "\n\n\n") {
			text = strings.ReplaceAll(text, "\n\n\n", "\n\n")
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return sc
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/rules/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runScript(t, f)
		})
	}
}
