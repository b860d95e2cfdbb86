# shellcheck shell=bash
# bench/run's measurements, one function per section of issue 7.  Each
# writes samples with bn_sample (common.sh) and never stops the run: a
# failure becomes a note that the table shows in place of the figure.

# bn_time_us COMMAND...: runs it; sets BN_US to its wall time (us) and
# returns its status.
bn_time_us() {
	local t0 t1 status
	t0=$(bn_now_us)
	"$@"
	status=$?
	t1=$(bn_now_us)
	BN_US=$((t1 - t0))
	return $status
}

# ---- 1. container start ---------------------------------------------------------

# `podman run --rm` of /entrypoint.sh doing nothing (--network none), in
# each variant, A B C D E A B C D E ...; one warm-up of each first.
bn_section_start() {
	local rounds=$1 variant round log=$BN_WORK/logs/start.log
	local variants=(crun hook-crun block runc hook-runc)
	bn_log "1. container start: $rounds rounds of ${variants[*]}"
	for variant in "${variants[@]}"; do
		bn_podman_run "$variant" none --rm -- >>"$log" 2>&1 ||
			bn_note start "$variant: podman run failed: $(tail -n 2 "$log" | tr '\n' ' ')"
	done
	for round in $(seq "$rounds"); do
		for variant in "${variants[@]}"; do
			if bn_time_us bn_podman_run "$variant" none --rm -- >>"$log" 2>&1; then
				bn_sample "start_us.$variant" "$BN_US"
			else
				bn_note start "$variant: podman run failed in round $round"
			fi
		done
	done
}

# ---- 2. the hook's wall time -----------------------------------------------------

# `podman run --rm` with the hook behind hook_timer (bench/hook_timer.c),
# which appends the hook's wall time from its exec to its exit; the
# latency, monitor and fanout containers add theirs.
bn_section_hook() {
	local rounds=$1 round log=$BN_WORK/logs/hook.log
	bn_log "2. the hook's wall time: $rounds containers"
	for round in $(seq "$rounds"); do
		bn_podman_run timed-crun none --rm -- >>"$log" 2>&1 || bn_note hook "podman run failed in round $round"
	done
}

# ---- 3. attempt to alert (2. the hook's wall time comes from these runs) ----

# Each container's entrypoint.sh runs PER attempts to 1.1.1.1, each its own
# child and port: sock_diag path (the hook behind hook_timer, in the
# sinkhole, the socket held 300 ms) and seccomp path (entryguard-runtime in
# block mode, --network none), alternating.
bn_section_latency() {
	local containers=$1 per=$2 c i steps
	bn_log "3. attempt to alert: $containers containers per path, $per attempts each"
	for c in $(seq "$containers"); do
		steps=()
		for i in $(seq "$per"); do
			bn_port
			steps+=("/bin/egprobe tcp $BN_PUBLIC4 $BN_PORT 300")
		done
		bn_podman_run timed-crun sink --rm -- "${steps[@]}" >>"$BN_WORK/out/latency-sockdiag.log" 2>&1 ||
			bn_note latency "sock_diag container $c failed"
		steps=()
		for i in $(seq "$per"); do
			bn_port
			steps+=("/bin/egprobe tcp $BN_PUBLIC4 $BN_PORT 0")
		done
		bn_podman_run block none --rm -- "${steps[@]}" >>"$BN_WORK/out/latency-seccomp.log" 2>&1 ||
			bn_note latency "seccomp container $c failed"
	done
	bn_wait_gone 20 || bn_note latency "monitors still running 20 s after the containers"
	BN_PY latency "$BN_WORK/out/latency-sockdiag.log" "$BN_WORK/timed/alerts.ndjson" \
		"$BN_DATA/latency_us.sockdiag" "$BN_DATA/latency_missed.sockdiag" 2>>"$BN_WORK/logs/bench-py.log"
	BN_PY latency "$BN_WORK/out/latency-seccomp.log" "$BN_WORK/block/alerts.ndjson" \
		"$BN_DATA/latency_us.seccomp" "$BN_DATA/latency_missed.seccomp" 2>>"$BN_WORK/logs/bench-py.log"
}

