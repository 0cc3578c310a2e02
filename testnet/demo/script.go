package demo

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/testnet/exchsim"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The institutions of the default network the script acts as.
const (
	Bank          = "bank-1"
	Broker        = "broker-1"
	Regulator     = "regulator-1"
	ClearingHouse = "clearing-house-1"
	// RiskOperator is the participant the risk core anchors as; the demo
	// adds it to the genesis (testnet.AddRiskOperator).
	RiskOperator = "risk-1"
)

// Identity and card numbers are hashed with the network's identity secret
// (testnet.IdentitySecretFile in every institution's home, never on
// chain): a person has one account per broker (the chain refuses a second
// account of the same identity hash), and the risk core groups all of a
// person's shareholder accounts by that hash when it onboards them.

// impostor is the opening the bank refuses: the broker generated a key
// "for" the client and signed the request with it, but the client gave
// the bank another key at its counter, so the bank names that one and the
// account never opens.
var impostor = Client{ID: "ACC-10", Who: "an opening with a key the broker generated: the bank names the client's own key, the chain refuses, the bank rejects",
	Identity: "110101198001010100", Card: "6222000000000100", SSE: "A000000010", SZSE: "0000000010"}

// instrument is one security of the day, listed when the day opens.
type instrument struct {
	security string // chain code, "600000.SH"
	name     string
	board    custodyv1.Board
	cycle    custodyv1.SettlementCycle
	ref      int64 // reference price (previous close), CNY × 10 000
}

// code is the exchange's six-digit code, the form on the wire.
func (i instrument) code() string { c, _, _ := strings.Cut(i.security, "."); return c }

// market is the exchange the security trades on.
func (i instrument) market() string {
	if strings.HasSuffix(i.security, ".SH") {
		return exchsim.SSE
	}
	return exchsim.SZSE
}

func (i instrument) listing() *custodyv1.Instrument {
	return &custodyv1.Instrument{Security: i.security, Name: i.name, Board: i.board, ReferencePrice: i.ref, Cycle: i.cycle}
}

// instruments are listed by the clearing house when it opens the day.
var instruments = []instrument{
	{"600000.SH", "Pudong Development Bank", custodyv1.Board_BOARD_MAIN, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, 100_000},
	{"000001.SZ", "Ping An Bank", custodyv1.Board_BOARD_MAIN, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, 120_000},
	{"300750.SZ", "CATL (ChiNext)", custodyv1.Board_BOARD_CHINEXT, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, 2_000_000},
	{"688981.SH", "SMIC (STAR)", custodyv1.Board_BOARD_STAR, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, 500_000},
	{"510300.SH", "CSI 300 ETF (T+0)", custodyv1.Board_BOARD_FUND, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T0, 40_000},
}

func instrumentOf(security string) instrument {
	for _, i := range instruments {
		if i.security == security {
			return i
		}
	}
	panic("demo: no instrument " + security) // the script names only listed securities
}

// Client is one investor of the script: a fund account (资金账号) at
// broker-1, custodied at bank-1, with a shareholder account at each
// exchange.
type Client struct {
	ID  string // fund account id on chain
	Who string // what the client does in the script
	// Identity and Card are the identity and bank card numbers; only their
	// keyed hashes (client.IdentityHash, client.CardHash) leave the client.
	Identity, Card string
	SSE, SZSE      string // shareholder accounts (SSE: a letter first)
	Deposit        int64  // bank-to-broker transfer when the account opens, fen
}

// Clients are the day's investors, in the order the broker opens them.
var Clients = []Client{
	{"ACC-01", "buys 600000.SH, cancels a bid, is refused selling today's T+1 purchase, withdraws 5 000.00", "110101198001010011", "6222000000000011", "A000000001", "0000000001", 5_000_000},
	{"ACC-02", "buys 000001.SZ, half filled, cancels the rest", "110101198001010022", "6222000000000022", "A000000002", "0000000002", 5_000_000},
	{"ACC-03", "buys 300750.SZ on ChiNext", "110101198001010033", "6222000000000033", "A000000003", "0000000003", 10_000_000},
	{"ACC-04", "buys 688981.SH on STAR", "110101198001010044", "6222000000000044", "A000000004", "0000000004", 3_000_000},
	{"ACC-05", "buys and sells the ETF the same day (T+0); withdrawing the proceeds is refused until clearing", "110101198001010055", "6222000000000055", "A000000005", "0000000005", 6_000_000},
	{"ACC-06", "spoofs: three bids of 300 000 shares, each cancelled seconds later", "110101198001010066", "6222000000000066", "A000000006", "0000000006", 1_200_000_000},
	{"ACC-07", "wash trades the ETF with ACC-08, the spouse's account", "110101198001010077", "6222000000000077", "A000000007", "0000000007", 20_000_000},
	{"ACC-08", "the other side of ACC-07's wash trades", "110101198201020088", "6222000000000088", "A000000008", "0000000008", 20_000_000},
	{"ACC-09", "an algorithm: 400 bids in one burst, none filled, expired at clearing", "110101198001010099", "6222000000000099", "A000000009", "0000000009", 50_000_000},
}

// Key is the client's signing key: derived from the account id so that a
// run is reproducible and the CLI's keyring holds the same key.
func (c Client) Key() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("custody demo client " + c.ID))
	return ed25519.NewKeyFromSeed(seed[:])
}

// opening is the client's signed opening request at broker-1 / bank-1,
// signed by key (the client's own, except in the impostor's case).
func (c Client) opening(chainID string, secret []byte, key ed25519.PrivateKey) (*custodyv1.MsgOpenAccount, error) {
	idHash, err := client.IdentityHash(secret, c.Identity)
	if err != nil {
		return nil, err
	}
	cardHash, err := client.CardHash(secret, c.Card)
	if err != nil {
		return nil, err
	}
	return client.OpenAccountMsg(key, &custodyv1.OpeningRequest{
		ChainId: chainID, AccountId: c.ID, BrokerId: Broker, BankId: Bank,
		IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: []string{c.SSE, c.SZSE},
	})
}

// family is an associated-account group the broker knows of (a married
// couple, ACC-07 and ACC-08): the risk core's configuration lists it, and
// onboarding joins it with each client's own accounts.
var family = []string{"ACC-07", "ACC-08"}

// shareholder is the client's shareholder account on market m.
func (c Client) shareholder(m string) string {
	if m == exchsim.SSE {
		return c.SSE
	}
	return c.SZSE
}

func clientByID(id string) Client {
	for _, c := range Clients {
		if c.ID == id {
			return c
		}
	}
	panic("demo: no client " + id) // the script names only its own clients
}
