#!/usr/bin/env bash
# test.sh installs everything the tests need on a fresh Debian machine and
# runs them all: build, vet and gofmt, the unit tests under the race detector,
# a short pass of every fuzz target, and coverage per package. It is what CI
# runs (.ci/run) and what `make test` runs.
#
# The tests read the shared corpus and seed at ../shared beside the work tree.
# CI=true is exported (unless CI is set already), so tests that need a tool,
# the corpus or the seed fail instead of skipping.
#
# Knobs: FUZZTIME (default 3s a target: a smoke pass that keeps CI within
# 20 minutes on a machine with empty Go caches; `make fuzz` runs 30s a
# target, and every target's seed corpus runs in the unit stage anyway),
# SKIP_INSTALL=1 to skip the installs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/go-toolchain.sh
# Every build with -trimpath, as `make build` (and so docker.sh) builds the
# binary: one set of compiled packages in the build cache instead of two
# (about a minute on a cold cache).
GOFLAGS="$(go env GOFLAGS) -trimpath"
export GOFLAGS

fuzztime=${FUZZTIME:-3s}
results=out/test
rm -rf "$results"
mkdir -p "$results"

stages=()
stage_name=""
stage_start=0
start_all=$SECONDS

stage() {
	end_stage
	stage_name=$1
	stage_start=$SECONDS
	printf '\n==================== %s ====================\n' "$stage_name"
}

end_stage() {
	if [[ -n $stage_name ]]; then
		stages+=("$(printf '%-22s %5ds' "$stage_name" $((SECONDS - stage_start)))")
		stage_name=""
	fi
}

