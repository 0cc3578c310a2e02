package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/client/keys"
	"github.com/custody-ledger/custody/contracts"
)

// Exit codes. Scripts branch on these; never renumber.
const (
	exitOK         = 0
	exitFailure    = 1 // anything not listed below (network, I/O)
	exitUsage      = 2 // bad flags or arguments
	exitTxRefused  = 3 // the chain refused the tx (a registered code)
	exitProof      = 4 // a proof or a header did not verify
	exitKeyring    = 5 // no such key, wrong passphrase, insecure file
	exitQueryError = 6 // the node answered a query with an error code
	exitNotFound   = 7 // a proof shows the record does not exist
)

// usageError marks errors in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(err error) error { return usageError{err} }

// exitCode maps an error to the process's exit status.
func exitCode(err error) int {
	var (
		u  usageError
		tx *client.TxError
		q  *client.QueryError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &tx), errors.Is(err, contracts.ErrUnknownSigner), errors.Is(err, contracts.ErrSignerDisabled):
		// A signer the chain does not know or has disabled is refused
		// before the tx is sent: the chain's refusal all the same.
		return exitTxRefused
	case errors.Is(err, client.ErrNotFound):
		return exitNotFound
	case errors.Is(err, client.ErrProof), errors.Is(err, errHeader):
		return exitProof
	case errors.As(err, &q):
		return exitQueryError
	case errors.Is(err, keys.ErrNotFound), errors.Is(err, keys.ErrWrongPassphrase),
		errors.Is(err, keys.ErrInsecureFile), errors.Is(err, keys.ErrWrongBackend),
		errors.Is(err, keys.ErrExists), errors.Is(err, keys.ErrBadName),
		errors.Is(err, keys.ErrEmptyPassphrase), errors.Is(err, keys.ErrCorrupt),
		errors.Is(err, keys.ErrBadBackend):
		return exitKeyring
	default:
		return exitFailure
	}
}

// env is what a command tree reads from its surroundings, and the values of
// its persistent flags. One per tree: nothing is global.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	home           string
	keyringDir     string
	keyringBackend string
	passphraseFile string
	node           string
	chainID        string
	output         string
	// as names the keyring key whose credential every query carries.
	as string
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
}

// defaultHome is $CUSTODYCLI_HOME, else ~/.custodycli.
func (e *env) defaultHome() string {
	if h := e.getenv("CUSTODYCLI_HOME"); h != "" {
		return h
	}
	if dir, err := os.UserHomeDir(); err == nil {
		return filepath.Join(dir, ".custodycli")
	}
	return ".custodycli"
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "custodycli",
		Short:         "client of the Custody Ledger chain: keys, transactions and proven queries",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch e.output {
			case "text", "json":
			default:
				return usagef(errors.New("--output must be text or json"))
			}
			if e.keyringDir == "" {
				e.keyringDir = filepath.Join(e.home, "keyring")
			}
			return nil
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef(err) })

	pf := root.PersistentFlags()
	pf.StringVar(&e.home, "home", e.defaultHome(), "directory of the keyring and the light client's trusted headers")
	pf.StringVar(&e.keyringDir, "keyring-dir", "", "keyring directory (default <home>/keyring)")
	pf.StringVar(&e.keyringBackend, "keyring-backend", string(keys.BackendFile), `keyring backend: "file" (encrypted) or "test" (unencrypted, local testnet only)`)
	pf.StringVar(&e.passphraseFile, "passphrase-file", "", "read the keyring passphrase from this file (else $CUSTODY_PASSPHRASE, else a prompt)")
	pf.StringVar(&e.node, "node", client.DefaultNode, "CometBFT RPC address of the node")
	pf.StringVar(&e.chainID, "chain-id", "", "chain id to sign for (default: the node's)")
	pf.StringVarP(&e.output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&e.as, "as", "", "read as this keyring key: the node shows what its role and owner may read (without it, public records only)")

	root.AddCommand(newKeysCmd(e), newTxCmd(e), newQueryCmd(e), newLightCmd(e), newTokenCmd(e), newTicketCmd(e), newAccountCmd(e), newVersionCmd(e))
	requireSubcommands(root)
	return root
}

// requireSubcommands makes every command that only groups others refuse
// what is not one of them: `custodycli query nosuch` and a typo like
// `custodycli qurey` are usage errors (exit 2) naming the unknown word and
// the nearest commands, and a bare group prints its help and exits 2,
// instead of cobra's exit 0 with help or exit 1 for a typo.
func requireSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		requireSubcommands(sub)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2
		}
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usagef(fmt.Errorf("%s (see %s --help)", msg, c.CommandPath()))
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		c.SetOut(c.ErrOrStderr())
		_ = c.Help()
		return usagef(fmt.Errorf("%s needs a subcommand", c.CommandPath()))
	}
}

// args returns a cobra.PositionalArgs that reports a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usagef(err)
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usagef(err)
	}
	return nil
}
