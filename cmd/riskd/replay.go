package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/risk/replay"
)

// newReplayCmd builds `riskd replay`: the whole risk core over a capture
// file with the packets' own clock, printing one JSON alert per line.
func newReplayCmd(stdout, stderr io.Writer) *cobra.Command {
	var o replay.Options
	cmd := &cobra.Command{
		Use:   "replay --pcap FILE [--market FILE] [--config FILE] --szse HOST:PORT --sse HOST:PORT",
		Short: "run the risk core over a capture and print its alerts as JSON lines",
		Long: "replay decodes a pcap with the capture decoders, merges it by time with a market snapshot file\n" +
			"(docs/risk.md gives the line format), runs every rule with the packets' own clock and no chain,\n" +
			"and prints one JSON object per alert, in the same order on every run.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Pcap == "" {
				return usagef("replay: --pcap is required")
			}
			if len(o.SZSE) == 0 && len(o.SSE) == 0 {
				return usagef("replay: give --szse and/or --sse endpoints (riskd sample prints them for its file)")
			}
			if _, err := loadConfig(o.Config); err != nil {
				return err
			}
			sum, err := replay.Run(cmd.Context(), o, stdout)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "replay: %d events, %d snapshots, %d alerts\n", sum.Events, sum.Snapshots, sum.Alerts)
			if sum.Events == 0 {
				warnUnmatched(stderr, "replay", o.Pcap, o.SZSE, o.SSE)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Pcap, "pcap", "", "capture file (pcap or pcapng)")
	f.StringVar(&o.Market, "market", "", "market snapshot file (line format, see docs/risk.md)")
	f.StringVar(&o.Config, "config", "", "risk TOML config (default: DOMAIN.md thresholds, no associated accounts)")
	f.StringSliceVar(&o.SZSE, "szse", nil, "SZSE Binary gateway endpoint host:port (repeatable)")
	f.StringSliceVar(&o.SSE, "sse", nil, "SSE order database endpoint host:port (repeatable)")
	return cmd
}
