package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// parsePrice reads a price in CNY with up to four decimals ("10.00",
// "0.105") as the chain's integer price, CNY × 10 000.
func parsePrice(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 4 || strings.HasPrefix(whole, "-") || strings.HasPrefix(whole, "+") {
		return 0, usagef(fmt.Errorf("price %q: want CNY with at most 4 decimals, e.g. 10.00", s))
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > trading.MaxPrice/10_000 {
		return 0, usagef(fmt.Errorf("price %q", s))
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64); err != nil || f < 0 {
			return 0, usagef(fmt.Errorf("price %q", s))
		}
	}
	return w*10_000 + f, nil
}

// parseDate reads a YYYYMMDD business date.
func parseDate(name, s string) (uint32, error) {
	d, err := strconv.ParseUint(s, 10, 32)
	if err != nil || trading.ValidateDate(uint32(d)) != nil {
		return 0, usagef(fmt.Errorf("--%s %q: want a date YYYYMMDD", name, s))
	}
	return uint32(d), nil
}

// signedTicket is what a client hands its broker: the ticket and the
// client's signature over it (printed by `ticket order|cancel`, read by
// `tx place-order|cancel-order --ticket`).
type signedTicket struct {
	Order           json.RawMessage `json:"order,omitempty"`
	Cancel          json.RawMessage `json:"cancel,omitempty"`
	ClientSignature string          `json:"client_signature"`
}

func newTicketCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ticket",
		Short: "client: sign an order or a cancel for the broker to submit (nothing is sent)",
	}
	cmd.AddCommand(newOrderTicketCmd(e), newCancelTicketCmd(e))
	return cmd
}

// unlock opens the keyring key named from.
func (e *env) unlock(from string) (ed25519.PrivateKey, error) {
	if from == "" {
		return nil, usagef(errors.New("--from is required"))
	}
	kr, err := e.openKeyring()
	if err != nil {
		return nil, err
	}
	pass, err := e.passphrase("passphrase of "+from, false)
	if err != nil {
		return nil, err
	}
	return kr.Key(from, pass)
}

func newOrderTicketCmd(e *env) *cobra.Command {
	var (
		from, side, price, date string
		t                       custodyv1.OrderTicket
		quantity                *quantityFlag
	)
	cmd := &cobra.Command{
		Use:   "order",
		Short: "sign an order ticket with your client key",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := quantity.require(); err != nil {
				return err
			}
			switch strings.ToLower(side) {
			case "buy":
				t.Side = custodyv1.Side_SIDE_BUY
			case "sell":
				t.Side = custodyv1.Side_SIDE_SELL
			default:
				return usagef(fmt.Errorf("--side %q: buy or sell", side))
			}
			t.Type = custodyv1.OrderType_ORDER_TYPE_MARKET
			if price != "market" {
				p, err := parsePrice(price)
				if err != nil {
					return err
				}
				t.Type, t.Price = custodyv1.OrderType_ORDER_TYPE_LIMIT, p
			}
			acct, _, ok := trading.SplitOrderID(t.OrderId)
			if !ok {
				return usagef(fmt.Errorf("--order-id %q: want <account id>/<suffix>", t.OrderId))
			}
			t.AccountId = acct
			key, err := e.unlock(from)
			if err != nil {
				return err
			}
			var c *client.Client
			if date == "" || t.ChainId == "" {
				if c, err = e.dial(ctx); err != nil {
					return err
				}
			}
			if t.ChainId == "" {
				t.ChainId = c.ChainID()
			}
			if date == "" {
				d, err := c.BusinessDay(ctx)
				if err != nil {
					return err
				}
				t.BusinessDate = d.Date
			} else if t.BusinessDate, err = parseDate("date", date); err != nil {
				return err
			}
			m, err := client.PlaceOrderMsg(key, &t)
			if err != nil {
				return err
			}
			return e.printJSON(signedTicket{Order: protoJSON(m.Ticket), ClientSignature: hex.EncodeToString(m.ClientSignature)})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "your client key in the keyring (required)")
	fl.StringVar(&t.OrderId, "order-id", "", "<account id>/<suffix>, a new id of your own")
	fl.StringVar(&t.Security, "security", "", "security, e.g. 600000.SH or 000001.SZ")
	fl.StringVar(&side, "side", "", "buy or sell")
	fl.StringVar(&price, "price", "market", `limit price in CNY (e.g. 10.00), or "market"`)
	quantity = quantityVar(fl, &t.Quantity, "quantity", "shares, more than zero")
	fl.StringVar(&date, "date", "", "business date YYYYMMDD (default: the chain's)")
	fl.StringVar(&t.ChainId, "ticket-chain-id", "", "chain id in the ticket (default: the node's)")
	return cmd
}

