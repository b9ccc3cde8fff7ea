# sigprobe — the README's two commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/sigprobe
DEMO    := demo-out

.PHONY: all build demo test bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sigprobe

# The main job on the embedded default: simulate a small town for a day and
# show what the capture and the truth contain.
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	./$(BIN) gen --seed 1 --subscribers 2000 --days 1 -o $(DEMO)/town.pcap --truth $(DEMO)/truth
	@echo; echo "first messages of the capture (truth/messages.csv):"; head -8 $(DEMO)/truth/messages.csv | cut -d, -f1,3-8
	@echo; echo "micro-regions:"; sed -n '/^regions:/,/^groups:/p' $(DEMO)/truth/regions.yaml | grep -A1 -E '^  - name:' | paste - - - | awk '{print "  " $$3, "(" $$5 ")"}'
	@echo "groups:"; sed -n '/^groups:/,$$p' $(DEMO)/truth/regions.yaml | grep -A1 -E '^  - name:' | paste - - - | awk '{print "  " $$3, "in", $$5}'
	@echo "members by group:"; awk -F, 'NR>1 && $$7=="member"{n[$$6]++} END{for(g in n) print "  " g, n[g]}' $(DEMO)/truth/subscribers.csv

# The whole test suite (what CI runs through .ci/run).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin $(DEMO)
