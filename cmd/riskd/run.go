package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/risk/daemon"
)

// newRunCmd builds `riskd run`: the live risk core (risk/daemon) until
// interrupted.
func newRunCmd(_, stderr io.Writer) *cobra.Command {
	var cfgPath string
	var logJSON bool
	cmd := &cobra.Command{
		Use:     "run --config FILE",
		Aliases: []string{"start"},
		Short:   "run the live risk core: capture, rules, badger store, anchoring, admin API (until interrupted)",
		Long: "run captures the mirrored exchange links ([capture] iface, or a pcap file), takes market snapshots\n" +
			"over TCP ([market] listen) and chain events ([chain]), runs every rule, stores alerts in badger\n" +
			"([engine] data_dir), anchors them in Merkle batches with the risk operator's key, and serves the\n" +
			"admin API ([admin] listen). With [standby] leader it follows that leader and takes over when it\n" +
			"stops. SIGINT or SIGTERM stops it cleanly (docs/risk.md).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			// log/slog for every line: the daemon's, and the capture's
			// limit and kernel-drop warnings (through the default logger).
			var h slog.Handler = slog.NewTextHandler(stderr, nil)
			if logJSON {
				h = slog.NewJSONHandler(stderr, nil)
			}
			logger := slog.New(h)
			slog.SetDefault(logger)
			logf := func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }
			return daemon.Run(cmd.Context(), cfg, daemon.Options{Logf: logf})
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "risk TOML config (docs/risk.md)")
	cmd.MarkFlagRequired("config")
	cmd.Flags().BoolVar(&logJSON, "log-json", false, "log JSON lines instead of text (log/slog)")
	return cmd
}
