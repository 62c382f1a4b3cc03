#!/usr/bin/env bash
# cover.sh runs the tests once with a coverage profile and prints each
# package's total statement coverage as `go tool cover -func` computes it.
# Profiles go to OUT (default out/coverage): all.out for every package, and
# one file a package.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/go-toolchain.sh

out=${OUT:-out/coverage}
rm -rf "$out"
mkdir -p "$out"

# One run over every package keeps them building and testing in parallel. A
# failing test still leaves a profile: the table is printed, then the failure
# is this script's exit status. The torture suite is left out: it runs the
# built binary (whose coverage is not in the profile), takes minutes, and its
# scrape-load figure needs the machine to itself (CI's torture stage).
status=0
go test -count=1 -skip '^TestE2ETorture' -coverprofile="$out/all.out" ./... || status=$?
if [[ ! -s $out/all.out ]]; then
	echo "cover: no profile written" >&2
	[[ $status -ne 0 ]] || status=1
	exit "$status"
fi

# Split the profile by package: a line is "import/path/file.go:pos count".
awk -v dir="$out" '
	NR == 1 { mode = $0; next }
	{
		file = $1; sub(/:.*/, "", file)
		pkg = file; sub(/\/[^\/]*$/, "", pkg)
		f = pkg; gsub(/\//, "_", f); f = dir "/pkg-" f ".out"
		if (!(f in seen)) { seen[f] = 1; print mode > f; order[++n] = pkg; files[n] = f }
		print >> f
	}
	END { for (i = 1; i <= n; i++) print order[i] "\t" files[i] > (dir "/index.tsv") }
' "$out/all.out"

echo
printf '%-70s %s\n' "package" "coverage"
while IFS=$'\t' read -r pkg file; do
	total=$(go tool cover -func="$file" | awk '$1 == "total:" {print $NF}')
	printf '%-70s %s\n' "$pkg" "$total"
done < <(sort "$out/index.tsv")
printf '%-70s %s\n' "all" "$(go tool cover -func="$out/all.out" | awk '$1 == "total:" {print $NF}')"
exit "$status"
