package demo

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/custody-ledger/custody/risk"
)

// Explore is where to look once the day has been played: each node's
// addresses, the risk core's, and commands that work against this network.
type Explore struct {
	Dir   string
	Nodes []NodeURLs
	// Console is the regulator's console (node/api/console) on the
	// regulator's node, empty when the nodes serve no REST API.
	Console string
	// Risk core: admin API, configuration file and log.
	RiskAdmin, RiskConfig, RiskLog string
	// Commands are shell lines; a line starting with "#" is a comment.
	Commands []string
}

// NodeURLs are one node's addresses.
type NodeURLs struct {
	Name, RPC, REST, Metrics, Log string
}

// Explore returns the addresses and example commands. bin is the
// directory of custodycli and riskd ("" names them bare, as on PATH).
func (d *Demo) Explore(bin string) Explore {
	e := Explore{Dir: d.cfg.Dir}
	for _, n := range d.tn.Nodes {
		u := NodeURLs{Name: n.Name, RPC: n.RPCURL(), Log: filepath.Join(d.tn.Home(n), "node.log")}
		if d.rest.served {
			u.REST = restURL(n)
		}
		if d.tn.Manifest.Prometheus {
			u.Metrics = "http://127.0.0.1:" + strconv.Itoa(n.PrometheusPort) + "/metrics"
		}
		e.Nodes = append(e.Nodes, u)
	}
	if d.risk != nil {
		e.RiskAdmin, e.RiskConfig, e.RiskLog = d.risk.admin, d.risk.cfgPath, d.risk.logPath
	}
	cli, riskd := filepath.Join(bin, "custodycli"), filepath.Join(bin, "riskd")
	if bin == "" {
		cli, riskd = "custodycli", "riskd"
	}
	broker, regulator := d.tn.Node(d.nodeOf(Broker)), d.tn.Node(d.nodeOf(Regulator))
	kr := func(home string) string {
		return "--keyring-backend test --keyring-dir " + filepath.Join(home, "keyring-test")
	}
	date := strconv.FormatUint(uint64(d.date), 10)
	c := []string{
		"# the CLI against broker-1's node; its light client keeps its headers under the demo directory",
		"CLI=" + cli,
		"N=" + broker.RPCURL() + "   W=" + regulator.RPCURL(),
		"export CUSTODYCLI_HOME=" + filepath.Join(d.cfg.Dir, "cli"),
		"# pin header 1 once (trust on first use, checked by the witness), then read with Merkle proofs",
		"$CLI --node $N light pin --witness $W",
		"$CLI --node $N query report " + date + "/" + Broker + " --prove --witness $W",
		"$CLI --node $N query reconciliation " + date + "/" + Bank + "/" + Broker + " --prove --witness $W",
		"$CLI --node $N query funds ACC-05 --prove --witness $W",
		"$CLI --node $N query fills ACC-07/w1s --prove --witness $W",
		"$CLI --node $N query orders ACC-09 --status expired | head -20",
		"$CLI --node $N query reconciliation-breaks",
		"$CLI --node $N query invariants",
		"# a client signs its own withdrawal (证转银); the bank pays it",
		"$CLI --node $N " + kr(filepath.Join(d.cfg.Dir, "clients")) + " tx withdraw --from ACC-01 --transfer-id ACC-01/W2 --account-id ACC-01 --amount 1,000.00",
		"$CLI --node $N " + kr(d.tn.Home(d.tn.Node(d.nodeOf(Bank)))) + " tx confirm-withdrawal --from " + Bank + " --transfer-id ACC-01/W2",
	}
	if d.rest.served {
		e.Console = restURL(regulator) + "/ui/"
		c = append(c,
			"# the console: open "+e.Console+" in a browser and paste a token of your own key (the regulator's here; any node serves it)",
			"$CLI --node $N "+kr(d.tn.Home(regulator))+" token --from "+Regulator,
			"curl -s "+e.Console+" | grep -o '<title>[^<]*</title>'",
			"# the REST API, with a short-lived token signed by the broker's own key",
			"TOKEN=$($CLI --node $N "+kr(d.tn.Home(broker))+" token --from "+Broker+")",
			`curl -s -H "Authorization: Bearer $TOKEN" `+restURL(broker)+"/v1/settlement/"+date+"/reports/"+Broker,
			`curl -s -H "Authorization: Bearer $TOKEN" '`+restURL(broker)+`/v1/accounts/ACC-01/funds?prove=true'`,
		)
	}
	// A token lives five minutes: the verify-alert line makes its own, so
	// that it still works when copied later.
	riskToken := "$CLI --node $N --keyring-backend test --keyring-dir " + d.tn.RiskOperatorKeyring(RiskOperator) + " token --from " + RiskOperator
	if d.risk != nil && d.rest.served {
		c = append(c,
			"# the console relays the risk core's read routes with the caller's own token (the regulator's here)",
			`curl -s -H "Authorization: Bearer $($CLI --node $N `+kr(d.tn.Home(regulator))+` token --from `+Regulator+`)" '`+e.Console+`risk/v1/alerts?rule=spoofing' | grep -o '"rule":"spoofing"' | head -1 | sed 's/^/console relay: /'`,
		)
	}
	if d.risk != nil {
		c = append(c,
			"# the risk core: status, alerts (a token of the risk operator's key), and one alert checked against the root anchored on chain",
			"RTOKEN=$("+riskToken+")",
			`curl -s -H "Authorization: Bearer $RTOKEN" `+d.risk.admin+"/v1/status",
			`curl -s -H "Authorization: Bearer $RTOKEN" '`+d.risk.admin+"/v1/alerts?rule=spoofing'",
		)
		rules := make([]string, 0, len(d.alertSummary.Example))
		for r := range d.alertSummary.Example {
			rules = append(rules, r)
		}
		sort.Strings(rules)
		if id, ok := d.alertSummary.Example[risk.RuleSpoofing]; ok {
			c = append(c, riskd+" verify-alert "+id+" --config "+d.risk.cfgPath+` --token "$(`+riskToken+`)"`)
		} else if len(rules) > 0 {
			c = append(c, riskd+" verify-alert "+d.alertSummary.Example[rules[0]]+" --config "+d.risk.cfgPath+` --token "$(`+riskToken+`)"`)
		}
	}
	for _, n := range e.Nodes {
		if n.Metrics != "" {
			c = append(c, "# metrics: CometBFT's and the application's", "curl -s "+n.Metrics+" | grep '^custody_abci_txs_total'")
			break
		}
	}
	e.Commands = c
	return e
}

// WriteTo prints the addresses and commands.
func (e Explore) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("\nEverything runs on loopback; files under %s\n\n", e.Dir)
	p("  %-18s %-24s %-24s %s\n", "node", "RPC", "REST", "metrics")
	for _, n := range e.Nodes {
		p("  %-18s %-24s %-24s %s\n", n.Name, n.RPC, orDash(n.REST), orDash(n.Metrics))
	}
	if e.Console != "" {
		p("  %-18s %s (sign in with a token: custodycli token --from KEY)\n", "console", e.Console)
	}
	if e.RiskAdmin != "" {
		p("  %-18s %s (config %s)\n", "risk core admin", e.RiskAdmin, e.RiskConfig)
	}
	p("  %-18s %s/<node>/node.log, %s, %s\n\n", "logs", e.Dir, e.RiskLog, filepath.Join(e.Dir, "demo.log"))
	for _, c := range e.Commands {
		if strings.HasPrefix(c, "#") {
			p("\n  %s\n", c)
			continue
		}
		p("  %s\n", c)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
