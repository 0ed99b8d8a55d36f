#!/usr/bin/env bash
# Load-tests dognames against cmd/constserver, a bare net/http server with a
# constant body, on loopback. Absolute numbers depend on the machine; the
# dognames/constant ratio is the figure to watch (target: >= 0.95). On a
# shared machine a single run moves by several percent, so it runs ROUNDS
# rounds (default 5) of both, alternating which goes first, and reports
# each round's ratio and their median. It also reports each server's CPU
# time per request (from /proc), which a busy neighbour moves far less than
# throughput.
#
# Usage: scripts/loadtest.sh     (DURATION=10s ROUNDS=9 scripts/loadtest.sh)
set -euo pipefail

if ! command -v wrk >/dev/null 2>&1; then
	echo "wrk is not installed: run 'apt-get install wrk' (or your platform's equivalent)" >&2
	exit 1
fi
if ! command -v curl >/dev/null 2>&1; then
	echo "curl is not installed: run 'apt-get install curl'" >&2
	exit 1
fi

duration=${DURATION:-5s}
rounds=${ROUNDS:-5}
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

declare -A url=([constant]=http://127.0.0.1:18081/dogs [dognames]=http://127.0.0.1:18080/dogs)
declare -A pid=([dognames]=${pids[0]} [constant]=${pids[1]})
ratios=()
cpu_ratios=()

# cpu_ticks is a process's user and system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

for round in $(seq 1 "$rounds"); do
	order=(constant dognames)
	if ((round % 2 == 0)); then order=(dognames constant); fi
	declare -A rps=() cpu=()
	for name in "${order[@]}"; do
		before=$(cpu_ticks "${pid[$name]}")
		out=$(wrk -t2 -c64 -d"$duration" --latency "${url[$name]}")
		after=$(cpu_ticks "${pid[$name]}")
		rps[$name]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
		requests=$(awk '/requests in/ {print $1}' <<<"$out")
		cpu[$name]=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
		p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
		p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
		errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
		printf 'round %d %-9s %10s req/s  p50 %-8s p99 %-8s CPU %s us/request %s\n' "$round" "$name" "${rps[$name]}" "$p50" "$p99" "${cpu[$name]}" "$errors"
	done
	ratio=$(awk -v d="${rps[dognames]}" -v c="${rps[constant]}" 'BEGIN { printf "%.3f", d / c }')
	cpu_ratio=$(awk -v d="${cpu[dognames]}" -v c="${cpu[constant]}" 'BEGIN { printf "%.3f", c / d }')
	echo "round $round ratio dognames/constant: throughput $ratio, CPU per request (constant/dognames) $cpu_ratio"
	ratios+=("$ratio")
	cpu_ratios+=("$cpu_ratio")
done

median() { sort -n | awk -v what="$1" -v n="$rounds" '{ r[NR] = $1 } END {
	printf "%s over %d rounds: median %.3f (min %.3f, max %.3f)\n", what, n, r[int((NR + 1) / 2)], r[1], r[NR]
}'; }
printf '%s\n' "${ratios[@]}" | median "throughput ratio dognames/constant"
printf '%s\n' "${cpu_ratios[@]}" | median "CPU per request ratio constant/dognames"
