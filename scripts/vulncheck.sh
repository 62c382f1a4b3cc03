#!/usr/bin/env bash
# vulncheck.sh runs govulncheck against an offline vulnerability database:
# no request goes to vuln.go.dev. The database is built from the
# golang.org/x/vulndb module, which carries the Go vulnerability reports as
# OSV JSON (data/osv/GO-*.json), with that module's own indexdb command. Both
# the tools and the data are pinned below and come from the Go module proxy
# (or GOPROXY, GOFLAGS=-mod=mod ... as go install is configured), like every
# other Go tool of this project; after the first run everything is in the
# module cache and .cache/, and the script works without a network.
#
# Policy for findings (what CI does with the exit code):
#   - A vulnerability whose vulnerable symbols are reachable from this
#     project's code (govulncheck's default "symbol" level, exit code 3)
#     fails the build. Fix it by upgrading the module (go get mod@fixed, go mod
#     tidy) or, for the standard library, the Go toolchain in go.mod; a fix is
#     due before the next release, and at once for anything reachable from
#     the HTTP server or the log parsers (data from outside).
#   - A vulnerability in a required module or package that is not called is
#     listed (govulncheck prints it as "not called") but does not fail:
#     upgrade at the next dependency update.
#   - There is no ignore list. If a finding cannot be fixed (no fixed version
#     yet), the lead decides, and the decision is written in the change that
#     pins a newer VULNDB_VERSION once a fix exists.
#   - The data is as fresh as VULNDB_VERSION. Bump it (the go list line below)
#     at least monthly and before every release: an offline database that is
#     never updated finds nothing new.
#
# Knobs: VULNDB_VERSION, GOVULNCHECK_VERSION (pins), TOOLS_BIN (default
# .cache/bin), VULNDB_DIR (default .cache/vulndb/<version>), and arguments,
# passed to govulncheck instead of ./... (e.g. -show verbose ./...).
#
# To move the data pin to the newest reports:
#   go list -m -json golang.org/x/vulndb@latest   # its Version goes below
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/go-toolchain.sh

# golang.org/x/vulndb has no tags: a pseudo-version names a commit of its data.
vulndb_version=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
govulncheck_version=${GOVULNCHECK_VERSION:-v1.9.0}
bin=${TOOLS_BIN:-$root/.cache/bin}
db=${VULNDB_DIR:-$root/.cache/vulndb/$vulndb_version}

mkdir -p "$bin"
goversion=$(go env GOVERSION)
have() { # have EXE PKG VERSION: EXE was built from PKG at VERSION by this Go
	[[ -x $1 ]] && go version -m "$1" 2>/dev/null |
		awk -v g="$goversion" -v p="$2" -v v="$3" 'NR==1&&$2==g{gg=1} $1=="path"&&$2==p{pp=1} $1=="mod"&&$3==v{vv=1} END{exit !(gg&&pp&&vv)}'
}
if ! have "$bin/govulncheck" golang.org/x/vuln/cmd/govulncheck "$govulncheck_version"; then
	echo "install golang.org/x/vuln/cmd/govulncheck@$govulncheck_version" >&2
	GOBIN=$bin go install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version"
fi
if ! have "$bin/indexdb" golang.org/x/vulndb/cmd/indexdb "$vulndb_version"; then
	echo "install golang.org/x/vulndb/cmd/indexdb@$vulndb_version" >&2
	GOBIN=$bin go install "golang.org/x/vulndb/cmd/indexdb@$vulndb_version"
fi

# The database: built once per data version, into a fresh folder that is
# renamed into place, so an interrupted build is never used.
if [[ ! -s $db/index/db.json ]]; then
	src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | awk -F'"' '$2=="Dir"{print $4}')
	if [[ -z $src || ! -d $src/data/osv ]]; then
		echo "vulncheck: golang.org/x/vulndb@$vulndb_version has no data/osv folder" >&2
		exit 1
	fi
	mkdir -p "$(dirname "$db")"
	tmp=$(mktemp -d "$(dirname "$db")/.vulndb.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "build the database from $(find "$src/data/osv" -name '*.json' | wc -l) reports of golang.org/x/vulndb@$vulndb_version" >&2
	"$bin/indexdb" -vulns "$src/data/osv" -out "$tmp/db"
	rm -rf "$db"
	mv "$tmp/db" "$db"
fi
# indexdb leaves every "modified" time at zero: the data is as fresh as the
# vulndb commit its pseudo-version names.
stamp=${vulndb_version#v0.0.0-}
stamp=${stamp%%-*}
echo "database: $db (reports as of ${stamp:0:4}-${stamp:4:2}-${stamp:6:2} ${stamp:8:2}:${stamp:10:2} UTC, the vulndb commit)" >&2

# file:// needs an absolute path. GOFLAGS and GOTOOLCHAIN are left as the
# build uses them: govulncheck analyses the code the toolchain would build.
if [[ $# -eq 0 ]]; then
	set -- ./...
fi
echo "govulncheck@$govulncheck_version -db file://$db $*" >&2
exec "$bin/govulncheck" -db "file://$db" "$@"
