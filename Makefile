# Custody Ledger. `make help` lists the targets.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS   := -X github.com/custody-ledger/custody/internal/version.Version=$(VERSION) -X github.com/custody-ledger/custody/internal/version.Commit=$(COMMIT)
BIN       := $(CURDIR)/build
FUZZTIME  ?= 60s
TESTNET   ?= $(CURDIR)/build/testnet
DEMO      ?= $(CURDIR)/build/demo
BENCH_DIR ?= $(CURDIR)/build/bench
FAULTS_DIR ?= $(CURDIR)/build/faults
PROTOC_GEN_GO_VERSION := v1.36.10

.DEFAULT_GOAL := help

#? help: list the targets
help:
	@grep -E '^#\?' $(MAKEFILE_LIST) | sed -e 's/^#? //' | column -t -s ':'

#? build: build custodyd (the node), custodynet (dev tooling), custodycli and riskd into ./build
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

#? test: the whole test suite (what CI runs)
test:
	$(GO) test -count=1 -timeout 25m ./...

#? test-short: the quick tests only
test-short:
	$(GO) test -short -count=1 ./...

#? test-race: the suite under the race detector
test-race:
	$(GO) test -race -count=1 -timeout 40m ./...

#? fuzz: run every fuzz target for FUZZTIME each (default 60s)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

#? bench: load the 4-node network, then CometBFT's kvstore on it, and print both with ratios (~5 min)
bench:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/custodyd ./cmd/custodynet
	$(BIN)/custodynet bench --dir $(BENCH_DIR) --profile-dir $(BIN)/profiles

#? bench-go: the Go micro-benchmarks
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

BENCH_COUNT ?= 5
# median VALUE-UNIT FILE PATTERN: the median of the figure before UNIT on the lines matching PATTERN.
median = grep -E '$(3)' $(2) | awk '{for (i = 1; i < NF; i++) if ($$(i+1) == "$(1)") print $$i}' | sort -g | awk '{a[NR] = $$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'

#? bench-capture: decode the 1M-message pcap BENCH_COUNT times (default 5); prints figures, ends with "capture: N msg/s per core" (median, per CPU-second)
bench-capture:
	@mkdir -p $(BIN)
	$(GO) test ./capture/ -run '^$$' -bench DecodePcapFile -benchtime 1x -count $(BENCH_COUNT) -benchmem | tee $(BIN)/bench-capture.txt
	@echo "machine: $$(nproc) cores, $$(lscpu | grep 'Model name' | sed 's/ *Model name: *//'), load average $$(cut -d' ' -f1-3 /proc/loadavg)"
	@echo "capture: wall-clock median $$($(call median,msgs/s,$(BIN)/bench-capture.txt,^BenchmarkDecodePcapFile)) msg/s (counts other jobs' time on a shared machine)"
	@printf 'capture: %.0f msg/s per core\n' $$($(call median,msgs/cpu-s,$(BIN)/bench-capture.txt,^BenchmarkDecodePcapFile))

#? bench-risk: replay 1M events through the risk core BENCH_COUNT times (default 5): in memory, with badger, and with badger paced at 100k events/s; ends with "risk: M events/s per core in memory, S events/s with badger, p99 P ms"
bench-risk:
	@mkdir -p $(BIN)
	$(GO) test ./risk/ -run '^$$' -bench Replay -benchtime 1x -count $(BENCH_COUNT) -timeout 60m | tee $(BIN)/bench-risk.txt
	@echo "machine: $$(nproc) cores, $$(lscpu | grep 'Model name' | sed 's/ *Model name: *//'), load average $$(cut -d' ' -f1-3 /proc/loadavg)"
	@echo "risk: wall-clock medians: $$($(call median,events/s,$(BIN)/bench-risk.txt,^BenchmarkReplay/mem/workers=1-)) events/s in memory (1 worker), $$($(call median,events/s,$(BIN)/bench-risk.txt,^BenchmarkReplay/badger/workers=2-)) events/s with badger (2 workers)"
	@printf 'risk: %.0f events/s per core in memory, %.0f events/s with badger, p99 %.1f ms\n' \
	  $$($(call median,events/cpu-s,$(BIN)/bench-risk.txt,^BenchmarkReplay/mem/workers=1-)) \
	  $$($(call median,events/cpu-s,$(BIN)/bench-risk.txt,^BenchmarkReplay/badger/workers=2-)) \
	  $$($(call median,p99-µs,$(BIN)/bench-risk.txt,^BenchmarkReplay/badger/workers=2/paced=100k-) | awk '{print $$1 / 1000}')

#? faults: kill, restart, corrupt, fill the disks of, partition, double-sign, slow and flood a 4-node network under load (~10 min)
faults:
	@if [ "$$(id -u)" = 0 ] && ! command -v ip >/dev/null; then apt-get install -y -q iproute2 >/dev/null || echo "iproute2 not installed: the partition scenarios will SKIP"; fi
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/custodyd ./cmd/custodynet
	$(BIN)/custodynet faults --dir $(FAULTS_DIR)

#? proto: regenerate proto/custodyv1 from proto/custody/v1 (needs protoc)
proto:
	@command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler"; exit 1; }
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	PATH=$(BIN):$$PATH protoc -I proto --go_out=. --go_opt=module=github.com/custody-ledger/custody proto/custody/v1/*.proto

#? verify: gofmt, go vet and go mod tidy leave nothing to change
verify:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) mod tidy -diff

#? testnet: write a four-node network under build/testnet and run it (Ctrl-C stops it)
testnet: build
	$(BIN)/custodynet testnet init --dir $(TESTNET) --force
	$(BIN)/custodynet testnet start --dir $(TESTNET)

#? demo: build, then play a scripted business day on a local four-node network and keep it running (Ctrl-C stops it)
demo: build
	$(BIN)/custodynet demo --dir $(DEMO)

#? demo-check: build, then play the same day headless as child processes and check every figure of its summary
demo-check: build
	CUSTODY_BIN=$(BIN) $(GO) test -count=1 -timeout 15m -run 'TestDemo_' -v ./testnet/demo

#? docs-check: build, then run every shell block of README.md and docs/*.md against a fresh network per doc
docs-check: build docs-tools
	CUSTODY_BIN=$(BIN) $(GO) test -count=1 -timeout 30m -run 'TestDocs_' -v ./testnet/doccheck

# docs-tools: the commands the walk-throughs use besides ours (curl, jq), from Debian's packages
docs-tools:
	@missing=""; for t in curl jq; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "the docs need:$$missing (apt-get install$$missing)"; exit 1; fi; fi

#? browser-deps: install Debian's chromium (and a CJK font for the screenshots) for the console's browser tests (root; skipped when present)
browser-deps:
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	else echo "the console's browser tests need chromium (apt-get install chromium); they skip without it"; fi

#? console-screenshots: drive the console in headless Chromium against a fresh network and save its views under docs/console/
console-screenshots: browser-deps
	CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console $(GO) test -count=1 -timeout 10m -run 'TestConsoleInBrowser' -v ./node/api/console

.PHONY: docs-check docs-tools help build test test-short test-race fuzz bench bench-go bench-capture bench-risk faults proto verify testnet demo demo-check browser-deps console-screenshots
