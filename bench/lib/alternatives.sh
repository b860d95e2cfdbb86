# shellcheck shell=bash
# 7. What users would pick instead, on the same workloads in the same run:
# the Linux audit subsystem with a connect rule (auditd) and an eBPF tracer
# on the connect tracepoint (bpftrace).  Only what the bench started is
# undone: its one audit rule (key egbench), the auditd it started, its
# bpftrace, tracefs when it mounted it.

BN_AUDIT_KEY=egbench
BN_AUDIT_RULE_ARGS=(always,exit -F arch=b64 -S connect -k "$BN_AUDIT_KEY")
# One line per connect() anywhere on the host: the command, host pid,
# CLOCK_MONOTONIC ns and the destination port (what a user would print).
BN_BPFTRACE_PROGRAM='tracepoint:syscalls:sys_enter_connect {
	$sa = (struct sockaddr_in *)args->uservaddr;
	printf("%s %d %llu %d\n", comm, pid, nsecs, bswap($sa->sin_port));
}'

bn_auditd_start() {
	local pid
	pid=$(auditctl -s 2>/dev/null | awk '$1 == "pid" { print $2 }')
	if [ -n "$pid" ] && [ "$pid" != 0 ] && [ -d "/proc/$pid" ]; then
		bn_log "   auditd already runs (pid $pid): using it, leaving it running"
		return 0
	fi
	BN_AUDIT_OLD=$(auditctl -s 2>/dev/null | awk '$1 == "enabled" { e = $2 } $1 == "backlog_limit" { b = $2 } END { print e, b }')
	auditd >>"$BN_WORK/logs/auditd.log" 2>&1 || return 1
	BN_STARTED_AUDITD=1
	local deadline=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$deadline" ]; do
		pid=$(auditctl -s 2>/dev/null | awk '$1 == "pid" { print $2 }')
		[ -z "$pid" ] || [ "$pid" = 0 ] || break
		sleep 0.1
	done
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	BN_STARTED_AUDITD=$pid
	# What Debian's audit.rules sets when the service starts auditd (-b 8192):
	# the default 64 would make the storm wait for auditd, not measure it.
	auditctl -b 8192 >/dev/null
}

bn_auditd_stop() {
	local pid=$BN_STARTED_AUDITD deadline=$((SECONDS + 10))
	[ -n "$pid" ] || return 0
	if [ "$pid" != 1 ] && [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = auditd ]; then
		kill -TERM "$pid"
		# Until it is gone or a zombie (its parent, not us, reaps it).
		while [ -d "/proc/$pid" ] && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] &&
			[ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.1
		done
	fi
	if [ -n "$BN_AUDIT_OLD" ]; then
		read -r enabled backlog <<<"$BN_AUDIT_OLD"
		[ -z "$backlog" ] || auditctl -b "$backlog" >/dev/null 2>&1
		[ -z "$enabled" ] || auditctl -e "$enabled" >/dev/null 2>&1
	fi
	BN_STARTED_AUDITD=
}

bn_audit_rule_on() {
	auditctl -a "${BN_AUDIT_RULE_ARGS[@]}" >>"$BN_WORK/logs/auditd.log" 2>&1 || return 1
	BN_AUDIT_RULE=1
}

bn_audit_rule_off() {
	[ -n "$BN_AUDIT_RULE" ] || return 0
	auditctl -d "${BN_AUDIT_RULE_ARGS[@]}" >>"$BN_WORK/logs/auditd.log" 2>&1
	BN_AUDIT_RULE=
}

bn_tracefs() {
	[ -d /sys/kernel/tracing/events/syscalls ] && return 0
	mount -t tracefs nodev /sys/kernel/tracing || return 1
	BN_MOUNTED_TRACEFS=1
}

# bn_bpftrace_start OUT: bpftrace writing to OUT; returns once it attached.
# OUT.offset gets CLOCK_REALTIME - CLOCK_MONOTONIC (ns), to put its nsecs on
# the attempts' clock.
bn_bpftrace_start() {
	local out=$1 deadline=$((SECONDS + 30))
	bpftrace -o "$out" -e "$BN_BPFTRACE_PROGRAM" >"$out.stderr" 2>&1 &
	BN_BPFTRACE_PID=$!
	while ! grep -q '^Attaching' "$out" "$out.stderr" 2>/dev/null; do
		if ! kill -0 "$BN_BPFTRACE_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
			bn_bpftrace_stop
			return 1
		fi
		sleep 0.1
	done
	sleep 0.3
	/usr/bin/python3 -c '
import time
print(min(time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC)
          for _ in range(50)))' >"$out.offset"
}

