package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/fees"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk/chain"
)

// Summary is the day as the chain and the risk core record it.
type Summary struct {
	ChainID  string `json:"chain_id"`
	Date     uint32 `json:"date"`
	NextDate uint32 `json:"next_date"`
	// Nodes is the number of nodes; Height the height up to which every
	// node reported the same blocks and app hashes; Txs the transactions
	// in those blocks.
	Nodes  int   `json:"nodes"`
	Height int64 `json:"height"`
	Txs    int64 `json:"txs"`

	Brokers         []BrokerSummary `json:"brokers"`
	Reconciliations []ReconSummary  `json:"reconciliations"`
	// Checks are the reconciliation checks recorded for the date (DOMAIN.md's
	// six; the demo's bank files checks 1 and 2), each with what broke.
	Checks []CheckSummary `json:"checks"`
	// Interest is the quarter's interest the interest phase paid.
	Interest InterestSummary `json:"interest"`
	// Refusals are the txs the script sent for the chain to refuse.
	Refusals   []Refusal        `json:"refusals"`
	Alerts     AlertSummary     `json:"alerts"`
	Invariants InvariantSummary `json:"invariants"`
	// REST says whether the nodes serve the REST API (RESTNote why not);
	// RESTChecks are the reads made over it, each checked.
	REST       bool     `json:"rest"`
	RESTNote   string   `json:"rest_note,omitempty"`
	RESTChecks []string `json:"rest_checks,omitempty"`
}

// BrokerSummary is one broker's day: its clients at the custody bank, the
// bank-securities transfers of its clients, its orders, and its
// settlement report (read with a proof).
type BrokerSummary struct {
	Broker string `json:"broker"`
	// Clients and CustodyTotal are the custody snapshot clearing took of
	// the broker's clients at the bank (fen).
	Clients      uint32 `json:"clients"`
	CustodyTotal int64  `json:"custody_total"`
	// Completed bank-to-broker (in) and broker-to-bank (out) transfers,
	// count and fen, over the day and the withdrawal after clearing.
	TransfersIn  int   `json:"transfers_in"`
	ValueIn      int64 `json:"value_in"`
	TransfersOut int   `json:"transfers_out"`
	ValueOut     int64 `json:"value_out"`
	// Orders by final status ("filled", "cancelled", "expired", ...).
	Orders map[string]int `json:"orders"`
	// From the settlement report.
	Fills           uint32 `json:"fills"`
	BuyValue        int64  `json:"buy_value"`
	SellValue       int64  `json:"sell_value"`
	Fees            Fees   `json:"fees"`
	FeeTotal        int64  `json:"fee_total"`
	NetObligation   int64  `json:"net_obligation"` // buys − sells: paid to the clearing house (received when negative)
	NetCash         int64  `json:"net_cash"`       // net obligation + fees: what the clients paid in net
	SettlementBreak bool   `json:"settlement_break"`
	// FeesByClass are the fees of the broker's orders by product class
	// (A-share, fund/ETF, bond), in that order, classes without fees left
	// out: funds and bonds pay no stamp duty and no transfer fee.
	FeesByClass []ClassFees `json:"fees_by_class"`
}

// ClassFees are the fees of one product class's orders.
type ClassFees struct {
	Class string `json:"class"`
	Fees  Fees   `json:"fees"`
	Total int64  `json:"total"`
}

// Fees are a report's fees by item, fen.
type Fees struct {
	Commission, StampDuty, TransferFee, HandlingFee, RegulatorLevy int64
}

// OrderCount is the number of orders in all statuses.
func (b BrokerSummary) OrderCount() int {
	n := 0
	for _, v := range b.Orders {
		n += v
	}
	return n
}

// ReconSummary is one reconciliation result (read with a proof).
type ReconSummary struct {
	Bank, Broker string
	Date         uint32
	Status       string // MATCH or BREAK
	BankTotal    int64
	ChainTotal   int64
	BankClients  uint32
	ChainClients uint32
	// HashesAgree says whether the bank's per-client hash is the chain's.
	HashesAgree bool
}