func newCancelTicketCmd(e *env) *cobra.Command {
	var from string
	var t custodyv1.CancelTicket
	cmd := &cobra.Command{
		Use:   "cancel",
		Short: "sign a cancel ticket with your client key",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := e.unlock(from)
			if err != nil {
				return err
			}
			if t.ChainId == "" {
				c, err := e.dial(cmd.Context())
				if err != nil {
					return err
				}
				t.ChainId = c.ChainID()
			}
			m, err := client.CancelOrderMsg(key, t.ChainId, t.OrderId)
			if err != nil {
				return err
			}
			return e.printJSON(signedTicket{Cancel: protoJSON(m.Ticket), ClientSignature: hex.EncodeToString(m.ClientSignature)})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "your client key in the keyring (required)")
	cmd.Flags().StringVar(&t.OrderId, "order-id", "", "the order to cancel")
	cmd.Flags().StringVar(&t.ChainId, "ticket-chain-id", "", "chain id in the ticket (default: the node's)")
	return cmd
}

// readTicket reads a signed ticket from a file, or stdin for "-".
func (e *env) readTicket(path string) (*signedTicket, []byte, error) {
	if path == "" {
		return nil, nil, usagef(errors.New("--ticket is required (a file from `custodycli ticket`, or - for stdin)"))
	}
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, usagef(err)
		}
		defer f.Close()
		r = f
	}
	var st signedTicket
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return nil, nil, usagef(fmt.Errorf("ticket: %w", err))
	}
	sig, err := hexFlag("ticket client_signature", st.ClientSignature, 64)
	return &st, sig, err
}

var ticketJSON = protojson.UnmarshalOptions{}

func newPlaceOrderCmd(e *env) *cobra.Command {
	var (
		f      txFlags
		ticket string
	)
	cmd := &cobra.Command{
		Use:   "place-order",
		Short: "broker: place a client's order from the client's signed ticket",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, sig, err := e.readTicket(ticket)
			if err != nil {
				return err
			}
			var t custodyv1.OrderTicket
			if len(st.Order) == 0 || ticketJSON.Unmarshal(st.Order, &t) != nil {
				return usagef(errors.New("ticket: no order ticket"))
			}
			return e.submit(cmd.Context(), &f, &custodyv1.MsgPlaceOrder{Ticket: &t, ClientSignature: sig})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&ticket, "ticket", "", "the client's signed order ticket (a file, or - for stdin)")
	return cmd
}

func newCancelOrderCmd(e *env) *cobra.Command {
	var (
		f      txFlags
		ticket string
	)
	cmd := &cobra.Command{
		Use:   "cancel-order",
		Short: "broker: cancel a client's order from the client's signed cancel ticket",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, sig, err := e.readTicket(ticket)
			if err != nil {
				return err
			}
			var t custodyv1.CancelTicket
			if len(st.Cancel) == 0 || ticketJSON.Unmarshal(st.Cancel, &t) != nil {
				return usagef(errors.New("ticket: no cancel ticket"))
			}
			return e.submit(cmd.Context(), &f, &custodyv1.MsgCancelOrder{Ticket: &t, ClientSignature: sig})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&ticket, "ticket", "", "the client's signed cancel ticket (a file, or - for stdin)")
	return cmd
}

