package client

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// ErrNotFound is returned by the Proven* reads when the proof shows the
// record does not exist (a proven absence, not a node's say-so).
var ErrNotFound = errors.New("client: proven absent")

// ProvenMessage reads key with ProvenQueryAt and decodes the value into out.
// A proven absence is ErrNotFound (with the Proven still returned).
func (c *Client) ProvenMessage(ctx context.Context, v *Verifier, key []byte, height int64, out proto.Message) (*Proven, error) {
	p, err := c.ProvenQueryAt(ctx, v, key, height)
	if err != nil {
		return nil, err
	}
	if p.Value == nil {
		return p, fmt.Errorf("%w: key %X at height %d", ErrNotFound, key, p.Height)
	}
	if err := proto.Unmarshal(p.Value, out); err != nil {
		return nil, fmt.Errorf("client: decode %T at %X: %w", out, key, err)
	}
	return p, nil
}

// ProvenAccount reads a client account with its proof.
func (c *Client) ProvenAccount(ctx context.Context, v *Verifier, id string) (*custodyv1.Account, *Proven, error) {
	var a custodyv1.Account
	p, err := c.ProvenMessage(ctx, v, accounts.AccountKey(id), 0, &a)
	if err != nil {
		return nil, p, err
	}
	return &a, p, nil
}

// ProvenFunds reads an account's funds with their proof.
func (c *Client) ProvenFunds(ctx context.Context, v *Verifier, accountID string) (*custodyv1.Funds, *Proven, error) {
	var f custodyv1.Funds
	p, err := c.ProvenMessage(ctx, v, funds.FundsKey(accountID), 0, &f)
	if err != nil {
		return nil, p, err
	}
	return &f, p, nil
}

// ProvenTransfer reads a transfer, keyed by its bank and transfer id.
func (c *Client) ProvenTransfer(ctx context.Context, v *Verifier, bankID, transferID string) (*custodyv1.Transfer, *Proven, error) {
	var t custodyv1.Transfer
	p, err := c.ProvenMessage(ctx, v, transfers.TransferKey(bankID, transferID), 0, &t)
	if err != nil {
		return nil, p, err
	}
	return &t, p, nil
}

// ProvenSigner reads a signing key's record (role, owner, next sequence).
func (c *Client) ProvenSigner(ctx context.Context, v *Verifier, address string) (*custodyv1.KeyRecord, *Proven, error) {
	key, err := signerKey(address)
	if err != nil {
		return nil, nil, err
	}
	var rec custodyv1.KeyRecord
	p, err := c.ProvenMessage(ctx, v, key, 0, &rec)
	if err != nil {
		return nil, p, err
	}
	return &rec, p, nil
}

// ProvenLedger reads an account's fund-ledger entries from seq from on, at
// most limit of them (limit <= 0: all), every one proven at the height of
// the account's Funds. The Funds' next_seq bounds the ledger (entries are
// numbered 0, 1, 2, ... without gaps), so the list is proven complete, not
// just correct. It returns the entries, the Funds, and the height.
func (c *Client) ProvenLedger(ctx context.Context, v *Verifier, accountID string, from uint64, limit int) ([]*custodyv1.LedgerEntry, *custodyv1.Funds, int64, error) {
	f, p, err := c.ProvenFunds(ctx, v, accountID)
	if err != nil {
		return nil, nil, 0, err
	}
	end := f.NextSeq
	if limit > 0 && from+uint64(limit) < end {
		end = from + uint64(limit)
	}
	var out []*custodyv1.LedgerEntry
	for seq := from; seq < end; seq++ {
		var e custodyv1.LedgerEntry
		if _, err := c.ProvenMessage(ctx, v, funds.EntryKey(accountID, seq), p.Height, &e); err != nil {
			return nil, nil, 0, fmt.Errorf("client: ledger entry %d of %s: %w", seq, accountID, err)
		}
		if e.Seq != seq {
			return nil, nil, 0, fmt.Errorf("%w: entry under seq %d says seq %d", ErrProof, seq, e.Seq)
		}
		out = append(out, &e)
	}
	return out, f, p.Height, nil
}

// signerKey is the state key of a signer's KeyRecord: PrefixKey | the 20
// address bytes (contracts/auth's layout; auth does not export its key
// function yet).
func signerKey(address string) ([]byte, error) {
	addr, err := auth.ParseAddress(address)
	if err != nil {
		return nil, err
	}
	return append([]byte{contracts.PrefixKey}, addr...), nil
}
