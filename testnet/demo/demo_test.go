package demo

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/capture/source"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/testnet"
)

// The day's figures, computed by hand from the script (phases.go) and
// DOMAIN.md's fee rules: commission 0.025% with a 5.00 minimum per order,
// stamp duty 0.05% on A-share sells, transfer fee 0.001% on A-shares,
// handling fee 0.00341% (funds 0.004%), levy 0.002%; each item rounded half
// up to the fen on the order's whole filled value. 510300.SH is an ETF: it
// pays no stamp duty and no transfer fee on either side. Money in fen.
//
//	order                         class    value       comm  stamp  trans  handl  levy   fees
//	ACC-01 buy 1 000 600000 @10   A-share  10 000.00   5.00      -   0.10   0.34  0.20   5.64
//	ACC-02 buy 1 000 000001 @12   A-share  12 000.00   5.00      -   0.12   0.41  0.24   5.77  (of 2 000; rest cancelled)
//	ACC-03 buy 300 300750 @200    A-share  60 000.00  15.00      -   0.60   2.05  1.20  18.85
//	ACC-04 buy 200 688981 @50     A-share  10 000.00   5.00      -   0.10   0.34  0.20   5.64
//	ACC-05 buy 10 000 510300 @4   ETF      40 000.00  10.00      -      -   1.60  0.80  12.40  (fund rate 0.004%)
//	ACC-05 sell 10 000 @4.01      ETF      40 100.00  10.03      -      -   1.60  0.80  12.43  (10.025 → 10.03, 1.604 → 1.60, 0.802 → 0.80)
//	ACC-07 buy 20 000 @3.99       ETF      79 800.00  19.95      -      -   3.19  1.60  24.74  (3.192 → 3.19, 1.596 → 1.60)
//	4 wash sells 10 000 @4        ETF      40 000.00  10.00      -      -   1.60  0.80  12.40 each
//	4 wash buys 10 000 @4         ETF      40 000.00  10.00      -      -   1.60  0.80  12.40 each
//
// By class: A-shares 30.00 + 0.92 + 3.14 + 1.84 = 35.90; ETF 119.98 + 19.19
// + 9.60 = 148.77.
//
// Each filled order fills in two reports on the wire (the simulated
// exchange splits fills over 100 shares), each reported on chain: 7 × 2 +
// 8 × 2 = 30 fills.
const (
	wantFills     = 30
	wantBuyValue  = 1_000_000 + 1_200_000 + 6_000_000 + 1_000_000 + 4_000_000 + 7_980_000 + 4*4_000_000 // 371 800.00
	wantSellValue = 4_010_000 + 4*4_000_000                                                             // 200 100.00
	wantComm      = 500 + 500 + 1_500 + 500 + 1_000 + 1_003 + 1_995 + 8*1_000                           // 149.98
	wantStamp     = 0                                                                                   // the only sales are of the ETF
	wantTransfer  = 10 + 12 + 60 + 10                                                                   // 0.92, A-shares only
	wantHandling  = 34 + 41 + 205 + 34 + 160 + 160 + 319 + 8*160                                        // 22.33
	wantLevy      = 20 + 24 + 120 + 20 + 80 + 80 + 160 + 8*80                                           // 11.44
	wantFees      = 18_467                                                                              // 184.67
	wantNet       = 17_170_000                                                                          // buys − sells: 171 700.00 to the clearing house

	wantShareFees = 3_590  // 35.90
	wantFundFees  = 14_877 // 148.77

	// Deposits: 50 000 + 50 000 + 100 000 + 30 000 + 60 000 + 12 000 000 +
	// 200 000 + 200 000 + 500 000.
	wantDeposits = 1_319_000_000
	// Withdrawals: ACC-01 5 000.00 during the day; ACC-05 its whole balance
	// after clearing: 60 000.00 − 40 012.40 + (40 100.00 − 12.43) = 60 075.17.
	wantWithdrawals = 500_000 + 6_007_517
	// Custody total at clearing: deposits − ACC-01's withdrawal − what the
	// clients paid in net (buys − sells + fees = 171 884.67).
	wantCustody = wantDeposits - 500_000 - (wantNet + wantFees) // 13 013 115.33

	// Orders: ACC-01 2, ACC-02 1, ACC-03 1, ACC-04 1, ACC-05 2, ACC-06 3,
	// ACC-07 1 + 4, ACC-08 4, ACC-09 400.
	wantFilled    = 14  // ACC-01/b1, ACC-03, ACC-04, ACC-05 ×2, ACC-07/w0, 8 wash orders
	wantCancelled = 5   // ACC-01/b2, ACC-02/b1 (half filled), ACC-06 ×3
	wantExpired   = 400 // ACC-09's burst
)