func newReportFillCmd(e *env) *cobra.Command {
	var (
		f        txFlags
		m        custodyv1.MsgReportFill
		price    string
		quantity *quantityFlag
	)
	cmd := &cobra.Command{
		Use:   "report-fill",
		Short: "broker: report an execution of a client's order",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := quantity.require(); err != nil {
				return err
			}
			var err error
			if m.Price, err = parsePrice(price); err != nil {
				return err
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&m.ExecId, "exec-id", "", "the exchange's execution id (unique)")
	fl.StringVar(&m.OrderId, "order-id", "", "the order filled")
	fl.StringVar(&price, "price", "", "fill price in CNY, e.g. 10.00")
	quantity = quantityVar(fl, &m.Quantity, "quantity", "shares filled, more than zero")
	return cmd
}

func newEndOfDayCmd(e *env) *cobra.Command {
	var (
		f                       txFlags
		date, next, instruments string
		closing, totals         []string
	)
	cmd := &cobra.Command{
		Use:   "end-of-day",
		Short: "clearing house: clear the business date and open the next",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m := &custodyv1.MsgEndOfDay{}
			var err error
			if date != "0" {
				if m.Date, err = parseDate("date", date); err != nil {
					return err
				}
			}
			if m.NextDate, err = parseDate("next-date", next); err != nil {
				return err
			}
			for _, c := range closing {
				sec, p, ok := strings.Cut(c, "=")
				if !ok {
					return usagef(fmt.Errorf("--closing-price %q: want SECURITY=PRICE", c))
				}
				price, err := parsePrice(p)
				if err != nil {
					return err
				}
				m.ClosingPrices = append(m.ClosingPrices, &custodyv1.ClosingPrice{Security: sec, Price: price})
			}
			for _, tt := range totals {
				b, rest, ok := strings.Cut(tt, "=")
				parts := strings.Split(rest, ":")
				if !ok || len(parts) != 3 {
					return usagef(fmt.Errorf("--totals %q: want BROKER=FILLS:BUY_FEN:SELL_FEN", tt))
				}
				n, err1 := strconv.ParseUint(parts[0], 10, 32)
				buy, err2 := strconv.ParseInt(parts[1], 10, 64)
				sell, err3 := strconv.ParseInt(parts[2], 10, 64)
				if err := errors.Join(err1, err2, err3); err != nil {
					return usagef(fmt.Errorf("--totals %q: %w", tt, err))
				}
				m.TradeTotals = append(m.TradeTotals, &custodyv1.TradeTotals{BrokerId: b, FillCount: uint32(n), BuyValue: buy, SellValue: sell})
			}
			if instruments != "" {
				bz, err := os.ReadFile(instruments)
				if err != nil {
					return usagef(err)
				}
				var raws []json.RawMessage
				if err := json.Unmarshal(bz, &raws); err != nil {
					return usagef(fmt.Errorf("--instruments: want a JSON list of instruments: %w", err))
				}
				for _, r := range raws {
					var inst custodyv1.Instrument
					if err := protojson.Unmarshal(r, &inst); err != nil {
						return usagef(fmt.Errorf("--instruments: %w", err))
					}
					m.Instruments = append(m.Instruments, &inst)
				}
			}
			return e.submit(cmd.Context(), &f, m)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&date, "date", "", `the business date being cleared, YYYYMMDD ("0" opens the first day)`)
	fl.StringVar(&next, "next-date", "", "the next business date, YYYYMMDD")
	fl.StringArrayVar(&closing, "closing-price", nil, "SECURITY=PRICE, e.g. 600000.SH=10.20 (repeat): the next day's reference price")
	fl.StringArrayVar(&totals, "totals", nil, "your trade file's totals BROKER=FILLS:BUY_FEN:SELL_FEN (repeat); a broker left out has none")
	fl.StringVar(&instruments, "instruments", "", "a JSON file with a list of instruments to list or update (protojson)")
	return cmd
}

func newSubmitStatementCmd(e *env) *cobra.Command {
	var (
		f                      txFlags
		m                      custodyv1.MsgSubmitStatement
		date, hashHex, balFile string
	)
	cmd := &cobra.Command{
		Use:   "submit-statement",
		Short: "bank: submit your custody statement of a cleared date and broker for reconciliation",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if m.Date, err = parseDate("date", date); err != nil {
				return err
			}
			switch {
			case balFile != "" && hashHex == "":
				if m.CustodyTotal, m.ClientCount, m.ClientsHash, err = readBalances(balFile); err != nil {
					return err
				}
			case balFile == "" && hashHex != "":
				if m.ClientsHash, err = hexFlag("clients-hash", hashHex, 32); err != nil {
					return err
				}
			default:
				return usagef(errors.New("give --balances, or --custody-total, --client-count and --clients-hash"))
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&date, "date", "", "the cleared business date, YYYYMMDD")
	fl.StringVar(&m.BrokerId, "broker-id", "", "the broker whose clients the statement covers")
	fl.StringVar(&balFile, "balances", "", `a file of "account id,balance in fen" lines from your books: total, count and hash are computed`)
	fl.Int64Var(&m.CustodyTotal, "custody-total", 0, "your custody total for the broker, in fen")
	fl.Uint32Var(&m.ClientCount, "client-count", 0, "the number of the broker's active clients at your bank")
	fl.StringVar(&hashHex, "clients-hash", "", "SHA-256 (hex) over \"<account id>,<balance>\\n\" in account-id order")
	return cmd
}

// readBalances reads "account,balance" lines and returns their total,
// count and clients hash (lines sorted by account id first).
func readBalances(path string) (int64, uint32, []byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, 0, nil, usagef(err)
	}
	defer fh.Close()
	type line struct {
		id  string
		bal int64
	}
	var lines []line
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		id, b, ok := strings.Cut(text, ",")
		bal, err := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
		if !ok || err != nil || bal < 0 {
			return 0, 0, nil, usagef(fmt.Errorf("%s:%d: want \"account id,balance in fen\"", path, n))
		}
		lines = append(lines, line{strings.TrimSpace(id), bal})
	}
	if err := sc.Err(); err != nil {
		return 0, 0, nil, err
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].id < lines[j].id })
	ids, bals := make([]string, len(lines)), make([]int64, len(lines))
	var total int64
	for i, l := range lines {
		ids[i], bals[i] = l.id, l.bal
		total += l.bal
	}
	return total, uint32(len(lines)), clearing.ClientsHash(ids, bals), nil
}

