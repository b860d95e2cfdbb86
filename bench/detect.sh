#!/usr/bin/env bash
# Detection-path figures, measured on demand (never by the test command):
#   - `podman run --rm` of a trivial container without and with the hook,
#     alternating A B A B, median and p95, and the ratio (same run);
#   - the hook's own wall time (it logs it);
#   - attempt-to-alert delay on the sock_diag path: egprobe prints
#     CLOCK_REALTIME just before connect(), the alert has @timestamp;
#   - one monitor's RSS while its container runs.
# Usage: sudo bench/detect.sh [ROUNDS]   (default 15).  Root; leaves nothing
# running.  Containers use --network none or the bench's own sinkhole.
set -euo pipefail
rounds=${1:-15}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/eg-bench-detect.XXXXXX)
netns=egbench$$
image=localhost/eg-bench-detect:latest
cleanup() {
	podman rm -af >/dev/null 2>&1 || true
	podman rmi -f "$image" >/dev/null 2>&1 || true
	ip netns del "$netns" 2>/dev/null || true
	pkill -f "entryguard-monitor --container-dir $work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
source "$top/tests/lib/quirks.sh"
eg_quirk_cgroup_hybrid >/dev/null 2>&1 || true

meson setup "$work/build" --prefix="$work/prefix" -Dtests=false -Dbench=false >/dev/null
ninja -C "$work/build" install >/dev/null
egprobe_src=("$top/tests/integration/egprobe.c" "$top/tests/integration/egprobe_net.c")
cc -O2 -static -D_GNU_SOURCE -o "$work/egprobe" "${egprobe_src[@]}"

mkdir -p "$work/rootfs/bin" "$work/hooks" "$work/nohooks" "$work/run"
cp /bin/busybox "$work/rootfs/bin/" && ln -s busybox "$work/rootfs/bin/sh"
cp "$work/egprobe" "$work/rootfs/bin/egprobe"
printf '#!/bin/sh\n/bin/egprobe tcp 1.1.1.1 80 300\n' >"$work/rootfs/entrypoint.sh"
chmod +x "$work/rootfs/entrypoint.sh"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" . && podman import -q "$work/rootfs.tar" "$image" >/dev/null
printf '{"alerts": {"path": "%s/alerts.ndjson", "syslog": false}}\n' "$work" >"$work/config.json"
cat >"$work/hooks/entryguard.json" <<JSON
{"version": "1.0.0", "hook": {"path": "$work/prefix/libexec/entryguard/entryguard-hook",
 "args": ["entryguard-hook", "createRuntime"],
 "env": ["ENTRYGUARD_CONFIG=$work/config.json", "ENTRYGUARD_RUN_DIR=$work/run",
         "ENTRYGUARD_LOG_FILE=$work/log"]},
 "when": {"always": true}, "stages": ["createRuntime"]}
JSON
ip netns add "$netns"
ip -n "$netns" link set lo up
ip -n "$netns" link add sink0 type veth peer name sink1
ip -n "$netns" addr add 10.254.0.2/24 dev sink0
ip -n "$netns" link set sink0 up && ip -n "$netns" link set sink1 up
ip -n "$netns" route add default via 10.254.0.1 dev sink0
ip -n "$netns" neigh add 10.254.0.1 lladdr 02:00:00:00:00:01 dev sink0 nud permanent

limits=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }
start_once() { # start_once HOOKS_DIR -> ms
	local t0 t1
	t0=$(now_ms)
	podman --hooks-dir "$1" run --rm --network none "${limits[@]}" "$image" /bin/sh -c : >/dev/null
	t1=$(now_ms)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
: >"$work/plain" && : >"$work/hook"
for _ in $(seq "$rounds"); do
	start_once "$work/nohooks" >>"$work/plain"
	start_once "$work/hooks" >>"$work/hook"
done

# Attempt-to-alert: one container per round in the sinkhole.
: >"$work/latency"
for _ in $(seq "$rounds"); do
	out=$(podman --hooks-dir "$work/hooks" run --rm --network "ns:/run/netns/$netns" "${limits[@]}" \
		"$image" /entrypoint.sh 2>&1)
	at=$(grep -o 'attempt at [0-9]*' <<<"$out" | awk '{print $3}')
	alert=$(tail -n 1 "$work/alerts.ndjson" | python3 -c '
import datetime, json, sys
t = json.load(sys.stdin)["@timestamp"]
d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(int(d.timestamp() * 1e6))')
	echo "$(( (alert - at) ))" >>"$work/latency"
done

# One monitor's RSS while its container sleeps.
podman --hooks-dir "$work/hooks" run -d --name eg-bench-rss --network none "${limits[@]}" \
	"$image" /bin/sh -c 'sleep 5' >/dev/null
sleep 1
rss=$(ps -o rss= -C entryguard-moni | head -n 1 | tr -d ' ')
podman rm -f eg-bench-rss >/dev/null

python3 - "$work" "$rss" <<'PY'
import statistics, sys, re, pathlib
work = pathlib.Path(sys.argv[1]); rss = sys.argv[2]
def load(name): return [float(x) for x in (work / name).read_text().split()]
def p95(v): v = sorted(v); return v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
plain, hook = load("plain"), load("hook")
lat = [x / 1000 for x in load("latency")]
hooks = [float(m) for m in re.findall(r"hook took ([0-9.]+) ms", (work / "log").read_text())]
print(f"{'figure':44} {'median':>9} {'p95':>9} {'ratio':>7}")
print(f"{'podman run --rm, no hook (ms)':44} {statistics.median(plain):9.1f} {p95(plain):9.1f} {1:7.3f}")
print(f"{'podman run --rm, entryguard hook (ms)':44} {statistics.median(hook):9.1f} {p95(hook):9.1f} {statistics.median(hook)/statistics.median(plain):7.3f}")
print(f"{'hook wall time (ms)':44} {statistics.median(hooks):9.2f} {p95(hooks):9.2f}")
print(f"{'attempt to alert, sock_diag path (ms)':44} {statistics.median(lat):9.2f} {p95(lat):9.2f}")
print(f"{'monitor RSS, container running (KiB)':44} {rss:>9}")
print(f"rounds: {len(plain)} alternating start pairs, {len(lat)} alerts, {len(hooks)} hook runs")
PY
