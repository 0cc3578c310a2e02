package chain

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// BaseData is what onboarding (上场) loaded from the chain: the active
// client accounts, each read with a proof when the Chain has a verifier,
// and the associated-account groups built from them.
type BaseData struct {
	// Accounts are the active accounts, by id.
	Accounts []*custodyv1.Account
	// Proven says every account was checked against a verified header.
	Proven bool
	// Height is the newest state version an account was read at.
	Height int64
	// Groups are the associated-account lists (risk.NewGroups input): per
	// client identity hash, every fund account with that hash (at any
	// broker) and all their shareholder accounts. A client's own accounts
	// thus always meet in one group; the same person at two brokers too,
	// since every institution keys the hash with the network's one identity
	// secret (client.IdentityHash; the risk core never needs the secret).
	Groups [][]string
}

// Shareholders maps each account id to its shareholder accounts.
func (b *BaseData) Shareholders() map[string][]string {
	out := make(map[string][]string, len(b.Accounts))
	for _, a := range b.Accounts {
		out[a.Id] = a.ShareholderAccounts
	}
	return out
}

// Onboard loads the base data. The list of accounts comes from the node's
// tx index (every account_activated event); each account itself is read
// from state with an IAVL proof (when a verifier is set), so a lying node
// can hide an account but cannot alter one. Closed accounts are left out.
func (ch *Chain) Onboard(ctx context.Context) (*BaseData, error) {
	ids, err := ch.activatedAccounts(ctx)
	if err != nil {
		return nil, err
	}
	b := &BaseData{Proven: ch.v != nil}
	for _, id := range ids {
		a, h, err := ch.account(ctx, id)
		if err != nil {
			return nil, err
		}
		b.Height = max(b.Height, h)
		if a.Status == custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
			b.Accounts = append(b.Accounts, a)
		}
	}
	b.Groups = groupsOf(b.Accounts)
	return b, nil
}

// account reads one account, proven when a verifier is set.
func (ch *Chain) account(ctx context.Context, id string) (*custodyv1.Account, int64, error) {
	if ch.v != nil {
		ch.vmu.Lock()
		a, p, err := ch.c.ProvenAccount(ctx, ch.v, id)
		ch.vmu.Unlock()
		if err != nil {
			return nil, 0, fmt.Errorf("chain: account %s: %w", id, err)
		}
		return a, p.Height, nil
	}
	res, err := ch.c.Query(ctx, client.QueryPathKey, accounts.AccountKey(id), 0, false)
	if err != nil {
		return nil, 0, fmt.Errorf("chain: account %s: %w", id, err)
	}
	var a custodyv1.Account
	if err := proto.Unmarshal(res.Value, &a); err != nil || len(res.Value) == 0 {
		return nil, 0, fmt.Errorf("chain: account %s: no record (%v)", id, err)
	}
	return &a, res.Height, nil
}

// activatedAccounts lists the ids of every account_activated event, sorted.
func (ch *Chain) activatedAccounts(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	perPage := 100
	for page := 1; ; page++ {
		res, err := ch.c.RPC().TxSearch(ctx, "account_activated.account_id EXISTS", false, &page, &perPage, "asc")
		if err != nil {
			return nil, fmt.Errorf("chain: search activated accounts (the node needs tx_index kv): %w", err)
		}
		for _, tx := range res.Txs {
			if tx.TxResult.Code != 0 {
				continue
			}
			for _, ev := range tx.TxResult.Events {
				if ev.Type != "account_activated" {
					continue
				}
				for _, at := range ev.Attributes {
					if at.Key == "account_id" {
						seen[at.Value] = true
					}
				}
			}
		}
		if page*perPage >= res.TotalCount || len(res.Txs) == 0 {
			break
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// groupsOf builds one list per identity hash: the fund accounts with that
// hash and their shareholder accounts, sorted; lists in order of their
// smallest member. A client alone with no shareholder account forms no list.
func groupsOf(as []*custodyv1.Account) [][]string {
	byIdentity := map[string][]string{}
	var keys []string
	for _, a := range as {
		k := string(a.IdentityHash)
		if len(a.IdentityHash) == 0 || bytes.Equal(a.IdentityHash, make([]byte, len(a.IdentityHash))) {
			k = "account:" + a.Id // no usable hash: the account's own group
		}
		if _, ok := byIdentity[k]; !ok {
			keys = append(keys, k)
		}
		byIdentity[k] = append(append(byIdentity[k], a.Id), a.ShareholderAccounts...)
	}
	var out [][]string
	for _, k := range keys {
		l := slices.Compact(slices.Sorted(slices.Values(byIdentity[k])))
		if len(l) >= 2 {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(x, y []string) int { return strings.Compare(x[0], y[0]) })
	return out
}
