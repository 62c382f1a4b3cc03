#!/usr/bin/env bash
# docker.sh lints the Dockerfile, then builds the image and runs it for real,
# on a machine that reaches no container registry:
#
#   lint   the pinned Dockerfile linters (deploy/lint: dockerfilelint and
#          dockerfile-utils, from npm) on the Dockerfile, which holds both build
#          paths; plus the one check their configuration turns off
#   image  installs Debian's docker.io if dockerd is missing; starts a dockerd
#          of its own (vfs storage, no bridge, no iptables; its data under
#          .cache/docker, its socket and pidfile under /run/httpstatus-exporter-docker);
#          builds bin/exporter (make build: static, version stamped); stages it
#          with passwd, group and the host's CA bundle and builds the Dockerfile's
#          `local` target FROM scratch; runs the container read-only as
#          65532:65532 with --group-add 4 on a root:adm 0640 log, a mounted
#          state folder and the host network; appends lines and checks the exact
#          counts scraped from /metrics; stops it, appends more, starts it again
#          and checks that it resumed at its checkpoint; runs it once more
#          without --group-add 4 (the log must stay unreadable) and on a named
#          volume (the checkpoint must be written there); then stops dockerd.
#
#   scripts/docker.sh            # lint, then image
#   scripts/docker.sh lint       # or: image
#   scripts/docker.sh install    # only install docker.io if missing (CI's install stage)
#
# Re-runnable: a dockerd left by an interrupted run (found by its pidfile and
# its own exec root in its command line) is stopped first, and every exit stops
# what this run started. Needs root (apt-get, dockerd).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/go-toolchain.sh

what=${1:-all}
case $what in
all | lint | image | install) ;;
*)
	echo "usage: $0 [all|lint|image|install]" >&2
	exit 2
	;;
esac

t0=$SECONDS
step() { printf -- '--- %s (%ds)\n' "$*" $((SECONDS - t0)); }
die() {
	echo "docker.sh: $*" >&2
	exit 1
}

# ---------------------------------------------------------------- lint
lint() {
	local lintdir=$root/.cache/dockerfile-lint
	step "dockerfile linters (deploy/lint/package-lock.json)"
	command -v npm >/dev/null || die "npm is needed for the Dockerfile linters"
	mkdir -p "$lintdir"
	# npm ci installs exactly the locked tree; skipped when it is installed already.
	if ! cmp -s deploy/lint/package-lock.json "$lintdir/package-lock.json" ||
		[[ ! -x $lintdir/node_modules/.bin/dockerfilelint || ! -x $lintdir/node_modules/.bin/dockerfile-utils ]]; then
		cp deploy/lint/package.json deploy/lint/package-lock.json "$lintdir/"
		(cd "$lintdir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
	local v1 v2
	v1=$(node -p 'require(process.argv[1]).version' "$lintdir/node_modules/dockerfilelint/package.json")
	v2=$(node -p 'require(process.argv[1]).version' "$lintdir/node_modules/dockerfile-utils/package.json")
	echo "dockerfilelint $v1, dockerfile-utils $v2"

	# dockerfilelint: best practices; exceptions in deploy/lint/.dockerfilelintrc.
	"$lintdir/node_modules/.bin/dockerfilelint" -c deploy/lint Dockerfile
	# dockerfile-utils: validity (unknown flags, missing arguments, bad
	# instructions); it prints nothing when there is nothing to say.
	local out
	out=$("$lintdir/node_modules/.bin/dockerfile-utils" lint Dockerfile 2>&1) || {
		echo "$out"
		die "dockerfile-utils found problems"
	}
	if [[ -n $out ]]; then
		echo "$out"
		die "dockerfile-utils found problems"
	fi
	echo "dockerfile-utils: no findings"

	# What .dockerfilelintrc turns off (missing_tag), checked here: every FROM
	# that is neither scratch nor an earlier stage names a tag or a digest, and
	# no tag is latest.
	awk '
		toupper($1) == "FROM" {
			img = $2
			for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break }
			if (toupper($(NF-1)) == "AS") stages[$NF] = 1
			if (img == "scratch" || (img in stages)) next
			if (img !~ /@sha256:/ && img !~ /:[^\/]+$/) { print "line " NR ": base image without a tag: " img; bad = 1 }
			if (img ~ /:latest$/) { print "line " NR ": base image tagged latest: " img; bad = 1 }
		}
		END { exit bad }' Dockerfile || die "base image tags"
	echo "base images: every one tagged"
}

