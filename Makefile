# sigprobe — the README's two commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/sigprobe
DEMO    := demo-out

.PHONY: all build demo test bench bench-latency impair fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sigprobe

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

# The whole test suite (what CI runs through .ci/run).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin $(DEMO)

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
