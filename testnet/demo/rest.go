package demo

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/testnet"
)

// restStatus says whether the nodes serve the REST API (node/api) at their
// app.toml [api] address.
type restStatus struct {
	served bool
	note   string
}

// restURL is the REST base URL of node n.
func restURL(n *testnet.Node) string { return "http://127.0.0.1:" + strconv.Itoa(n.APIPort) }

// probeREST asks every node's REST address for /v1/status.
func (d *Demo) probeREST(ctx context.Context) restStatus {
	hc := &http.Client{Timeout: 2 * time.Second}
	for _, n := range d.tn.Nodes {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, restURL(n)+"/v1/status", nil)
		if err != nil {
			return restStatus{note: err.Error()}
		}
		res, err := hc.Do(req)
		if err != nil {
			return restStatus{note: fmt.Sprintf("%s serves no REST API at %s", n.Name, restURL(n))}
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return restStatus{note: fmt.Sprintf("%s: GET /v1/status: %s", n.Name, res.Status)}
		}
	}
	return restStatus{served: true}
}

// restGet reads path from node's REST API with a bearer token signed by
// key, and decodes the JSON answer into out.
func (d *Demo) restGet(ctx context.Context, node string, key ed25519.PrivateKey, path string, out any) error {
	tok, err := client.NewToken(key, d.tn.ChainID, time.Now(), 0)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, restURL(d.tn.Node(node))+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: REST %s: %s: %s", path, res.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, out)
}