// TestDemo_Figures checks the hand-computed constants add up to the
// totals they claim, so a typo in one cannot hide behind another.
func TestDemo_Figures(t *testing.T) {
	require.EqualValues(t, 37_180_000, wantBuyValue)
	require.EqualValues(t, 20_010_000, wantSellValue)
	require.EqualValues(t, wantBuyValue-wantSellValue, wantNet)
	require.EqualValues(t, wantFees, wantComm+wantStamp+wantTransfer+wantHandling+wantLevy)
	require.EqualValues(t, wantFees, wantShareFees+wantFundFees)
	require.EqualValues(t, 1_301_311_533, wantCustody)
	require.Equal(t, "13 013 115.33", yuan(wantCustody))
	require.Equal(t, "-0.05", yuan(-5))
}

// TestDemo_ScriptedDay plays the whole day on four nodes with the risk core
// capturing live on lo, and checks the summary's every figure against the
// hand-computed ones above, the refusals by their registered codes, and
// the alerts by rule (each anchored and verified). The nodes and the risk
// core run in this process, or, with CUSTODY_BIN set to a directory holding
// custodyd and riskd (make demo-check), as child processes exactly as
// `make demo` runs them.
func TestDemo_ScriptedDay(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a whole business day on a four-node network")
	}
	if src, err := source.OpenLive("lo", source.Filter{Ports: []uint16{1}}, 0); err != nil {
		if errors.Is(err, source.ErrUnavailable) {
			t.Skipf("live capture on lo is not allowed here (root or CAP_NET_RAW): %v", err)
		}
		t.Fatal(err)
	} else {
		src.Close()
	}
	cfg := Config{Dir: filepath.Join(t.TempDir(), "demo"), Nodes: &testnet.InProcess{}, TimeoutCommit: 300 * time.Millisecond}
	if bin := os.Getenv("CUSTODY_BIN"); bin != "" {
		cfg.Nodes = &testnet.Processes{Binary: filepath.Join(bin, "custodyd")}
		cfg.Riskd = filepath.Join(bin, "riskd")
	}
	var phases []string
	cfg.Progress = func(p Progress) {
		if p.Done {
			phases = append(phases, p.Name)
			t.Logf("[%2d/%d] %-15s %s (%s; height %d, txs %d, alerts %d)", p.Phase, p.Of, p.Name, p.Note, round(p.PhaseElapsed), p.Height, p.Txs, p.Alerts)
		}
	}
	d, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			t.Logf("demo log:\n%s", tail(filepath.Join(cfg.Dir, "demo.log"), 40))
			t.Logf("risk core log:\n%s", tail(filepath.Join(cfg.Dir, RiskOperator, "riskd.log"), 40))
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	s, err := d.Play(ctx)
	require.NoError(t, err)
	t.Logf("played in %s", time.Since(start).Round(time.Second))
	var out bytes.Buffer
	_, err = s.WriteTo(&out)
	require.NoError(t, err)
	t.Logf("summary:%s", out.String())
	require.Len(t, phases, len(Phases()))

	require.Len(t, s.Brokers, 1)
	b := s.Brokers[0]
	require.Equal(t, Broker, b.Broker)
	require.EqualValues(t, 9, b.Clients, "clients")
	require.EqualValues(t, wantCustody, b.CustodyTotal, "custody total at clearing")
	require.Equal(t, 9, b.TransfersIn, "transfers in")
	require.EqualValues(t, wantDeposits, b.ValueIn, "deposited")
	require.Equal(t, 2, b.TransfersOut, "transfers out")
	require.EqualValues(t, wantWithdrawals, b.ValueOut, "withdrawn")
	require.Equal(t, map[string]int{"filled": wantFilled, "cancelled": wantCancelled, "expired": wantExpired}, b.Orders)
	require.EqualValues(t, wantFills, b.Fills, "fills")
	require.EqualValues(t, wantBuyValue, b.BuyValue, "buy value")
	require.EqualValues(t, wantSellValue, b.SellValue, "sell value")
	require.Equal(t, Fees{Commission: wantComm, StampDuty: wantStamp, TransferFee: wantTransfer, HandlingFee: wantHandling, RegulatorLevy: wantLevy}, b.Fees)
	require.EqualValues(t, wantFees, b.FeeTotal, "fees")
	require.Equal(t, []ClassFees{
		{Class: "A-share", Fees: Fees{Commission: 3_000, TransferFee: 92, HandlingFee: 314, RegulatorLevy: 184}, Total: wantShareFees},
		{Class: "fund/ETF", Fees: Fees{Commission: 11_998, HandlingFee: 1_919, RegulatorLevy: 960}, Total: wantFundFees},
	}, b.FeesByClass, "an ETF pays no stamp duty and no transfer fee")
	require.EqualValues(t, wantNet, b.NetObligation, "net obligation")
	require.EqualValues(t, wantNet+wantFees, b.NetCash, "net cash")
	require.False(t, b.SettlementBreak, "the clearing house's trade file is the exchange's: no settlement break")

	// The deliberate break: 100.00 booked on the wrong client. Totals and
	// counts agree; the per-client hash does not. The adjustment ADJ-1
	// (broker proposes, bank approves) resolved it.
	require.Equal(t, []ReconSummary{{Bank: Bank, Broker: Broker, Date: d.Date(), Status: "BREAK", BankTotal: wantCustody,
		ChainTotal: wantCustody, BankClients: 9, ChainClients: 9, HashesAgree: false, ResolvedBy: "adj/ADJ-1"}}, s.Reconciliations)
	// The deposit keyed twice and resent: credited once, reversed once.
	require.Equal(t, 1, b.Reversed, "reversed transfers")
	require.EqualValues(t, dupAmount, b.ValueReversed, "value reversed")

	// The six checks as results on chain, each from the party that owns
	// the file: only check 2 breaks, naming both accounts of the posting
	// mistake with both amounts.
	require.Len(t, s.Checks, 6)
	for i, want := range []struct{ check, counterparty, status string }{
		{"TOTAL", Bank, "MATCH"}, {"CLIENTS", Bank, "BREAK"}, {"TRANSFERS", Bank, "MATCH"},
		{"CLEARING", ClearingHouse, "MATCH"}, {"HOLDINGS", ClearingHouse, "MATCH"}, {"INTEREST", Bank, "MATCH"},
	} {
		c := s.Checks[i]
		require.Equal(t, want.check, c.Check)
		require.Equal(t, want.counterparty, c.Counterparty, c.Check)
		require.Equal(t, want.status, c.Status, "%s: %v", c.Check, c.Breaks)
		require.Positive(t, c.Items, c.Check)
	}
	require.EqualValues(t, 10, s.Checks[2].Items, "9 deposits and ACC-01's withdrawal in the day's journal")
	require.Len(t, s.Checks[1].Breaks, 2)
	for i, id := range []string{breakFrom, breakTo} {
		b := s.Checks[1].Breaks[i]
		require.Equal(t, id, b.Item)
		require.Equal(t, "amount", b.What)
		diff := int64(breakAmount)
		if id == breakFrom {
			diff = -breakAmount
		}
		require.Equal(t, b.Chain+diff, b.File, "%s: the bank's mirror differs by the misposted 100.00", id)
	}

	// Interest (结息): 0.35% from the next business date through the
	// settlement day, on every client's balance after ACC-05 withdrew all
	// of its own. Each account rounds once, so the total is within half a
	// fen per paid account of the exact figure on the sum of balances.
	in := s.Interest
	require.NotZero(t, in.PeriodEnd)
	days := int64(dayNumber(in.PeriodEnd) - dayNumber(d.NextDate()) + 1)
	held := int64(wantCustody - (wantWithdrawals - 500_000)) // everyone's balance but ACC-05's
	exact := new(big.Rat).SetFrac(big.NewInt(held*days*InterestRate), big.NewInt(360*100_000_000))
	slack := new(big.Rat).SetFrac64(int64(len(in.ByAccount)), 2)
	off := new(big.Rat).Sub(new(big.Rat).SetInt64(in.Total), exact)
	require.True(t, off.Abs(off).Cmp(slack) <= 0, "interest %d, exact %s", in.Total, exact.FloatString(2))
	require.Len(t, in.ByAccount, 8, "ACC-05 held nothing")
	require.NotContains(t, in.ByAccount, "ACC-05")
	var sum int64
	for _, v := range in.ByAccount {
		sum += v
	}
	require.Equal(t, in.Total, sum)

	// The refusals: a broker-generated client key the bank does not
	// confirm, a T+1 sale, a withdrawal of unsettled proceeds.
	require.Len(t, s.Refusals, 3)
	require.ErrorIs(t, s.Refusals[0].Err, accounts.ErrClientKeyMismatch)
	require.ErrorIs(t, s.Refusals[1].Err, trading.ErrInsufficientQty)
	require.ErrorIs(t, s.Refusals[2].Err, funds.ErrOverdraft)
	require.Contains(t, s.Refusals[2].Log, "withdrawable")

	// Alerts: three large orders and the spoofing pattern (ACC-06), the
	// 5th matched pair between ACC-07 and ACC-08 (4 rounds × 2 reports = 8
	// pairs, each of 5 000 shares: under the 100 000 that fires alone), one
	// per-second order-rate alert for the 400-order burst (at most one:
	// fewer than 600 orders). No wire-versus-ledger alert: every fill on
	// the link is on chain and every chain fill crossed the link.
	a := s.Alerts
	require.Equal(t, map[string]int{risk.RuleLargeOrder: 3, risk.RuleSpoofing: 1, risk.RuleSelfTrade: 1, risk.RuleOrderRate: 1}, a.ByRule)
	require.Equal(t, 6, a.Total)
	require.Equal(t, 6, a.Anchored)
	require.Equal(t, 6, a.Verified)
	require.Positive(t, a.Batches)

	require.Equal(t, 4, s.Invariants.Nodes)
	require.Positive(t, s.Invariants.Checked)
	require.Zero(t, s.Invariants.Broken, "%v", s.Invariants.BrokenNames)
	require.Positive(t, s.Height)
	require.Positive(t, s.Txs)
	require.True(t, s.REST, "the nodes serve no REST API: %s", s.RESTNote)
	require.Len(t, s.RESTChecks, 3)

	if bin := os.Getenv("CUSTODY_BIN"); bin != "" {
		exploreCommands(t, ctx, d.Explore(bin))
	}
}