# ---------------------------------------------------------------- image
run_dir=/run/httpstatus-exporter-docker # exec root, socket, pidfile: short paths for the unix sockets
data_root=$root/.cache/docker
sock=$run_dir/docker.sock
pidfile=$run_dir/dockerd.pid
container=httpstatus-exporter-test
image=httpstatus-exporter:local
work=""
dockerd_pid=""
docker_bin=""

# BuildKit, as in any current Docker: it runs only the stages --target needs.
# DOCKER_BUILDKIT=0 scripts/docker.sh image tries the classic builder instead.
buildkit=${DOCKER_BUILDKIT:-1}
dk() { DOCKER_HOST=unix://$sock DOCKER_BUILDKIT=$buildkit BUILDKIT_PROGRESS=plain "$docker_bin" "$@"; }

# stop_pid PID: SIGTERM, up to 20 s, then SIGKILL; only ever a pid this
# script started or found by its own exec root.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	echo "pid $pid did not stop in 20 s: SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

# ours PID: the process was started by this script (its command line names
# this script's exec root).
ours() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$run_dir"; }

stop_stale() {
	if [[ -s $pidfile ]]; then
		local pid
		pid=$(cat "$pidfile")
		if ours "$pid"; then
			echo "stopping dockerd $pid left by an earlier run"
			stop_pid "$pid"
		fi
		rm -f "$pidfile"
	fi
	# Its containerd, if dockerd died without stopping it.
	local p
	for p in $(pgrep -x containerd 2>/dev/null || true); do
		if ours "$p"; then
			echo "stopping containerd $p left by an earlier run"
			stop_pid "$p"
		fi
	done
}

cleanup() {
	local rc=$?
	set +e
	if [[ -n $dockerd_pid ]]; then
		if [[ $rc -ne 0 ]] && dk inspect "$container" >/dev/null 2>&1; then
			echo "--- container log (last 40 lines)"
			dk logs --tail 40 "$container" 2>&1
		fi
		dk rm -f "$container" >/dev/null 2>&1
		step "stopping dockerd $dockerd_pid"
		stop_pid "$dockerd_pid"
		if [[ $rc -ne 0 && -s $run_dir/dockerd.log ]]; then
			echo "--- dockerd log (last 30 lines)"
			tail -n 30 "$run_dir/dockerd.log"
		fi
		rm -f "$pidfile"
	fi
	[[ -n $work ]] && rm -rf "$work"
	exit "$rc"
}

install_docker() {
	if command -v dockerd >/dev/null 2>&1 && [[ -x /usr/bin/docker ]]; then
		return
	fi
	step "installing Debian's docker.io"
	[[ $(id -u) -eq 0 ]] || die "root is needed to install docker.io and run dockerd"
	# The package's scripts would start the docker service: a temporary
	# policy-rc.d answering 101 forbids it (this script starts its own dockerd).
	local policy=/usr/sbin/policy-rc.d made=false
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# written by httpstatus-exporter scripts/docker.sh; removed after the install\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		made=true
	fi
	local apt_opts=(-o DPkg::Lock::Timeout=300) status=0
	{
		apt-get "${apt_opts[@]}" update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends docker.io
	} || status=$?
	[[ $made == true ]] && rm -f "$policy"
	[[ $status -eq 0 ]] || die "apt-get install docker.io failed ($status)"
}

start_dockerd() {
	stop_stale
	mkdir -p "$run_dir" "$data_root"
	step "starting dockerd (data root $data_root)"
	# No bridge, no iptables, no ip_forward: nothing here may change the host's
	# network (so each step prints dockerd's "IPv4 forwarding is disabled"
	# warning); containers use --network host. vfs needs no overlay support.
	dockerd \
		--host="unix://$sock" \
		--data-root="$data_root" \
		--exec-root="$run_dir/exec" \
		--pidfile="$pidfile" \
		--storage-driver=vfs \
		--bridge=none \
		--iptables=false \
		--ip6tables=false \
		--ip-forward=false \
		--ip-masq=false \
		>"$run_dir/dockerd.log" 2>&1 &
	dockerd_pid=$!
	local deadline=$((SECONDS + 60))
	until dk version >/dev/null 2>&1; do
		kill -0 "$dockerd_pid" 2>/dev/null || {
			tail -n 30 "$run_dir/dockerd.log" >&2
			dockerd_pid=""
			die "dockerd exited"
		}
		((SECONDS < deadline)) || die "dockerd not answering after 60 s"
		sleep 0.2
	done
	dk version --format 'docker client {{.Client.Version}}, engine {{.Server.Version}} (API {{.Server.APIVersion}})'
}

# free_port: a TCP port nothing listens on now.
free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 20000))
		if ! ss -Htln "sport = :$p" | grep -q .; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# metric FILE NAME LABELS...: the value of the one series of NAME carrying