# ---- 4. the scenario corpus -----------------------------------------------------

# tests/scenarios/run.sh (issue 7's corpus) per watcher and mode; its JSON
# (scenarios_total, caught, missed, false_alerts) is kept as it is.
bn_section_scenarios() {
	local runner=${EG_BENCH_SCENARIOS_RUNNER:-$BN_TOP/tests/scenarios/run.sh} combo watcher mode log
	bn_log "4. scenarios"
	if [ ! -x "$runner" ]; then
		bn_note scenarios "$runner is missing or not executable: no scenario table"
		return 0
	fi
	for combo in "sockdiag detect" "seccomp detect" "seccomp block"; do
		read -r watcher mode <<<"$combo"
		log=$BN_WORK/logs/scenarios-$watcher-$mode.log
		bn_log "   $runner --watcher $watcher --mode $mode"
		# The runner installs this tree with tests/integration/lib.sh; its
		# build goes into the bench's build folder, not the tests' build-it.
		if ! EG_IT_WORK=$BN_BUILD/scenarios-it timeout 900 "$runner" --watcher "$watcher" --mode "$mode" \
			--json "$BN_DATA/scenarios.$watcher.$mode.json" >"$log" 2>&1; then
			[ -s "$BN_DATA/scenarios.$watcher.$mode.json" ] ||
				bn_note scenarios "$watcher/$mode: run.sh failed: $(tail -n 2 "$log" | tr '\n' ' ')"
		fi
		cp "$log" "$BN_DATA/scenarios.$watcher.$mode.log" 2>/dev/null
	done
}

# ---- 5. monitor cost ---------------------------------------------------------------

