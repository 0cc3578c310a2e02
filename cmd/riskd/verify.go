package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/store"
)

// newVerifyAlertCmd builds `riskd verify-alert ID`: the alert's inclusion
// proof from the store (or from the running daemon's admin API when the
// daemon holds the store), checked against the batch root read from the
// chain with an IAVL proof and a light-client-verified header.
func newVerifyAlertCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfgPath, adminURL, token string
	cmd := &cobra.Command{
		Use:   "verify-alert ID --config FILE",
		Short: "print an alert's inclusion proof and check it against the root anchored on chain",
		Long: "verify-alert reads the alert and its Merkle inclusion proof from the risk store (engine.data_dir), or\n" +
			"from the running daemon's admin API when the daemon holds the store, reads the operator's anchored\n" +
			"batch from the chain with an IAVL proof checked against a light-client-verified header\n" +
			"([chain] node, witnesses, trust_height/trust_hash), and checks the alert up to that root.\n" +
			"It prints the proof, the chain's record and the header it was proven against, and fails if any\n" +
			"step does not hold. It only reads: it never creates a store. Through the admin API it needs a\n" +
			"bearer token of the core's risk operator or the regulator (--token, or RISKD_TOKEN; make one with\n" +
			"`custodycli token --from KEY`).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			if cfg.Chain.Node == "" {
				return usagef("verify-alert: %s has no [chain] node: the alert is checked against the chain", cfgPath)
			}
			if token == "" {
				token = os.Getenv("RISKD_TOKEN")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			ap, err := alertProof(ctx, cfg, adminURL, token, args[0])
			if err != nil {
				return err
			}
			conn, err := chain.Connect(ctx, cfg.Chain, chain.ConnectOptions{ReadOnly: true,
				Logf: func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }})
			if err != nil {
				return err
			}
			defer conn.Close()
			v, verr := conn.VerifyAlert(ctx, ap.Alert, ap.Proof)
			if v == nil {
				v = &chain.Verification{Alert: ap.Alert, Proof: ap.Proof}
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				return err
			}
			if verr != nil {
				return fmt.Errorf("verify-alert: NOT verified: %w", verr)
			}
			fmt.Fprintf(stderr, "verified: alert %s is leaf %d of %d of batch %d (root %s) anchored by %s at height %d; proven at state %d against header %s\n",
				ap.Alert.ID, ap.Proof.Index, ap.Proof.Count, ap.Proof.Batch, ap.Proof.Root, conn.Operator(), v.Chain.Height, v.ProvenHeight, v.HeaderHash)
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "risk TOML config ([engine] data_dir, [chain] node and witnesses)")
	cmd.Flags().StringVar(&adminURL, "admin", "", "admin API of a running riskd (default: http(s)://[admin] listen) when its store is locked or elsewhere")
	cmd.Flags().StringVar(&token, "token", "", "bearer token for the admin API (default $RISKD_TOKEN)")
	cmd.MarkFlagRequired("config")
	return cmd
}

// alertProof reads the alert and its proof from the store, or from the
// admin API when the store is held by a running daemon or is not on this
// machine. It never creates a store: a data_dir that holds none is left
// alone.
func alertProof(ctx context.Context, cfg config.Config, adminURL, token, id string) (admin.AlertProof, error) {
	var err error
	if !hasStore(cfg.Engine.DataDir) {
		err = fmt.Errorf("verify-alert: no risk store in %s (engine.data_dir)", cfg.Engine.DataDir)
	} else {
		var st *store.Store
		if st, err = store.Open(cfg.Engine.DataDir, store.Options{}); err == nil {
			defer st.Close()
			a, err := st.GetAlert(id)
			if err != nil {
				return admin.AlertProof{}, err
			}
			p, err := anchor.Prove(st, id)
			return admin.AlertProof{Alert: a, Proof: p}, err
		}
	}
	hc := http.DefaultClient
	if adminURL == "" {
		adminURL = "http://" + cfg.Admin.Listen
		if cfg.Admin.TLSCert != "" {
			adminURL = "https://" + cfg.Admin.Listen
		}
	}
	if cfg.Admin.TLSCert != "" {
		// The config names the daemon's certificate: trust it.
		var cerr error
		if hc, cerr = trustingClient(cfg.Admin.TLSCert); cerr != nil {
			return admin.AlertProof{}, errors.Join(err, cerr)
		}
	}
	ap, aerr := fetchProof(ctx, hc, adminURL, token, id)
	if aerr != nil {
		return admin.AlertProof{}, errors.Join(err, aerr)
	}
	return ap, nil
}

// hasStore reports whether dir holds a badger store (its MANIFEST).
func hasStore(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "MANIFEST"))
	return err == nil
}

// trustingClient trusts the PEM certificate at path (and the system roots).
func trustingClient(path string) (*http.Client, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("verify-alert: admin.tls_cert: %w", err)
	}
	pool, _ := x509.SystemCertPool()
	if pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("verify-alert: admin.tls_cert %s: no certificate", path)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

func fetchProof(ctx context.Context, hc *http.Client, base, token, id string) (admin.AlertProof, error) {
	u := strings.TrimRight(base, "/") + "/v1/alerts/" + url.PathEscape(id) + "/proof"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return admin.AlertProof{}, err
	}
	if token == "" {
		return admin.AlertProof{}, errors.New("verify-alert: the admin API needs a bearer token: --token or RISKD_TOKEN (custodycli token --from KEY)")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		return admin.AlertProof{}, fmt.Errorf("verify-alert: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if res.StatusCode != http.StatusOK {
		return admin.AlertProof{}, fmt.Errorf("verify-alert: %s: %s: %s", u, res.Status, strings.TrimSpace(string(body)))
	}
	var ap admin.AlertProof
	if err := json.Unmarshal(body, &ap); err != nil {
		return admin.AlertProof{}, fmt.Errorf("verify-alert: %s: %w", u, err)
	}
	return ap, nil
}
