package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/client/keys"
)

func newKeysCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "manage the keyring of signing keys",
	}
	cmd.AddCommand(newKeysAddCmd(e), newKeysListCmd(e), newKeysShowCmd(e),
		newKeysImportCmd(e), newKeysExportCmd(e), newKeysDeleteCmd(e))
	return cmd
}

func newKeysAddCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "add NAME",
		Short: "generate a new ed25519 key under NAME",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := e.openKeyring()
			if err != nil {
				return err
			}
			pass, err := e.passphrase("passphrase for "+args[0], true)
			if err != nil {
				return err
			}
			info, err := kr.Add(args[0], pass)
			if err != nil {
				return err
			}
			return e.printKey(info)
		},
	}
}

func newKeysListCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "list the keys: name, address, public key",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, err := e.openKeyring()
			if err != nil {
				return err
			}
			list, err := kr.List()
			if err != nil {
				return err
			}
			if e.output == "json" {
				if list == nil {
					list = []keys.Info{}
				}
				return e.printJSON(list)
			}
			for _, i := range list {
				fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", i.Name, i.Address, i.PubKeyHex())
			}
			return nil
		},
	}
}

func newKeysShowCmd(e *env) *cobra.Command {
	var addrOnly, pubOnly bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "show a key's address and public key",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := e.openKeyring()
			if err != nil {
				return err
			}
			info, err := kr.Show(args[0])
			if err != nil {
				return err
			}
			switch {
			case addrOnly:
				fmt.Fprintln(e.stdout, info.Address)
				return nil
			case pubOnly:
				fmt.Fprintln(e.stdout, info.PubKeyHex())
				return nil
			}
			return e.printKey(info)
		},
	}
	cmd.Flags().BoolVar(&addrOnly, "address", false, "print the address only")
	cmd.Flags().BoolVar(&pubOnly, "pubkey", false, "print the public key (hex) only")
	return cmd
}

func newKeysImportCmd(e *env) *cobra.Command {
	var seedFile, seedInArgv, armorFile, armorPassFile, armorPassInArgv string
	cmd := &cobra.Command{
		Use:   "import NAME",
		Short: "import a key: an armor written by export (--armor FILE) or a raw 32-byte seed in hex (--seed-file FILE, - for stdin)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if armorPassInArgv != "" {
				return usagef(fmt.Errorf("--armor-passphrase: %w; use --armor-passphrase-file or $%s", errPassphraseInArgv, armorPassphraseEnv))
			}
			if seedInArgv != "" {
				return usagef(errors.New("--seed-hex: removed: a private key on the command line is visible to every user of the machine; use --seed-file FILE (or - for stdin)"))
			}
			if (seedFile == "") == (armorFile == "") {
				return usagef(errors.New("give exactly one of --armor and --seed-file"))
			}
			kr, err := e.openKeyring()
			if err != nil {
				return err
			}
			var info keys.Info
			if seedFile != "" {
				var raw []byte
				var err error
				if seedFile == "-" {
					raw, err = io.ReadAll(io.LimitReader(e.lineReader(), 4096))
				} else {
					raw, err = os.ReadFile(seedFile)
				}
				if err != nil {
					return err
				}
				seed, err := hex.DecodeString(strings.TrimSpace(string(raw)))
				if err != nil {
					return usagef(fmt.Errorf("--seed-file: not hex: %w", err))
				}
				pass, err := e.passphrase("passphrase for "+args[0], true)
				if err != nil {
					return err
				}
				if info, err = kr.ImportSeed(args[0], seed, pass); err != nil {
					return err
				}
			} else {
				armor, err := os.ReadFile(armorFile)
				if err != nil {
					return err
				}
				ap, err := e.armorPassphrase("passphrase of the armor", false, armorPassFile)
				if err != nil {
					return err
				}
				pass, err := e.passphrase("passphrase for "+args[0], true)
				if err != nil {
					return err
				}
				if info, err = kr.ImportArmor(args[0], armor, ap, pass); err != nil {
					return err
				}
			}
			return e.printKey(info)
		},
	}
	cmd.Flags().StringVar(&seedFile, "seed-file", "", "file holding the key's 32-byte ed25519 seed in hex (- reads stdin)")
	refuseSecretFlag(cmd, &seedInArgv, "seed-hex")
	cmd.Flags().StringVar(&armorFile, "armor", "", "file written by keys export")
	cmd.Flags().StringVar(&armorPassFile, "armor-passphrase-file", "", "read the armor's passphrase from this file (else $"+armorPassphraseEnv+", else a prompt)")
	refuseSecretFlag(cmd, &armorPassInArgv, "armor-passphrase")
	return cmd
}

func newKeysExportCmd(e *env) *cobra.Command {
	var armorPassFile, armorPassInArgv, outFile string
	cmd := &cobra.Command{
		Use:   "export NAME",
		Short: "export a key as an armor encrypted with its own passphrase",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if armorPassInArgv != "" {
				return usagef(fmt.Errorf("--armor-passphrase: %w; use --armor-passphrase-file or $%s", errPassphraseInArgv, armorPassphraseEnv))
			}
			kr, err := e.openKeyring()
			if err != nil {
				return err
			}
			pass, err := e.passphrase("passphrase of "+args[0], false)
			if err != nil {
				return err
			}
			ap, err := e.armorPassphrase("passphrase for the armor", true, armorPassFile)
			if err != nil {
				return err
			}
			armor, err := kr.Export(args[0], pass, ap)
			if err != nil {
				return err
			}
			armor = append(armor, '\n')
			if outFile == "" {
				_, err = e.stdout.Write(armor)
				return err
			}
			f, err := os.OpenFile(outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if _, err := f.Write(armor); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
	cmd.Flags().StringVar(&armorPassFile, "armor-passphrase-file", "", "read the passphrase that encrypts the armor from this file (else $"+armorPassphraseEnv+", else a prompt)")
	refuseSecretFlag(cmd, &armorPassInArgv, "armor-passphrase")
	cmd.Flags().StringVar(&outFile, "out", "", "write the armor to this new file (mode 0600) instead of stdout")
	return cmd
}

func newKeysDeleteCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "delete a key from the keyring",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := e.openKeyring()
			if err != nil {
				return err
			}
			return kr.Delete(args[0])
		},
	}
}

// refuseSecretFlag keeps a removed flag that took a passphrase as its
// value, hidden, so that a script still passing it fails with a reason
// instead of "unknown flag".
func refuseSecretFlag(cmd *cobra.Command, v *string, name string) {
	cmd.Flags().StringVar(v, name, "", "removed: a passphrase on the command line is visible to every user")
	_ = cmd.Flags().MarkHidden(name)
}

func (e *env) printKey(info keys.Info) error {
	if e.output == "json" {
		return e.printJSON(info)
	}
	fmt.Fprintf(e.stdout, "name:    %s\naddress: %s\npubkey:  %s\n", info.Name, info.Address, info.PubKeyHex())
	return nil
}