// Queries.

// splitArg splits a "A/B/C" argument into n non-empty parts.
func splitArg(arg, form string, n int) ([]string, error) {
	parts := strings.SplitN(arg, "/", n)
	if len(parts) != n {
		return nil, usagef(fmt.Errorf("%q: want %s", arg, form))
	}
	for _, p := range parts {
		if p == "" {
			return nil, usagef(fmt.Errorf("%q: want %s", arg, form))
		}
	}
	return parts, nil
}

func argDate(s string) (uint32, error) {
	d, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, usagef(fmt.Errorf("date %q: want YYYYMMDD", s))
	}
	return uint32(d), nil
}

// systemKey reads "KIND[/OWNER]": kind as in SystemAccountKind, without
// its prefix and case-insensitive (commission/broker-1, stamp_duty,
// handling_fee/SSE).
func systemKey(arg string) (funds.SystemKey, error) {
	kind, owner, _ := strings.Cut(arg, "/")
	v, ok := custodyv1.SystemAccountKind_value["SYSTEM_ACCOUNT_KIND_"+strings.ToUpper(kind)]
	if !ok || v == 0 {
		return funds.SystemKey{}, usagef(fmt.Errorf("account kind %q: commission, stamp_duty, transfer_fee, handling_fee, regulator_levy or broker_settlement", kind))
	}
	return funds.SystemKey{Kind: custodyv1.SystemAccountKind(v), Owner: owner}, nil
}

