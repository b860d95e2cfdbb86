#!/usr/bin/env bash
# Limits and lifetimes (issue 3: "a burst of attempts gives bounded alerts,
# never unbounded memory"; monitor.lifetime "window"; "no monitor is ever
# left behind ... a container that exits before its monitor is ready";
# `entryguard status`), with rootful Podman on crun:
#  - burst: a child of entrypoint.sh makes 200 public TCP attempts at once
#    with limits.alerts_per_second 5: 5 alerts in the first second, the
#    total bounded, the next alert reports what was suppressed, the rest is
#    in the monitor's log line at exit, every attempt accounted for; the
#    monitor's RSS, read while the burst runs, stays under 16 MiB;
#  - status: `entryguard status` shows a running container's name, image,
#    runtime and live monitor, and no longer lists it once it exited;
#    `entryguard status --json` reports the monitor's live state from its
#    control socket: its pid, tracked >= 1, alerts written = the alerts in
#    the file (the container's child makes one attempt);
#  - window: with monitor.lifetime "window" (window_ms 1000) the monitor
#    exits by itself while the container keeps running (entrypoint.sh, and
#    an entrypoint of another name: after window_ms from the first exec);
#  - early exit: ten containers whose init is /bin/true, one after the
#    other: every monitor gone, the run dir empty; the hook run directly on
#    a process that exits right after it starts: exit 0, no monitor 2 s later.
# Each entryguard profile logs to a file (ENTRYGUARD_LOG_FILE in its hooks.d
# entry).  Containers get the test's sinkhole or --network none.  TAP.
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

BURST=${EG_IT_BURST:-200} # attempts in the first burst
BURST2=20                 # and in the second (scenarios/burst.sh)
RATE=5                    # limits.alerts_per_second
RSS_BOUND_KB=$((16 * 1024))
EARLY_COUNT=10
WINDOW_MS=1000
WINDOW_SLACK_MS=1500 # from the hook to the first exec, and the monitor's own delay

it_begin limits
it_require podman crun runc ip file python3 meson ninja timeout
IT_RUNNER=podman-crun
it_quirks
it_install
it_image podman
it_sinkhole_up
test_started=$(it_now_ms)

# lim_profile NAME [KEY=JSON...]: it_profile, with the profile's own log file.
lim_profile() {
	local name=$1
	it_profile "$@"
	$IT_JSON hooks "$IT_DIR/$name/hooks.d/entryguard.json" "$IT_HOOK" \
		"ENTRYGUARD_CONFIG=$IT_DIR/$name/config.json" "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" \
		"ENTRYGUARD_LOG_FILE=$(lim_log "$name")" || it_bail "profile $name: hooks.d entry"
}
lim_log() { echo "$IT_DIR/$1/entryguard.log"; }

lim_profile burst "limits={\"alerts_per_second\": $RATE}"
lim_profile default
lim_profile window "window_ms=$WINDOW_MS" 'monitor={"lifetime": "window"}'

# Time and waiting without a fork: the monitor sees every process event on
# the host, so a test that forks while it waits could wake a monitor that
# would otherwise sleep (the lifetime checks must not help it).
mkfifo "$IT_DIR/quiet" || it_bail "mkfifo"
exec {quiet_fd}<>"$IT_DIR/quiet"
lim_tick() { # sets NOW (ms since the epoch)
	NOW=${EPOCHREALTIME/./}
	NOW=$((NOW / 1000))
}
lim_pause() { read -r -t "$1" -u "$quiet_fd" _; }

