# shellcheck shell=bash
# The detection cases of issue 3's "Integration tests", the same for every
# runner (IT_RUNNER: podman-crun, podman-runc, runc, crun).  Source after
# lib.sh; call it_standard_cases once setup is done.
#
# All containers start together, so the whole set takes about as long as
# its slowest scenario.  Each no-alert case has a positive control in the
# same container (the scenarios' marker attempt to 1.0.0.1:80, which must
# alert), so "no alert" never passes because nothing was watched.  Counts are
# taken once every monitor of the test has exited: the alerts file is final
# then.

IT_RULE_ID=c75d0c86-38d6-4821-98a1-465cff8ff4c8
declare -A IT_INIT=() # case -> init pid seen while it ran

it_setup_profiles() {
	it_profile default
	it_profile descendants 'lineage="descendants"'
	it_profile longwindow 'window_ms=10000'
}

# Remembers the container's init pid (the entrypoint.sh) while it runs.
it_note_init() {
	local pid
	pid=$(it_init_pid "$1")
	[ -n "$pid" ] && [ "$pid" != 0 ] && IT_INIT[$1]=$pid
	return 0
}

it_start_case() { # like it_start, and remembers the init pid
	it_start "$@" || {
		it_not_ok "$2: container started" "$(cat "$IT_DIR/logs/$2.start" 2>/dev/null)"
		return 1
	}
	it_note_init "$2"
}

# The fields of a direct child's alert (the rule's case), for CASE to DEST.
it_child_alert_fields() {
	local case_name=$1 dest=$2 port=$3 transport=$4 type=$5 window=$6
	local fields=(
		"container.id==${IT_CID[$case_name]}"
		"event.kind==alert"
		"event.action==connection_attempted"
		"rule.id==$IT_RULE_ID"
		"process.name==egprobe"
		"process.pid>0"
		"process.entity_id?"
		"process.entity_id!=@process.parent.entity_id"
		"process.parent.name==entrypoint.sh"
		"process.parent.pid>0"
		"process.parent.pid!=@process.pid"
		"process.parent.entity_id==@process.entry_leader.entity_id"
		"destination.port==$port"
		"network.transport==$transport"
		"network.type==$type"
		"entryguard.action==alert"
		"entryguard.elapsed_ms>=0"
		"entryguard.elapsed_ms<$window"
	)
	[ -z "${IT_INIT[$case_name]:-}" ] || fields+=("process.parent.pid==${IT_INIT[$case_name]}")
	case $IT_RUNNER in
	podman-*)
		fields+=("container.name==$IT_TAG-$case_name" "container.image.name~$IT_TAG")
		;;
	esac
	it_expect default "$case_name" "$dest" "${fields[@]}"
}

