#!/usr/bin/env bash
# Measures what matters of the local gateway, a development tool:
#
#   1. the latency it adds to a request, on one connection: p50 and p99 of
#      GET /dogs (dog names) and GET /todo (a page of 20 items) through the
#      gateway, against the same requests sent to the service directly;
#   2. that it sustains at least 10 times the throttle rate the consumer
#      stack configures, without an error or a missed request: an open-loop
#      load at 10 x the configured per-route rate on each of the four read
#      routes it exercises, every answer 200.
#
# It runs the topology `make run` runs (cmd/localrun), in a temporary
# directory, with throttling raised out of the way (-throttle-rate and
# -throttle-burst: this measures the gateway, not its limits) and the access
# log written to a file, as a real run writes it. cmd/loadgen sends the
# requests.
#
# Usage: cmd/localrun/loadtest.sh
#   DURATION=20s changes each measurement's length (default 10s);
#   GATEWAY_PORT, DOGNAMES_PORT, TODO_PORT the ports (18280-18282).
set -euo pipefail

for tool in curl go; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool is not installed" >&2
		exit 1
	fi
done

duration=${DURATION:-10s}
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

# The per-route read rate the consumer deploys: Pulumi.consumer.yaml's, or
# Pulumi.yaml's default.
config_value() {
	awk -v key="$1" '$1 == key":" { print $2; exit }' "$2"
}
rate=$(config_value "private-apis:routeRateLimit" "$root/Pulumi.consumer.yaml")
if [[ -z $rate ]]; then
	rate=$(awk '/^  routeRateLimit:/ { found = 1 } found && $1 == "default:" { print $2; exit }' "$root/Pulumi.yaml")
fi

echo "building localrun and loadgen into $tmp"
(cd "$root" && GOWORK=off go build -o "$tmp/localrun" ./cmd/localrun &&
	GOWORK=off go build -o "$tmp/loadgen" ./cmd/loadgen)

"$tmp/localrun" -repo "$root" -local-dir "$tmp" \
	-port "$gw_port" -dognames-port "$dn_port" -todo-port "$todo_port" \
	-throttle-rate 10000 -throttle-burst 10000 \
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

# A page of 20 of the anonymous caller's items (the gateway removes
# x-user-id, so both paths list the same user's).
for i in $(seq 1 20); do
	curl -fsS -o /dev/null -X POST --data-urlencode "data=load test item $i" "http://127.0.0.1:$todo_port/todo"
done

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2" | tr -d 'ms'; }

echo
echo "1. latency on one connection, ${duration} each (closed loop)"
for svc in dognames todo; do
	if [[ $svc == dognames ]]; then path=/dogs port=$dn_port; else path=/todo port=$todo_port; fi
	direct=$("$tmp/loadgen" -c 1 -d "$duration" -strict "http://127.0.0.1:$port$path")
	gateway=$("$tmp/loadgen" -c 1 -d "$duration" -strict "http://127.0.0.1:$gw_port$path")
	echo "  $svc direct:  $direct"
	echo "  $svc gateway: $gateway"
	awk -v d50="$(field p50 "$direct")" -v d99="$(field p99 "$direct")" \
		-v g50="$(field p50 "$gateway")" -v g99="$(field p99 "$gateway")" -v svc="$svc" \
		'BEGIN { printf "  %s: the gateway adds %.3f ms at p50 and %.3f ms at p99\n", svc, g50 - d50, g99 - d99 }'
done

target=$((rate * 10 * 4))
echo
echo "2. sustained load: 10 x the configured ${rate} req/s on each of 4 read routes = ${target} req/s through the gateway, ${duration} (open loop)"
status=0
sustained=$("$tmp/loadgen" -c 64 -d "$duration" -rate "$target" -strict \
	"http://127.0.0.1:$gw_port/dogs" "http://127.0.0.1:$gw_port/dogs/males" \
	"http://127.0.0.1:$gw_port/dogs/females" "http://127.0.0.1:$gw_port/todo") || status=$?
echo "  $sustained"
if [[ $status != 0 ]]; then
	echo "FAIL: the gateway did not answer every request 200 at ${target} req/s" >&2
	exit 1
fi
echo "  every request answered 2xx, none missed"
