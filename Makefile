# sigprobe — the README's two commands are `make demo` and `make test`.
GO      ?= go
BIN     ?= bin/sigprobe
DIST    ?= dist
DEMO    := demo-out

.PHONY: all build package demo test test-deps bench bench-latency e2e-long sweep impair fuzz clean

all: build

# Go records the commit only where it finds a .git directory (not in a git
# worktree, nor under GOFLAGS=-buildvcs=false): stamp the same facts from git
# so `sigprobe version`, sigprobe_build_info and the .deb's version always
# name the commit. Outside git nothing is stamped and Go's own record is used.
BI      := github.com/sigprobe/sigprobe/internal/buildinfo
GIT_REV := $(shell git rev-parse HEAD 2>/dev/null)
ifneq ($(GIT_REV),)
LDFLAGS += -X $(BI).revision=$(GIT_REV)
LDFLAGS += -X $(BI).commitTime=$(shell TZ=UTC git show -s --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD)
LDFLAGS += -X $(BI).modified=$(if $(shell git status --porcelain --untracked-files=no 2>/dev/null),true,false)
LDFLAGS += -X $(BI).version=$(shell git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null)
endif

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sigprobe

# The Debian package, into $(DIST): deploy/deb (nfpm) names it after the
# binary's own version (`sigprobe version`).
package: build
	$(GO) run ./deploy/deb -bin $(BIN) -o $(DIST)

# The main job on the embedded default, no servers needed: simulate a small
# town for a day, run the capture through the probe (regions, trigger rules,
# consent lists), write the tables as Parquet, publish triggers to an
# embedded NATS JetStream, and print what it found.
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	./$(BIN) gen --seed 1 --subscribers 2000 --days 1 -o $(DEMO)/town.pcap --truth $(DEMO)/truth
	@cp deploy/rules.example.yaml $(DEMO)/truth/rules.yaml
	./$(BIN) replay -r $(DEMO)/town.pcap --regions $(DEMO)/truth/regions.yaml \
		--rules $(DEMO)/truth/rules.yaml --attributes $(DEMO)/truth/attributes.csv \
		--data-dir $(DEMO) --out $(DEMO)/tables --state $(DEMO)/state --nats embedded --summary
	@echo; echo "tables: $(DEMO)/tables/<table>/*.parquet (query them with chDB or clickhouse-local: sink/parquet/README.md)"

# The whole test suite, as CI runs it (.ci/run calls this): .ci/deps
# installs what the tests need when it is missing (as root), then every test
# runs with SIGPROBE_STRICT=1, so one that lacks a tool, root or chDB fails
# instead of skipping. The quick loop for developers: go test -short ./...
test: test-deps
	$(GO) vet ./...
	SIGPROBE_STRICT=1 $(GO) test -count=1 -timeout 25m ./...

test-deps:
	./.ci/deps

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The end-to-end grading of events, triggers, roam-out and campaign response
# (cmd/sigprobe) on a larger town than the default suite's: 10,000
# subscribers for four days, another seed.
e2e-long:
	SIGPROBE_E2E_SEED=29 SIGPROBE_E2E_SUBSCRIBERS=10000 SIGPROBE_E2E_DAYS=4 \
		$(GO) test -count=1 -timeout 60m -v -run 'MatchTruth|MatchSchema|RoamOutQueries|CampaignResponse' ./cmd/sigprobe/

# The whitelist sweep: nine simulated months (colleague shares, co-located
# enterprises, a large enterprise, shifts and six-day weeks, UTC+8 with
# holidays, an A-interface-only tap, a park without colleague calls) through
# the probe, the Go and the SQL whitelist; about an hour on two cores.
# Table: bench/sweep/results.md.
sweep:
	SIGPROBE_SWEEP=1 SIGPROBE_SWEEP_OUT=$(CURDIR)/bench/sweep/results.md \
		$(GO) test -count=1 -timeout 3h -run TestWhitelistSweep -v ./deploy/clickhouse/chdb/

clean:
	rm -rf bin $(DIST) $(DEMO)

# Trigger latency in a live probe (own netns, tcpreplay at SIGPROBE_LATENCY_PPS,
# default 5000 packets/s; needs root): p50/p99 from capture to JetStream ack.
bench-latency:
	$(GO) test -run '^$$' -bench TriggerLatency -benchtime 3x -v ./probe/ | grep -E 'Benchmark|bucket'

# Dwell share under loss, burst loss, duplicates, reordering and clock
# glitches next to the perfect-probe bound, several seeds
# (SIGPROBE_IMPAIR_SUBS, default 2000; SIGPROBE_IMPAIR_SEEDS, default 3);
# the table goes to bench/impair.md.
impair:
	SIGPROBE_IMPAIR=1 SIGPROBE_IMPAIR_OUT=$(CURDIR)/bench/impair.md $(GO) test -count=1 -timeout 2h -run TestImpairmentSweep -v ./probe/ | grep -v '^=== '