# RSS of one idle monitor; its CPU per 1,000 host execs (exec_storm outside
# the container) against the same interval idle; the storm's wall time
# without a monitor and with one; RSS with 1,000 tracked processes.
bn_section_monitor() {
	local rounds=$1 execs=$2 round cid monitor cpu0 cpu1 cpu2 wall_us idle_us deadline tracked rss
	bn_log "5. monitor cost: $rounds rounds of $execs host execs; 1,000 tracked processes"
	for round in $(seq "$rounds"); do
		if bn_time_us "$BN_WORK/exec_storm" "$execs" >>"$BN_WORK/logs/exec-storm.log" 2>&1; then
			bn_sample "exec_storm_us.none" "$BN_US"
		fi
		rm -f "$BN_WORK/cid/monitor-$round"
		bn_podman_run timed-crun none -d --rm --cidfile "$BN_WORK/cid/monitor-$round" -- "sleep 120" \
			>>"$BN_WORK/logs/monitor.log" 2>&1 || {
			bn_note monitor "round $round: the container did not start"
			continue
		}
		cid=$(cat "$BN_WORK/cid/monitor-$round")
		monitor=
		deadline=$((SECONDS + 10))
		while [ -z "$monitor" ] && [ "$SECONDS" -lt "$deadline" ]; do
			monitor=$(bn_monitor_pid "$cid")
			[ -n "$monitor" ] || sleep 0.1
		done
		[ -n "$monitor" ] || {
			bn_note monitor "round $round: no monitor for the container"
			eg_podman rm -f -t 0 "$cid" >/dev/null 2>&1
			continue
		}
		sleep 1.5
		bn_sample rss_kib.idle "$(bn_rss_kib "$monitor")"
		bn_sample pss_kib.idle "$(bn_pss_kib "$monitor")"
		bn_sample private_kib.idle "$(bn_private_kib "$monitor")"
		# CPU once the entrypoint's window (3 s) has closed: idle, then the storm.
		sleep 2.5
		cpu0=$(bn_cpu_ms "$monitor")
		idle_us=$(bn_now_us)
		sleep 3
		cpu1=$(bn_cpu_ms "$monitor")
		idle_us=$(($(bn_now_us) - idle_us))
		bn_time_us "$BN_WORK/exec_storm" "$execs" >>"$BN_WORK/logs/exec-storm.log" 2>&1
		wall_us=$BN_US
		cpu2=$(bn_cpu_ms "$monitor")
		bn_sample "exec_storm_us.monitor" "$wall_us"
		bn_sample cpu_ms_per_1000_execs "$(awk -v c="$((cpu2 - cpu1))" -v n="$execs" 'BEGIN { printf "%.2f", c * 1000 / n }')"
		# The same monitor's CPU while the host is only as busy as it is.
		bn_sample cpu_ms_idle_per_s "$(awk -v c="$((cpu1 - cpu0))" -v t="$idle_us" 'BEGIN { printf "%.2f", c * 1e6 / t }')"
		# Net of what it spends anyway over as long (other engineers' work).
		bn_sample cpu_ms_per_1000_execs_net "$(awk -v s="$((cpu2 - cpu1))" -v i="$((cpu1 - cpu0))" \
			-v ti="$idle_us" -v ts="$wall_us" -v n="$execs" 'BEGIN { printf "%.2f", (s - i * ts / ti) * 1000 / n }')"
		bn_sample rss_kib.after_storm "$(bn_rss_kib "$monitor")"
		eg_podman rm -f -t 0 "$cid" >/dev/null 2>&1
	done
	# 1,000 processes tracked: entrypoint.sh forks 1,000 sleepers at once
	# (its children, inside the window); RSS once the monitor tracks them.
	rm -f "$BN_WORK/cid/fanout"
	if bn_podman_run timed-crun none -d --rm --cidfile "$BN_WORK/cid/fanout" -- fanout 1000 \
		>>"$BN_WORK/logs/monitor.log" 2>&1; then
		cid=$(cat "$BN_WORK/cid/fanout")
		deadline=$((SECONDS + 30))
		tracked=0
		while [ "$SECONDS" -lt "$deadline" ]; do
			tracked=$(bn_tracked "$cid")
			[ "${tracked:-0}" -lt 1000 ] || break
			sleep 0.5
		done
		monitor=$(bn_monitor_pid "$cid")
		rss=$([ -z "$monitor" ] || bn_rss_kib "$monitor")
		if [ -n "$rss" ]; then
			bn_sample rss_kib.tracked_1000 "$rss"
			bn_sample private_kib.tracked_1000 "$(bn_private_kib "$monitor")"
			bn_set tracked_processes "${tracked:-0}"
			[ "${tracked:-0}" -ge 1000 ] ||
				bn_note monitor "the monitor tracked ${tracked:-0} processes, not 1,000, within 30 s"
		else
			bn_note monitor "fanout: no monitor to measure"
		fi
		eg_podman rm -f -t 0 "$cid" >/dev/null 2>&1
	else
		bn_note monitor "fanout: the container did not start"
	fi
	bn_wait_gone 30 || bn_note monitor "monitors still running 30 s after the containers"
}

# The tracked-process count a monitor reports on its control socket
# (`entryguard status --json`: one object per line).
bn_tracked() {
	ENTRYGUARD_RUN_DIR=$BN_RUN "$BN_CLI" status --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    try:
        row = json.loads(line)
    except ValueError:
        continue
    if (row.get("container") or {}).get("id") == sys.argv[1]:
        print((row.get("monitor") or {}).get("tracked", 0))
        sys.exit(0)
print(0)' "$1"
}

# ---- 5. connect storm in block mode ----------------------------------------------

