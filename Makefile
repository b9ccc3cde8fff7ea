# sigprobe — the README's two commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/sigprobe
DEMO    := demo-out

.PHONY: all build demo test bench e2e-long fuzz clean

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

# The end-to-end grading of events, triggers, roam-out and campaign response
# (cmd/sigprobe) on a larger town than the default suite's: 10,000
# subscribers for four days, another seed.
e2e-long:
	SIGPROBE_E2E_SEED=29 SIGPROBE_E2E_SUBSCRIBERS=10000 SIGPROBE_E2E_DAYS=4 \
		$(GO) test -count=1 -timeout 60m -v -run 'MatchTruth|MatchSchema|RoamOutQueries|CampaignResponse' ./cmd/sigprobe/

clean:
	rm -rf bin $(DEMO)
