package main

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/custody-ledger/custody/capture"
	"github.com/spf13/cobra"
)

// captureFlags are the endpoint flags decode and capture share.
type captureFlags struct {
	szse, sse []string
}

func (f *captureFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.szse, "szse", nil, "SZSE Binary trade gateway host:port (repeatable)")
	cmd.Flags().StringArrayVar(&f.sse, "sse", nil, "SSE order database (TDS) host:port (repeatable)")
}

func (f *captureFlags) config() capture.Config {
	return capture.Config{SZSE: f.szse, SSE: f.sse}
}

// jsonEmitter prints one JSON object per event.
func jsonEmitter(w io.Writer) (func(*capture.Event) error, func() error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	return func(e *capture.Event) error { return enc.Encode(e) }, bw.Flush
}

func newDecodeCmd(stdout, stderr io.Writer) *cobra.Command {
	var f captureFlags
	var pcap string
	cmd := &cobra.Command{
		Use:   "decode --pcap FILE --szse HOST:PORT --sse HOST:PORT",
		Short: "decode a pcap or pcapng file into order-flow events (JSON lines on stdout, summary on stderr)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.szse)+len(f.sse) == 0 {
				return usagef("decode: give --szse and/or --sse endpoints (riskd sample prints them for its file)")
			}
			emit, flush := jsonEmitter(stdout)
			st, err := capture.DecodePcapFile(cmd.Context(), pcap, f.config(), emit)
			if ferr := flush(); err == nil {
				err = ferr
			}
			if st.Packets > 0 || err == nil {
				st.WriteSummary(stderr)
			}
			if err == nil && st.Packets > 0 && st.Streams == 0 {
				warnUnmatched(stderr, "decode", pcap, f.szse, f.sse)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&pcap, "pcap", "", "pcap or pcapng file to decode")
	cmd.MarkFlagRequired("pcap")
	f.register(cmd)
	return cmd
}