func newTradingQueryCmds(e *env) []*cobra.Command {
	prov := func(use, short string, read provenRead, path func(string) string) *cobra.Command {
		return newProvableQuery(e, use, short, read, path)
	}
	return []*cobra.Command{
		newProvableQueryNoArg(e, "business-day", "the chain's business date", func(ctx context.Context, c *client.Client, v *client.Verifier) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenBusinessDay(ctx, v))
		}, "business-day"),
		newProvableQueryNoArg(e, "supply", "the money in custody: deposits, withdrawals and clearing flows", func(ctx context.Context, c *client.Client, v *client.Verifier) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenSupply(ctx, v))
		}, "supply"),
		prov("instrument SECURITY", "an instrument of the instrument master", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenInstrument(ctx, v, arg))
		}, func(a string) string { return "instrument/" + a }),
		prov("position SECURITY", "the clearing house's position in a security", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenPosition(ctx, v, arg))
		}, func(a string) string { return "position/" + a }),
		prov("order ACCOUNT_ID/SUFFIX", "an order", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenOrder(ctx, v, arg))
		}, func(a string) string { return "order/" + a }),
		prov("fill EXEC_ID", "a fill", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenFill(ctx, v, arg))
		}, func(a string) string { return "fill/" + a }),
		prov("holding ACCOUNT_ID/SECURITY", "a client's holding of a security", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			p, err := splitArg(arg, "ACCOUNT_ID/SECURITY", 2)
			if err != nil {
				return nil, nil, err
			}
			return unpack(c.ProvenHolding(ctx, v, p[0], p[1]))
		}, func(a string) string { return "holding/" + a }),
		prov("report DATE/BROKER_ID", "a broker's settlement report of a cleared date", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			p, err := splitArg(arg, "DATE/BROKER_ID", 2)
			if err != nil {
				return nil, nil, err
			}
			d, err := argDate(p[0])
			if err != nil {
				return nil, nil, err
			}
			return unpack(c.ProvenReport(ctx, v, d, p[1]))
		}, func(a string) string { return "report/" + a }),
		prov("snapshot DATE/BANK_ID/BROKER_ID", "the custody snapshot a date's clearing took of (bank, broker)", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			p, err := splitArg(arg, "DATE/BANK_ID/BROKER_ID", 3)
			if err != nil {
				return nil, nil, err
			}
			d, err := argDate(p[0])
			if err != nil {
				return nil, nil, err
			}
			return unpack(c.ProvenSnapshot(ctx, v, d, p[1], p[2]))
		}, func(a string) string { return "snapshot/" + a }),
		prov("reconciliation DATE/BANK_ID/BROKER_ID", "the result of a bank's statement: match or break, with both figures", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			p, err := splitArg(arg, "DATE/BANK_ID/BROKER_ID", 3)
			if err != nil {
				return nil, nil, err
			}
			d, err := argDate(p[0])
			if err != nil {
				return nil, nil, err
			}
			return unpack(c.ProvenReconciliation(ctx, v, d, p[1], p[2]))
		}, func(a string) string { return "reconciliation/" + a }),
		prov("fee-account KIND[/OWNER]", "a fee payee's account (commission/BROKER, stamp_duty, transfer_fee, handling_fee/SSE|SZSE, regulator_levy) or broker_settlement/BROKER", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			k, err := systemKey(arg)
			if err != nil {
				return nil, nil, err
			}
			return unpack(c.ProvenSystemAccount(ctx, v, k))
		}, func(a string) string { return "system-account/" + a }),
		newOrdersQuery(e),
		newFillsQuery(e),
		newProvableList(e, "holdings ACCOUNT_ID", "a client's holdings", "holdings", func(a string) string { return "holdings/" + a }, holdingKey),
		newProvableList(e, "reports DATE", "every broker's settlement report of a cleared date", "reports", func(a string) string { return "reports/" + a }, reportKey),
		newProvableList(e, "settlement-breaks", "the settlement breaks, by date and broker", "breaks", nil, breakKey),
		newProvableList(e, "reconciliations DATE", "every reconciliation result of a date", "results", func(a string) string { return "reconciliation/" + a }, reconKey),
		newProvableList(e, "reconciliation-breaks", "the reconciliation breaks: the regulator's list", "breaks", nil, reconKey),
		newProvableList(e, "fee-accounts", "every fee payee's and broker settlement account", "accounts", nil, systemAccountKey),
		newJSONQueryArg(e, "instruments", "the instrument master", func(string) string { return "instruments" }, 0),
		newJSONQueryArg(e, "day-fills DATE/BROKER_ID", "a broker's fills of a business date", func(a string) string { return "day-fills/" + a }, 1),
	}
}

