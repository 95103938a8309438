# flowhec — the two commands are `make run` and `make test`; see README.md.
# Every tool a target needs is installed here, pinned, into .tools/.

GO          ?= go
TOOLS       := $(CURDIR)/.tools
BIN         := $(CURDIR)/bin
SAMPLE      := $(CURDIR)/out/sample

STATICCHECK_VERSION := v0.8.2
STATICCHECK         := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)

FUZZTIME ?= 10s
BENCHTIME ?= 1s

.PHONY: all build run test lint bench fuzz clean

all: build

build:
	$(GO) build -trimpath -o $(BIN)/flowhec ./cmd/flowhec

# The main job on bundled sample data: generate two hours of a small VPC's
# flow logs with both stories planted, as S3 objects, and deliver them with
# the real pipeline into an HEC receiver on loopback (flowhec demo).
run: build
	rm -rf $(SAMPLE)
	$(BIN)/flowhec demo --dir $(SAMPLE)

test: lint
	$(GO) test -race -count=1 ./...

lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# A short run of every fuzz target; the corpus lives in testdata/fuzz.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

$(STATICCHECK):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS)/staticcheck $@

clean:
	rm -rf $(BIN) $(CURDIR)/out
