#!/usr/bin/env bash
# Load-tests the local gateway: wrk against each service directly and
# through the gateway (127.0.0.1 only), alternating, 2 rounds each, and
# prints req/s, p50 and p99 for every path, each service's throughput ratio
# gateway/direct and the latency the gateway adds. Target: the gateway keeps
# >= 70% of direct throughput.
#
#   dognames  GET /dogs: the cheapest service there is (57 ns a request in
#             its handler), so its ratio is the gateway's cost laid bare;
#   todo      GET /todo: a page of 20 items from the embedded store, a
#             service that does some work for each request.
#
# Dog names is also measured through cmd/localrun/relay, a TCP relay that
# does nothing but copy bytes: the floor for any proxy on this machine. On a
# small machine wrk, the proxy and the service share the cores, and a proxy
# does twice the network I/O of the service behind it, so even the relay
# keeps well under 100%.
#
# It runs the same topology as `make run` (cmd/localrun), in a temporary
# directory, with throttling raised out of the way (-throttle-rate and
# -throttle-burst; the deployed 100 req/s would make this a throttling test)
# and the access log written to a file, as a real run writes it. Each run
# also prints the CPU time every process spent per request.
#
# Usage: cmd/localrun/loadtest.sh
#   DURATION=30s THREADS=2 CONNECTIONS=128 change the wrk runs;
#   GATEWAY_PORT, DOGNAMES_PORT, TODO_PORT, RELAY_PORT the ports (18280-18283);
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
relay_port=${RELAY_PORT:-18283}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
pid=
relay_pid=

cleanup() {
	if [[ -n $relay_pid ]]; then
		kill -TERM "$relay_pid" 2>/dev/null || true
	fi
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

echo "building localrun and relay into $tmp"
(cd "$root" && GOWORK=off go build -o "$tmp/localrun" ./cmd/localrun &&
	GOWORK=off go build -o "$tmp/relay" ./cmd/localrun/relay)

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

"$tmp/relay" "127.0.0.1:$relay_port" "127.0.0.1:$dn_port" 2>"$tmp/relay.log" &
relay_pid=$!

# The todo list is a page of 20 items of the caller's (the gateway removes
# x-user-id, so both paths list the anonymous caller's).
for i in $(seq 1 20); do
	curl -fsS -o /dev/null -X POST --data-urlencode "data=load test item $i" "http://127.0.0.1:$todo_port/todo"
done

# Each path: its service, how it is reached, and its URL.
paths=("dognames direct" "dognames relay" "dognames gateway" "todo direct" "todo gateway")
declare -A url=(
	["dognames direct"]="http://127.0.0.1:$dn_port/dogs"
	["dognames relay"]="http://127.0.0.1:$relay_port/dogs"
	["dognames gateway"]="http://127.0.0.1:$gw_port/dogs"
	["todo direct"]="http://127.0.0.1:$todo_port/todo"
	["todo gateway"]="http://127.0.0.1:$gw_port/todo"
)
for p in "${paths[@]}"; do
	if ! curl -fsS -o /dev/null "${url[$p]}"; then
		echo "$p: ${url[$p]} does not answer 2xx" >&2
		exit 1
	fi
done

# Untimed warm-up: connections, caches and heaps of every path.
for p in "${paths[@]}"; do
	wrk -t"$threads" -c"$connections" -d2s "${url[$p]}" >/dev/null
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
declare -A proc_pid=(
	[gateway]=$pid
	[relay]=$relay_pid
	[dognames]=$(pgrep -P "$pid" -x dognames || echo 0)
	[todo]=$(pgrep -P "$pid" -x todo || echo 0)
)
procs=(dognames todo gateway relay)

declare -A best p50sum p99sum
for p in "${paths[@]}"; do
	best[$p]=0 p50sum[$p]=0 p99sum[$p]=0
done
rounds=2
for round in $(seq 1 $rounds); do
	for p in "${paths[@]}"; do
		declare -A before=()
		for proc in "${procs[@]}"; do before[$proc]=$(cpu_ticks "${proc_pid[$proc]}"); done
		out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "${url[$p]}")
		n=$(awk '/requests in/ {print $1}' <<<"$out")
		cpu="cpu/req:"
		for proc in "${procs[@]}"; do
			ticks=$(($(cpu_ticks "${proc_pid[$proc]}") - ${before[$proc]}))
			if ((ticks > 0)); then
				cpu+=$(awk -v t="$ticks" -v n="$n" -v hz="$clk_tck" -v name="$proc" 'BEGIN {printf " %s %.1fus", name, t * 1e6 / hz / n}')
			fi
		done
		rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
		p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
		p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
		errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
		printf 'round %d %-17s %10s req/s  p50 %-9s p99 %-9s %s %s\n' "$round" "$p" "$rps" "$p50" "$p99" "$cpu" "$errors"
		if awk -v a="$rps" -v b="${best[$p]}" 'BEGIN {exit !(a > b)}'; then
			best[$p]=$rps
		fi
		p50sum[$p]=$(awk -v a="${p50sum[$p]}" -v b="$(ms "$p50")" 'BEGIN {print a + b}')
		p99sum[$p]=$(awk -v a="${p99sum[$p]}" -v b="$(ms "$p99")" 'BEGIN {print a + b}')
	done
done

echo
for svc in dognames todo; do
	d="$svc direct" g="$svc gateway"
	awk -v svc="$svc" -v d="${best[$d]}" -v g="${best[$g]}" \
		-v d50="${p50sum[$d]}" -v g50="${p50sum[$g]}" \
		-v d99="${p99sum[$d]}" -v g99="${p99sum[$g]}" -v r="$rounds" 'BEGIN {
		printf "%-8s best: direct %.0f req/s, gateway %.0f req/s, ratio gateway/direct %.3f (target >= 0.70)\n", svc, d, g, g / d
		printf "%-8s mean p50: direct %.3f ms, gateway %.3f ms, added %.3f ms\n", svc, d50 / r, g50 / r, (g50 - d50) / r
		printf "%-8s mean p99: direct %.3f ms, gateway %.3f ms, added %.3f ms\n", svc, d99 / r, g99 / r, (g99 - d99) / r
	}'
done
awk -v d="${best[dognames direct]}" -v rl="${best[dognames relay]}" -v g="${best[dognames gateway]}" 'BEGIN {
	printf "floor    dognames through the byte relay: %.0f req/s, ratio relay/direct %.3f; the gateway keeps %.3f of the relay\n", rl, rl / d, g / rl
}'

# Under saturation the added latency is mostly queueing; one connection
# shows what a single hop through the gateway costs.
echo
for svc in dognames todo; do
	declare -A light50=() light99=()
	for way in direct gateway; do
		p="$svc $way"
		out=$(wrk -t1 -c1 -d"${LIGHT_DURATION:-5s}" --latency "${url[$p]}")
		light50[$way]=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
		light99[$way]=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
		printf 'one connection %-17s %10s req/s  p50 %.3f ms  p99 %.3f ms\n' "$p" \
			"$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")" "${light50[$way]}" "${light99[$way]}"
	done
	awk -v svc="$svc" -v d50="${light50[direct]}" -v g50="${light50[gateway]}" -v d99="${light99[direct]}" -v g99="${light99[gateway]}" \
		'BEGIN {printf "one connection %s: the gateway adds %.3f ms at p50, %.3f ms at p99\n", svc, g50 - d50, g99 - d99}'
done
echo "access log: $(wc -l <"$tmp/access.log") lines"