# it_expect_counts PROFILE CASE TOTAL [DEST COUNT]...: exact counts (TOTAL "-":
# any), with the container's alerts as diagnostics when they differ.
it_expect_counts() {
	local profile=$1 case_name=$2 total=$3 got problems=
	shift 3
	got=$(it_count "$profile" "$case_name")
	[ "$total" = - ] || [ "$got" = "$total" ] || problems="$got alerts in all, wanted $total"
	while [ $# -ge 2 ]; do
		got=$(it_count "$profile" "$case_name" "$1")
		[ "$got" = "$2" ] || problems="$problems${problems:+; }$got alerts to $1, wanted $2"
		shift 2
	done
	[ -z "$problems" ] && return 0
	echo "$problems"
	it_show "$profile" "$case_name"
	return 1
}

# it_point DESC COMMAND...: it_check with the container's output added to a
# failure's diagnostics (CASE is the first word of DESC).
it_point() {
	local description=$1 case_name=${1%%:*} output
	shift
	if output=$("$@" 2>&1); then
		it_ok "$description"
	elif [[ " ${IT_KNOWN_LIMITS:-} " == *" $case_name "* ]]; then
		# A case the caller declared a documented limit of what it runs
		# (e.g. the procfs tracker cannot see fork-time parents).
		it_todo "$description" "$IT_KNOWN_LIMITS_REASON" "$output"
	else
		it_not_ok "$description" "$output
container output: $(it_logs "$case_name")"
	fi
}

it_status_checks() { # the long-running container: status, then a hard stop
	local cid=${IT_CID[long]:-} dir pid status_out deadline
	[ -n "$cid" ] || return 0
	dir=$IT_RUN_DIR/$cid
	deadline=$(($(it_now_ms) + 5000))
	while [ ! -s "$dir/monitor.pid" ] && [ "$(it_now_ms)" -lt "$deadline" ]; do
		sleep 0.1
	done
	pid=$(cut -d' ' -f1 "$dir/monitor.pid" 2>/dev/null)
	if [ -n "$pid" ] && it_is_monitor_comm "$(cat "/proc/$pid/comm" 2>/dev/null)"; then
		it_ok "long: a running container has its monitor (pid $pid, $dir/monitor.pid)"
	else
		it_not_ok "long: a running container has its monitor" \
			"no live monitor recorded in $dir/monitor.pid ($(ls -A "$dir" 2>&1 | tr '\n' ' '))"
	fi
	status_out=$(ENTRYGUARD_RUN_DIR=$IT_RUN_DIR "$IT_CLI" status 2>&1)
	if grep -q "${cid:0:12}" <<<"$status_out" && { [ -z "$pid" ] || grep -qw "$pid" <<<"$status_out"; }; then
		it_ok "long: entryguard status lists the container and its monitor"
	else
		it_not_ok "long: entryguard status lists the container (${cid:0:12}) and its monitor (${pid:-?})" \
			"entryguard status said: $status_out"
	fi
	it_stop long
	if it_wait_container_dir_gone "$dir" 10 && it_wait_pid_gone "$pid" 5; then
		it_ok "long: after a hard stop ($([[ $IT_RUNNER == podman-* ]] && echo 'podman rm -f' || echo "$IT_RUNNER kill KILL")) the monitor is gone and $dir removed"
	else
		it_not_ok "long: after a hard stop the monitor is gone and its folder removed" \
			"monitor ${pid:-?} alive: $(kill -0 "${pid:-0}" 2>/dev/null && echo yes || echo no); folder: $(ls -A "$dir" 2>&1 | tr '\n' ' ')"
	fi
}

it_wait_pid_gone() { # PID TIMEOUT_S (an empty PID is gone)
	local deadline
	[ -n "$1" ] || return 0
	deadline=$(($(it_now_ms) + $2 * 1000))
	while kill -0 "$1" 2>/dev/null; do
		[ "$(it_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

it_wait_container_dir_gone() {
	local deadline
	deadline=$(($(it_now_ms) + $2 * 1000))
	while [ -e "$1" ]; do
		[ "$(it_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

it_standard_cases() {
	local case_name started elapsed table
	local public_tcp=(/bin/egprobe tcp "$IT_PUBLIC4" 80 1500)
	it_setup_profiles
	started=$(it_now_ms)
	it_start_case default long none child /bin/sleep 60
	it_start_case default tcp4 sink child "${public_tcp[@]}"
	it_start_case default tcp6 sink child /bin/egprobe tcp "$IT_PUBLIC6" 443 1500
	it_start_case default udp4 sink child /bin/egprobe udp "$IT_PUBLIC4" 53 1500
	it_start_case default udp6 sink child /bin/egprobe udp "$IT_PUBLIC6" 53 1500
	it_start_case default mapped4 sink child /bin/egprobe tcp "::ffff:$IT_PUBLIC4" 80 1500
	it_start_case default excluded sink excluded
	it_start_case default late sink late 4000
	it_start_case longwindow late-long sink late 4000
	it_start_case default other-name sink other-name "${public_tcp[@]}"
	it_start_case default grandchild sink grandchild
	it_start_case descendants grandchild-desc sink grandchild
	it_start_case default double-fork sink double-fork
	it_start_case descendants double-fork-desc sink double-fork
	it_start_case default exec-args sink exec-args /bin/egprobe spawn "${public_tcp[@]}"
	# Seen, not judged (what the sock_diag watcher cannot see yet): an
	# unconnected UDP sendto, and a TCP connect with no network at all
	# (ENETUNREACH at once, no socket state).
	it_start_case default udp-sendto sink child /bin/egprobe udp-sendto "$IT_PUBLIC4" 53 1500
	it_start_case default none-tcp none child /bin/egprobe tcp "$IT_PUBLIC4" 80 500
	it_diag "started ${#IT_CID[@]} containers in $(($(it_now_ms) - started)) ms"

	it_status_checks

	for case_name in "${!IT_CID[@]}"; do
		[ "$case_name" = long ] && continue
		it_wait "$case_name" 60 || it_not_ok "$case_name: container exits within 60 s"
	done
	# The positive alerts, with a bounded wait (they are normally there already).
	it_wait_alerts default tcp4 1 10 || true
	if it_wait_monitors_gone 15; then
		it_ok "every monitor is gone and $IT_RUN_DIR is empty once the containers exited"
	else
		it_not_ok "every monitor is gone and the run dir is empty once the containers exited" \
			"$(it_describe_leftovers)"
	fi

	it_point "tcp4: a child of entrypoint.sh connects to $IT_PUBLIC4:80: exactly one alert" \
		it_expect_counts default tcp4 1 "$IT_PUBLIC4" 1
	it_point "tcp4: the alert's fields (container, image, process, parent = entrypoint.sh with matching entity ids, destination, elapsed < 3000 ms)" \
		it_child_alert_fields tcp4 "$IT_PUBLIC4" 80 tcp ipv4 3000
	it_point "tcp6: a child connects to [$IT_PUBLIC6]:443: exactly one alert" \
		it_expect_counts default tcp6 1 "$IT_PUBLIC6" 1
	it_point "tcp6: the alert's fields (ipv6)" \
		it_child_alert_fields tcp6 "$IT_PUBLIC6" 443 tcp ipv6 3000
	it_point "udp4: a child's UDP connect+send to $IT_PUBLIC4:53: exactly one alert (udp)" \
		it_expect_counts default udp4 1 "$IT_PUBLIC4" 1
	it_point "udp4: the alert's fields (udp)" \
		it_child_alert_fields udp4 "$IT_PUBLIC4" 53 udp ipv4 3000
	it_point "udp6: a child's UDP connect+send to [$IT_PUBLIC6]:53: exactly one alert (udp, ipv6)" \
		it_expect_counts default udp6 1 "$IT_PUBLIC6" 1
	it_point "mapped4: TCP to ::ffff:$IT_PUBLIC4 (IPv4-mapped, judged by its IPv4 address): exactly one alert" \
		it_expect_counts default mapped4 1
	it_point "excluded: private, loopback, link-local, multicast, reserved, unspecified and mapped private destinations: no alert (the marker alerts)" \
		it_expect_counts default excluded 1 "$IT_MARKER4" 1
	it_point "late: an attempt 4 s after the entrypoint's exec: no alert with the 3 s window (the marker alerts)" \
		it_expect_counts default late 1 "$IT_MARKER4" 1 "$IT_PUBLIC4" 0
	it_point "late-long: the same with window_ms 10000: alert" \
		it_expect_counts longwindow late-long 2 "$IT_MARKER4" 1 "$IT_PUBLIC4" 1
	it_point "late-long: its elapsed_ms is the real delay (>= 3900, < 10000)" \
		it_expect longwindow late-long "$IT_PUBLIC4" "entryguard.elapsed_ms>=3900" \
		"entryguard.elapsed_ms<10000" "process.parent.name==entrypoint.sh"
	it_point "other-name: the same attempt from an entrypoint named start.sh: no alert (tcp4 is the control)" \
		it_expect_counts default other-name 0
	it_point "grandchild: a grandchild's attempt, lineage children: no alert (the marker alerts)" \
		it_expect_counts default grandchild 1 "$IT_MARKER4" 1 "$IT_PUBLIC4" 0
	it_point "grandchild-desc: the same with lineage descendants: alert" \
		it_expect_counts descendants grandchild-desc 2 "$IT_MARKER4" 1 "$IT_PUBLIC4" 1
	it_point "grandchild-desc: its parent is the middle process, not entrypoint.sh" \
		it_expect descendants grandchild-desc "$IT_PUBLIC4" "process.parent.name==egprobe" \
		"process.parent.entity_id!=@process.entry_leader.entity_id" "process.entry_leader.entity_id?"
	it_point "double-fork: a double-forked, re-parented grandchild, lineage children: no alert (its real parent is not entrypoint.sh)" \
		it_expect_counts default double-fork 1 "$IT_MARKER4" 1 "$IT_PUBLIC4" 0
	it_point "double-fork-desc: the same with lineage descendants: alert" \
		it_expect_counts descendants double-fork-desc 2 "$IT_MARKER4" 1 "$IT_PUBLIC4" 1
	# The lineage is what matters: the parent is the fork-time one (not the
	# entrypoint, not the init).  Its name is not asserted: a middle process
	# that exits and is reaped before the monitor reads /proc has none.
	local fields=("process.parent.entity_id!=@process.entry_leader.entity_id")
	[ -z "${IT_INIT[double-fork-desc]:-}" ] || fields+=("process.parent.pid!=${IT_INIT[double-fork-desc]}")
	it_point "double-fork-desc: its parent is the real (fork-time) parent, not the init it was re-parented to" \
		it_expect descendants double-fork-desc "$IT_PUBLIC4" "${fields[@]}"
	it_point "exec-args: after exec \"\$@\" the children of the program that replaced entrypoint.sh do not match" \
		it_expect_counts default exec-args - "$IT_PUBLIC4" 0
	it_point "exec-args: a child forked before the exec still matches (the marker; lineage at fork time)" \
		it_expect_counts default exec-args 1 "$IT_MARKER4" 1

	it_diag "observed (not judged): udp-sendto alerts: $(it_count default udp-sendto); tcp with --network none alerts: $(it_count default none-tcp)"

	table=$("$IT_CLI" alerts --file "$(it_alerts_file default)" 2>&1)
	if grep -qF "$IT_PUBLIC4" <<<"$table" &&
		{ grep -qF "$IT_TAG-tcp4" <<<"$table" || grep -qF "${IT_CID[tcp4]:0:12}" <<<"$table"; }; then
		it_ok "entryguard alerts --file shows the tcp4 alert as a table"
	else
		it_not_ok "entryguard alerts --file shows the tcp4 alert (container ${IT_CID[tcp4]:0:12} or $IT_TAG-tcp4, $IT_PUBLIC4)" \
			"entryguard alerts said: $table"
	fi
	local profile bad=
	for profile in default descendants longwindow; do
		[ -s "$(it_alerts_file "$profile")" ] || continue
		$IT_JSON check-ecs "$(it_alerts_file "$profile")" >"$IT_DIR/logs/ecs-$profile.txt" 2>&1 ||
			bad="$bad $profile: $(head -n 5 "$IT_DIR/logs/ecs-$profile.txt")"
	done
	if [ -z "$bad" ]; then
		it_ok "every alert line is one JSON object with nested keys"
	else
		it_not_ok "every alert line is one JSON object with nested keys" "$bad"
	fi
	elapsed=$(($(it_now_ms) - started))
	it_diag "cases took $elapsed ms"
}
