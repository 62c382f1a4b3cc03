# Makefile for httpstatus-exporter. `make help` lists the targets.

SHELL       := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

GO        ?= go
# go.mod's toolchain line (go1.27.3), also where go.env says GOTOOLCHAIN=local:
# see scripts/go-toolchain.sh.
export GOTOOLCHAIN ?= $(shell awk '$$1 == "toolchain" { print $$2 }' go.mod)
BIN       := bin/exporter
TOOLS_BIN := $(CURDIR)/.cache/bin
FUZZTIME  ?= 30s
BENCH_COUNT ?= 6

# Stamped into github.com/prometheus/common/version, as promu does. Each is
# overridable: make build VERSION=1.2.3. Outside a git work tree (a source
# tarball) VERSION falls back to 0.1.0-dev.
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH     ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER ?= $(shell id -un 2>/dev/null || echo unknown)@$(shell hostname 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell date -u +%Y%m%d-%H:%M:%S)

VERSION_PKG := github.com/prometheus/common/version
LDFLAGS := -s -w \
	-X $(VERSION_PKG).Version=$(VERSION) \
	-X $(VERSION_PKG).Revision=$(REVISION) \
	-X $(VERSION_PKG).Branch=$(BRANCH) \
	-X $(VERSION_PKG).BuildUser=$(BUILD_USER) \
	-X $(VERSION_PKG).BuildDate=$(BUILD_DATE)

.PHONY: help build demo test unit e2e torture soak vulncheck bench bench-compare fuzz lint tools docker docker-test docker-lint deploy-test dashboards clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## static binary at bin/exporter, version stamped
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/exporter
	@./$(BIN) --version

demo: ## follow generated demo traffic and serve metrics on :10066
	$(GO) run ./cmd/exporter --demo

test: ## everything CI runs: installs, build, vet, gofmt, race tests, fuzz, coverage
	bash scripts/test.sh

unit: ## unit tests under the race detector
	$(GO) test -race ./...

# Every end-to-end test is named TestE2E... and skips under -short. A pattern
# that matches nothing would pass silently, so that fails instead.
E2E_RUN ?= ^TestE2E
e2e: ## end-to-end tests: the real binary, TLS, real Prometheus (E2E_RUN picks them)
	@mkdir -p out
	bash -o pipefail -c "$(GO) test -race -count=1 -v -run '$(E2E_RUN)' ./... | tee out/e2e.log | grep -E '^(--- |ok|FAIL)'"
	@grep -q -- '--- PASS' out/e2e.log || { echo "e2e: no test matches -run '$(E2E_RUN)'" >&2; exit 1; }

bench: ## benchmarks, BENCH_COUNT runs each, saved under out/ for benchstat
	@mkdir -p out
	f=out/bench-$$(date +%Y%m%d-%H%M%S).txt; \
	$(GO) test -run='^$$' -bench=. -benchmem -count=$(BENCH_COUNT) ./... | tee "$$f"; \
	echo "wrote $$f"

bench-compare: tools ## benchstat OLD=out/bench-A.txt NEW=out/bench-B.txt
	@if [[ -z "$(OLD)" || -z "$(NEW)" ]]; then \
		echo "usage: make bench-compare OLD=out/bench-A.txt NEW=out/bench-B.txt" >&2; exit 2; fi
	$(TOOLS_BIN)/benchstat old=$(OLD) new=$(NEW)

fuzz: ## fuzz every fuzz target for FUZZTIME each (default 30s)
	bash scripts/fuzz.sh $(FUZZTIME)

vulncheck: ## govulncheck against an offline database built from golang.org/x/vulndb (policy in the script)
	bash scripts/vulncheck.sh

torture: ## the torture suite (docs/reliability.md): rotation, restarts, hostile input, limits, scrape load
	bash -o pipefail -c "$(GO) test -race -count=1 -v -run '^TestE2ETorture' ./cmd/exporter/ | grep -E 'TORTURE|^(--- |ok|FAIL)'"

soak: ## the torture suite over minutes per scenario (HTTPSTATUS_SOAK=1, about 25 minutes)
	bash -o pipefail -c "HTTPSTATUS_SOAK=1 $(GO) test -count=1 -v -timeout 2h -run '^TestE2ETorture' ./cmd/exporter/ | grep -E 'TORTURE|^(--- |ok|FAIL)'"

lint: ## go vet, gofmt and golangci-lint (.golangci.yml)
	bash scripts/lint.sh

tools: ## install the pinned Go tools into .cache/bin
	@bash scripts/install-tools.sh >/dev/null

docker-test: ## lint the Dockerfile, build the image FROM scratch and run it in a private dockerd (root)
	bash scripts/docker.sh
docker-lint: ## the pinned Dockerfile linters (npm)
	bash scripts/docker.sh lint
deploy-test: ## deploy/test: manifests, scrape config, systemd unit (a Go module of its own)
	cd deploy/test && $(GO) test -count=1 ./...
dashboards: ## regenerate the dashboard and its ConfigMap from dashboards/*.go
	cd dashboards && $(GO) generate

docker: ## build the distroless image with BuildKit, where base images can be pulled (here: make docker-test)
	docker build \
		--build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$(REVISION) \
		--build-arg BRANCH=$(BRANCH) \
		--build-arg BUILD_DATE=$(BUILD_DATE) \
		-t httpstatus-exporter:$(VERSION) .

clean: ## remove built binaries, outputs and installed tools
	rm -rf bin out .cache
