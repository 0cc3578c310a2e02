package layers

import (
	"fmt"
	"strings"
)

// SQLStatement is the part of one SQL statement the capture path needs:
// its verb, its target table and, for INSERT, the column list and rows.
// Only the shapes used against the SSE order database are recognised
// (PROTOCOLS.md 2.5); everything else is reported with Verb "".
type SQLStatement struct {
	Verb    string     // "INSERT", "SELECT", "UPDATE", "DELETE"
	Table   string     // lower case, schema and brackets stripped
	Columns []string   // INSERT column list, lower case
	Rows    [][]SQLArg // INSERT VALUES tuples
}

// SQLArg is one value of an INSERT tuple: a literal, NULL, or a parameter.
type SQLArg struct {
	Param string // "@p1" when the value is a parameter
	Text  string // literal text, quotes removed
	Null  bool
	Expr  bool // an expression the parser does not evaluate
}

type sqlTok struct {
	kind byte // 'i' identifier, 's' string, 'n' number, 'p' param, or the punctuation itself
	text string
}

func sqlLex(s string) ([]sqlTok, error) {
	return sqlLexInto(make([]sqlTok, 0, len(s)/4+4), s) // about one token per 4 bytes of SQL
}

func sqlLexInto(toks []sqlTok, s string) ([]sqlTok, error) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '\'' || ((c == 'N' || c == 'n') && i+1 < len(s) && s[i+1] == '\''):
			if c != '\'' {
				i++
			}
			i++
			start, escaped := i, false
			for {
				if i >= len(s) {
					return toks, fmt.Errorf("sql: unterminated string: %w", ErrMalformed)
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						escaped = true
						i += 2
						continue
					}
					break
				}
				i++
			}
			text := s[start:i] // a substring: no copy unless quotes were doubled
			if escaped {
				text = strings.ReplaceAll(text, "''", "'")
			}
			i++
			toks = append(toks, sqlTok{'s', text})
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return toks, fmt.Errorf("sql: unterminated identifier: %w", ErrMalformed)
			}
			toks = append(toks, sqlTok{'i', s[i+1 : i+j]})
			i += j + 1
		case isIdentStart(c) || c == '@':
			j := i + 1
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			k := byte('i')
			if c == '@' {
				k = 'p'
			}
			toks = append(toks, sqlTok{k, s[i:j]})
			i = j
		case c >= '0' && c <= '9' || (c == '-' || c == '.') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			toks = append(toks, sqlTok{'n', s[i:j]})
			i = j
		default:
			toks = append(toks, sqlTok{c, s[i : i+1]}) // a substring: string(c) would allocate
			i++
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '#' || c >= 0x80
}
func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' || c == '@'
}

// ParseSQL extracts the statements of a batch. It never fails on
// statements it does not understand; it fails only on lexical errors
// (unterminated strings or identifiers) and on malformed INSERTs.
func ParseSQL(text string) (stmts []SQLStatement, err error) {
	return new(SQLParser).Parse(text)
}

// SQLParser parses statements reusing its buffers: the tokens, the
// statements, their column lists and rows. What Parse returns is valid
// until the next call. Not safe for concurrent use.
type SQLParser struct {
	toks  []sqlTok
	stmts []SQLStatement
	cols  []string
	args  []SQLArg
	rows  [][]SQLArg
}

// Parse is ParseSQL with p's buffers.
func (p *SQLParser) Parse(text string) (stmts []SQLStatement, err error) {
	defer decodeGuard(&err, "sql")
	toks, err := sqlLexInto(p.toks[:0], text)
	p.toks = toks
	if err != nil {
		return nil, err
	}
	stmts, p.cols, p.args, p.rows = p.stmts[:0], p.cols[:0], p.args[:0], p.rows[:0]
	defer func() { p.stmts = stmts[:0] }()
	kw := func(i int, w string) bool {
		return i < len(toks) && toks[i].kind == 'i' && strings.EqualFold(toks[i].text, w)
	}
	// table reads a possibly qualified name at i.
	table := func(i int) (string, int) {
		name := ""
		for i < len(toks) && toks[i].kind == 'i' {
			name = toks[i].text
			if i+1 < len(toks) && toks[i+1].kind == '.' {
				i += 2
				continue
			}
			i++
			break
		}
		return strings.ToLower(name), i
	}
	for i := 0; i < len(toks); {
		switch {
		case kw(i, "INSERT"):
			st := SQLStatement{Verb: "INSERT"}
			i++
			if kw(i, "INTO") {
				i++
			}
			st.Table, i = table(i)
			if i < len(toks) && toks[i].kind == '(' {
				i++
				c0 := len(p.cols)
				for i < len(toks) && toks[i].kind != ')' {
					if toks[i].kind == 'i' {
						p.cols = append(p.cols, strings.ToLower(toks[i].text))
					}
					i++
				}
				if len(p.cols) > c0 {
					st.Columns = p.cols[c0:len(p.cols):len(p.cols)]
				}
				i++
			}
			if !kw(i, "VALUES") {
				stmts = append(stmts, st) // INSERT ... SELECT: table known, rows not
				continue
			}
			i++
			r0 := len(p.rows)
			for i < len(toks) && toks[i].kind == '(' {
				a0 := len(p.args)
				i++
				for i < len(toks) && toks[i].kind != ')' {
					var a SQLArg
					t := toks[i]
					switch {
					case t.kind == 's' || t.kind == 'n':
						a.Text = t.text
					case t.kind == 'p':
						a.Param = t.text
					case kw(i, "NULL"):
						a.Null = true
					default:
						a.Expr = true
					}
					i++
					depth := 0 // skip the rest of an expression up to ',' or ')'
					for i < len(toks) && (depth > 0 || toks[i].kind != ',' && toks[i].kind != ')') {
						a.Expr = true
						if toks[i].kind == '(' {
							depth++
						} else if toks[i].kind == ')' {
							depth--
						}
						i++
					}
					p.args = append(p.args, a)
					if i < len(toks) && toks[i].kind == ',' {
						i++
					}
				}
				if i >= len(toks) {
					return stmts, fmt.Errorf("sql: insert into %s: unterminated values: %w", st.Table, ErrMalformed)
				}
				i++
				row := p.args[a0:len(p.args):len(p.args)]
				if len(st.Columns) > 0 && len(row) != len(st.Columns) {
					return stmts, fmt.Errorf("sql: insert into %s: %d values for %d columns: %w", st.Table, len(row), len(st.Columns), ErrMalformed)
				}
				p.rows = append(p.rows, row)
				if i < len(toks) && toks[i].kind == ',' {
					i++
				}
			}
			if len(p.rows) > r0 {
				st.Rows = p.rows[r0:len(p.rows):len(p.rows)]
			}
			stmts = append(stmts, st)
		case kw(i, "SELECT"):
			st := SQLStatement{Verb: "SELECT"}
			depth := 0
			for i++; i < len(toks); i++ {
				if toks[i].kind == '(' {
					depth++
				} else if toks[i].kind == ')' {
					depth--
				} else if depth == 0 && kw(i, "FROM") {
					st.Table, i = table(i + 1)
					break
				} else if depth == 0 && toks[i].kind == ';' {
					break
				}
			}
			stmts = append(stmts, st)
		case kw(i, "UPDATE"), kw(i, "DELETE"):
			st := SQLStatement{Verb: strings.ToUpper(toks[i].text)}
			i++
			if kw(i, "FROM") {
				i++
			}
			st.Table, i = table(i)
			stmts = append(stmts, st)
		default:
			i++
		}
	}
	return stmts, nil
}
