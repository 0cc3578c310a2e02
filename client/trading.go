package client

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Orders: the client signs a ticket, the broker submits it.

// PlaceOrderMsg is the broker's MsgPlaceOrder for a ticket, signed here
// with the client's key (the account's registered client key).
func PlaceOrderMsg(clientKey ed25519.PrivateKey, t *custodyv1.OrderTicket) (*custodyv1.MsgPlaceOrder, error) {
	if len(clientKey) != ed25519.PrivateKeySize {
		return nil, ErrBadKey
	}
	return &custodyv1.MsgPlaceOrder{Ticket: t, ClientSignature: trading.SignOrder(clientKey, t)}, nil
}

// CancelOrderMsg is the broker's MsgCancelOrder for an order, with the
// client's signature over the cancel ticket.
func CancelOrderMsg(clientKey ed25519.PrivateKey, chainID, orderID string) (*custodyv1.MsgCancelOrder, error) {
	if len(clientKey) != ed25519.PrivateKeySize {
		return nil, ErrBadKey
	}
	t := &custodyv1.CancelTicket{ChainId: chainID, OrderId: orderID}
	return &custodyv1.MsgCancelOrder{Ticket: t, ClientSignature: trading.SignCancel(clientKey, t)}, nil
}

// BusinessDay reads the chain's business date from the node (no proof:
// a wrong date only gets a ticket refused). ProvenBusinessDay checks it.
func (c *Client) BusinessDay(ctx context.Context) (*custodyv1.BusinessDay, error) {
	res, err := c.Query(ctx, QueryPathKey, trading.BusinessDayKey(), 0, false)
	if err != nil {
		return nil, err
	}
	var d custodyv1.BusinessDay
	if err := proto.Unmarshal(res.Value, &d); err != nil {
		return nil, fmt.Errorf("client: decode business day: %w", err)
	}
	return &d, nil
}

// provenRecord reads one record by key with its proof.
func provenRecord[M proto.Message](ctx context.Context, c *Client, v *Verifier, key []byte, height int64, out M) (M, *Proven, error) {
	p, err := c.ProvenMessage(ctx, v, key, height, out)
	if err != nil {
		var zero M
		return zero, p, err
	}
	return out, p, nil
}

// ProvenBusinessDay reads the business day with its proof.
func (c *Client) ProvenBusinessDay(ctx context.Context, v *Verifier) (*custodyv1.BusinessDay, *Proven, error) {
	return provenRecord(ctx, c, v, trading.BusinessDayKey(), 0, &custodyv1.BusinessDay{})
}

// ProvenInstrument reads an instrument with its proof.
func (c *Client) ProvenInstrument(ctx context.Context, v *Verifier, security string) (*custodyv1.Instrument, *Proven, error) {
	return provenRecord(ctx, c, v, trading.InstrumentKey(security), 0, &custodyv1.Instrument{})
}

// ProvenPosition reads the clearing house's position in a security. A
// proven absence (ErrNotFound) is a zero position.
func (c *Client) ProvenPosition(ctx context.Context, v *Verifier, security string) (*custodyv1.Position, *Proven, error) {
	return provenRecord(ctx, c, v, trading.PositionKey(security), 0, &custodyv1.Position{})
}

// ProvenOrder reads an order ("<account id>/<suffix>") with its proof.
func (c *Client) ProvenOrder(ctx context.Context, v *Verifier, orderID string) (*custodyv1.Order, *Proven, error) {
	return provenRecord(ctx, c, v, trading.OrderKey(orderID), 0, &custodyv1.Order{})
}

// ProvenFill reads a fill by exec id with its proof.
func (c *Client) ProvenFill(ctx context.Context, v *Verifier, execID string) (*custodyv1.Fill, *Proven, error) {
	return provenRecord(ctx, c, v, trading.FillKey(execID), 0, &custodyv1.Fill{})
}

// ProvenHolding reads a client's holding of a security. A proven absence
// (ErrNotFound) is no holding.
func (c *Client) ProvenHolding(ctx context.Context, v *Verifier, accountID, security string) (*custodyv1.Holding, *Proven, error) {
	return provenRecord(ctx, c, v, trading.HoldingKey(accountID, security), 0, &custodyv1.Holding{})
}

// ProvenReport reads a broker's settlement report of a date.
func (c *Client) ProvenReport(ctx context.Context, v *Verifier, date uint32, brokerID string) (*custodyv1.SettlementReport, *Proven, error) {
	return provenRecord(ctx, c, v, clearing.ReportKey(date, brokerID), 0, &custodyv1.SettlementReport{})
}

// ProvenSettlementBreak reads a broker's settlement break of a date; a
// proven absence (ErrNotFound) means the trade file matched.
func (c *Client) ProvenSettlementBreak(ctx context.Context, v *Verifier, date uint32, brokerID string) (*custodyv1.SettlementBreak, *Proven, error) {
	return provenRecord(ctx, c, v, clearing.BreakKey(date, brokerID), 0, &custodyv1.SettlementBreak{})
}