// exploreCommands runs the commands the demo prints, in one shell, as a
// reader would paste them: every one must succeed and show what it says.
// curl lines are left out where curl is missing.
func exploreCommands(t *testing.T, ctx context.Context, e Explore) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("no bash to run the printed commands: %v", err)
	}
	_, noCurl := exec.LookPath("curl")
	lines := []string{"set -eu"}
	for _, c := range e.Commands {
		if noCurl != nil && strings.Contains(c, "curl ") {
			continue
		}
		lines = append(lines, c)
	}
	out, err := exec.CommandContext(ctx, bash, "-c", strings.Join(lines, "\n")).CombinedOutput()
	require.NoError(t, err, "the printed commands:\n%s\n%s", strings.Join(lines, "\n"), out)
	for _, want := range []string{"pinned chain", `"fill_count": 30`, `"status": "RECON_STATUS_BREAK"`, "2 of 2 fills", "committed at height", "verified: alert"} {
		require.Contains(t, string(out), want)
	}
	if noCurl == nil {
		for _, want := range []string{`"rule":"spoofing"`, "custody_abci_txs_total", "<title>Custody Ledger console</title>", `console relay: "rule":"spoofing"`} {
			require.Contains(t, string(out), want)
		}
	}
	t.Logf("the %d printed commands ran", len(lines)-1)
}

// dayNumber counts calendar days (for the interest period).
func dayNumber(d uint32) int {
	return int(time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}
