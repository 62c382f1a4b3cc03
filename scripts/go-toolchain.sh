# go-toolchain.sh is sourced by every script that runs go, from the module's
# root. It pins the Go toolchain to go.mod's toolchain line (go1.27.3: the
# release that fixes the standard library's vulnerabilities govulncheck finds
# in go1.26.8, see scripts/vulncheck.sh), so that what is tested, linted,
# scanned and shipped is built by one toolchain. The go command fetches that
# toolchain from the module proxy once (about 76 MB). A machine whose go.env
# says GOTOOLCHAIN=local (Debian's, this project's machines) ignores the
# toolchain line, hence the export. An explicit GOTOOLCHAIN is left alone.
if [[ -z ${GOTOOLCHAIN:-} ]]; then
	GOTOOLCHAIN=$(awk '$1 == "toolchain" { print $2 }' go.mod)
	export GOTOOLCHAIN
fi
