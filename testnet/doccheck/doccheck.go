// Package doccheck runs the project's documentation as a test: every shell
// block of a Markdown walk-through that a user is meant to run is executed,
// in order, in one bash shell, against a fresh network, and a command that
// fails — or whose output lacks what the doc says it prints — fails the
// check. It is how `make docs-check` keeps README.md and docs/*.md true.
//
// # What a doc says to the checker
//
// Directives are HTML comments, invisible when the Markdown is rendered:
//
//	<!-- doccheck: network=testnet -->        the doc needs a fresh default network (once, at the top)
//	<!-- doccheck: network=testnet --risk-operators 1 -->   ... with extra `testnet init` flags
//	<!-- doccheck: network=none -->           the doc needs no network
//	<!-- doccheck: off REASON -->             nothing in this doc runs (REASON says why)
//	<!-- doccheck: skip REASON -->            the next shell block is not run (REASON says why)
//
// Every fenced block whose info string is `sh` or `bash` runs unless a
// `skip` directive precedes it; `console`, `text`, `toml` and the like are
// never run, and a block without a language is an error (it could hide
// commands from the check). Inside a block, two comment forms right after a command check
// it:
//
//	#> TEXT      the command's output (stdout and stderr) contains TEXT
//	#! exit N    the command exits with status N (default: 0; anything else fails)
//
// Placeholders a reader fills by hand are filled from the network's own
// files (testnet.json): PORT_OF_<node> is that node's RPC port,
// API_PORT_OF_<node> its REST port, RPC_PORT and OTHER_RPC_PORT the first and
// second nodes' RPC ports. The shell also has N0..N3 (RPC URLs of the nodes
// in testnet.json order), A0..A3 (their REST URLs) and T (the testnet
// directory, build/testnet) set, so a doc may use them after saying so.
//
// Commands run in a scratch directory laid out like the repository (the
// source folders linked in, build/ holding the freshly built binaries), so
// a doc's `build/custodycli` and `docs/...` paths work as written.
package doccheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Doc is one Markdown file as the checker sees it.
type Doc struct {
	// Name is the file's path relative to the repository root.
	Name string
	// Network is "testnet", "none" or "" (a doc without a network directive
	// that has runnable blocks needs one; Validate says so).
	Network string
	// InitFlags are extra `custodynet testnet init` flags for the network.
	InitFlags []string
	// Off, when not empty, is why nothing in the doc runs.
	Off string
	// Blocks are the runnable shell blocks, in document order.
	Blocks []Block
}

// Block is one runnable fenced shell block.
type Block struct {
	// Line is the 1-based line of the block's first content line.
	Line int
	// Commands are the block's commands, split where the shell would.
	Commands []Command
}

// Command is one complete shell command of a block (possibly several
// lines: continuations, quotes, here-documents) and what it must do.
type Command struct {
	// Line is the 1-based line in the doc where the command starts.
	Line int
	// Text is the command as written, placeholders not yet filled.
	Text string
	// Exit is the status the command must exit with.
	Exit int
	// Contains are the texts its output must contain.
	Contains []string
}

