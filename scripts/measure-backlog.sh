#!/usr/bin/env bash
# Measures the exporter catching up on a large backlog: peak RSS (VmHWM), wall
# time and CPU time of `exporter run` reading an nginx combined log of SIZE_MB
# (default 2048) from its start. The README's backlog figures come from here:
#
#   scripts/measure-backlog.sh            # 2 GiB
#   SIZE_MB=256 scripts/measure-backlog.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/go-toolchain.sh
size_mb=${SIZE_MB:-2048}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

go build -o "$work/exporter" ./cmd/exporter

# 32 MiB of varied lines (about 160 bytes each), repeated up to the size.
awk 'BEGIN { srand(7); split("200 200 200 200 200 201 301 304 400 401 403 404 404 500 502 503 504", c, " ");
  for (i = 0; i < 210000; i++)
    printf "10.%d.%d.%d - - [26/Nov/2026:10:%02d:%02d +0000] \"GET /api/v1/tasks/%d HTTP/1.1\" %s %d \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0\"\n",
      int(rand()*256), int(rand()*256), int(rand()*256), (i/60)%60, i%60, i, c[1+int(rand()*17)], int(rand()*90000) }' > "$work/chunk"
chunk_mb=$(( $(stat -c %s "$work/chunk") / 1048576 ))
: > "$work/access.log"
for ((i = 0; i < size_mb / chunk_mb; i++)); do cat "$work/chunk" >> "$work/access.log"; done
lines=$(( $(wc -l < "$work/chunk") * (size_mb / chunk_mb) ))
bytes=$(stat -c %s "$work/access.log")
echo "backlog: $lines lines, $bytes bytes"

port=$(( 20000 + RANDOM % 20000 ))
start=$(date +%s.%N)
"$work/exporter" --log.path="$work/access.log" --tail.from=start --checkpoint.file= \
  --web.listen-address="127.0.0.1:$port" --log.level=warn &
pid=$!
# Counters print as floats (1.47e+06): compare as numbers.
caught_up() { curl -s "http://127.0.0.1:$port/metrics" | awk -v want="$lines" '/^httpstatus_lines_read_total/ { ok = ($2 + 0 >= want) } END { exit !ok }'; }
until caught_up; do
  kill -0 "$pid" || { echo "exporter died"; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
hz=$(getconf CLK_TCK)
kill -TERM "$pid"; wait "$pid" || true; pid=
awk -v l="$lines" -v s="$start" -v e="$end" -v t="$ticks" -v hz="$hz" -v h="$hwm" 'BEGIN {
  cpu = t / hz; wall = e - s
  printf "wall %.2f s, cpu %.2f s, %.2fM lines/s, %.2fM lines/cpu-s, peak RSS %.1f MiB\n",
    wall, cpu, l / wall / 1e6, l / cpu / 1e6, h / 1024 }'
