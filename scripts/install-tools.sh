#!/usr/bin/env bash
# install-tools.sh installs the pinned Go tools into the project's own GOBIN,
# .cache/bin (override with TOOLS_BIN), and prints that folder. A tool already
# there at the pinned version is not built again.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${TOOLS_BIN:-$root/.cache/bin}
cd "$root"
source scripts/go-toolchain.sh

# One line a tool: package@version. golang.org/x/perf has no tags, so
# benchstat is pinned to a pseudo-version.
tools=(
	golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
	gotest.tools/gotestsum@v1.13.0
	github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
	golang.org/x/vuln/cmd/govulncheck@v1.9.0
	golang.org/x/vulndb/cmd/indexdb@v0.0.0-20261105234957-e22db6528018
)

goversion=$(go env GOVERSION)
mkdir -p "$bin"
for tool in "${tools[@]}"; do
	pkg=${tool%@*}
	want=${tool##*@}
	exe=$bin/${pkg##*/}
	# `go version -m` names the Go that built it (first line), the main
	# package (path) and its module version (mod). A tool built by another Go
	# is built again: golangci-lint and govulncheck refuse code for a newer Go.
	if [[ -x $exe ]] && go version -m "$exe" 2>/dev/null |
		awk -v g="$goversion" -v p="$pkg" -v v="$want" 'NR==1&&$2==g{gg=1} $1=="path"&&$2==p{pp=1} $1=="mod"&&$3==v{vv=1} END{exit !(gg&&pp&&vv)}'; then
		echo "have    $pkg@$want" >&2
		continue
	fi
	echo "install $pkg@$want" >&2
	GOBIN=$bin go install "$tool"
done
echo "$bin"