// InterestSummary is one settlement's interest postings (结息).
type InterestSummary struct {
	PeriodEnd  uint32           `json:"period_end"`
	CreditDate uint32           `json:"credit_date"`
	Total      int64            `json:"total"`
	ByAccount  map[string]int64 `json:"by_account"`
	// Example is one posting: its period and 积数 (fen × days).
	Example struct {
		Account     string `json:"account"`
		PeriodStart uint32 `json:"period_start"`
		BalanceDays int64  `json:"balance_days"`
		Amount      int64  `json:"amount"`
	} `json:"example"`
}

// interestPostings reads the postings of the interest phase's settlement.
func (d *Demo) interestPostings(ctx context.Context) (InterestSummary, error) {
	s := InterestSummary{PeriodEnd: d.interestEnd, ByAccount: map[string]int64{}}
	var res struct {
		Postings []json.RawMessage `json:"postings"`
	}
	if err := d.queryList(ctx, fmt.Sprintf("interest-postings/%d", d.interestEnd), &res); err != nil {
		return s, err
	}
	for _, raw := range res.Postings {
		var p custodyv1.InterestPosting
		if err := protojson.Unmarshal(raw, &p); err != nil {
			return s, fmt.Errorf("interest posting: %w", err)
		}
		s.CreditDate = p.CreditDate
		s.Total += p.Amount
		s.ByAccount[p.AccountId] = p.Amount
		if s.Example.Account == "" {
			s.Example.Account, s.Example.PeriodStart, s.Example.Amount = p.AccountId, p.PeriodStart, p.Amount
			for _, seg := range p.Segments {
				s.Example.BalanceDays += seg.BalanceDays
			}
		}
	}
	return s, nil
}

// CheckSummary is one reconciliation check's result and its breaks.
type CheckSummary struct {
	Check        string        `json:"check"` // TOTAL, CLIENTS, TRANSFERS, CLEARING, HOLDINGS, INTEREST
	Counterparty string        `json:"counterparty"`
	Broker       string        `json:"broker"`
	Status       string        `json:"status"`
	Items        uint32        `json:"items"`
	Breaks       []BreakDetail `json:"breaks"`
}

// BreakDetail is one item that differs, with both figures.
type BreakDetail struct {
	Item  string `json:"item"`
	What  string `json:"what"`
	Chain int64  `json:"chain"`
	File  int64  `json:"file"`
}

// reconChecks reads the date's reconciliation checks from the regulator's node.
func (d *Demo) reconChecks(ctx context.Context) ([]CheckSummary, error) {
	var res struct {
		Checks []json.RawMessage `json:"checks"`
		Breaks []json.RawMessage `json:"breaks"`
	}
	for _, date := range []uint32{d.date, d.interestEnd} {
		var r struct {
			Checks []json.RawMessage `json:"checks"`
			Breaks []json.RawMessage `json:"breaks"`
		}
		if err := d.queryList(ctx, fmt.Sprintf("reconciliation-checks/%d", date), &r); err != nil {
			return nil, err
		}
		res.Checks = append(res.Checks, r.Checks...)
		res.Breaks = append(res.Breaks, r.Breaks...)
	}
	var out []CheckSummary
	for _, raw := range res.Checks {
		var c custodyv1.ReconCheck
		if err := protojson.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("reconciliation check: %w", err)
		}
		out = append(out, CheckSummary{Check: strings.TrimPrefix(c.Check.String(), "RECON_CHECK_"), Counterparty: c.CounterpartyId,
			Broker: c.BrokerId, Status: statusName(c.Status), Items: c.Items})
	}
	for _, raw := range res.Breaks {
		var b custodyv1.ReconBreak
		if err := protojson.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("reconciliation break: %w", err)
		}
		for i := range out {
			if out[i].Check == strings.TrimPrefix(b.Check.String(), "RECON_CHECK_") && out[i].Counterparty == b.CounterpartyId && out[i].Broker == b.BrokerId {
				out[i].Breaks = append(out[i].Breaks, BreakDetail{Item: b.ItemKey, What: b.What, Chain: b.ChainAmount, File: b.FileAmount})
			}
		}
	}
	return out, nil
}