bn_bpftrace_stop() {
	local pid=$BN_BPFTRACE_PID
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	local deadline=$((SECONDS + 10))
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	BN_BPFTRACE_PID=
}

# One phase of a round: the trivial start (3 times), the attempts (a watcher only),
# the storm; all crun without entryguard, --network none.
bn_alternative_phase() {
	local watcher=$1 round=$2 storms=$3 ms=$4 steps=() i out=$BN_WORK/out/alt-$1-$2
	for i in 1 2 3; do
		if bn_time_us bn_podman_run crun none --rm -- >>"$BN_WORK/logs/alt.log" 2>&1; then
			bn_sample "start_us.alt.$watcher" "$BN_US"
		else
			bn_note alternatives "$watcher: podman run failed in round $round"
		fi
	done
	if [ "$watcher" != none ]; then
		for i in 1 2 3 4 5; do
			bn_port
			steps+=("/bin/egbnattempt tcp $BN_PUBLIC4 $BN_PORT 0" "/bin/egprobe sleep-then 50 /bin/true")
		done
		bn_podman_run crun none --rm -- "${steps[@]}" >"$out.attempts" 2>&1 ||
			bn_note alternatives "$watcher: the attempts container failed in round $round"
	fi
	steps=()
	for i in $(seq "$storms"); do steps+=("/bin/egprobe storm $ms"); done
	bn_podman_run crun none --rm -- "${steps[@]}" >"$out.storm" 2>&1 ||
		bn_note alternatives "$watcher: the storm container failed in round $round"
	bn_storm_rates "$out.storm" 1 "$storms" "rate.alt.$watcher"
	# auditd writes its log in batches (flush = INCREMENTAL_ASYNC, every 50
	# records): the attempts' records are on disk once the storm's are.
	if [ "$watcher" = auditd ]; then
		sleep 0.5
		ausearch --raw -k "$BN_AUDIT_KEY" -c egbnattempt -ts recent >"$out.records" 2>/dev/null
	fi
}

bn_section_alternatives() {
	local rounds=$1 storms=$2 ms=$3 round
	bn_log "7. alternatives: $rounds rounds of none, auditd, bpftrace"
	bn_auditd_start || {
		bn_note alternatives "cannot start auditd: $(tail -n 2 "$BN_WORK/logs/auditd.log")"
		return 0
	}
	bn_tracefs || bn_note alternatives "cannot mount tracefs: bpftrace cannot attach"
	for round in $(seq "$rounds"); do
		bn_alternative_phase none "$round" "$storms" "$ms"
		if bn_audit_rule_on; then
			bn_alternative_phase auditd "$round" "$storms" "$ms"
			bn_audit_rule_off
		else
			bn_note alternatives "auditctl -a failed: $(tail -n 1 "$BN_WORK/logs/auditd.log")"
		fi
		if bn_bpftrace_start "$BN_WORK/out/alt-bpftrace-$round.trace"; then
			bn_alternative_phase bpftrace "$round" "$storms" "$ms"
			bn_bpftrace_stop
		else
			bn_note alternatives "bpftrace did not attach: $(tail -n 2 "$BN_WORK/out/alt-bpftrace-$round.trace.stderr" | tr '\n' ' ')"
		fi
	done
	bn_auditd_stop
	for round in $(seq "$rounds"); do
		BN_PY records auditd "$BN_WORK/out/alt-auditd-$round.attempts" "$BN_WORK/out/alt-auditd-$round.records" \
			>>"$BN_DATA/record_us.auditd" 2>>"$BN_WORK/logs/bench-py.log"
		BN_PY records bpftrace "$BN_WORK/out/alt-bpftrace-$round.attempts" "$BN_WORK/out/alt-bpftrace-$round.trace" \
			>>"$BN_DATA/record_us.bpftrace" 2>>"$BN_WORK/logs/bench-py.log"
	done
}