// Keys of listed items, from their JSON (protojson with proto names).
type itemKey func(item map[string]any) ([]byte, proto.Message, error)

func str(item map[string]any, k string) string {
	s, _ := item[k].(string)
	return s
}

func num(item map[string]any, k string) uint32 {
	f, _ := item[k].(float64)
	return uint32(f)
}

func holdingKey(it map[string]any) ([]byte, proto.Message, error) {
	return trading.HoldingKey(str(it, "account_id"), str(it, "security")), &custodyv1.Holding{}, nil
}

func reportKey(it map[string]any) ([]byte, proto.Message, error) {
	return clearing.ReportKey(num(it, "date"), str(it, "broker_id")), &custodyv1.SettlementReport{}, nil
}

func breakKey(it map[string]any) ([]byte, proto.Message, error) {
	return clearing.BreakKey(num(it, "date"), str(it, "broker_id")), &custodyv1.SettlementBreak{}, nil
}

func reconKey(it map[string]any) ([]byte, proto.Message, error) {
	return reconcile.ResultKey(num(it, "date"), str(it, "bank_id"), str(it, "broker_id")), &custodyv1.ReconResult{}, nil
}

func systemAccountKey(it map[string]any) ([]byte, proto.Message, error) {
	kind := custodyv1.SystemAccountKind_value[str(it, "kind")]
	return funds.SystemAccountKey(funds.SystemKey{Kind: custodyv1.SystemAccountKind(kind), Owner: str(it, "owner")}), &custodyv1.SystemAccount{}, nil
}

// newProvableList lists records from the node; with --prove, every listed
// record is read again by its key with a proof at one height (the list is
// the node's: each record is proven, the list's completeness is not).
func newProvableList(e *env, use, short, name string, path func(string) string, key itemKey) *cobra.Command {
	var pf proveFlags
	nArgs := 0
	if path != nil {
		nArgs = 1
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short + " (with --prove: each listed record proven)",
		Args:  exactArgs(nArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := e.dial(ctx)
			if err != nil {
				return err
			}
			p := strings.Fields(use)[0]
			if path != nil {
				p = path(args[0])
			}
			raw, err := c.QueryJSON(ctx, p)
			if err != nil {
				return err
			}
			if !pf.prove {
				return e.printRaw(raw)
			}
			var page map[string][]map[string]any
			if err := json.Unmarshal(raw, &page); err != nil {
				return fmt.Errorf("the node's answer: %w", err)
			}
			v, err := e.verifier(ctx, c.ChainID(), &pf)
			if err != nil {
				return err
			}
			defer v.Close()
			var height int64
			items := []json.RawMessage{}
			for _, it := range page[name] {
				k, m, err := key(it)
				if err != nil {
					return err
				}
				pr, err := c.ProvenMessage(ctx, v, k, height, m)
				if err != nil {
					return err
				}
				height = pr.Height
				items = append(items, protoJSON(m))
			}
			out := struct {
				Height int64             `json:"height"`
				Proven bool              `json:"proven"`
				Items  []json.RawMessage `json:"items"`
			}{height, true, items}
			if e.output == "json" {
				return e.printJSON(out)
			}
			fmt.Fprintf(e.stdout, "%d records, each proven at height %d (the list is the node's)\n", len(items), height)
			return e.printJSON(items)
		},
	}
	pf.register(cmd)
	return cmd
}

