package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/client"
)

// newTokenCmd prints a bearer token for the REST API, made the way every
// SDK user makes one (client.NewToken).
func newTokenCmd(e *env) *cobra.Command {
	var (
		from string
		ttl  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "token",
		Short: "print a short-lived bearer token for the REST API, signed by a keyring key",
		Long: `Token prints an EdDSA JWT for the node's REST API: signed by the key --from,
naming its address as subject and the chain id (--chain-id, else the node's) as
audience, valid for --ttl (at most 5m). The API checks it against the key the
chain registered for that address; no password is involved. Use it as

  curl -H "Authorization: Bearer $(custodycli token --from KEY)" http://127.0.0.1:1317/v1/status`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usagef(errors.New("--from is required"))
			}
			if ttl <= 0 || ttl > client.TokenMaxLifetime {
				return usagef(fmt.Errorf("--ttl must be in (0, %s], got %s", client.TokenMaxLifetime, ttl))
			}
			kr, err := e.openKeyring()
			if err != nil {
				return err
			}
			pass, err := e.passphrase("passphrase of "+from, false)
			if err != nil {
				return err
			}
			key, err := kr.Key(from, pass)
			if err != nil {
				return err
			}
			chainID := e.chainID
			if chainID == "" {
				c, err := e.dial(cmd.Context())
				if err != nil {
					return err
				}
				chainID = c.ChainID()
			}
			now := time.Now()
			tok, err := client.NewToken(key, chainID, now, ttl)
			if err != nil {
				return err
			}
			if e.output == "json" {
				p, err := client.ParseToken(tok)
				if err != nil {
					return err
				}
				return e.printJSON(struct {
					Token     string    `json:"token"`
					Subject   string    `json:"subject"`
					Audience  string    `json:"audience"`
					ExpiresAt time.Time `json:"expires_at"`
				}{tok, p.Claims.Subject, p.Claims.Audience, p.Claims.ExpiresAt.UTC()})
			}
			_, err = fmt.Fprintln(e.stdout, tok)
			return err
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "name of the signing key in the keyring (required)")
	cmd.Flags().DurationVar(&ttl, "ttl", client.TokenMaxLifetime, "how long the token is valid (at most 5m)")
	return cmd
}
