package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/node/api"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// testNodeAPI talks to the API each node starts itself ([api] address):
// the SDK over CometBFT's local client, logging into the node's log.
func (e *env) testNodeAPI(t *testing.T) {
	n := e.tn.Nodes[0]
	base := e.base
	e.base = fmt.Sprintf("http://127.0.0.1:%d", n.APIPort)
	defer func() { e.base = base }()
	tok := e.token("client-1")
	var a custodyv1.Account
	e.doToken("GET", "/v1/accounts/ACC-1", tok, nil, nil).record(t, &a)
	if a.Id != "ACC-1" {
		t.Fatalf("account %v", &a)
	}
	e.do("GET", "/v1/accounts/ACC-2", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")

	// The same bytes twice while the first is still in the mempool: the
	// second meets the mempool cache and is answered with the hash; the
	// withdrawal acts once.
	tx := e.signTx("client-2", &custodyv1.MsgRequestWithdrawal{TransferId: "ACC-2/W1", AccountId: "ACC-2", Amount: 100})
	first := e.do("POST", "/v1/txs?wait=sync", "client-2", txBody(tx), nil)
	second := e.do("POST", "/v1/txs?wait=sync", "client-2", txBody(tx), nil)
	var r1, r2 api.TxResult
	if first.status != http.StatusAccepted || json.Unmarshal(first.body, &r1) != nil ||
		(second.status != http.StatusAccepted && second.status != http.StatusOK) || json.Unmarshal(second.body, &r2) != nil || r1.Hash != r2.Hash {
		t.Fatalf("first %d %s, second %d %s", first.status, first.body, second.status, second.body)
	}
	var res api.TxResult
	e.do("POST", "/v1/txs", "client-2", txBody(tx), nil).ok(t, &res)
	if res.Height == 0 || res.Hash != r1.Hash {
		t.Fatalf("committed result %+v", res)
	}
	var f custodyv1.Funds
	e.do("GET", "/v1/accounts/ACC-2/funds", "client-2", nil, nil).record(t, &f)
	if f.Frozen != 100 || f.OpenWithdrawals != 1 {
		t.Fatalf("funds %v: the withdrawal acted more than once", &f)
	}

	logs, err := os.ReadFile(filepath.Join(e.tn.Home(n), "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(logs), tok) || strings.Contains(string(logs), strings.Split(tok, ".")[2]) {
		t.Fatal("the node's log holds a token")
	}
	if !strings.Contains(string(logs), "module=api") || !strings.Contains(string(logs), "caller="+e.addr("client-1")) {
		t.Fatalf("no access log line for client-1 in node.log:\n%s", tail(string(logs), 2000))
	}
}