summary() {
	local rc=$?
	local failed_stage=$stage_name
	end_stage
	printf '\n==================== summary ====================\n'
	printf '%s\n' "${stages[@]}"
	printf '%-22s %5ds\n' "total" $((SECONDS - start_all))
	# Counts from the unit run's events, subtests included.
	local jsons=()
	for json in "$results/unit.json" "$results/unit-dashboards.json" "$results/e2e.json" "$results/e2e-dashboards.json" "$results/torture.json" "$results/deploy.json"; do
		[[ -s $json ]] && jsons+=("$json")
	done
	if [[ ${#jsons[@]} -gt 0 ]]; then
		local pass fail skip
		pass=$(cat "${jsons[@]}" | grep -c '"Action":"pass","Package":"[^"]*","Test":' || true)
		fail=$(cat "${jsons[@]}" | grep -c '"Action":"fail","Package":"[^"]*","Test":' || true)
		# A TestE2E test skipped under -short in the unit stage ran in the next.
		skip=$(cat "${jsons[@]}" | grep '"Action":"skip","Package":"[^"]*","Test":' | grep -vc '"Test":"TestE2E' || true)
		echo "tests: $pass passed, $fail failed, $skip skipped"
	fi
	if [[ $rc -ne 0 ]]; then
		echo "FAILED in stage: ${failed_stage:-?} (exit $rc)"
	fi
}
trap summary EXIT

stage "environment"
export CI=${CI:-true}
echo "repo:    $root"
echo "go:      $(go version)"
echo "GOFLAGS: $GOFLAGS"
echo "cores:   $(nproc)"
echo "CI:      ${CI:-<unset>}"
if [[ -d ../shared/corpus ]]; then
	echo "corpus:  $(cd ../shared/corpus && pwd)"
else
	echo "corpus:  ../shared/corpus is missing: corpus tests will skip, or fail under CI=true"
fi

stage "install"
if [[ ${SKIP_INSTALL:-} == 1 ]]; then
	echo "SKIP_INSTALL=1: not installing"
	tools_bin=$root/.cache/bin
else
	# The Go tools download and build in the background (network, then CPU)
	# while apt installs the Debian packages and go downloads the modules
	# (network and disk); the lint stage waits for them. On a bare machine
	# this is minutes: golangci-lint alone is hundreds of modules.
	bash scripts/install-tools.sh >"$results/tools-bin" 2>"$results/install-tools.log" &
	tools_pid=$!
	bash scripts/install-prometheus.sh
	bash scripts/install-debian.sh
	bash scripts/docker.sh install
	go mod download
	(cd dashboards && go mod download)
	(cd deploy/test && go mod download)
fi

stage "go build"
go build ./...
# dashboards/ and deploy/test are Go modules of their own (their heavy
# dependencies stay out of the exporter's go.mod); ./... does not reach them.
(cd dashboards && go vet ./...)
(cd deploy/test && go vet ./...)

stage "Go tools"
if [[ -n ${tools_pid:-} ]]; then
	echo "waiting for scripts/install-tools.sh, started in the install stage"
	tools_status=0
	wait "$tools_pid" || tools_status=$?
	cat "$results/install-tools.log"
	[[ $tools_status -eq 0 ]] || exit "$tools_status"
	tools_bin=$(cat "$results/tools-bin")
fi
export PATH=$tools_bin:$PATH
echo "gotestsum: $(gotestsum --version)"
echo "benchstat: $(go version -m "$tools_bin/benchstat" | awk '$1 == "mod" {print $2 "@" $3}')"

stage "lint (vet, gofmt, golangci-lint)"
bash scripts/lint.sh

stage "unit tests (-race)"
# gotestsum runs `go test -json -race -short -count=1 ./...`, prints go test's
# usual output, repeats the failures at the end and keeps the events for the
# counts in the summary. -short leaves out the end-to-end tests (TestE2E...),
# the next stage.
gotestsum --format standard-quiet --jsonfile "$results/unit.json" -- -race -short -count=1 ./...
# dashboards/ is a generator with no goroutines (only its end-to-end
# harness has two: a process's Wait and a traffic writer under a mutex),
# and the race build of grafana-foundation-sdk and prometheus/prometheus
# costs about 100 s on a cold cache (measured: 103 s after vet): its tests
# run without -race. The exporter's own module keeps -race everywhere.
(cd dashboards && gotestsum --format standard-quiet --jsonfile "$root/$results/unit-dashboards.json" -- -short -count=1 ./...)

stage "end-to-end tests (-race)"
# The real binary, real Prometheus, TLS: every test named TestE2E... but the
# torture suite, the next stage.
gotestsum --format standard-quiet --jsonfile "$results/e2e.json" -- -race -count=1 -run '^TestE2E' -skip '^TestE2ETorture' ./...
(cd dashboards && gotestsum --format standard-quiet --jsonfile "$root/$results/e2e-dashboards.json" -- -count=1 -run '^TestE2E' ./...)

stage "torture suite (-race)"
# docs/reliability.md: rotation under a 20k lines/s writer, SIGTERM and
# SIGKILL, bad checkpoints, hostile input, 2,000 files, inotify limits, a
# read-only or full checkpoint folder, 50 scraping clients (wrk), every status
# value, TLS and basic auth. Alone, so that no other package's tests share
# the machine with the scrape-load figures. Each scenario's figures (its
# TORTURE line) are printed after the run.
gotestsum --format standard-quiet --jsonfile "$results/torture.json" -- -race -count=1 -timeout 15m -run '^TestE2ETorture' ./cmd/exporter/
grep -o 'TORTURE [^"]*' "$results/torture.json" | sed 's/\\n$//'

stage "vulncheck"
# govulncheck against an offline database built from golang.org/x/vulndb;
# the policy for findings is in the script.
bash scripts/vulncheck.sh

stage "deploy (Dockerfile lint, image, manifests)"
# Lints the Dockerfile, builds the image FROM scratch and runs it in a Docker
# engine of the script's own (Debian's docker.io, installed if missing).
bash scripts/docker.sh
(cd deploy/test && gotestsum --format standard-quiet --jsonfile "$root/$results/deploy.json" -- -count=1 ./...)

stage "fuzz ($fuzztime each)"
bash scripts/fuzz.sh "$fuzztime"

stage "coverage"
OUT=out/coverage bash scripts/cover.sh

end_stage
