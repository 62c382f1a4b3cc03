#!/usr/bin/env bash
# lint.sh runs the static checks: go vet, gofmt (which must list no file) and
# golangci-lint with .golangci.yml (pinned in install-tools.sh). Any finding
# fails it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/go-toolchain.sh

echo "--- go vet ./..."
go vet ./...

echo "--- gofmt -l"
# testdata may hold Go files that are wrong on purpose; .cache and the output
# folders are not source.
unformatted=$(find . \( -path ./.git -o -path ./.cache -o -path ./bin -o -path ./out -o -name testdata -o -name vendor \) -prune \
	-o -type f -name '*.go' -print0 | xargs -0 -r gofmt -l)
if [[ -n $unformatted ]]; then
	echo "gofmt: these files need gofmt -w:" >&2
	echo "$unformatted" >&2
	exit 1
fi
echo "gofmt: all files formatted"

echo "--- golangci-lint run"
lint=${GOLANGCI_LINT:-$(pwd)/.cache/bin/golangci-lint}
if [[ ! -x $lint ]]; then
	echo "golangci-lint is not installed: run scripts/install-tools.sh" >&2
	exit 1
fi
"$lint" run ./...
(cd dashboards && "$lint" run --config ../.golangci.yml ./...)
(cd deploy/test && "$lint" run --config ../../.golangci.yml ./...)