func newOrdersQuery(e *env) *cobra.Command {
	var (
		pf     proveFlags
		status string
	)
	cmd := &cobra.Command{
		Use:   "orders ACCOUNT_ID",
		Short: "a client's orders, optionally by --status (with --prove: each order proven)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := e.dial(ctx)
			if err != nil {
				return err
			}
			if !pf.prove {
				p := "orders/" + args[0]
				if status != "" {
					p += "?status=" + status
				}
				raw, err := c.QueryJSON(ctx, p)
				if err != nil {
					return err
				}
				return e.printRaw(raw)
			}
			v, err := e.verifier(ctx, c.ChainID(), &pf)
			if err != nil {
				return err
			}
			defer v.Close()
			orders, err := c.ProvenOrders(ctx, v, args[0], status)
			if err != nil {
				return err
			}
			items := []json.RawMessage{}
			for _, o := range orders {
				items = append(items, protoJSON(o))
			}
			if e.output == "json" {
				return e.printJSON(struct {
					Proven bool              `json:"proven"`
					Orders []json.RawMessage `json:"orders"`
				}{true, items})
			}
			fmt.Fprintf(e.stdout, "%d orders, each proven (the list is the node's)\n", len(items))
			return e.printJSON(items)
		},
	}
	pf.register(cmd)
	cmd.Flags().StringVar(&status, "status", "", "comma-separated statuses: open, partially_filled, filled, cancelled, expired")
	return cmd
}

func newFillsQuery(e *env) *cobra.Command {
	var pf proveFlags
	cmd := &cobra.Command{
		Use:   "fills ACCOUNT_ID/SUFFIX",
		Short: "an order's fills (with --prove: every fill proven and the list proven complete by the order's counts)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := e.dial(ctx)
			if err != nil {
				return err
			}
			if !pf.prove {
				raw, err := c.QueryJSON(ctx, "fills/"+args[0])
				if err != nil {
					return err
				}
				return e.printRaw(raw)
			}
			v, err := e.verifier(ctx, c.ChainID(), &pf)
			if err != nil {
				return err
			}
			defer v.Close()
			fills, o, height, err := c.ProvenOrderFills(ctx, v, args[0])
			if err != nil {
				return err
			}
			items := []json.RawMessage{}
			for _, f := range fills {
				items = append(items, protoJSON(f))
			}
			out := struct {
				Height int64             `json:"height"`
				Proven bool              `json:"proven"`
				Order  json.RawMessage   `json:"order"`
				Fills  []json.RawMessage `json:"fills"`
			}{height, true, protoJSON(o), items}
			if e.output == "json" {
				return e.printJSON(out)
			}
			fmt.Fprintf(e.stdout, "proven at height %d: %d of %d fills, %d shares\n", height, len(fills), o.FillCount, o.FilledQuantity)
			return e.printJSON(items)
		},
	}
	pf.register(cmd)
	return cmd
}

// newProvableQueryNoArg is newProvableQuery for a record without argument.
func newProvableQueryNoArg(e *env, use, short string, read func(context.Context, *client.Client, *client.Verifier) (proto.Message, *client.Proven, error), path string) *cobra.Command {
	cmd := newProvableQuery(e, use+" ", short, func(ctx context.Context, c *client.Client, v *client.Verifier, _ string) (proto.Message, *client.Proven, error) {
		return read(ctx, c, v)
	}, func(string) string { return path })
	cmd.Use = use
	cmd.Args = noArgs
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return run(cmd, []string{""}) }
	return cmd
}

// newJSONQueryArg is the node's JSON answer for a path with n arguments.
func newJSONQueryArg(e *env, use, short string, path func(string) string, n int) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short + " (the node's answer; no proof)",
		Args:  exactArgs(n),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.dial(cmd.Context())
			if err != nil {
				return err
			}
			arg := ""
			if n > 0 {
				arg = args[0]
			}
			raw, err := c.QueryJSON(cmd.Context(), path(arg))
			if err != nil {
				return err
			}
			return e.printRaw(raw)
		},
	}
}

func newTradingTxCmds(e *env) []*cobra.Command {
	return []*cobra.Command{newPlaceOrderCmd(e), newCancelOrderCmd(e), newReportFillCmd(e), newEndOfDayCmd(e), newSubmitStatementCmd(e)}
}
