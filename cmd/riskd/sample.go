package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/testnet/exchsim"
)

// sampleConfig is the riskd configuration written beside a sample: the
// simulators trade small (a spoofing burst is 5 orders of 50 000 shares at
// about 10 CNY), so the spoofing thresholds are scaled down from DOMAIN.md's
// 300 000 shares / 2 000 000 CNY; every other rule keeps its default.
const sampleConfig = `# Written by riskd sample for %s (docs/risk.md, "Try it").
# The capture's endpoints, for riskd run ([capture] pcap = ...):
#   szse = [%q]
#   sse  = [%q]
[rules.spoofing]
min_qty = 50000
per_day = 2
`

// newSampleCmd builds `riskd sample --out FILE`: a capture to follow the
// docs with. It starts the exchange simulators (testnet/exchsim: an SZSE
// Binary trade gateway and an SSE order database on loopback), plays
// scenarios through them over real TCP sessions, and writes what their
// taps recorded as Ethernet/IPv4/TCP packets (handshake, data cut at the
// MSS, FINs) to a pcap file. No root, no interface: the packets are the
// simulators' own sessions, not a sniffed copy.
func newSampleCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		out, cfgOut string
		scenarios   []string
		ng          bool
	)
	cmd := &cobra.Command{
		Use:   "sample --out FILE [--scenario NAME]...",
		Short: "record simulator order flow with the patterns the rules catch (spoofing, wash trades, a burst) to a pcap",
		Long: "sample plays scenarios on the exchange simulators over loopback TCP and writes the sessions as a\n" +
			"pcap (or pcapng with --ng). The default scenarios are normal flow, spoofing, wash trades and a\n" +
			"programmatic order burst: `riskd replay` over the file raises spoofing, self_trade and order_rate\n" +
			"alerts. It prints the endpoints to give decode and replay (docs/capture.md, docs/risk.md).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all := exchsim.Scenarios()
			var plays []exchsim.Scenario
			for _, name := range scenarios {
				sc, ok := all[name]
				if !ok {
					names := make([]string, 0, len(all))
					for n := range all {
						names = append(names, n)
					}
					slices.Sort(names)
					return usagef("sample: unknown scenario %q (have %s)", name, strings.Join(names, ", "))
				}
				plays = append(plays, sc)
			}
			sim, err := exchsim.Start()
			if err != nil {
				return err
			}
			events := 0
			for i, sc := range plays {
				evs, err := sim.Run(cmd.Context(), sc, exchsim.RunOptions{Resume: true})
				if err != nil {
					sim.Close()
					return fmt.Errorf("sample: scenario %s: %w", scenarios[i], err)
				}
				events += len(evs)
			}
			szse, sse := sim.SZSEAddr(), sim.SSEAddr()
			if err := sim.Close(); err != nil {
				return err
			}
			f, err := os.Create(out)
			if err != nil {
				return fmt.Errorf("sample: %w", err)
			}
			bw := bufio.NewWriterSize(f, 1<<20)
			res, err := exchsim.WritePcap(bw, sim.Tap().Conns, sim.Tap().Segs, exchsim.PcapOptions{NG: ng})
			if err == nil {
				err = bw.Flush()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("sample: %s: %w", out, err)
			}
			if cfgOut == "" {
				cfgOut = strings.TrimSuffix(out, filepath.Ext(out)) + ".toml"
			}
			if err := os.WriteFile(cfgOut, []byte(fmt.Sprintf(sampleConfig, out, szse, sse)), 0o644); err != nil {
				return fmt.Errorf("sample: %w", err)
			}
			fmt.Fprintf(stderr, "sample: %s: %d packets (%d with data, %d bytes), %d order-flow messages from scenarios %s; thresholds in %s\n",
				out, res.Packets, res.DataPackets, res.Bytes, events, strings.Join(scenarios, ", "), cfgOut)
			fmt.Fprintf(stdout, "szse = %q\nsse = %q\n", szse, sse)
			fmt.Fprintf(stderr, "next:\n  riskd decode --pcap %s --szse %s --sse %s\n  riskd replay --pcap %s --config %s --szse %s --sse %s\n",
				out, szse, sse, out, cfgOut, szse, sse)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "pcap file to write")
	cmd.Flags().StringSliceVar(&scenarios, "scenario", []string{"normal", "spoofing", "wash", "burst"}, "scenarios to play, in order (normal, spoofing, wash, burst)")
	cmd.Flags().BoolVar(&ng, "ng", false, "write pcapng instead of pcap")
	cmd.Flags().StringVar(&cfgOut, "config-out", "", "riskd TOML with the thresholds the sample is scaled to (default: --out with .toml)")
	cmd.MarkFlagRequired("out")
	return cmd
}
