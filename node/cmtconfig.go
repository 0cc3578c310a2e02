package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// LoadCometConfig reads home/config/config.toml over CometBFT's defaults and
// roots every path at home. It validates the result with ValidateBasic.
//
// CometBFT's own command reads the file through viper and mapstructure; this
// module does not depend on viper, so the file is decoded with BurntSushi/toml
// into a map and laid onto the config by the same `mapstructure` tags viper
// would use. A key the config does not know is an error (a typo in a
// hand-edited config.toml should not be silently ignored).
func LoadCometConfig(home string) (*cmtcfg.Config, error) {
	path := filepath.Join(home, "config", "config.toml")
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("node: read comet config: %w", err)
	}
	cfg, err := ParseCometConfig(string(bz))
	if err != nil {
		return nil, fmt.Errorf("node: %s: %w", path, err)
	}
	cfg.SetRoot(home)
	if err := cfg.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("node: %s: %w", path, err)
	}
	return cfg, nil
}

// ParseCometConfig decodes the text of a config.toml over DefaultConfig.
func ParseCometConfig(text string) (*cmtcfg.Config, error) {
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		return nil, err
	}
	cfg := cmtcfg.DefaultConfig()
	if err := overlay(reflect.ValueOf(cfg).Elem(), raw, ""); err != nil {
		return nil, err
	}
	return cfg, nil
}

// WriteCometConfig renders cfg with CometBFT's own template (the file
// `cometbft init` writes) into home/config/config.toml.
func WriteCometConfig(home string, cfg *cmtcfg.Config) error {
	dir := filepath.Join(home, "config")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	// cmtcfg.WriteConfigFile panics on template or write errors; turn the
	// panic into an error so a bad directory is reported, not fatal.
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("node: write %s: %v", dir, r)
			}
		}()
		cmtcfg.WriteConfigFile(filepath.Join(dir, "config.toml"), cfg)
	}()
	return err
}

var durationType = reflect.TypeOf(time.Duration(0))

// overlay sets the fields of the struct v from raw, matching keys to
// `mapstructure` tags. Embedded `,squash` structs share the parent's keys.
func overlay(v reflect.Value, raw map[string]any, section string) error {
	fields := map[string]reflect.Value{}
	collectFields(v, fields)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		name := k
		if section != "" {
			name = section + "." + k
		}
		f, ok := fields[k]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown key %q", name))
			continue
		}
		if err := setField(f, raw[k], name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func collectFields(v reflect.Value, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "squash" {
			collectFields(v.Field(i), out)
			continue
		}
		out[name] = v.Field(i)
	}
}

func setField(f reflect.Value, val any, name string) error {
	bad := func() error { return fmt.Errorf("key %q: cannot use %T as %s", name, val, f.Type()) }
	switch {
	case f.Type() == durationType:
		s, ok := val.(string)
		if !ok {
			return bad()
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("key %q: %w", name, err)
		}
		f.SetInt(int64(d))
		return nil
	case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct:
		m, ok := val.(map[string]any)
		if !ok {
			return bad()
		}
		if f.IsNil() {
			f.Set(reflect.New(f.Type().Elem()))
		}
		return overlay(f.Elem(), m, name)
	}
	switch f.Kind() {
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			return bad()
		}
		f.SetString(s)
	case reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			return bad()
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := weakInt(val)
		if !ok || f.OverflowInt(n) {
			return bad()
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := weakInt(val)
		if !ok || n < 0 || f.OverflowUint(uint64(n)) {
			return bad()
		}
		f.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		switch x := val.(type) {
		case float64:
			f.SetFloat(x)
		case int64:
			f.SetFloat(float64(x))
		default:
			return bad()
		}
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return bad()
		}
		if csv, ok := val.(string); ok {
			// The template writes rpc_servers as "a,b": viper splits on commas.
			if csv == "" {
				return nil
			}
			parts := strings.Split(csv, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			f.Set(reflect.ValueOf(parts))
			return nil
		}
		list, ok := val.([]any)
		if !ok {
			return bad()
		}
		out := make([]string, 0, len(list))
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				return bad()
			}
			out = append(out, s)
		}
		f.Set(reflect.ValueOf(out))
	default:
		return bad()
	}
	return nil
}

// weakInt accepts a TOML integer or a quoted one: CometBFT's template quotes
// some integers (chunk_fetchers) and viper decodes them weakly.
func weakInt(val any) (int64, bool) {
	switch x := val.(type) {
	case int64:
		return x, true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}