var (
	directiveRE = regexp.MustCompile(`^\s*<!--\s*doccheck:\s*(.*?)\s*-->\s*$`)
	fenceRE     = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([^\\s`]*)")
	expectRE    = regexp.MustCompile(`^\s*#>\s?(.*)$`)
	exitRE      = regexp.MustCompile(`^\s*#!\s*exit\s+(\d+)\s*$`)
)

// Parse reads a Markdown document. complete reports whether a piece of
// shell text is one or more complete commands (see ShellComplete); it
// decides where multi-line commands end.
func Parse(name string, md []byte, complete func(string) bool) (*Doc, error) {
	doc := &Doc{Name: name}
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var (
		lineNo    int
		skipNext  bool
		inFence   bool
		fence     string
		runnable  bool
		blockLine int
		body      []string
	)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if inFence {
			if strings.HasPrefix(strings.TrimSpace(line), fence) && strings.Trim(strings.TrimSpace(line), fence[:1]) == "" {
				inFence = false
				if runnable {
					b, err := splitBlock(name, blockLine, body, complete)
					if err != nil {
						return nil, err
					}
					doc.Blocks = append(doc.Blocks, b)
				}
				body = nil
				continue
			}
			body = append(body, line)
			continue
		}
		if m := directiveRE.FindStringSubmatch(line); m != nil {
			word, rest, _ := strings.Cut(m[1], " ")
			switch {
			case strings.HasPrefix(word, "network="):
				doc.Network = strings.TrimPrefix(word, "network=")
				if doc.Network != "testnet" && doc.Network != "none" {
					return nil, fmt.Errorf("%s:%d: unknown network %q (testnet or none)", name, lineNo, doc.Network)
				}
				doc.InitFlags = strings.Fields(rest)
			case word == "off":
				if strings.TrimSpace(rest) == "" {
					return nil, fmt.Errorf("%s:%d: doccheck: off needs a reason", name, lineNo)
				}
				doc.Off = strings.TrimSpace(rest)
			case word == "skip":
				if strings.TrimSpace(rest) == "" {
					return nil, fmt.Errorf("%s:%d: doccheck: skip needs a reason", name, lineNo)
				}
				skipNext = true
			default:
				return nil, fmt.Errorf("%s:%d: unknown doccheck directive %q", name, lineNo, m[1])
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			inFence, fence = true, m[1]
			lang := m[2]
			if lang == "" {
				// An unlabelled block could hide commands from the check:
				// every block says what it is (sh and bash run; text, toml,
				// go, json, ... do not).
				return nil, fmt.Errorf("%s:%d: a fenced block without a language: write sh (it runs) or text, toml, go, json ... (it does not)", name, lineNo)
			}
			runnable = (lang == "sh" || lang == "bash") && !skipNext
			skipNext = false
			blockLine = lineNo + 1
			continue
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if inFence {
		return nil, fmt.Errorf("%s: a fenced block is not closed", name)
	}
	if skipNext {
		return nil, fmt.Errorf("%s: a skip directive is not followed by a block", name)
	}
	return doc, nil
}

// Validate says what is wrong with a doc's directives: runnable blocks
// with no network said.
func (d *Doc) Validate() error {
	if d.Off == "" && len(d.Blocks) > 0 && d.Network == "" {
		return fmt.Errorf("%s: has %d runnable shell blocks but no <!-- doccheck: network=... --> (or off REASON)", d.Name, len(d.Blocks))
	}
	return nil
}

// splitBlock cuts a block's lines into commands: a command is the
// shortest run of lines the shell accepts as complete; comment and blank
// lines between commands are dropped, and the #> / #! lines that follow a
// command are its checks.
func splitBlock(name string, first int, lines []string, complete func(string) bool) (Block, error) {
	b := Block{Line: first}
	var cur []string
	curLine := 0
	flush := func(at int) error {
		if len(cur) == 0 {
			return nil
		}
		return fmt.Errorf("%s:%d: command starting here is not complete by line %d", name, curLine, at)
	}
	for i, line := range lines {
		n := first + i
		trimmed := strings.TrimSpace(line)
		if len(cur) == 0 {
			if m := expectRE.FindStringSubmatch(line); m != nil {
				if len(b.Commands) == 0 {
					return Block{}, fmt.Errorf("%s:%d: #> with no command before it", name, n)
				}
				c := &b.Commands[len(b.Commands)-1]
				if want := strings.TrimSpace(m[1]); want != "" {
					c.Contains = append(c.Contains, want)
				}
				continue
			}
			if m := exitRE.FindStringSubmatch(line); m != nil {
				if len(b.Commands) == 0 {
					return Block{}, fmt.Errorf("%s:%d: #! exit with no command before it", name, n)
				}
				code, _ := strconv.Atoi(m[1])
				b.Commands[len(b.Commands)-1].Exit = code
				continue
			}
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			curLine = n
		}
		cur = append(cur, line)
		text := strings.Join(cur, "\n")
		if strings.HasSuffix(trimmed, "\\") || !complete(text) {
			continue
		}
		b.Commands = append(b.Commands, Command{Line: curLine, Text: text})
		cur = nil
	}
	if err := flush(first + len(lines)); err != nil {
		return Block{}, err
	}
	return b, nil
}

// ShellComplete reports whether text parses as complete bash (bash -n):
// an open quote, here-document, brace or pipe at the end makes it
// incomplete.
func ShellComplete(text string) bool {
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(text + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return false
	}
	// bash -n accepts a here-document that never ends (with a warning).
	return !strings.Contains(stderr.String(), "here-document")
}

// Placeholders maps each placeholder a doc may write to its value.
type Placeholders map[string]string

// Fill replaces every placeholder in text, longest names first so that
// API_PORT_OF_x is not read as PORT_OF_x.
func (p Placeholders) Fill(text string) string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	// Longest first, then by name, so the result does not depend on map order.
	sortByLengthDesc(names)
	for _, k := range names {
		text = strings.ReplaceAll(text, k, p[k])
	}
	return text
}

func sortByLengthDesc(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && (len(s[j]) > len(s[j-1]) || len(s[j]) == len(s[j-1]) && s[j] < s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Script is the bash program that runs a doc's commands in order in one
// shell and stops at the first that fails its checks. env lines (already
// quoted) come first. Each command's output is shown in full, framed by
// its doc line, so a failing check can be read in the test log.
func Script(d *Doc, p Placeholders, env []string) string {
	var sb strings.Builder
	sb.WriteString("set -u\nset -o pipefail\n")
	// A command can end the shell itself (exit, or an unset variable
	// under set -u): the EXIT trap then names the command it was running.
	sb.WriteString(`__dc_out=$(mktemp)
__dc_loc=start
__dc_done=
__dc_fail() { __dc_done=1; echo "DOCCHECK FAIL: $*" >&2; exit 1; }
trap '[ -n "$__dc_done" ] || { cat "$__dc_out"; echo "DOCCHECK FAIL: $__dc_loc: the shell exited while running it" >&2; }' EXIT
`)
	for _, e := range env {
		sb.WriteString(e + "\n")
	}
	for _, b := range d.Blocks {
		for _, c := range b.Commands {
			loc := fmt.Sprintf("%s:%d", d.Name, c.Line)
			fmt.Fprintf(&sb, "__dc_loc=%s\necho %s\n", shellQuote(loc), shellQuote("=== "+loc+": "+firstLine(c.Text)))
			fmt.Fprintf(&sb, "{\n%s\n} >\"$__dc_out\" 2>&1 </dev/null\n__dc_rc=$?\ncat \"$__dc_out\"\n", p.Fill(c.Text))
			fmt.Fprintf(&sb, "[ \"$__dc_rc\" -eq %d ] || __dc_fail %s\"$__dc_rc\"\n", c.Exit,
				shellQuote(fmt.Sprintf("%s: exit status want %d, got ", loc, c.Exit)))
			for _, want := range c.Contains {
				w := p.Fill(want)
				fmt.Fprintf(&sb, "grep -qF -- %s \"$__dc_out\" || __dc_fail %s\n", shellQuote(w),
					shellQuote(fmt.Sprintf("%s: output does not contain %q", loc, w)))
			}
		}
	}
	sb.WriteString("__dc_done=1\necho DOCCHECK OK\n")
	return sb.String()
}

func firstLine(s string) string {
	l, _, more := strings.Cut(s, "\n")
	if more {
		l += " ..."
	}
	return l
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ShellQuote quotes s for a POSIX shell (for the env lines of Script).
func ShellQuote(s string) string { return shellQuote(s) }