# egprobe storm (blocking connect()s to a loopback listener in the
# container, --network none), the same steps in both containers: STORMS
# storms at once, a 3 s pause, STORMS storms.  crun without entryguard, and
# entryguard-runtime in block mode, where the first storms are inside the
# window (every connect emulated by the monitor) and the last after it
# (CONTINUE).  Each phase is compared with the same phase of the plain
# container: right after a start the host is still busy with it.
bn_section_storm() {
	local rounds=$1 storms=$2 ms=$3 round steps=() i variant
	bn_log "5. connect storm: $rounds rounds, $storms x $ms ms storms per phase"
	for i in $(seq "$storms"); do steps+=("/bin/egprobe storm $ms"); done
	for round in $(seq "$rounds"); do
		for variant in crun block; do
			bn_podman_run "$variant" none --rm -- "${steps[@]}" "/bin/egprobe sleep-then 3000 /bin/true" "${steps[@]}" \
				>"$BN_WORK/out/storm-$variant-$round.log" 2>&1 || bn_note storm "$variant container failed in round $round"
		done
		bn_storm_rates "$BN_WORK/out/storm-crun-$round.log" 1 "$storms" rate.plain_early
		bn_storm_rates "$BN_WORK/out/storm-crun-$round.log" $((storms + 1)) "$storms" rate.plain
		bn_storm_rates "$BN_WORK/out/storm-block-$round.log" 1 "$storms" rate.block_window
		bn_storm_rates "$BN_WORK/out/storm-block-$round.log" $((storms + 1)) "$storms" rate.block_after
	done
}

# bn_storm_rates LOG FIRST COUNT FIGURE: the rates of COUNT storms from the
# FIRST-th, as samples (only storms where every connect succeeded).
bn_storm_rates() {
	local rates
	rates=$(sed -n 's/.*storm: .* connects in .* ms (\([0-9]*\) failed): \([0-9]*\)\/s/\1 \2/p' "$1" |
		sed -n "$2,$(($2 + $3 - 1))p")
	[ -n "$rates" ] || {
		bn_note storm "no storm figures in $(basename "$1")"
		return 0
	}
	while read -r failed rate; do
		if [ "$failed" = 0 ]; then
			bn_sample "$4" "$rate"
		else
			bn_note storm "$(basename "$1"): $failed connects failed"
		fi
	done <<<"$rates"
}

# ---- 6. scale --------------------------------------------------------------------

# N containers started at once (`podman run -d`, all launched together),
# each making one public attempt in the sinkhole then sleeping: without
# entryguard, then with the hook; wall time until every `podman run -d`
# returned; with the hook, the alerts seen and the sum of the monitors' RSS.
bn_section_scale() {
	local n=$1 rounds=$2 round variant
	bn_log "6. scale: $n containers at once, $rounds rounds"
	for round in $(seq "$rounds"); do
		for variant in crun hook-crun; do
			bn_scale_once "$variant" "$n" "$round"
		done
	done
}

bn_scale_once() {
	local variant=$1 n=$2 round=$3 i pids=() ports=() t0 monitors rss_sum=0 pss_sum=0 pid failed=0
	t0=$(bn_now_us)
	for i in $(seq "$n"); do
		bn_port
		ports+=("$BN_PORT")
		BN_SEQ=$((BN_SEQ + 1)) # the background job's own increment is lost
		bn_podman_run "$variant" sink -d --rm -- "/bin/egprobe tcp $BN_PUBLIC4 $BN_PORT 1500" "sleep 60" \
			>>"$BN_WORK/logs/scale.log" 2>&1 &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
	bn_sample "scale_us.$variant" "$(($(bn_now_us) - t0))"
	[ "$failed" = 0 ] || bn_note scale "$variant round $round: $failed of $n containers failed to start"
	if [ "$variant" = hook-crun ]; then
		sleep 2
		monitors=$(bn_monitors)
		for pid in $monitors; do
			rss_sum=$((rss_sum + $(bn_rss_kib "$pid" || echo 0)))
			pss_sum=$((pss_sum + $(bn_pss_kib "$pid" || echo 0)))
		done
		bn_sample scale_rss_sum_kib "$rss_sum"
		bn_sample scale_pss_sum_kib "$pss_sum"
		bn_sample scale_monitors "$(wc -w <<<"$monitors")"
		bn_sample scale_alerts_seen "$(BN_PY count-ports "$BN_WORK/detect/alerts.ndjson" "${ports[@]}")"
	fi
	bn_remove_containers
	bn_wait_gone 60 || bn_note scale "$variant round $round: containers or monitors left 60 s after rm -f"
}