// ProvenSnapshot reads the custody snapshot of (bank, broker) taken at a
// date's clearing.
func (c *Client) ProvenSnapshot(ctx context.Context, v *Verifier, date uint32, bankID, brokerID string) (*custodyv1.CustodySnapshot, *Proven, error) {
	return provenRecord(ctx, c, v, clearing.SnapshotKey(date, bankID, brokerID), 0, &custodyv1.CustodySnapshot{})
}

// ProvenReconciliation reads the result of a bank's statement for a date
// and broker.
func (c *Client) ProvenReconciliation(ctx context.Context, v *Verifier, date uint32, bankID, brokerID string) (*custodyv1.ReconResult, *Proven, error) {
	return provenRecord(ctx, c, v, reconcile.ResultKey(date, bankID, brokerID), 0, &custodyv1.ReconResult{})
}

// ProvenSystemAccount reads a fee payee's or a broker's settlement account.
func (c *Client) ProvenSystemAccount(ctx context.Context, v *Verifier, k funds.SystemKey) (*custodyv1.SystemAccount, *Proven, error) {
	return provenRecord(ctx, c, v, funds.SystemAccountKey(k), 0, &custodyv1.SystemAccount{})
}

// ProvenSupply reads the supply (deposits, withdrawals, clearing flows).
func (c *Client) ProvenSupply(ctx context.Context, v *Verifier) (*custodyv1.Supply, *Proven, error) {
	return provenRecord(ctx, c, v, funds.SupplyKey(), 0, &custodyv1.Supply{})
}

// ProvenOrderFills reads an order and all its fills, every one proven at
// the order's height. The node names the exec ids; the proofs show each
// fill is of this order, and the order's own fill count and filled
// quantity show none is missing: the list is proven complete.
func (c *Client) ProvenOrderFills(ctx context.Context, v *Verifier, orderID string) ([]*custodyv1.Fill, *custodyv1.Order, int64, error) {
	o, p, err := c.ProvenOrder(ctx, v, orderID)
	if err != nil {
		return nil, nil, 0, err
	}
	ids, err := c.listIDs(ctx, "fills/"+orderID, "fills", "exec_id", p.Height)
	if err != nil {
		return nil, nil, 0, err
	}
	var out []*custodyv1.Fill
	var qty int64
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, nil, 0, fmt.Errorf("%w: the node lists fill %s twice", ErrProof, id)
		}
		seen[id] = true
		f, _, err := provenRecord(ctx, c, v, trading.FillKey(id), p.Height, &custodyv1.Fill{})
		if err != nil {
			return nil, nil, 0, fmt.Errorf("client: fill %s of %s: %w", id, orderID, err)
		}
		if f.OrderId != o.Id {
			return nil, nil, 0, fmt.Errorf("%w: fill %s is of order %s, not %s", ErrProof, id, f.OrderId, o.Id)
		}
		qty += f.Quantity
		out = append(out, f)
	}
	if uint32(len(out)) != o.FillCount || qty != o.FilledQuantity {
		return nil, nil, 0, fmt.Errorf("%w: order %s has %d fills of %d shares, the node listed %d of %d",
			ErrProof, o.Id, o.FillCount, o.FilledQuantity, len(out), qty)
	}
	return out, o, p.Height, nil
}

// listIDs asks the node for a JSON list at height (0: the latest) and
// returns one string field of each item (unproven: the caller proves each
// record).
func (c *Client) listIDs(ctx context.Context, path, list, field string, height int64) ([]string, error) {
	res, err := c.Query(ctx, "/custody/"+path, nil, height, false)
	if err != nil {
		return nil, err
	}
	raw := res.Value
	var page map[string][]map[string]any
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, fmt.Errorf("client: %s: %w", path, err)
	}
	var out []string
	for _, item := range page[list] {
		s, ok := item[field].(string)
		if !ok {
			return nil, fmt.Errorf("client: %s: an item without %s", path, field)
		}
		out = append(out, s)
	}
	return out, nil
}

// ProvenOrders reads an account's orders the node lists (filtered by
// status, e.g. "open,partially_filled"; "" for all), each proven. The node
// chooses which orders it lists: each one is proven, the list is not
// proven complete (IAVL proves keys, not ranges).
func (c *Client) ProvenOrders(ctx context.Context, v *Verifier, accountID, statuses string) ([]*custodyv1.Order, error) {
	path := "orders/" + accountID
	if statuses != "" {
		path += "?status=" + statuses
	}
	ids, err := c.listIDs(ctx, path, "orders", "id", 0)
	if err != nil {
		return nil, err
	}
	var out []*custodyv1.Order
	for _, id := range ids {
		if !strings.HasPrefix(id, accountID+"/") {
			return nil, fmt.Errorf("%w: the node lists order %s for account %s", ErrProof, id, accountID)
		}
		o, _, err := c.ProvenOrder(ctx, v, id)
		if err != nil {
			return nil, fmt.Errorf("client: order %s: %w", id, err)
		}
		out = append(out, o)
	}
	return out, nil
}