# every label="value" given, or "absent". Text format: name{l="v",...} value
metric() {
	local file=$1 name=$2
	shift 2
	awk -v name="$name" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		index($0, name "{") == 1 || $1 == name {
			for (i = 1; i <= n; i++) if (index($0, w[i]) == 0) next
			v = $NF; found++
		}
		END { if (found == 1) print v + 0; else if (found == 0) print "absent"; else print "ambiguous" }' "$file"
}

scrape() { curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" >"$work/metrics"; }

# wait_for DESC CMD...: until CMD succeeds, 30 s at most.
wait_for() {
	local desc=$1 deadline=$((SECONDS + 30))
	shift
	until "$@"; do
		if [[ $(dk inspect -f '{{.State.Running}}' "$container" 2>/dev/null) != true ]]; then
			die "container stopped while waiting for $desc"
		fi
		((SECONDS < deadline)) || die "timed out waiting for $desc"
		sleep 0.2
	done
}

ready() { curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$port/-/ready"; }
lines_read_is() { scrape && [[ $(metric "$work/metrics" httpstatus_lines_read_total 'source="app"') == "$1" ]]; }

# expect NAME LABELS VALUE
fails=0
expect() {
	local got
	got=$(metric "$work/metrics" "$1" "$2")
	if [[ $got == "$3" ]]; then
		printf '  ok   %s{%s} = %s\n' "$1" "$2" "$got"
	else
		printf '  FAIL %s{%s} = %s, want %s\n' "$1" "$2" "$got" "$3"
		fails=$((fails + 1))
	fi
}

line() { printf '10.0.0.%d - - [26/Nov/2026:10:00:%02d +0000] "GET /api/v1/tasks/%d HTTP/1.1" %s 512 "-" "curl/8.5.0"\n' "$1" "$1" "$1" "$2"; }

image() {
	[[ $(id -u) -eq 0 ]] || die "root is needed to run dockerd"
	install_docker
	docker_bin=/usr/bin/docker # docker.io's client, the engine's own version
	trap cleanup EXIT
	work=$(mktemp -d)
	start_dockerd

	step "make build (static bin/exporter)"
	make --no-print-directory build
	go version -m bin/exporter | grep -q 'CGO_ENABLED=0' || die "bin/exporter was not built with CGO_ENABLED=0"
	# The version and revision make stamped, as the binary reports them:
	# "exporter (httpstatus-exporter) version V, revision R, goV".
	local stamped version revision
	stamped=$(bin/exporter --version)
	version=$(sed -n 's/.* version \([^,]*\),.*/\1/p' <<<"$stamped")
	revision=$(sed -n 's/.* revision \([^,]*\),.*/\1/p' <<<"$stamped")
	[[ -n $version && -n $revision ]] || die "cannot read the version from: $stamped"

	step "staging the build context of --target=local"
	local ctx=$work/ctx
	mkdir -p "$ctx/state"
	cp bin/exporter "$ctx/exporter"
	[[ -s /etc/ssl/certs/ca-certificates.crt ]] || die "no CA bundle at /etc/ssl/certs/ca-certificates.crt (Debian's ca-certificates)"
	cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
	printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$ctx/passwd"
	printf '%s\n' 'root:x:0:' 'adm:x:4:' 'nonroot:x:65532:' >"$ctx/group"

	step "docker build --target=local ($image)"
	dk build --target=local -f Dockerfile -t "$image" \
		--build-arg VERSION="$version" --build-arg REVISION="$revision" "$ctx"
	local info
	# shellcheck disable=SC2016 # a Go template, not shell
	info=$(dk image inspect "$image" --format '{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{range $p, $_ := .Config.ExposedPorts}}{{$p}}{{end}}|{{index .Config.Labels "org.opencontainers.image.version"}}|{{.Size}}')
	echo "image: $info"
	IFS='|' read -r user entry cmd ports label size <<<"$info"
	[[ $user == 65532:65532 ]] || die "image user $user, want 65532:65532"
	[[ $entry == '["/bin/exporter"]' ]] || die "image entrypoint $entry"
	[[ $cmd == '["run"]' ]] || die "image cmd $cmd"
	[[ $ports == 10066/tcp ]] || die "image exposes $ports, want 10066/tcp"
	[[ $label == "$version" ]] || die "image version label $label, want $version"
	echo "image size: $((size / 1024 / 1024)) MiB"
	# The checkpoint folder in the image belongs to nonroot, so a named volume
	# (which docker fills from the image, owner included) is writable too.
	local owner
	dk rm -f "$container" >/dev/null 2>&1 || true
	dk create --name "$container" "$image" >/dev/null
	owner=$(dk cp "$container:/var/lib/httpstatus-exporter" - | tar --numeric-owner -tvf - | awk 'NR == 1 { print $1, $2 }')
	dk rm "$container" >/dev/null
	echo "/var/lib/httpstatus-exporter in the image: $owner"
	[[ $owner == "drwx"*" 65532/65532" ]] || die "/var/lib/httpstatus-exporter in the image: $owner, want 65532/65532"
	local printed
	printed=$(dk run --rm --read-only "$image" --version 2>&1)
	echo "$printed"
	[[ $printed == *"version $version,"* ]] || die "--version in the image does not say $version"

	step "running the container"
	# The log as nginx writes it on Debian: root:adm 0640 in a root:adm 0750
	# folder, readable by uid 65532 only through --group-add 4.
	local logdir=$work/log statedir=$work/state
	mkdir -p "$logdir" "$statedir"
	chown 0:4 "$logdir"
	chmod 0750 "$logdir"
	for i in 1 2; do line "$i" 200; done >"$logdir/access.log" # before start: not counted (--tail.from=end)
	chown 0:4 "$logdir/access.log"
	chmod 0640 "$logdir/access.log"
	chown 65532:65532 "$statedir"
	chmod 0700 "$statedir"
	port=$(free_port)
	local run_args=(--read-only --user 65532:65532 --group-add 4 --network host
		--cap-drop ALL --security-opt no-new-privileges
		-v "$logdir:/var/log/app:ro" -v "$statedir:/var/lib/httpstatus-exporter"
		-e HTTPSTATUS_LOG_PATH='/var/log/app/*.log')
	dk rm -f "$container" >/dev/null 2>&1 || true
	dk run -d --name "$container" "${run_args[@]}" "$image" \
		run --log.source=app --web.listen-address="127.0.0.1:$port" --checkpoint.interval=1s >/dev/null
	wait_for "/-/ready on :$port" ready
	curl -sf -o /dev/null "http://127.0.0.1:$port/-/healthy" || die "/-/healthy"

	{
		for i in 3 4 5 6; do line "$i" 200; done
		line 7 404
		line 8 404
		line 9 503
		line 10 502
		line 11 304
		echo 'not an access log line'
	} >>"$logdir/access.log"
	wait_for "10 lines read" lines_read_is 10
	echo "scraped /metrics from the container (127.0.0.1:$port):"
	expect httpstatus_responses_total 'code="200" category="success"' 4
	expect httpstatus_responses_total 'code="404" category="not-found"' 2
	expect httpstatus_responses_total 'code="503" category="server"' 1
	expect httpstatus_responses_total 'code="502" category="gateway"' 1
	expect httpstatus_responses_total 'code="304" category="redirect"' 1
	expect httpstatus_responses_total 'code="500" category="server"' 0
	expect httpstatus_lines_unparsed_total 'reason="no_match"' 1
	expect httpstatus_files_followed 'source="app"' 1
	expect httpstatus_errors_total 'reason="open"' 0
	expect httpstatus_exporter_build_info "version=\"$version\"" 1

	step "stop (SIGTERM), append while stopped, start again"
	dk stop -t 30 "$container" >/dev/null
	local code
	code=$(dk inspect -f '{{.State.ExitCode}}' "$container")
	[[ $code == 0 ]] || die "container exited $code on SIGTERM, want 0"
	[[ -s $statedir/positions.json ]] || die "no checkpoint in the mounted state folder"
	echo "checkpoint: $(stat -c '%u:%g %a, %s bytes' "$statedir/positions.json")"
	[[ $(stat -c %u "$statedir/positions.json") == 65532 ]] || die "checkpoint not written by uid 65532"
	for i in 12 13 14; do line "$i" 201; done >>"$logdir/access.log"
	dk start "$container" >/dev/null
	wait_for "/-/ready after restart" ready
	wait_for "3 lines read after restart" lines_read_is 3
	echo "after the restart (only the lines written while stopped, each once):"
	expect httpstatus_responses_total 'code="201" category="success"' 3
	expect httpstatus_responses_total 'code="200" category="success"' 0
	expect httpstatus_errors_total 'reason="checkpoint_read"' 0
	expect httpstatus_errors_total 'reason="checkpoint_write"' 0
	dk stop -t 30 "$container" >/dev/null

	step "without --group-add 4, on a named volume"
	# The control for the first run: group adm is what let uid 65532 read
	# the root:adm 0640 log. And the state on a named volume instead of a
	# bind mount: docker fills a new volume from the image, owner included,
	# so the checkpoint can be written there without a chown.
	local nogroup=() volume=$container-state
	for a in "${run_args[@]}"; do
		case $a in
		--group-add | 4) ;;
		"$statedir:"*) nogroup+=("$volume:${a#*:}") ;;
		*) nogroup+=("$a") ;;
		esac
	done
	dk rm -f "$container" >/dev/null
	dk volume rm -f "$volume" >/dev/null
	dk run -d --name "$container" "${nogroup[@]}" "$image" \
		run --log.source=app --web.listen-address="127.0.0.1:$port" >/dev/null
	wait_for "/-/ready without group adm" ready
	scrape
	expect httpstatus_files_followed 'source="app"' 0
	expect httpstatus_lines_read_total 'source="app"' 0
	dk stop -t 30 "$container" >/dev/null
	owner=$(dk cp "$container:/var/lib/httpstatus-exporter/positions.json" - | tar --numeric-owner -tvf - | awk '{ print $2 }')
	echo "checkpoint on the named volume: owner $owner"
	[[ $owner == 65532/65532 ]] || die "checkpoint on the named volume: owner $owner, want 65532/65532"
	dk rm -f "$container" >/dev/null
	dk volume rm -f "$volume" >/dev/null

	step "pruning old images and the build cache"
	# The images this tag pointed at before, and BuildKit's cache: a build takes
	# seconds, a data root that grows with every run is worse.
	dk image prune -f >/dev/null
	[[ $buildkit == 0 ]] || dk builder prune -af >/dev/null

	[[ $fails -eq 0 ]] || die "$fails checks failed"
	step "image: all checks passed"
}

case $what in
install) install_docker ;;
lint) lint ;;
image) image ;;
all)
	lint
	image
	;;
esac
step "done"
