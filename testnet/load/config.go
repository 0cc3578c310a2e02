package load

import (
	"errors"
	"fmt"
	"time"
)

// Config bounds and shapes one load run. Every field's comment gives its
// default (what DefaultConfig returns).
type Config struct {
	// Duration is the measured window, after Warmup. Default 60s.
	Duration time.Duration
	// Warmup is load sent before the window opens and not measured, so the
	// window starts with full mempools and a steady block size. Default 5s.
	Warmup time.Duration
	// MaxTxs stops the load once this many txs have been acknowledged by
	// CheckTx, setup excluded (0: only Duration bounds it). Default 0.
	MaxTxs int
	// InFlight is the most txs, over all signers, that may be sent and not
	// yet seen in a block: the load is a closed loop that sends as fast as
	// blocks take txs out. Default 4000: on the 2-core machines the
	// kvstore baseline's throughput grows no further with more (8000 and
	// 16000 measured alike, within the noise), while queueing lengthens
	// every latency.
	InFlight int
	// Drain is how long the run waits after the load stops for txs still in
	// flight before it declares them lost. Default 30s.
	Drain time.Duration
	// Poll is how often the block watcher asks for the next height.
	// Default 20ms.
	Poll time.Duration
	// ResyncWait is how long a signer refused with a bad sequence, whose
	// refusal does not say which sequence the node expects, waits for its
	// own txs in flight before it reads its sequence from the chain again.
	// Default 10s.
	ResyncWait time.Duration
	// Expire is how long an acknowledged tx may wait for a block before its
	// in-flight slot is given back (it stays watched). Default 30s.
	Expire time.Duration
	// Seed fixes every random choice of the workload. Default 1.
	Seed int64
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Duration:   60 * time.Second,
		Warmup:     5 * time.Second,
		InFlight:   4000,
		Drain:      30 * time.Second,
		Poll:       20 * time.Millisecond,
		ResyncWait: 10 * time.Second,
		Expire:     30 * time.Second,
		Seed:       1,
	}
}

// Validate reports every bad field.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("load: config %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Duration <= 0 {
		bad("Duration", "must be positive, got %s", c.Duration)
	}
	if c.Warmup < 0 {
		bad("Warmup", "must not be negative, got %s", c.Warmup)
	}
	if c.MaxTxs < 0 {
		bad("MaxTxs", "must not be negative, got %d", c.MaxTxs)
	}
	if c.InFlight <= 0 {
		bad("InFlight", "must be positive, got %d", c.InFlight)
	}
	if c.Drain <= 0 {
		bad("Drain", "must be positive, got %s", c.Drain)
	}
	if c.Poll <= 0 {
		bad("Poll", "must be positive, got %s", c.Poll)
	}
	if c.Expire <= 0 {
		bad("Expire", "must be positive, got %s", c.Expire)
	}
	if c.ResyncWait <= 0 {
		bad("ResyncWait", "must be positive, got %s", c.ResyncWait)
	}
	return errors.Join(errs...)
}
