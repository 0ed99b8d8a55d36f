#!/usr/bin/env bash
# Load-tests dognames against cmd/constserver, a bare net/http server with a
# constant body, on loopback. Absolute numbers depend on the machine; the
# dognames/constant ratio is the figure to watch (target: >= 0.95).
#
# Usage: scripts/loadtest.sh            (DURATION=30s scripts/loadtest.sh)
set -euo pipefail

if ! command -v wrk >/dev/null 2>&1; then
	echo "wrk is not installed: run 'apt-get install wrk' (or your platform's equivalent)" >&2
	exit 1
fi
if ! command -v curl >/dev/null 2>&1; then
	echo "curl is not installed: run 'apt-get install curl'" >&2
	exit 1
fi

duration=${DURATION:-10s}
module_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
pids=()

cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building into $tmp"
(cd "$module_dir" && GOWORK=off go build -o "$tmp/dognames" . && GOWORK=off go build -o "$tmp/constserver" ./cmd/constserver)

HOST=127.0.0.1 PORT=18080 LOG_LEVEL=warn DRAIN_DELAY=0s "$tmp/dognames" 2>"$tmp/dognames.log" &
pids+=($!)
HOST=127.0.0.1 PORT=18081 "$tmp/constserver" 2>"$tmp/constserver.log" &
pids+=($!)

# wait_up waits until url answers, failing early if the server (pid) died,
# for example because something else already holds its port.
wait_up() {
	local pid=$1 url=$2
	for _ in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "server for $url exited; logs:" >&2
			cat "$tmp"/*.log >&2
			exit 1
		fi
		if curl -fsS -o /dev/null "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "server at $url did not come up; logs:" >&2
	cat "$tmp"/*.log >&2
	exit 1
}
wait_up "${pids[0]}" http://127.0.0.1:18080/healthz
wait_up "${pids[1]}" http://127.0.0.1:18081/dogs

# Untimed warm-up, so neither side's first measured run pays for cold
# connections, caches and heap growth.
for u in http://127.0.0.1:18081/dogs http://127.0.0.1:18080/dogs; do
	wrk -t2 -c64 -d2s "$u" >/dev/null
done

declare -A best=([constant]=0 [dognames]=0)
declare -A url=([constant]=http://127.0.0.1:18081/dogs [dognames]=http://127.0.0.1:18080/dogs)

for round in 1 2; do
	for name in constant dognames; do
		out=$(wrk -t2 -c64 -d"$duration" --latency "${url[$name]}")
		rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
		p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
		p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
		errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
		printf 'round %d %-9s %10s req/s  p50 %-8s p99 %-8s %s\n' "$round" "$name" "$rps" "$p50" "$p99" "$errors"
		if awk -v a="$rps" -v b="${best[$name]}" 'BEGIN {exit !(a > b)}'; then
			best[$name]=$rps
		fi
	done
done

awk -v d="${best[dognames]}" -v c="${best[constant]}" 'BEGIN {
	printf "best: constant %.0f req/s, dognames %.0f req/s, ratio dognames/constant %.3f\n", c, d, d / c
}'
