// Package config reads the risk core's TOML configuration: associated-account
// groups, rule parameters, and the engine, store, anchoring and admin
// settings. With no file, or for any key a file leaves out, the DOMAIN.md
// defaults apply (risk.DefaultParams).
//
//	[engine]
//	workers = 2                  # partitions (worker goroutines)
//	checkpoint_every = 50000     # inputs per partition between checkpoints
//	data_dir = "riskdata"        # badger directory
//	retention = "720h"           # drop inputs and alerts older than this
//
//	[anchor]
//	max_count = 256
//	max_age = "1m"
//
//	[admin]
//	listen = "127.0.0.1:8089"
//
//	[[associated]]
//	accounts = ["0601234567", "0607654321"]
//
//	[rules.spoofing]
//	per_day = 3
//	cancel_within = "60s"
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/custody-ledger/custody/risk"
)

// ErrUnknownKey is returned (wrapped, listing the keys) by Parse for keys
// the configuration does not define: a typo must not silently fall back to
// a default threshold.
var ErrUnknownKey = errors.New("config: unknown keys")

// ValidationError names the field that failed validation.
type ValidationError struct {
	Field string
	Err   error
}

func (e *ValidationError) Error() string { return fmt.Sprintf("config: %s: %v", e.Field, e.Err) }
func (e *ValidationError) Unwrap() error { return e.Err }

// Group is one [[associated]] table.
type Group struct {
	Accounts []string `toml:"accounts"`
}

// Engine configures the runner and its store.
type Engine struct {
	Workers         int           `toml:"workers"`          // default 1
	CheckpointEvery int           `toml:"checkpoint_every"` // default 50 000
	DataDir         string        `toml:"data_dir"`         // default "riskdata"
	Retention       risk.Duration `toml:"retention"`        // default 720h (30 days)
}

// Anchor configures alert batching.
type Anchor struct {
	MaxCount int           `toml:"max_count"` // default 256
	MaxAge   risk.Duration `toml:"max_age"`   // default 1m
}

// Admin configures the admin API server.
type Admin struct {
	Listen string `toml:"listen"` // default 127.0.0.1:8089
}

// Config is the whole file.
type Config struct {
	Engine     Engine      `toml:"engine"`
	Anchor     Anchor      `toml:"anchor"`
	Admin      Admin       `toml:"admin"`
	Associated []Group     `toml:"associated"`
	Rules      risk.Params `toml:"rules"`
}

// Default returns the configuration used when there is no file.
func Default() Config {
	return Config{
		Engine: Engine{Workers: 1, CheckpointEvery: 50_000, DataDir: "riskdata", Retention: risk.Duration(720 * time.Hour)},
		Anchor: Anchor{MaxCount: 256, MaxAge: risk.Duration(time.Minute)},
		Admin:  Admin{Listen: "127.0.0.1:8089"},
		Rules:  risk.DefaultParams(),
	}
}

// Parse reads a TOML document over the defaults and validates the result.
func Parse(r io.Reader) (Config, error) {
	c := Default()
	md, err := toml.NewDecoder(r).Decode(&c)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("%w: %s", ErrUnknownKey, strings.Join(keys, ", "))
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Load reads the file at path; an empty path yields Default().
func Load(path string) (Config, error) {
	if path == "" {
		return Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Validate checks every section; errors are *ValidationError (joined).
func (c Config) Validate() error {
	var errs []error
	if c.Engine.Workers < 1 {
		errs = append(errs, &ValidationError{"engine.workers", fmt.Errorf("must be ≥ 1, got %d", c.Engine.Workers)})
	}
	if c.Engine.CheckpointEvery < 1 {
		errs = append(errs, &ValidationError{"engine.checkpoint_every", fmt.Errorf("must be ≥ 1, got %d", c.Engine.CheckpointEvery)})
	}
	if c.Anchor.MaxCount < 1 {
		errs = append(errs, &ValidationError{"anchor.max_count", fmt.Errorf("must be ≥ 1, got %d", c.Anchor.MaxCount)})
	}
	for i, g := range c.Associated {
		if len(g.Accounts) < 2 {
			errs = append(errs, &ValidationError{fmt.Sprintf("associated[%d].accounts", i), errors.New("a group needs at least two accounts")})
		}
	}
	if err := c.Rules.Validate(); err != nil {
		errs = append(errs, &ValidationError{"rules", err})
	}
	return errors.Join(errs...)
}

// Groups returns the associated-account groups.
func (c Config) Groups() *risk.Groups {
	lists := make([][]string, len(c.Associated))
	for i, g := range c.Associated {
		lists[i] = g.Accounts
	}
	return risk.NewGroups(lists)
}
