#!/usr/bin/env bash
# install-debian.sh installs the Debian packages the tests drive, besides
# prometheus (install-prometheus.sh): Chromium for the status page test, wrk
# for the scrape-load test. A package whose command is already there is
# skipped, so a second run is quick.
set -euo pipefail

need=()
for pair in chromium:chromium wrk:wrk; do
	cmd=${pair%%:*} pkg=${pair##*:}
	command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [[ ${#need[@]} -gt 0 ]]; then
	if [[ $(id -u) -ne 0 ]]; then
		echo "install-debian: root is needed to install ${need[*]}" >&2
		exit 1
	fi
	apt_opts=(-o DPkg::Lock::Timeout=300)
	apt-get "${apt_opts[@]}" update -qq
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${need[@]}"
fi
chromium --version
command -v wrk
