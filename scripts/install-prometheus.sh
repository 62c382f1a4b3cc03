#!/usr/bin/env bash
# install-prometheus.sh installs Debian's prometheus package, which brings
# /usr/bin/prometheus and /usr/bin/promtool for the rule, alert and scrape
# tests. It does nothing when both are already there, so a second run is quick.
#
# The package's maintainer scripts try to start a prometheus service. In a
# container without systemd that start must not happen: a temporary
# /usr/sbin/policy-rc.d that answers 101 ("action forbidden") stops
# invoke-rc.d, deb-systemd-invoke does nothing without a running systemd, and
# any prometheus daemon that still appears during the install is stopped by
# its process id afterwards. The tests start their own Prometheus.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
	echo "prometheus already installed: $(command -v prometheus), $(command -v promtool)"
else
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null 2>&1; then
			exec sudo --preserve-env=PATH bash "$0" "$@"
		fi
		echo "install-prometheus: root (or sudo) is needed to install Debian's prometheus package" >&2
		exit 1
	fi

	policy=/usr/sbin/policy-rc.d
	made_policy=false
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# written by httpstatus-exporter scripts/install-prometheus.sh; removed after the install\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		made_policy=true
	fi
	cleanup() {
		if [[ $made_policy == true ]]; then
			rm -f "$policy"
		fi
	}
	trap cleanup EXIT

	before=" $( (pgrep -x prometheus || true) | tr "\n" " ") "

	# Wait for a lock held by another apt run rather than failing at once.
	apt_opts=(-o DPkg::Lock::Timeout=300)
	echo "apt-get update"
	apt-get "${apt_opts[@]}" update -qq
	echo "apt-get install prometheus"
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends prometheus

	# Stop only daemons that appeared during this install, by their id.
	for pid in $(pgrep -x prometheus 2>/dev/null || true); do
		if [[ $before != *" $pid "* ]]; then
			echo "stopping prometheus daemon started by the package (pid $pid)"
			kill "$pid" 2>/dev/null || true
		fi
	done
fi

# Both must run, not merely exist.
promtool --version 2>&1 | head -n 1
prometheus --version 2>&1 | head -n 1
