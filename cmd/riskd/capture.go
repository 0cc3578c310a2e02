package main

import (
	"io"

	"github.com/custody-ledger/custody/capture"
	"github.com/spf13/cobra"
)

func newCaptureCmd(stdout, stderr io.Writer) *cobra.Command {
	var f captureFlags
	var iface string
	cmd := &cobra.Command{
		Use:   "capture --iface IFACE --szse HOST:PORT --sse HOST:PORT",
		Short: "capture live (AF_PACKET, needs root) until interrupted; JSON lines on stdout, summary on stderr",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			emit, flush := jsonEmitter(stdout)
			st, err := capture.CaptureLive(cmd.Context(), iface, f.config(), func(e *capture.Event) error {
				if err := emit(e); err != nil {
					return err
				}
				return flush() // live: one line per event as it happens
			})
			if ferr := flush(); err == nil {
				err = ferr
			}
			st.WriteSummary(stderr)
			return err
		},
	}
	cmd.Flags().StringVar(&iface, "iface", "", "interface to capture on (e.g. the mirror port)")
	cmd.MarkFlagRequired("iface")
	f.register(cmd)
	return cmd
}
