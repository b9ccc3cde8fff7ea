# sigprobe — the README's two commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/sigprobe
DEMO    := demo-out

.PHONY: all build demo test bench sweep fuzz clean

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
		--format parquet --out $(DEMO)/tables --nats embedded --summary
	@echo; echo "tables: $(DEMO)/tables/<table>/*.parquet (query them with chDB or clickhouse-local: sink/parquet/README.md)"

# The whole test suite (what CI runs through .ci/run).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The whitelist sweep: nine simulated months (colleague shares, co-located
# enterprises, a large enterprise, shifts and six-day weeks, UTC+8 with
# holidays, an A-interface-only tap, a park without colleague calls) through
# the probe, the Go and the SQL whitelist; about an hour on two cores.
# Table: bench/sweep/results.md.
sweep:
	SIGPROBE_SWEEP=1 SIGPROBE_SWEEP_OUT=$(CURDIR)/bench/sweep/results.md \
		$(GO) test -count=1 -timeout 3h -run TestWhitelistSweep -v ./deploy/clickhouse/chdb/

clean:
	rm -rf bin $(DEMO)
