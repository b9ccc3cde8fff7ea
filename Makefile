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
	@./$(BIN) gen --summary --truth $(DEMO)/truth

# The whole test suite (what CI runs through .ci/run).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin $(DEMO)
