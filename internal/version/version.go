// Package version says which build of Custody Ledger is running: the
// version and VCS commit every binary prints (custodyd, custodycli and
// riskd version) and the node logs at start.
//
// The version is, first, what the Makefile links in with
//
//	-ldflags "-X github.com/custody-ledger/custody/internal/version.Version=v1.2.3"
//
// else the main module's version that the go command records in the
// binary (a tag for `go install ...@v1.2.3`, a pseudo-version when built in
// a checkout), else "dev". The commit, its time and whether the tree had
// local changes come from the go command's VCS stamp
// (runtime/debug.ReadBuildInfo), so a plain `go build` or `go install`
// says what it was built from without any flag.
package version

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	cmtversion "github.com/cometbft/cometbft/version"
)

// Version is set at link time by the Makefile; empty means "read the build
// info".
var Version string

// Commit is set at link time by the Makefile too (git rev-parse HEAD). It
// is used only when the go command recorded no VCS stamp (a `git
// worktree` checkout, or -buildvcs=false), whose own revision is the more
// trustworthy record otherwise.
var Commit string

// Info is what a binary reports about its build.
type Info struct {
	// Binary is the program's name: custodyd, custodycli or riskd.
	Binary string `json:"binary"`
	// Version: see the package comment.
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, CommitTime its
	// time (RFC 3339), Modified whether the work tree had uncommitted
	// changes. Empty and false when the go command recorded no VCS stamp
	// (built outside a checkout, or with -buildvcs=false).
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commit_time,omitempty"`
	Modified   bool   `json:"modified"`
	// Go is the toolchain, Platform GOOS/GOARCH.
	Go       string `json:"go"`
	Platform string `json:"platform"`
	// CometBFT is the version of the CometBFT library linked in.
	CometBFT string `json:"cometbft"`
}

// Get returns the running binary's Info.
func Get(binary string) Info {
	bi, _ := debug.ReadBuildInfo()
	info := resolve(binary, Version, bi)
	if info.Commit == "" {
		info.Commit = Commit
	}
	return info
}

// String is the version alone, for logs.
func String() string { return Get("").Version }

// resolve builds Info from the link-time version and the build info (nil
// when the binary has none).
func resolve(binary, linked string, bi *debug.BuildInfo) Info {
	info := Info{Binary: binary, Version: linked, Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, CometBFT: cmtversion.TMCoreSemVer}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.CommitTime = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
		if bi.GoVersion != "" {
			info.Go = bi.GoVersion
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

// WriteText writes info for people, one fact a line.
func (i Info) WriteText(w io.Writer) error {
	commit := i.Commit
	switch {
	case commit == "":
		commit = "unknown (no VCS stamp in this build)"
	case i.Modified:
		commit += " (with uncommitted changes)"
	}
	if i.CommitTime != "" {
		commit += ", " + i.CommitTime
	}
	_, err := fmt.Fprintf(w, "%s %s\ncommit   %s\ncometbft %s\ngo       %s %s\n",
		i.Binary, i.Version, commit, i.CometBFT, i.Go, i.Platform)
	return err
}

// WriteJSON writes info as one JSON object and a newline.
func (i Info) WriteJSON(w io.Writer) error {
	bz, err := json.Marshal(i)
	if err != nil {
		return err
	}
	_, err = w.Write(append(bz, '\n'))
	return err
}

// Write writes info in output, "text" or "json".
func (i Info) Write(w io.Writer, output string) error {
	switch output {
	case "text", "":
		return i.WriteText(w)
	case "json":
		return i.WriteJSON(w)
	}
	return fmt.Errorf("version: output %q: want text or json", output)
}