# lim_monitor_alive PID: a live (not zombie) entryguard monitor; no fork.
lim_monitor_alive() {
	local comm stat
	[ -n "$1" ] || return 1
	{ read -r comm <"/proc/$1/comm" && read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	it_is_monitor_comm "$comm" || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# lim_monitor_pid CID: the monitor recorded for a container (may be empty).
lim_monitor_pid() {
	local pid=
	{ read -r pid _ <"$IT_RUN_DIR/$1/monitor.pid"; } 2>/dev/null
	echo "$pid"
}

lim_kb() { # lim_kb PID FIELD: a /proc/PID/status figure in kB (empty when gone)
	local key value
	while read -r key value _; do
		[ "$key" = "$2:" ] && echo "$value" && return 0
	done <"/proc/$1/status" 2>/dev/null
	return 0
}

# ---- 1. a burst ---------------------------------------------------------------
# A sampler reads the VmRSS and VmHWM of every monitor of this run dir every
# 20 ms until told to stop.
rss_log=$IT_DIR/logs/rss.log
: >"$rss_log"
(
	while [ ! -e "$IT_DIR/rss.stop" ]; do
		for file in "$IT_RUN_DIR"/*/monitor.pid; do
			[ -e "$file" ] || continue
			read -r pid _ <"$file" || continue
			rss=$(lim_kb "$pid" VmRSS)
			hwm=$(lim_kb "$pid" VmHWM)
			lim_tick
			[ -z "$rss" ] || echo "$NOW $pid $rss $hwm" >>"$rss_log"
		done
		lim_pause 0.02
	done
) &
sampler=$!
IT_PIDS+=("$sampler")

started=$(it_now_ms)
it_start burst burst sink burst "$BURST" "$BURST2" ||
	it_bail "burst: container did not start: $(cat "$IT_DIR/logs/burst.start")"
burst_cid=${IT_CID[burst]}
it_wait burst 30 || it_not_ok "burst: container exits within 30 s"
burst_ms=$(($(it_now_ms) - started))
it_wait_monitors_gone 10 || it_not_ok "burst: the monitor exits with the container" "$(it_describe_leftovers)"
touch "$IT_DIR/rss.stop"
wait "$sampler" 2>/dev/null
burst_output=$(it_logs burst)
it_diag "burst: container ran $burst_ms ms; it said:
$(grep -F 'burst tcp' <<<"$burst_output")"

# Everything about the container's alerts and the monitor's exit line, as
# NAME VALUE lines.
declare -A B=()
while read -r key value; do
	B[$key]=$value
done < <(/usr/bin/python3 - "$(it_alerts_file burst)" "$burst_cid" "$(lim_log burst)" \
	"$BURST" "$BURST2" "$IT_PUBLIC4" "$IT_MARKER4" <<'PY'
import collections, datetime, json, re, sys
path, cid, log, n1, n2, public, marker = sys.argv[1:]
n1, n2 = int(n1), int(n2)
alerts = []
try:
    for line in open(path):
        record = json.loads(line)
        if record.get("container", {}).get("id") == cid:
            alerts.append(record)
except FileNotFoundError:
    pass
def when(record):
    text = record["@timestamp"].rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()
def dest(record):
    d = record.get("destination", {})
    return d.get("ip"), d.get("port", -1)
def suppressed(record):
    return record.get("entryguard", {}).get("suppressed", 0)
times = sorted(when(a) for a in alerts)
first = times[0] if times else 0
per_second = collections.Counter(int(t) for t in times)
burst1 = [a for a in alerts if dest(a)[0] == public and 10000 <= dest(a)[1] < 10000 + n1]
burst2 = [a for a in alerts if dest(a)[0] == public and 20000 <= dest(a)[1] < 20000 + n2]
markers = [a for a in alerts if dest(a)[0] == marker]
exit_line = 0
for line in open(log, errors="replace") if log else []:
    m = re.search(r"container %s: (\d+) alert\(s\) suppressed" % re.escape(cid), line)
    if m:
        exit_line += int(m.group(1))
in_alerts = sum(suppressed(a) for a in alerts)
print("total", len(alerts))
print("first_window", sum(1 for t in times if t < first + 1.0))
print("first_calendar", per_second[int(first)] if times else 0)
print("max_second", max(per_second.values()) if times else 0)
print("histogram", ",".join(f"{s - int(first)}s:{c}" for s, c in sorted(per_second.items())) or "-")
print("span_ms", int((times[-1] - first) * 1000) if times else 0)
print("burst1", len(burst1))
print("burst2", len(burst2))
print("markers", len(markers))
print("marker_suppressed", suppressed(markers[0]) if markers else -1)
print("suppressed_in_alerts", in_alerts)
print("suppressed_at_exit", exit_line)
print("accounted", len(alerts) + in_alerts + exit_line)
print("others", len(alerts) - len(burst1) - len(burst2) - len(markers))
PY
)
attempts=$((BURST + 1 + BURST2))
burst_diag() {
	echo "alerts per second since the first: ${B[histogram]:-?}; $(wc -l <"$(it_alerts_file burst)" 2>/dev/null || echo 0) lines in the file"
	it_show burst burst | head -n 12
	echo "container output: $burst_output"
	echo "monitor log: $(grep -F "$burst_cid" "$(lim_log burst)" 2>/dev/null | tail -n 5)"
}
if [ "${B[first_window]:-0}" -eq "$RATE" ] && [ "${B[first_calendar]:-0}" -le "$RATE" ]; then
	it_ok "burst: $BURST attempts at once, alerts_per_second $RATE: ${B[first_window]} alerts in the first second (${B[first_calendar]} in its @timestamp second)"
else
	it_not_ok "burst: $BURST attempts at once, alerts_per_second $RATE: exactly $RATE alerts in the first second" \
		"${B[first_window]:-?} alerts within 1 s of the first, ${B[first_calendar]:-?} in its @timestamp second
$(burst_diag)"
fi
# Fixed one-second windows: two of them can share a calendar second.
if [ "${B[total]:-0}" -le $((4 * RATE)) ] && [ "${B[max_second]:-0}" -le $((2 * RATE)) ] &&
	[ "${B[others]:-1}" -eq 0 ]; then
	it_ok "burst: the total is bounded: ${B[total]} alerts for $attempts attempts over ${B[span_ms]} ms (per @timestamp second: ${B[histogram]})"
else
	it_not_ok "burst: the total is bounded (<= $((4 * RATE)) in the 3 s window, <= $((2 * RATE)) in any @timestamp second)" \
		"${B[total]:-?} alerts, ${B[max_second]:-?} in the busiest second, ${B[others]:-?} to unexpected destinations
$(burst_diag)"
fi
if [ "${B[markers]:-0}" -eq 1 ] && [ "${B[marker_suppressed]:--1}" -eq $((BURST - ${B[burst1]:-0})) ] &&
	[ "${B[burst1]:-0}" -ge 1 ]; then
	it_ok "burst: the next alert (the marker, 1.3 s later) reports entryguard.suppressed ${B[marker_suppressed]} (= $BURST attempts - ${B[burst1]} alerts)"
else
	it_not_ok "burst: the next alert (the marker, 1.3 s later) reports entryguard.suppressed = $BURST - the first burst's alerts" \
		"${B[markers]:-?} marker alerts, its suppressed ${B[marker_suppressed]:-?}, ${B[burst1]:-?} alerts of the first burst
$(burst_diag)"
fi
if [ "${B[suppressed_at_exit]:-0}" -ge 1 ] && [ "${B[accounted]:-0}" -eq "$attempts" ]; then
	it_ok "burst: the rest is in the monitor's log line at exit (${B[suppressed_at_exit]} suppressed, after ${B[burst2]} alerts of the second burst of $BURST2); every attempt accounted for: ${B[total]} alerts + ${B[suppressed_in_alerts]} + ${B[suppressed_at_exit]} suppressed = $attempts"
else
	it_not_ok "burst: the rest is in the monitor's log line at exit, and alerts + suppressed = $attempts attempts" \
		"${B[suppressed_at_exit]:-?} in the exit line, ${B[suppressed_in_alerts]:-?} in alerts, ${B[total]:-?} alerts: ${B[accounted]:-?} accounted for
$(burst_diag)"
fi
# The monitor's memory while the burst ran.
read -r samples rss_max hwm_max rss_first < <(awk '
	{ n++; if ($3 > r) r = $3; if ($4 > h) h = $4; if (n == 1) f = $3 }
	END { print n + 0, r + 0, h + 0, f + 0 }' "$rss_log")
if [ "$samples" -ge 10 ] && [ "$rss_max" -lt "$RSS_BOUND_KB" ] && [ "$hwm_max" -lt "$RSS_BOUND_KB" ]; then
	it_ok "burst: the monitor's RSS stays bounded: at most $rss_max kB (peak VmHWM $hwm_max kB; first sample $rss_first kB; $samples samples) < $RSS_BOUND_KB kB"
else
	it_not_ok "burst: the monitor's RSS stays under $RSS_BOUND_KB kB (read while the burst ran)" \
		"$samples samples; VmRSS at most $rss_max kB, VmHWM $hwm_max kB"
fi
it_diag "burst: monitor VmRSS max $rss_max kB, VmHWM $hwm_max kB over $samples samples"

# ---- 2. entryguard status ---------------------------------------------------------
# lim_status: `entryguard status` for this run dir.
lim_status() { ENTRYGUARD_RUN_DIR=$IT_RUN_DIR "$IT_CLI" status 2>&1; }
it_start default status sink window 4 ||
	it_bail "status: container did not start: $(cat "$IT_DIR/logs/status.start")"
status_cid=${IT_CID[status]}
status_init=$(it_init_pid status)
status_monitor=$(lim_monitor_pid "$status_cid")
status_out=$(lim_status)
read -r _ s_name s_image s_runtime s_mode s_init s_monitor _ < <(awk -v id="${status_cid:0:12}" '$1 == id' <<<"$status_out")
if [ "${s_name:-}" = "$IT_TAG-status" ] && [ "${s_image:-}" = "$IT_IMAGE" ] &&
	[ "${s_runtime:-}" = podman ] && [ "${s_mode:-}" = detect ] && [ "${s_init:-}" = "$status_init" ] &&
	[ -n "$status_monitor" ] && [ "${s_monitor:-}" = "$status_monitor" ] && lim_monitor_alive "$status_monitor"; then
	it_ok "status: a running container is listed with its name, image, runtime (podman), mode, init pid $s_init and live monitor $s_monitor"
else
	it_not_ok "status: a running container is listed with its name ($IT_TAG-status), image ($IT_IMAGE), runtime (podman), init ($status_init) and live monitor (${status_monitor:-?})" \
		"entryguard status said:
$status_out
monitor ${status_monitor:-?} alive: $(lim_monitor_alive "$status_monitor" && echo yes || echo no)"
fi
it_diag "status: an idle monitor's VmRSS: $(lim_kb "$status_monitor" VmRSS) kB"
# The live state, polled (the alert is written a few ms after the attempt):
# "STATE PID TRACKED ALERTS WATCHERS ID" of the container's --json line.
lim_live() {
	ENTRYGUARD_RUN_DIR=$IT_RUN_DIR "$IT_CLI" status --json 2>>"$IT_DIR/logs/status.err" |
		tee "$IT_DIR/logs/status.json" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    row = json.loads(line)
    if row["container"]["id"] == sys.argv[1]:
        live = row["monitor"] or {}
        print(row["monitor_state"], row["monitor_pid"], live.get("tracked", -1),
              live.get("alerts_written", -1), ",".join(live.get("watchers", [])) or "-",
              live.get("container_id", "-"))
' "$status_cid" 2>>"$IT_DIR/logs/status.err"
}
deadline=$(($(it_now_ms) + 3000))
live_ok=
while :; do
	seen=$(it_count default status)
	read -r l_state l_pid l_tracked l_alerts l_watchers l_id < <(lim_live)
	t_alerts=$(lim_status | awk -v id="${status_cid:0:12}" '$1 == id { print $9 }')
	if [ "${l_state:-}" = running ] && [ "${l_pid:-}" = "$status_monitor" ] &&
		[ "${l_id:-}" = "$status_cid" ] && [ "${l_tracked:--1}" -ge 1 ] && [ "$seen" -ge 1 ] &&
		[ "${l_alerts:--1}" = "$seen" ] && [ "$t_alerts" = "$seen" ] &&
		[ "$(it_count default status)" = "$seen" ]; then
		live_ok=1
		break
	fi
	[ "$(it_now_ms)" -lt "$deadline" ] || break
	sleep 0.1
done
if [ -n "$live_ok" ]; then
	it_ok "status --json: the monitor's live state: pid $l_pid, $l_tracked tracked, $l_alerts alert(s) written = $seen in the file (the table's ALERTS too), watchers $l_watchers"
else
	it_not_ok "status --json: the running monitor ($status_monitor) reports tracked >= 1 and alerts written = the alerts in the file (>= 1)" \
		"last: state ${l_state:-?} pid ${l_pid:-?} tracked ${l_tracked:-?} alerts ${l_alerts:-?} (table ${t_alerts:-?}) watchers ${l_watchers:-?}; $seen alert(s) in the file
status --json said: $(cat "$IT_DIR/logs/status.json")
stderr: $(tail -n 5 "$IT_DIR/logs/status.err" 2>/dev/null)
$(it_show default status)"
fi
it_wait status 30 || it_not_ok "status: container exits within 30 s"
exited=$(it_now_ms)
deadline=$((exited + 5000))
while status_out=$(lim_status) && grep -qF -- "${status_cid:0:12}" <<<"$status_out" &&
	[ "$(it_now_ms)" -lt "$deadline" ]; do
	sleep 0.1
done
if ! grep -qF -- "${status_cid:0:12}" <<<"$status_out" && ! grep -qF -- "$IT_TAG-status" <<<"$status_out" &&
	! lim_monitor_alive "$status_monitor"; then
	it_ok "status: once the container exited it is no longer listed ($(($(it_now_ms) - exited)) ms after podman wait returned) and its monitor is gone"
else
	it_not_ok "status: once the container exited it is no longer listed and its monitor is gone" \
		"entryguard status said:
$status_out
monitor ${status_monitor:-?} alive: $(lim_monitor_alive "$status_monitor" && echo yes || echo no)"
fi

# ---- 3. monitor.lifetime "window" ------------------------------------------------
# Two containers that run 8 s, one after the other: entrypoint.sh (whose
# child alerts at once), and start.sh (no window ever opens).  Each monitor
# must exit by itself about window_ms after the container's first exec,
# while the container runs.  The hook's "watched" line comes before the
# container starts, so the first exec is later: the monitor's exit line must
# be at least window_ms after the hook's.  The wait for the monitor does not
# fork, and nothing else of this test runs meanwhile: the monitor sees every
# process event on the host, and one of ours could wake it on time.
lim_log_time() { # lim_log_time PROFILE CID PROGRAM TEXT: the time (ms) of the last such line
	grep -F -- "$2" "$(lim_log "$1")" 2>/dev/null | grep -F -- "$3[" | grep -F -- "$4" | tail -n 1 |
		awk '{ split($1, t, "."); printf "%.0f\n", t[1] * 1000 + substr(t[2], 1, 3) }'
}

lim_window_case() { # lim_window_case CASE WHAT NETWORK SCENARIO ARGS...
	local case_name=$1 what=$2 cid monitor started gone='' deadline running hook_at exit_at after_hook
	shift 2
	it_start window "$case_name" "$@" ||
		it_bail "$case_name: container did not start: $(cat "$IT_DIR/logs/$case_name.start")"
	lim_tick
	started=$NOW
	cid=${IT_CID[$case_name]}
	monitor=$(lim_monitor_pid "$cid")
	deadline=$((started + 6000))
	while lim_tick && [ "$NOW" -lt "$deadline" ]; do
		lim_monitor_alive "$monitor" || {
			gone=$NOW
			break
		}
		lim_pause 0.05
	done
	running=$(eg_podman inspect -f '{{.State.Running}}' "$IT_TAG-$case_name" 2>&1)
	hook_at=$(lim_log_time window "$cid" entryguard-hook watched)
	exit_at=$(lim_log_time window "$cid" entryguard-monitor window)
	after_hook=$((${exit_at:-0} - ${hook_at:-0}))
	if [ -n "$monitor" ] && [ -n "$gone" ] && [ "$running" = true ] && [ ! -e "$IT_RUN_DIR/$cid" ] &&
		[ -n "$hook_at" ] && [ -n "$exit_at" ] &&
		[ "$after_hook" -ge "$WINDOW_MS" ] && [ "$after_hook" -le $((WINDOW_MS + WINDOW_SLACK_MS)) ]; then
		it_ok "$case_name ($what): with lifetime window the monitor exits by itself ${after_hook} ms after the hook (window_ms $WINDOW_MS; gone $((gone - started)) ms after podman run returned), the container still running, its run folder removed"
	else
		it_not_ok "$case_name ($what): with lifetime window the monitor exits by itself within $WINDOW_MS..$((WINDOW_MS + WINDOW_SLACK_MS)) ms of the hook, the container still running, its run folder removed" \
			"monitor ${monitor:-?}: $([ -n "$gone" ] && echo "gone $((gone - started)) ms after podman run returned" || echo "still alive 6 s after podman run returned")
container running: $running; run folder: $(ls -A "$IT_RUN_DIR/$cid" 2>&1 | tr '\n' ' ')
hook's line at ${hook_at:-?} ms, monitor's exit line at ${exit_at:-?} ms (${after_hook} ms later)
log: $(grep -F -- "$cid" "$(lim_log window)" 2>/dev/null)"
	fi
}

lim_window_case win "entrypoint.sh, a window opened" sink window 8
if [ "$(it_count window win "$IT_MARKER4")" = 1 ]; then
	it_ok "win: the monitor watched while the window was open (the marker's alert)"
else
	it_not_ok "win: the monitor watched while the window was open (one alert to $IT_MARKER4)" \
		"$(it_show window win)
container output: $(it_logs win)"
fi
it_stop win
lim_window_case win-other "start.sh, no window ever opens" none other-name /bin/sleep 8
it_stop win-other

# ---- 4. no monitor left behind when the init exits at once ------------------------
lim_profile early
early_failed=
started=$(it_now_ms)
for i in $(seq 1 "$EARLY_COUNT"); do
	IT_PODMAN_NAMES+=("$IT_TAG-true$i")
	# shellcheck disable=SC2086 # IT_ULIMITS is a list of flags
	timeout 60 env -i PATH="$EG_CLEAN_PATH" HOME=/root podman --runtime crun \
		--hooks-dir "$IT_DIR/early/hooks.d" run --rm --name "$IT_TAG-true$i" --network none \
		$IT_ULIMITS "$IT_IMAGE" /bin/true >"$IT_DIR/logs/true$i.out" 2>&1 ||
		early_failed="$early_failed true$i: exit $?: $(tail -n 3 "$IT_DIR/logs/true$i.out")
"
done
early_ms=$(($(it_now_ms) - started))
if it_wait_monitors_gone 5; then
	gone_ms=$(($(it_now_ms) - started - early_ms))
	it_ok "early: $EARLY_COUNT containers whose init is /bin/true, one after the other ($early_ms ms): every monitor gone, the run dir empty (${gone_ms} ms after the last)"
else
	it_not_ok "early: $EARLY_COUNT containers whose init is /bin/true: every monitor gone, the run dir empty within 5 s" \
		"$(it_describe_leftovers)"
fi
early_log=$(lim_log early)
watched=$(grep -c 'entryguard-hook\[.*watched' "$early_log" 2>/dev/null)
done_lines=$(grep -c 'entryguard-monitor\[.*init exited' "$early_log" 2>/dev/null)
if [ -z "$early_failed" ] && [ "${watched:-0}" -eq "$EARLY_COUNT" ] && [ "${done_lines:-0}" -eq "$EARLY_COUNT" ]; then
	it_ok "early: all $EARLY_COUNT ran (exit 0), each was watched ($watched hook lines) and each monitor ended at its init's exit ($done_lines lines)"
else
	it_not_ok "early: all $EARLY_COUNT ran, were watched and their monitors ended at the init's exit" \
		"${early_failed}$watched 'watched' lines, $done_lines 'init exited' lines; log:
$(tail -n 20 "$early_log" 2>/dev/null)"
fi

# The hook run directly (as test_failures.sh does) on a process that exits
# right after the hook starts: the state names a `sleep` of 0..200 ms whose
# parent reaps it at once (as a runtime reaps a container's init), so the
# process is gone before the hook looks, before its monitor is ready, while
# the monitor sets up, or after it said ready.  The state has no start time;
# the hook reads it from /proc (shown here).  Whichever: exit 0, and no
# monitor and no folder remain.
bundle=$IT_DIR/direct-bundle
{ mkdir -p "$bundle" && (cd "$bundle" && runc spec); } || it_bail "runc spec"
declare -A H_STATUS=() H_MS=() H_SAID=() H_START=()
delays=(0 1 2 4 6 8 10 20 50 200) # ms
for delay in "${delays[@]}"; do
	id=$IT_TAG-short-$delay
	short=
	read -r short < <(exec /bin/sh -c 'sleep "$1" & echo "$!"; wait' sh \
		"$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))")
	[ -n "$short" ] || it_bail "could not start a short-lived process"
	{ read -r stat <"/proc/$short/stat"; } 2>/dev/null && H_START[$delay]=$(awk '{ print $20 }' <<<"${stat##*) }")
	printf '{"ociVersion":"1.0.2-dev","id":"%s","status":"creating","pid":%s,"bundle":"%s"}' \
		"$id" "$short" "$bundle" >"$IT_DIR/short-state"
	hook_started=$(it_now_ms)
	H_SAID[$delay]=$(timeout 30 env -i PATH="$EG_CLEAN_PATH" ENTRYGUARD_CONFIG="$IT_DIR/early/config.json" \
		ENTRYGUARD_RUN_DIR="$IT_RUN_DIR" ENTRYGUARD_LOG_FILE="$early_log" \
		"$IT_HOOK" createRuntime <"$IT_DIR/short-state" 2>&1 >/dev/null)
	H_STATUS[$delay]=$?
	H_MS[$delay]=$(($(it_now_ms) - hook_started))
done
last=$(it_now_ms)
sleep 2
for delay in "${delays[@]}"; do
	id=$IT_TAG-short-$delay
	left=$(it_pids_mentioning "$IT_RUN_DIR/$id")
	outcome="watched"
	grep -q 'watched' <<<"${H_SAID[$delay]}" || outcome="not watched: ${H_SAID[$delay]}"
	if [ "${H_STATUS[$delay]}" = 0 ] && [ -z "$left" ] && [ ! -e "$IT_RUN_DIR/$id" ]; then
		it_ok "hook run directly on a process that exits $delay ms after it started (start time ${H_START[$delay]:-?}): exit 0 in ${H_MS[$delay]} ms, no monitor and no folder 2 s later ($outcome)"
	else
		it_not_ok "hook run directly on a process that exits $delay ms after it started: exit 0, no monitor and no folder 2 s later" \
			"exit ${H_STATUS[$delay]} in ${H_MS[$delay]} ms; it said: ${H_SAID[$delay]}
left: ${left:-none}; folder: $(ls -A "$IT_RUN_DIR/$id" 2>&1 | tr '\n' ' ')"
	fi
done
it_diag "checked $(($(it_now_ms) - last)) ms after the last hook returned"

if it_wait_monitors_gone 5; then
	it_ok "every monitor of this test is gone and $IT_RUN_DIR is empty"
else
	it_not_ok "every monitor of this test is gone and the run dir is empty" "$(it_describe_leftovers)"
fi
it_diag "took $(($(it_now_ms) - test_started)) ms after setup"
it_end