// AlertSummary is the risk core's alerts and their anchoring.
type AlertSummary struct {
	Operator string         `json:"operator"`
	Total    int            `json:"total"`
	ByRule   map[string]int `json:"by_rule"`
	// Anchored counts alerts in a batch anchored on chain; Verified those
	// whose inclusion proof checked against the root read from the chain
	// with a proof.
	Anchored int    `json:"anchored"`
	Verified int    `json:"verified"`
	Batches  uint64 `json:"batches"`
	// Events is the order-flow events the risk core captured.
	Events uint64 `json:"events"`
	// Example is one alert id per rule, for riskd verify-alert.
	Example map[string]string `json:"example"`
}

func (a AlertSummary) byRuleText() string {
	var parts []string
	for _, r := range sortedRules(a.ByRule) {
		parts = append(parts, fmt.Sprintf("%s %d", r, a.ByRule[r]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func sortedRules(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// InvariantSummary is every node's check of the contracts' invariants.
type InvariantSummary struct {
	Nodes       int      `json:"nodes"`
	Checked     int      `json:"checked"` // invariants per node
	Broken      int      `json:"broken"`
	BrokenNames []string `json:"broken_names,omitempty"`
}

// invariants asks every node to check every invariant.
func (d *Demo) invariants(ctx context.Context) (InvariantSummary, error) {
	var s InvariantSummary
	for _, n := range d.tn.Nodes {
		raw, err := d.cls[n.Name].QueryJSON(ctx, "invariants")
		if err != nil {
			return s, err
		}
		var res struct {
			Invariants []contracts.InvariantResult `json:"invariants"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return s, fmt.Errorf("invariants of %s: %w", n.Name, err)
		}
		if len(res.Invariants) == 0 {
			return s, fmt.Errorf("node %s checks no invariant", n.Name)
		}
		s.Nodes++
		s.Checked = len(res.Invariants)
		for _, r := range res.Invariants {
			if r.Broken {
				s.Broken++
				s.BrokenNames = append(s.BrokenNames, n.Name+": "+r.Name+": "+r.Msg)
			}
		}
	}
	return s, nil
}

// verifyAlerts reads every alert and its inclusion proof from the risk
// core's admin API and checks each against the batch anchored on chain,
// read from the regulator's node with a proof.
func (d *Demo) verifyAlerts(ctx context.Context) (AlertSummary, error) {
	s := AlertSummary{Operator: RiskOperator, ByRule: map[string]int{}, Example: map[string]string{}}
	st, err := d.risk.status(ctx)
	if err != nil {
		return s, err
	}
	s.Batches, s.Events = st.Batches, st.LastEventSeq
	as, err := d.risk.alerts(ctx)
	if err != nil {
		return s, err
	}
	ch, err := chain.New(ctx, d.cls[d.nodeOf(Regulator)], d.v, nil, RiskOperator)
	if err != nil {
		return s, err
	}
	av := ch.NewAlertVerifier()
	for _, a := range as {
		s.Total++
		s.ByRule[a.Rule]++
		if _, ok := s.Example[a.Rule]; !ok {
			s.Example[a.Rule] = a.ID
		}
		p, err := d.risk.proof(ctx, a.ID)
		if err != nil {
			return s, fmt.Errorf("alert %d (%s): %w", a.Seq, a.Rule, err)
		}
		if p.Proof.TxHash == "" {
			continue
		}
		s.Anchored++
		if _, err := av.Verify(ctx, p.Alert, p.Proof); err != nil {
			return s, fmt.Errorf("alert %d (%s) does not verify against the chain: %w", a.Seq, a.Rule, err)
		}
		s.Verified++
	}
	if s.Verified != s.Total {
		return s, fmt.Errorf("%d of %d alerts verified against the chain", s.Verified, s.Total)
	}
	d.alertSummary = s
	return s, nil
}

// summary reads the day back from the chain and the risk core.
func (d *Demo) summary(ctx context.Context) (*Summary, error) {
	s := &Summary{ChainID: d.tn.ChainID, Date: d.date, NextDate: d.next, Nodes: len(d.tn.Nodes),
		Height: d.agreedHeight, Refusals: d.refusals, Alerts: d.alertSummary, REST: d.rest.served, RESTNote: d.rest.note, RESTChecks: d.restDone}
	d.mu.Lock()
	s.Txs = d.txs
	d.mu.Unlock()
	c := d.cls[d.nodeOf(Regulator)] // the auditor's node
	var banks, brokers []string
	for _, n := range d.tn.Nodes {
		switch n.Role {
		case custodyv1.Role_ROLE_BANK:
			banks = append(banks, n.Participant)
		case custodyv1.Role_ROLE_BROKER:
			brokers = append(brokers, n.Participant)
		}
	}
	byBroker := map[string]*BrokerSummary{}
	byClass := map[string]*[3]Fees{} // broker → fees by fees.Class
	classOf := map[string]fees.Class{}
	for _, b := range brokers {
		r, _, err := c.ProvenReport(ctx, d.v, d.date, b)
		if err != nil {
			return nil, fmt.Errorf("report of %s: %w", b, err)
		}
		bs := &BrokerSummary{Broker: b, Orders: map[string]int{}, Fills: r.FillCount, BuyValue: r.BuyValue, SellValue: r.SellValue,
			FeeTotal: r.FeeTotal, NetObligation: r.NetObligation, NetCash: r.NetCash, SettlementBreak: r.SettlementBreak}
		if f := r.Fees; f != nil {
			bs.Fees = Fees{f.Commission, f.StampDuty, f.TransferFee, f.HandlingFee, f.RegulatorLevy}
		}
		for _, bank := range banks {
			snap, _, err := c.ProvenSnapshot(ctx, d.v, d.date, bank, b)
			if err != nil {
				return nil, fmt.Errorf("snapshot %s/%s: %w", bank, b, err)
			}
			bs.Clients += snap.ClientCount
			bs.CustodyTotal += snap.Total
			rr, _, err := c.ProvenReconciliation(ctx, d.v, d.date, bank, b)
			if err != nil {
				return nil, fmt.Errorf("reconciliation %s/%s: %w", bank, b, err)
			}
			s.Reconciliations = append(s.Reconciliations, ReconSummary{Bank: bank, Broker: b, Date: rr.Date, Status: statusName(rr.Status),
				BankTotal: rr.BankTotal, ChainTotal: rr.ChainTotal, BankClients: rr.BankClientCount, ChainClients: rr.ChainClientCount,
				HashesAgree: string(rr.BankClientsHash) == string(rr.ChainClientsHash)})
		}
		byBroker[b] = bs
		s.Brokers = append(s.Brokers, BrokerSummary{})
	}
	// Transfers and orders, account by account, from the nodes' lists.
	for _, cl := range Clients {
		acct, _, err := c.ProvenAccount(ctx, d.v, cl.ID)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", cl.ID, err)
		}
		bs := byBroker[acct.BrokerId]
		if bs == nil {
			continue
		}
		var tl struct {
			Transfers []json.RawMessage `json:"transfers"`
		}
		if err := d.queryList(ctx, "transfers/"+cl.ID, &tl); err != nil {
			return nil, err
		}
		for _, raw := range tl.Transfers {
			var t custodyv1.Transfer
			if err := protojson.Unmarshal(raw, &t); err != nil {
				return nil, fmt.Errorf("transfer of %s: %w", cl.ID, err)
			}
			if t.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED {
				continue
			}
			if t.Direction == custodyv1.TransferDirection_TRANSFER_DIRECTION_BANK_TO_BROKER {
				bs.TransfersIn++
				bs.ValueIn += t.Amount
			} else {
				bs.TransfersOut++
				bs.ValueOut += t.Amount
			}
		}
		var ol struct {
			Orders []json.RawMessage `json:"orders"`
			Next   string            `json:"next"`
		}
		if err := d.queryList(ctx, "orders/"+cl.ID+"?limit=1000", &ol); err != nil {
			return nil, err
		}
		if ol.Next != "" {
			return nil, fmt.Errorf("orders of %s: more than one page", cl.ID)
		}
		for _, raw := range ol.Orders {
			var o custodyv1.Order
			if err := protojson.Unmarshal(raw, &o); err != nil {
				return nil, fmt.Errorf("order of %s: %w", cl.ID, err)
			}
			bs.Orders[orderStatusName(o.Status)]++
			class, ok := classOf[o.Security]
			if !ok {
				inst, _, err := c.ProvenInstrument(ctx, d.v, o.Security)
				if err != nil {
					return nil, fmt.Errorf("instrument %s: %w", o.Security, err)
				}
				class = trading.FeeClass(inst)
				classOf[o.Security] = class
			}
			if byClass[acct.BrokerId] == nil {
				byClass[acct.BrokerId] = &[3]Fees{}
			}
			if f := o.Fees; f != nil {
				cf := &byClass[acct.BrokerId][class]
				cf.Commission += f.Commission
				cf.StampDuty += f.StampDuty
				cf.TransferFee += f.TransferFee
				cf.HandlingFee += f.HandlingFee
				cf.RegulatorLevy += f.RegulatorLevy
			}
		}
	}
	for i, b := range brokers {
		bs := byBroker[b]
		if bc := byClass[b]; bc != nil {
			for _, class := range fees.Classes() {
				f := bc[class]
				if total := f.Commission + f.StampDuty + f.TransferFee + f.HandlingFee + f.RegulatorLevy; total != 0 {
					bs.FeesByClass = append(bs.FeesByClass, ClassFees{Class: class.String(), Fees: f, Total: total})
				}
			}
		}
		s.Brokers[i] = *bs
	}
	checks, err := d.reconChecks(ctx)
	if err != nil {
		return nil, err
	}
	s.Checks = checks
	if s.Interest, err = d.interestPostings(ctx); err != nil {
		return nil, err
	}
	inv, err := d.invariants(ctx)
	if err != nil {
		return nil, err
	}
	s.Invariants = inv
	return s, nil
}

func (d *Demo) queryList(ctx context.Context, path string, out any) error {
	raw, err := d.cls[d.nodeOf(Regulator)].QueryJSON(ctx, path)
	if err != nil {
		return fmt.Errorf("query %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("query %s: %w", path, err)
	}
	return nil
}

func orderStatusName(s custodyv1.OrderStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "ORDER_STATUS_"))
}

// WriteTo prints the summary as a table.
func (s *Summary) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	// row prints a label padded to 44 columns (CJK characters take two)
	// and its value.
	row := func(label, format string, args ...any) {
		b.WriteString("  " + label + strings.Repeat(" ", max(1, 45-columns(label))))
		fmt.Fprintf(&b, format+"\n", args...)
	}
	p("\nThe day %s on %s: %d nodes agree on every block and app hash up to height %d (%d txs)\n\n",
		dateText(s.Date), s.ChainID, s.Nodes, s.Height, s.Txs)
	for _, br := range s.Brokers {
		row("broker", "%s", br.Broker)
		row("clients", "%d (custody total at clearing %s)", br.Clients, yuan(br.CustodyTotal))
		row("transfers in, bank to broker (银转证)", "%d · %s", br.TransfersIn, yuan(br.ValueIn))
		row("transfers out, broker to bank (证转银)", "%d · %s", br.TransfersOut, yuan(br.ValueOut))
		var os []string
		for _, k := range sortedRules(br.Orders) {
			os = append(os, fmt.Sprintf("%d %s", br.Orders[k], k))
		}
		row("orders", "%d (%s)", br.OrderCount(), strings.Join(os, ", "))
		row("fills", "%d · buys %s · sells %s", br.Fills, yuan(br.BuyValue), yuan(br.SellValue))
		f := br.Fees
		row("fees", "%s (commission %s, stamp duty %s, transfer %s, handling %s, levy %s)", yuan(br.FeeTotal),
			yuan(f.Commission), yuan(f.StampDuty), yuan(f.TransferFee), yuan(f.HandlingFee), yuan(f.RegulatorLevy))
		for _, cf := range br.FeesByClass {
			f := cf.Fees
			row("  "+cf.Class, "%s (commission %s, stamp duty %s, transfer %s, handling %s, levy %s)", yuan(cf.Total),
				yuan(f.Commission), yuan(f.StampDuty), yuan(f.TransferFee), yuan(f.HandlingFee), yuan(f.RegulatorLevy))
		}
		dir := "paid to"
		if br.NetObligation < 0 {
			dir = "received from"
		}
		brk := "matches the clearing house's trade file"
		if br.SettlementBreak {
			brk = "SETTLEMENT BREAK against the clearing house's trade file"
		}
		row("net settlement", "%s %s the clearing house; %s", yuan(abs(br.NetObligation)), dir, brk)
	}
	for _, r := range s.Reconciliations {
		detail := "every figure agrees"
		if r.Status != "MATCH" {
			var diffs []string
			if r.BankTotal != r.ChainTotal {
				diffs = append(diffs, fmt.Sprintf("totals differ (bank %s, chain %s)", yuan(r.BankTotal), yuan(r.ChainTotal)))
			} else {
				diffs = append(diffs, fmt.Sprintf("totals agree (%s)", yuan(r.BankTotal)))
			}
			if r.BankClients != r.ChainClients {
				diffs = append(diffs, fmt.Sprintf("client counts differ (%d, %d)", r.BankClients, r.ChainClients))
			}
			if !r.HashesAgree {
				diffs = append(diffs, "per-client balances differ")
			}
			detail = strings.Join(diffs, "; ")
		}
		row(fmt.Sprintf("reconciliation %s/%s", r.Bank, r.Broker), "%s: %s", r.Status, detail)
	}
	if in := s.Interest; in.PeriodEnd != 0 {
		row("interest (结息)", "%s to %d accounts for the quarter to %s, credited %s", yuan(in.Total), len(in.ByAccount),
			dateText(in.PeriodEnd), dateText(in.CreditDate))
		ex := in.Example
		row("", "e.g. %s: 积数 %d fen-days from %s × 0.35%% / 360 → %s", ex.Account, ex.BalanceDays, dateText(ex.PeriodStart), yuan(ex.Amount))
	}
	for _, c := range s.Checks {
		row(fmt.Sprintf("check %s %s/%s", strings.ToLower(c.Check), c.Counterparty, c.Broker), "%s (%d items)", c.Status, c.Items)
		for _, b := range c.Breaks {
			row("", "→ %s: %s, chain %s, file %s", b.Item, b.What, yuan(b.Chain), yuan(b.File))
		}
	}
	for _, r := range s.Refusals {
		row("refused as the script intends", "%s", r.What)
		row("", "→ %s: %s", r.Code, r.Log)
	}
	a := s.Alerts
	row("alerts ("+a.Operator+")", "%d raised from %d captured events: %s", a.Total, a.Events, a.byRuleText())
	row("anchored and verified", "%d of %d in %d batches anchored on chain; %d verified against the chain with proofs", a.Anchored, a.Total, a.Batches, a.Verified)
	held := "all held"
	if s.Invariants.Broken > 0 {
		held = fmt.Sprintf("%d BROKEN: %s", s.Invariants.Broken, strings.Join(s.Invariants.BrokenNames, "; "))
	}
	row("invariants", "%d checked on each of %d nodes: %s", s.Invariants.Checked, s.Invariants.Nodes, held)
	if !s.REST {
		row("REST API", "not served: %s", s.RESTNote)
	}
	for i, c := range s.RESTChecks {
		label := ""
		if i == 0 {
			label = "REST API"
		}
		row(label, "%s", c)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func dateText(d uint32) string {
	return fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100)
}

// columns is the width of s on a terminal: CJK characters take two.
func columns(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x2E80 && r <= 0xFFDC {
			n++
		}
	}
	return n
}
