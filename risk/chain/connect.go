package chain

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	dbm "github.com/cometbft/cometbft-db"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/client/keys"
	"github.com/custody-ledger/custody/risk/config"
)

// ErrNoChain is returned by Connect when the configuration names no node.
var ErrNoChain = errors.New("chain: no [chain] node configured")

// Conn is a connection to the chain built from the configuration: the SDK
// client, the light client, the operator's Chain and the keys.
type Conn struct {
	*Chain
	// FreezeKey signs freeze requests (the operator key unless
	// chain.freeze_key names another); nil without keys.
	FreezeKey ed25519.PrivateKey
	// TrustNote says how the light client's root of trust was chosen.
	TrustNote string
}

// ConnectOptions tune Connect.
type ConnectOptions struct {
	// LightDir keeps the light client's verified headers ("" : memory).
	LightDir string
	// ReadOnly loads no private key (verify-alert): the operator is then
	// chain.operator, or the owner of chain.key read from the chain by the
	// key's public address.
	ReadOnly bool
	// Logf reports what Connect decided (trust on first use); nil is silent.
	Logf func(format string, args ...any)
}

// Connect dials cfg.Node, starts the light client over cfg.Witnesses, loads
// the operator's key from the keyring and returns the Conn. Close it.
func Connect(ctx context.Context, cfg config.Chain, o ConnectOptions) (*Conn, error) {
	if cfg.Node == "" {
		return nil, ErrNoChain
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	c, err := client.Dial(ctx, cfg.Node, cfg.ChainID, client.Options{})
	if err != nil {
		return nil, err
	}
	conn := &Conn{}
	var v *client.Verifier
	if len(cfg.Witnesses) > 0 {
		if v, conn.TrustNote, err = verifier(ctx, c.ChainID(), cfg, o.LightDir); err != nil {
			return nil, err
		}
		logf("chain: light client: %s", conn.TrustNote)
	}
	var opKey ed25519.PrivateKey
	operator := cfg.Operator
	if cfg.Key != "" {
		kr, err := keys.Open(cfg.Keyring, keys.Backend(cfg.KeyringBackend))
		if err != nil {
			return nil, closeOn(v, fmt.Errorf("chain: keyring: %w", err))
		}
		if o.ReadOnly {
			// Reads carry a credential (the node answers a query for the
			// key it names): a read-only Conn still reads as the key when
			// it can unlock it, and never signs with it.
			if k, err := kr.Key(cfg.Key, []byte(os.Getenv(cfg.PassphraseEnv))); err == nil {
				c = c.WithReadKey(k)
			}
			if operator == "" {
				info, err := kr.Show(cfg.Key)
				if err != nil {
					return nil, closeOn(v, fmt.Errorf("chain: key %s: %w", cfg.Key, err))
				}
				rec, err := c.Signer(ctx, info.Address)
				if err != nil {
					return nil, closeOn(v, fmt.Errorf("chain: key %s: %w", cfg.Key, err))
				}
				operator = rec.Owner
			}
		} else {
			pass := []byte(os.Getenv(cfg.PassphraseEnv))
			if opKey, err = kr.Key(cfg.Key, pass); err != nil {
				return nil, closeOn(v, fmt.Errorf("chain: key %s: %w", cfg.Key, err))
			}
			conn.FreezeKey = opKey
			if cfg.FreezeKey != "" && cfg.FreezeKey != cfg.Key {
				if conn.FreezeKey, err = kr.Key(cfg.FreezeKey, pass); err != nil {
					return nil, closeOn(v, fmt.Errorf("chain: freeze key %s: %w", cfg.FreezeKey, err))
				}
			}
		}
	}
	ch, err := New(ctx, c, v, opKey, operator)
	if err != nil {
		return nil, closeOn(v, err)
	}
	conn.Chain = ch
	return conn, nil
}

func closeOn(v *client.Verifier, err error) error {
	if v != nil {
		v.Close()
	}
	return err
}

// Close closes the light client's store.
func (c *Conn) Close() error {
	if c.v != nil {
		return c.v.Close()
	}
	return nil
}

// verifier starts the light client: the configured root of trust, or
// header 1 as the first witness reports it.
func verifier(ctx context.Context, chainID string, cfg config.Chain, dir string) (*client.Verifier, string, error) {
	height, note := cfg.TrustHeight, ""
	var hash []byte
	if height > 0 {
		var err error
		if hash, err = hex.DecodeString(cfg.TrustHash); err != nil {
			return nil, "", fmt.Errorf("chain: trust_hash: %w", err)
		}
		note = fmt.Sprintf("trusting header %d %X (configured)", height, hash)
	} else {
		w, err := rpchttp.New(cfg.Witnesses[0], "/websocket")
		if err != nil {
			return nil, "", fmt.Errorf("chain: witness %s: %w", cfg.Witnesses[0], err)
		}
		h1 := int64(1)
		hdr, err := w.Header(ctx, &h1)
		if err != nil {
			return nil, "", fmt.Errorf("chain: header 1 from %s: %w", cfg.Witnesses[0], err)
		}
		height, hash = 1, hdr.Header.Hash()
		note = fmt.Sprintf("trusting header 1 %X as %s reports it (trust on first use: pin chain.trust_height and trust_hash outside a local testnet)", hash, cfg.Witnesses[0])
	}
	var db dbm.DB = dbm.NewMemDB()
	if dir != "" {
		var err error
		if db, err = dbm.NewGoLevelDB("light-"+chainID, dir); err != nil {
			return nil, "", fmt.Errorf("chain: light store: %w", err)
		}
	}
	v, err := client.NewVerifier(ctx, client.LightConfig{ChainID: chainID, Primary: cfg.Node, Witnesses: cfg.Witnesses,
		TrustHeight: height, TrustHash: hash, DB: db})
	if err != nil {
		db.Close()
		return nil, "", err
	}
	return v, note, nil
}
