#!/usr/bin/env bash
# Load-tests the local gateway: wrk against dognames' GET /dogs directly and
# through the gateway (127.0.0.1 only), alternating, 2 rounds each, and
# prints req/s, p50 and p99 for both, the throughput ratio and the latency
# the gateway adds. Target: the gateway keeps >= 70% of direct throughput.
#
# It runs the same topology as `make run` (cmd/localrun), in a temporary
# directory, with throttling raised out of the way (-throttle-rate and
# -throttle-burst; the deployed 100 req/s would make this a throttling test)
# and the access log written to a file, as a real run writes it.
#
# Each run also prints the CPU time dognames and the gateway (localrun)
# spent per request: on a small machine wrk, the service and the gateway
# share the cores, so the throughput ratio is bounded by what the gateway
# costs next to the service.
#
# Usage: cmd/localrun/loadtest.sh
#   DURATION=30s THREADS=2 CONNECTIONS=128 change the wrk runs;
#   GATEWAY_PORT, DOGNAMES_PORT, TODO_PORT the ports (18280-18282);
#   LOCALRUN_ENV='env GOGC=400' runs localrun under other runtime settings.
set -euo pipefail

for tool in wrk curl go; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool is not installed (wrk: 'apt-get install wrk' or your platform's equivalent)" >&2
		exit 1
	fi
done

duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-64}
gw_port=${GATEWAY_PORT:-18280}
dn_port=${DOGNAMES_PORT:-18281}
todo_port=${TODO_PORT:-18282}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
pid=

cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		# localrun stops its services on SIGTERM; give it 20 s, then
		# SIGKILL (the services then get SIGTERM from the kernel).
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 200); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building localrun into $tmp"
(cd "$root" && GOWORK=off go build -o "$tmp/localrun" ./cmd/localrun)

${LOCALRUN_ENV:-} "$tmp/localrun" -repo "$root" -local-dir "$tmp" \
	-port "$gw_port" -dognames-port "$dn_port" -todo-port "$todo_port" \
	-throttle-rate 1000000 -throttle-burst 1000000 \
	>"$tmp/access.log" 2>"$tmp/localrun.log" &
pid=$!

# Up to 3 minutes: the first run builds both services.
for i in $(seq 1 1800); do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "localrun exited; its log:" >&2
		cat "$tmp/localrun.log" >&2
		exit 1
	fi
	if curl -fsS -o /dev/null "http://127.0.0.1:$gw_port/dogs" 2>/dev/null; then
		break
	fi
	if [[ $i == 1800 ]]; then
		echo "the gateway did not come up; localrun's log:" >&2
		cat "$tmp/localrun.log" >&2
		exit 1
	fi
	sleep 0.1
done

declare -A url=(
	[direct]="http://127.0.0.1:$dn_port/dogs"
	[gateway]="http://127.0.0.1:$gw_port/dogs"
)

# Untimed warm-up: connections, caches and heaps of both paths.
for name in direct gateway; do
	wrk -t"$threads" -c"$connections" -d2s "${url[$name]}" >/dev/null
done

# ms converts wrk's latency ("850.12us", "1.25ms", "1.02s") to milliseconds.
ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.3f", n
	}'
}

# cpu_ticks prints a process's user+system CPU time in clock ticks (Linux
# /proc; 0 elsewhere), to report what each request costs each process.
cpu_ticks() {
	if [[ -r /proc/$1/stat ]]; then
		awk '{print $14 + $15}' "/proc/$1/stat"
	else
		echo 0
	fi
}
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
dn_pid=$(pgrep -P "$pid" -x dognames || echo "$pid")

declare -A best=([direct]=0 [gateway]=0) p50sum=([direct]=0 [gateway]=0) p99sum=([direct]=0 [gateway]=0)
rounds=2
for round in $(seq 1 $rounds); do
	for name in direct gateway; do
		gw0=$(cpu_ticks "$pid") dn0=$(cpu_ticks "$dn_pid")
		out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "${url[$name]}")
		gw1=$(cpu_ticks "$pid") dn1=$(cpu_ticks "$dn_pid")
		rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
		p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
		p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
		n=$(awk '/requests in/ {print $1}' <<<"$out")
		cpu=$(awk -v g=$((gw1 - gw0)) -v d=$((dn1 - dn0)) -v n="$n" -v hz="$clk_tck" \
			'BEGIN {printf "cpu/req: dognames %.1fus gateway %.1fus", d * 1e6 / hz / n, g * 1e6 / hz / n}')
		errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
		printf 'round %d %-8s %10s req/s  p50 %-9s p99 %-9s %s %s\n' "$round" "$name" "$rps" "$p50" "$p99" "$cpu" "$errors"
		if awk -v a="$rps" -v b="${best[$name]}" 'BEGIN {exit !(a > b)}'; then
			best[$name]=$rps
		fi
		p50sum[$name]=$(awk -v a="${p50sum[$name]}" -v b="$(ms "$p50")" 'BEGIN {print a + b}')
		p99sum[$name]=$(awk -v a="${p99sum[$name]}" -v b="$(ms "$p99")" 'BEGIN {print a + b}')
	done
done

awk -v d="${best[direct]}" -v g="${best[gateway]}" \
	-v d50="${p50sum[direct]}" -v g50="${p50sum[gateway]}" \
	-v d99="${p99sum[direct]}" -v g99="${p99sum[gateway]}" -v r="$rounds" 'BEGIN {
	printf "best: direct %.0f req/s, gateway %.0f req/s, ratio gateway/direct %.3f (target >= 0.70)\n", d, g, g / d
	printf "mean p50: direct %.3f ms, gateway %.3f ms, added %.3f ms\n", d50 / r, g50 / r, (g50 - d50) / r
	printf "mean p99: direct %.3f ms, gateway %.3f ms, added %.3f ms\n", d99 / r, g99 / r, (g99 - d99) / r
}'
# Under saturation the added latency is mostly queueing; one connection
# shows what a single hop through the gateway costs.
declare -A light50 light99
for name in direct gateway; do
	out=$(wrk -t1 -c1 -d"${LIGHT_DURATION:-5s}" --latency "${url[$name]}")
	light50[$name]=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
	light99[$name]=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
	printf 'one connection %-8s %10s req/s  p50 %.3f ms  p99 %.3f ms\n' "$name" \
		"$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")" "${light50[$name]}" "${light99[$name]}"
done
awk -v d50="${light50[direct]}" -v g50="${light50[gateway]}" -v d99="${light99[direct]}" -v g99="${light99[gateway]}" \
	'BEGIN {printf "one connection: the gateway adds %.3f ms at p50, %.3f ms at p99\n", g50 - d50, g99 - d99}'
echo "access log: $(wc -l <"$tmp/access.log") lines"
