package demo

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/clearing"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
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

// probeREST asks every node's REST address for its public OpenAPI
// document.
func (d *Demo) probeREST(ctx context.Context) restStatus {
	hc := &http.Client{Timeout: 2 * time.Second}
	for _, n := range d.tn.Nodes {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, restURL(n)+"/openapi.json", nil)
		if err != nil {
			return restStatus{note: err.Error()}
		}
		res, err := hc.Do(req)
		if err != nil {
			return restStatus{note: fmt.Sprintf("%s serves no REST API at %s", n.Name, restURL(n))}
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return restStatus{note: fmt.Sprintf("%s: GET /openapi.json: %s", n.Name, res.Status)}
		}
	}
	return restStatus{served: true}
}

// restGet reads path from node's REST API with a bearer token signed by
// key, and decodes the JSON answer into out. A status other than 200 is a
// *restError.
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
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return &restError{path: path, status: res.StatusCode, body: strings.TrimSpace(string(body))}
	}
	return json.Unmarshal(body, out)
}

type restError struct {
	path   string
	status int
	body   string
}

func (e *restError) Error() string {
	return fmt.Sprintf("demo: REST %s: %d %s: %s", e.path, e.status, http.StatusText(e.status), e.body)
}

// restRecord is a one-record REST answer (node/api.Record).
type restRecord struct {
	Height int64             `json:"height"`
	Value  json.RawMessage   `json:"value"`
	Proof  *client.RESTProof `json:"proof"`
}

// restChecks reads over the REST API what the summary reads over RPC, as
// each party would: the broker its settlement report with ?prove=true,
// checked against the demo's light client and compared with the report
// proven over RPC; a client its own funds with its own token; and a client
// is refused another client's funds. It returns one line per check.
func (d *Demo) restChecks(ctx context.Context) ([]string, error) {
	var done []string
	brokerNode := d.nodeOf(Broker)
	var rec restRecord
	path := fmt.Sprintf("/v1/settlement/%d/reports/%s?prove=true", d.date, Broker)
	if err := d.restGet(ctx, brokerNode, d.keys[Broker], path, &rec); err != nil {
		return done, err
	}
	var viaREST custodyv1.SettlementReport
	if _, err := client.VerifyRESTMessage(ctx, d.v, clearing.ReportKey(d.date, Broker), rec.Proof, &viaREST); err != nil {
		return done, fmt.Errorf("REST report proof: %w", err)
	}
	viaRPC, _, err := d.as(Regulator).ProvenReport(ctx, d.v, d.date, Broker)
	if err != nil {
		return done, err
	}
	if !proto.Equal(&viaREST, viaRPC) {
		return done, fmt.Errorf("the report over REST differs from the one over RPC")
	}
	done = append(done, "GET "+path+" as "+Broker+": proof verified, the same report as over RPC")

	c5 := clientByID("ACC-05")
	path = "/v1/accounts/" + c5.ID + "/funds"
	if err := d.restGet(ctx, brokerNode, c5.Key(), path, &rec); err != nil {
		return done, err
	}
	var f custodyv1.Funds
	if err := protojson.Unmarshal(rec.Value, &f); err != nil {
		return done, fmt.Errorf("REST %s: %w", path, err)
	}
	done = append(done, fmt.Sprintf("GET %s as %s (its own key): balance %s", path, c5.ID, yuan(f.Balance)))

	path = "/v1/accounts/ACC-01/funds"
	var re *restError
	if err := d.restGet(ctx, brokerNode, c5.Key(), path, &rec); !errors.As(err, &re) || re.status != http.StatusNotFound {
		return done, fmt.Errorf("REST %s as %s: want 404 (not found or not yours), got %v", path, c5.ID, err)
	}
	done = append(done, fmt.Sprintf("GET %s as %s: 404, another client's account reads as no account", path, c5.ID))
	return done, nil
}
