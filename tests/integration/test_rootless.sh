#!/usr/bin/env bash
# Rootless Podman end to end (issue 5): detection and blocking for users
# without privilege on the host.  Run as root: the test makes its own users
# (egrt-a-<pid>, egrt-b-<pid>, with subordinate ids and /run/user/UID, as
# logind would), runs rootless Podman as each (crun, Podman's defaults, a
# clean login-like environment), and removes the users, their containers,
# images, processes and namespaces at the end, also on failure or a signal.
#
# entryguard is the private install of lib.sh; the users register it without
# root, both ways:
#   - `podman --hooks-dir DIR`: the detection passes (a user hooks.d entry
#     whose env has ENTRYGUARD_CONFIG, ENTRYGUARD_LOG_FILE and, to force the
#     fallback, ENTRYGUARD_TRACKER; no HOME or XDG_*: the hook finds the
#     user's folders itself) and the package's own hooks.d entry (no env
#     at all; config in ~/.config/entryguard/entryguard.json);
#   - a user containers.conf (CONTAINERS_CONF) made from
#     packaging/engines/podman-rootless-containers.conf: hooks_dir and
#     [engine.runtimes] entryguard = the profile's entryguard-runtime
#     (blocking, `--runtime entryguard`), from
#     packaging/engines/podman-rootless-hooks.json for the entry.
# Where things must land: the run directory $XDG_RUNTIME_DIR/entryguard
# (listener and control sockets there), alerts in
# ~/.local/state/entryguard/alerts.ndjson (or the config's alerts.path),
# owned by the user; monitors run as the user on the host.
#
# The cases:
#   detection, twice: user A with the default tracker (auto), user B with
#     the procfs fallback forced (ENTRYGUARD_TRACKER=procfs in the hooks.d
#     entry; monitor.tracker "procfs" in the config for the descendants
#     profile): cases.sh's detection set (public TCP v4/v6 and UDP alert
#     with their fields; private, loopback, late, other entrypoint name,
#     grandchild and double fork with "children": no alert, each with a
#     positive control; "descendants": alert; exec "$@"), plus: the monitor
#     runs as the user, outlives the hook, holds a proc connector socket or
#     not (forced fallback: not), `entryguard status` as the user lists it,
#     a hard stop ends it; every monitor gone when the containers exited;
#     the alerts file the user's, not readable by others;
#   blocking (user A, entryguard-runtime as --runtime): TCP v4, v6, UDP
#     connect, UDP sendto v6 to public addresses: EPERM, alert "blocked";
#     loopback with data both ways works; kill mode kills (exit 137,
#     "killed") and a later child works; the listener is under the user's
#     run directory;
#   two users at once: each user's `entryguard status` lists only its own
#     containers; each user trying the other's run directory, container
#     folder, control socket, monitor (kill(pid, 0)) and alerts file gets
#     EACCES/EPERM; each alerts file holds only its user's containers.
#
# NETWORK SAFETY: containers get `--network none` or their user's sinkhole:
# a namespace made with `podman unshare unshare -n` inside the user's Podman
# user namespace (rootless Podman cannot join root's), holding lo and a veth
# pair whose both ends stay inside, default routes and permanent neighbour
# entries for the gateways: a connect to a public address sits in SYN-SENT
# and nothing leaves.  The namespace is checked (links, owner) before use
# and each container's namespace inode after its start.  Never slirp4netns,
# pasta or Podman's default network.  Prints TAP.
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/cases.sh
source "$(dirname "$0")/cases.sh"
# shellcheck source=tests/integration/rootless_lib.sh
source "$(dirname "$0")/rootless_lib.sh"

it_begin rootless
it_require podman crun ip file python3 meson ninja useradd userdel setpriv nsenter newuidmap \
	newgidmap pkill pgrep timeout
trap rt_cleanup EXIT
IT_RUNNER=podman-crun # cases.sh's Podman checks (container.name, image); run as a user here
RT_TRACKER=auto
RT_PREFIX=
declare -A RT_CIDS=() # user -> the ids of every container it ran
started_all=$(it_now_ms)

# Test points carry the pass they belong to.
eval "rt_tap_ok() $(declare -f it_ok | tail -n +2)"
eval "rt_tap_not_ok() $(declare -f it_not_ok | tail -n +2)"
it_ok() { rt_tap_ok "$RT_PREFIX$1"; }
it_not_ok() { rt_tap_not_ok "$RT_PREFIX$1" "${2:-}"; }

# The users must reach the private install (a clone in /root, mode 0700,
# cannot be): then one in /var/tmp, kept between runs like the build's.
if ! rt_searchable "$IT_WORK"; then
	it_diag "$IT_WORK is not searchable by other users; installing into /var/tmp instead"
	IT_WORK=/var/tmp/entryguard-rootless-$(echo "$IT_SOURCE" | md5sum | cut -c1-12)
	mkdir -p "$IT_WORK" && chmod 0755 "$IT_WORK" || it_bail "cannot make $IT_WORK"
fi
it_quirks
it_install
IT_WRAPPER=$IT_PREFIX/bin/entryguard-runtime
[ -x "$IT_WRAPPER" ] || it_bail "install: no $IT_WRAPPER"
it_image # the rootfs; each user imports it
rt_users_begin
rt_user_add a
rt_user_add b
# shellcheck disable=SC2154 # set by rt_user_add
A=$RT_USER_a B=$RT_USER_b
it_diag "users: $A (uid ${RT_UID[$A]}), $B (uid ${RT_UID[$B]})"

for user in "$A" "$B"; do
	rt_reachable "$user" >"$IT_DIR/logs/reach-$user.log" 2>&1 ||
		it_bail "$user cannot use the private install (make the folders on the way o+x): $(cat "$IT_DIR/logs/reach-$user.log")"
done
it_ok "both users can execute the private install's programs and read its hooks.d entry ($IT_PREFIX)"

for user in "$A" "$B"; do
	rt_image "$user"
	rt_sinkhole_up "$user"
done
info=$(rt_podman "$A" -- info --format '{{.Host.Security.Rootless}} {{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}}' 2>&1)
if [ "${info%% *}" = true ]; then
	it_ok "Podman runs rootless as $A (runtime, cgroup manager, storage: ${info#* })"
else
	it_bail "Podman as $A is not rootless: $info"
fi
if [ "$(it_netns_inode "/proc/${RT_SINK_PID[$A]}/ns/user")" != "$(it_netns_inode "/proc/${RT_SINK_PID[$B]}/ns/user")" ]; then
	it_ok "each user has a sealed sinkhole made by \`podman unshare unshare -n\` (lo, sink0@sink1, sink1@sink0; holders ${RT_SINK_PID[$A]}, ${RT_SINK_PID[$B]} in two user namespaces, neither the host's)"
else
	it_bail "the two users' sinkholes are in the same user namespace"
fi
it_diag "setup took $(($(it_now_ms) - started_all)) ms (install, image, users, sinkholes)"

# ---- detection: cases.sh as a user -------------------------------------------------

# The profiles of a pass: with the forced fallback, the descendants profile
# asks for it in the config (monitor.tracker), the others in the hooks.d
# entry's env (ENTRYGUARD_TRACKER).
it_profile() {
	local name=$1
	shift
	case $RT_TRACKER in
	auto) rt_profile "$RT_USER" "$name" auto "$@" ;;
	procfs)
		if [ "$name" = descendants ]; then
			rt_profile "$RT_USER" "$name" config "$@" 'monitor={"tracker": "procfs"}'
		else
			rt_profile "$RT_USER" "$name" env-procfs "$@"
		fi
		;;
	esac
}

# Remember every container id per user (the two-user checks), as cases.sh
# starts them.
eval "rt_podman_start_inner() $(declare -f it_podman_start | tail -n +2)"
it_podman_start() {
	rt_podman_start_inner "$@" || return 1
	RT_CIDS[$RT_USER]+=" ${IT_CID[$2]}"
}

# cases.sh's long-running container, rootless: the monitor, as the user, in
# the user's run dir, after the hook; its tracker; `entryguard status` as the
# user; a hard stop ends it.
it_status_checks() {
	local cid=${IT_CID[long]:-} dir pid='' uids status_out hooks fallbacks init=${IT_INIT[long]:-0}
	[ -n "$cid" ] || return 0
	dir=$IT_RUN_DIR/$cid
	# The sinkhole's namespace belongs to the user namespace Podman runs the
	# containers in (its holder made it there).
	if [ "$init" != 0 ] && [ "$(it_netns_inode "/proc/$init/ns/user")" = "$(it_netns_inode "/proc/${RT_SINK_PID[$RT_USER]}/ns/user")" ]; then
		it_ok "long: the container runs in the user namespace that made $RT_USER's sinkhole (Podman's)"
	else
		it_not_ok "long: the container runs in the user namespace that made $RT_USER's sinkhole" \
			"init ${init}: $(readlink "/proc/$init/ns/user" 2>&1); holder: $(readlink "/proc/${RT_SINK_PID[$RT_USER]}/ns/user" 2>&1)"
	fi
	rt_wait_file "$dir/monitor.pid" 5
	{ read -r pid _ <"$dir/monitor.pid"; } 2>/dev/null
	uids=$(rt_process_uids "${pid:-0}")
	if [ -n "${pid:-}" ] && it_is_monitor_comm "$(cat "/proc/$pid/comm" 2>/dev/null)" &&
		[ "$uids" = "${RT_UID[$RT_USER]} ${RT_UID[$RT_USER]} ${RT_UID[$RT_USER]} ${RT_UID[$RT_USER]}" ] &&
		[ "$(stat -c %u "$dir" 2>/dev/null)" = "${RT_UID[$RT_USER]}" ]; then
		it_ok "long: the monitor (pid $pid) runs on the host as $RT_USER (uid ${RT_UID[$RT_USER]}), its folder $dir the user's"
	else
		it_not_ok "long: the monitor runs on the host as $RT_USER (uid ${RT_UID[$RT_USER]}), in $dir" \
			"monitor.pid: ${pid:-none}; its uids: ${uids:-none}; $(ls -ld "$IT_RUN_DIR" "$dir" 2>&1)
log: $(grep -F "${cid:0:12}" "$(rt_log "$RT_USER")" 2>/dev/null | tail -n 5)"
	fi
	hooks=$(pgrep -u "$RT_USER" -x entryguard-hook | tr '\n' ' ')
	if [ -n "${pid:-}" ] && [ -z "$hooks" ] && kill -0 "$pid" 2>/dev/null; then
		it_ok "long: the hook has exited, the monitor it started lives on"
	else
		it_not_ok "long: the hook has exited, the monitor it started lives on" "hooks running: ${hooks:-none}; monitor ${pid:-none}"
	fi
	if [ -n "${pid:-}" ] && rt_monitor_has_proc_connector "$pid"; then
		RT_TRACKER_SEEN=proc_connector
	else
		RT_TRACKER_SEEN=procfs
	fi
	it_diag "tracker $RT_TRACKER: the monitor holds $([ "$RT_TRACKER_SEEN" = proc_connector ] && echo 'a proc connector socket' || echo 'no proc connector socket')"
	fallbacks=$(grep -F "container $cid: " "$(rt_log "$RT_USER")" 2>/dev/null |
		grep -c "following the container's processes by polling /proc instead")
	if [ "$RT_TRACKER" = auto ]; then
		if [ -n "${pid:-}" ] && { { [ "$RT_TRACKER_SEEN" = proc_connector ] && [ "$fallbacks" = 0 ]; } ||
			{ [ "$RT_TRACKER_SEEN" = procfs ] && [ "$fallbacks" = 1 ]; }; }; then
			it_ok "long: tracker auto: $([ "$RT_TRACKER_SEEN" = proc_connector ] && echo 'the monitor holds a proc connector socket and logged no fallback' || echo 'the kernel refused the proc connector here; the monitor holds none and said so once (falls back to polling /proc)')"
		else
			it_not_ok "long: tracker auto: the monitor holds a proc connector socket, or logged its fallback to /proc exactly once" \
				"monitor ${pid:-none}, proc connector socket: $RT_TRACKER_SEEN, fallback lines: $fallbacks
log: $(grep -F "$cid" "$(rt_log "$RT_USER")" 2>/dev/null | tail -n 5)"
		fi
	fi
	if [ "$RT_TRACKER" = procfs ]; then
		if [ -n "${pid:-}" ] && [ "$RT_TRACKER_SEEN" = procfs ]; then
			it_ok "long: with the fallback forced, the monitor holds no proc connector socket"
		else
			it_not_ok "long: with the fallback forced (ENTRYGUARD_TRACKER=procfs), the monitor holds no proc connector socket" \
				"monitor ${pid:-none}"
		fi
	fi
	status_out=$(rt_as "$RT_USER" "$IT_CLI" status 2>&1)
	if grep -q "${cid:0:12}" <<<"$status_out" && [ -n "${pid:-}" ] && grep -qw "$pid" <<<"$status_out"; then
		it_ok "long: \`entryguard status\` run by $RT_USER lists the container and its monitor"
	else
		it_not_ok "long: \`entryguard status\` run by $RT_USER lists the container (${cid:0:12}) and its monitor (${pid:-?})" \
			"entryguard status said: $status_out"
	fi
	it_diag "status --json: $(rt_as "$RT_USER" "$IT_CLI" status --json 2>&1 | tr -d '\n' | cut -c1-400)"
	it_stop long
	if it_wait_container_dir_gone "$dir" 10 && it_wait_pid_gone "${pid:-}" 5; then
		it_ok "long: after podman rm -f the monitor is gone and its folder removed"
	else
		it_not_ok "long: after podman rm -f the monitor is gone and its folder removed" \
			"monitor ${pid:-?} alive: $(kill -0 "${pid:-0}" 2>/dev/null && echo yes || echo no); folder: $(ls -A "$dir" 2>&1 | tr '\n' ' ')"
	fi
}

# After a pass: the alerts file is where the user's default says, the
# user's, and not open to others.
rt_alerts_file_checks() {
	local user=$1 file
	file=$(rt_user_alerts "$user")
	if [ -s "$file" ] && [ "$(stat -c %u "$file")" = "${RT_UID[$user]}" ] &&
		[ $((8#$(stat -c %a "$file") & 8#007)) -eq 0 ] &&
		[ "$(stat -c %u "$(dirname "$file")")" = "${RT_UID[$user]}" ]; then
		it_ok "the alerts are in $user's ~/.local/state/entryguard/alerts.ndjson, owned by $user, mode $(stat -c %a "$file") (nothing for others)"
	else
		it_not_ok "the alerts are in $user's ~/.local/state/entryguard/alerts.ndjson, owned by $user, not readable by others" \
			"$(ls -ld "$(dirname "$file")" "$file" 2>&1)
files under $user's home: $(find "${RT_HOME[$user]}" -name '*.ndjson' 2>/dev/null | tr '\n' ' ')
log: $(tail -n 5 "$(rt_log "$user")" 2>/dev/null)"
	fi
}

# The tracker a pass's monitors used, by their log lines.
rt_tracker_log_diag() {
	local user=$1
	it_diag "log lines about the tracker ($user): $(grep -iE 'proc connector|procfs|tracker|fallback' "$(rt_log "$user")" 2>/dev/null |
		sed 's/^[0-9.]* entryguard-[a-z]*\[[0-9]*\]: //; s/container [0-9a-f]*: //' | sort | uniq -c | sort -rn | head -n 4)"
}

rt_detection_pass() { # USER TRACKER
	local started out
	rt_use "$1"
	RT_TRACKER=$2
	RT_PREFIX="[$2] "
	IT_CID=()
	IT_INIT=()
	# Polling /proc cannot know a fork-time parent that exited before the
	# next look (a double fork looks like a child of the init, which is
	# entrypoint.sh), nor whether a child found together with the init's
	# exec was forked before or after it (exec "$@").  Where the polling
	# tracker runs (forced, or auto on kernels that ignore the proc
	# connector in a user namespace, as here), those cases are reported as
	# TODO, not failures; docs/ROOTLESS.md gives the figures.
	IT_KNOWN_LIMITS="double-fork double-fork-desc exec-args"
	IT_KNOWN_LIMITS_REASON="known limit of the procfs tracker (docs/ROOTLESS.md)"
	started=$(it_now_ms)
	it_standard_cases
	IT_KNOWN_LIMITS=
	# Hook mode has no seccomp watcher: the TCP attempt, left pending in the
	# sinkhole, was found by sock_diag, which the monitor opened inside the
	# container's network namespace from Podman's user namespace.
	if out=$($IT_JSON expect "$(rt_user_alerts "$1")" "${IT_CID[tcp4]:-none}" "$IT_PUBLIC4" \
		"entryguard.source~sock_diag" 2>&1); then
		it_ok "tcp4: seen by sock_diag in the container's network namespace, opened from the user namespace"
	else
		it_not_ok "tcp4: seen by sock_diag in the container's network namespace, opened from the user namespace" "$out"
	fi
	rt_alerts_file_checks "$1"
	out=$(rt_as "$1" "$IT_CLI" alerts 2>&1)
	if grep -qF "$IT_PUBLIC4" <<<"$out" && { grep -qF "$IT_TAG-tcp4" <<<"$out" ||
		grep -qF "$(cut -c1-12 <<<"${IT_CID[tcp4]:-none}")" <<<"$out"; }; then
		it_ok "\`entryguard alerts\` run by $1 (no --file) shows the tcp4 alert from the user's alerts file"
	else
		it_not_ok "\`entryguard alerts\` run by $1 (no --file) shows the tcp4 alert from the user's alerts file" "$out"
	fi
	rt_recall_figure "$1" "$2"
	rt_tracker_log_diag "$1"
	it_diag "watchers that saw this pass's alerts (entryguard.source): $(/usr/bin/python3 -c '
import collections, json, sys
print(dict(collections.Counter(json.loads(l).get("entryguard", {}).get("source") for l in open(sys.argv[1]))))' "$(rt_user_alerts "$1")" 2>&1)"
	it_diag "detection pass ($2, $1) took $(($(it_now_ms) - started)) ms"
}

rt_detection_pass "$A" auto
rt_detection_pass "$B" procfs
RT_PREFIX=

# ---- blocking and two users at once ---------------------------------------------

E=/bin/egprobe
P4=$IT_PUBLIC4
P6=$IT_PUBLIC6
STEPS=$(it_scenario_path steps)
CRUN=$(command -v crun)
SNIPPET_CONF=$IT_SOURCE/packaging/engines/podman-rootless-containers.conf
SNIPPET_HOOK=$IT_SOURCE/packaging/engines/podman-rootless-hooks.json
[ -f "$SNIPPET_CONF" ] && [ -f "$SNIPPET_HOOK" ] || it_bail "no $SNIPPET_CONF or $SNIPPET_HOOK"

# A's blocking profiles: config (mode, runtime.path crun; alerts at the
# default), and an entryguard-runtime that sets ENTRYGUARD_CONFIG and
# ENTRYGUARD_LOG_FILE (Podman gives a runtime no environment of its own
# beyond XDG_RUNTIME_DIR: README of tests/integration) and execs the
# installed wrapper.  No ENTRYGUARD_RUN_DIR: the user's run dir.
rt_block_profile() {
	local mode=$1 dir=$IT_DIR/u-$A/$1
	rt_profile "$A" "$mode" auto "mode=\"$mode\"" "runtime={\"path\": \"$CRUN\"}"
	mkdir -p "$dir/bin" || it_bail "profile $mode"
	cat >"$dir/bin/entryguard-runtime" <<EOF || it_bail "profile $mode"
#!/bin/sh
# test_rootless.sh: entryguard-runtime in $mode mode for $A.
ENTRYGUARD_CONFIG='$dir/config.json'
ENTRYGUARD_LOG_FILE='$(rt_log "$A")'
export ENTRYGUARD_CONFIG ENTRYGUARD_LOG_FILE
exec '$IT_WRAPPER' "\$@"
EOF
	chmod 0755 "$dir/bin/entryguard-runtime"
	"$IT_CLI" check-config "$dir/config.json" >"$IT_DIR/logs/check-$mode.txt" 2>&1 ||
		it_bail "profile $mode: $(cat "$IT_DIR/logs/check-$mode.txt")"
}
rt_block_profile block
rt_block_profile kill

# A's user containers.conf, from the shipped snippet: its hooks_dir made the
# folder with A's entry (the shipped user hooks.d entry with the private
# install's hook and a detect profile's env: under the wrapper the hook finds
# the wrapper's monitor there first and leaves the container to it),
# [engine.runtimes] entryguard made the block profile's wrapper.
rt_user_conf() {
	local dir=$IT_DIR/u-$A/conf
	mkdir -p "$dir/hooks.d" || it_bail "containers.conf"
	rt_profile "$A" detect auto
	/usr/bin/python3 - "$SNIPPET_CONF" "$SNIPPET_HOOK" "$dir" "$IT_HOOK" \
		"$IT_DIR/u-$A/block/bin/entryguard-runtime" "$IT_DIR/u-$A/detect/config.json" \
		"$(rt_log "$A")" <<'PY' >"$IT_DIR/logs/user-conf.log" 2>&1 || it_bail "containers.conf: $(cat "$IT_DIR/logs/user-conf.log")"
import json, re, sys, tomllib
snippet, hook_snippet, out, hook, wrapper, config, log = sys.argv[1:]
text = open(snippet).read()
engine = tomllib.loads(text)["engine"]
assert engine["runtimes"]["entryguard"] == ["/usr/bin/entryguard-runtime"], engine["runtimes"]
for key in ("runtime_supports_json", "runtime_supports_nocgroups"):
    assert "entryguard" in engine[key] and "entryguard-runtime" in engine[key], key
text = text.replace('"/usr/bin/entryguard-runtime"', json.dumps(wrapper))
# hooks_dir: only the test's folder (this machine's system hooks.d is not ours).
text, n = re.subn(r"^hooks_dir = \[[^\]]*\]", "hooks_dir = [" + json.dumps(out + "/hooks.d") + "]",
                  text, count=1, flags=re.M)
assert n == 1, "no hooks_dir in the snippet"
parsed = tomllib.loads(text)["engine"]
assert parsed["hooks_dir"] == [out + "/hooks.d"] and parsed["runtimes"]["entryguard"] == [wrapper]
open(out + "/containers.conf", "w").write(text)
entry = json.load(open(hook_snippet))
assert entry["hook"]["path"].endswith("/entryguard-hook") and entry["when"] == {"always": True}, entry
assert entry["stages"] == ["createRuntime"], entry
entry["hook"]["path"] = hook
entry["hook"]["env"] = ["ENTRYGUARD_CONFIG=" + config, "ENTRYGUARD_LOG_FILE=" + log]
json.dump(entry, open(out + "/hooks.d/entryguard.json", "w"), indent=2)
PY
	chmod -R a+rX "$dir"
	# From now on every podman of A's reads it.
	RT_PODMAN_CONF[$A]=$dir/containers.conf
}
rt_user_conf

# B: the package's own hooks.d entry (no env) and a config in
# ~/.config/entryguard/entryguard.json whose alerts.path is B's choice.
B_ALERTS=${RT_HOME[$B]}/eg-alerts/alerts.ndjson
mkdir -p "${RT_HOME[$B]}/.config/entryguard" &&
	$IT_JSON config "${RT_HOME[$B]}/.config/entryguard/entryguard.json" \
		"alerts={\"path\": \"$B_ALERTS\", \"syslog\": false}" &&
	chown -R "$B:" "${RT_HOME[$B]}/.config" || it_bail "config for $B"

# rt_run USER CASE NETWORK PODMAN-OPTION... -- STEP...: a detached container
# running steps.sh as USER, on USER's sinkhole or none.
declare -A RT_CASE_USER=()
rt_run() {
	local user=$1 case_name=$2 network=$3 options=() network_option cid pid
	shift 3
	while [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	rt_use "$user"
	case $network in
	sink) rt_sinkhole_verify "$user" || it_bail "NETWORK GUARD: $user's sinkhole is not sealed"
		network_option=ns:$IT_SINK_PATH ;;
	none) network_option=none ;;
	*) it_bail "NETWORK GUARD: $network" ;;
	esac
	RT_NAMES[$user]+=" $IT_TAG-$case_name"
	RT_CASE_USER[$case_name]=$user
	cid=$(rt_podman "$user" -- "${options[@]}" run -d --name "$IT_TAG-$case_name" \
		--network "$network_option" "$IT_IMAGE" "$STEPS" "$@" 2>"$IT_DIR/logs/$case_name.start") || {
		it_not_ok "$case_name: container started as $user" "$(cat "$IT_DIR/logs/$case_name.start")"
		return 1
	}
	IT_CID[$case_name]=$cid
	RT_CIDS[$user]+=" $cid"
	pid=$(rt_podman "$user" -- inspect -f '{{.State.Pid}}' "$IT_TAG-$case_name" 2>/dev/null)
	it_guard_after_start "$pid" "$network"
}

IT_CID=()
started=$(it_now_ms)
# Long ones first: both users' containers run side by side.  A's podman
# reads A's containers.conf (hooks_dir; the runtime entryguard).
rt_run "$A" a-long sink -- "$E tcp $P4 80 300" "/bin/sleep 8"
rt_run "$B" b-long sink --hooks-dir "$IT_PREFIX/share/containers/oci/hooks.d" -- \
	"$E tcp $P4 80 300" "/bin/sleep 8"
rt_run "$A" blocked sink --runtime entryguard -- "$E tcp $P4 81 0" "$E tcp $P6 82 0" \
	"$E udp $P4 83 0" "$E udp-sendto $P6 84 0" "$E loopback"
rt_run "$A" kill sink --runtime "$IT_DIR/u-$A/kill/bin/entryguard-runtime" -- "$E tcp $P4 92 0" \
	"$E loopback"
it_diag "started ${#IT_CID[@]} containers (blocking, two users) in $(($(it_now_ms) - started)) ms"

# ---- two users at once ----
rt_status_only_own() { # USER OWN-CASE OTHER-CASE
	local out own=${IT_CID[$2]:-none} other=${IT_CID[$3]:-none}
	out=$(rt_as "$1" "$IT_CLI" status 2>&1)
	if grep -q "${own:0:12}" <<<"$out" && ! grep -q "${other:0:12}" <<<"$out"; then
		it_ok "two users: \`entryguard status\` as $1 lists its container $2 and not the other user's $3"
	else
		it_not_ok "two users: \`entryguard status\` as $1 lists $2 (${own:0:12}) and not $3 (${other:0:12})" \
			"status said: $out"
	fi
}

rt_status_only_own "$A" a-long b-long
rt_status_only_own "$B" b-long a-long
rt_wait_file "$(rt_user_alerts "$A")" 5
rt_wait_file "$B_ALERTS" 5
rt_intrude "$A" "$B" b-long "$B_ALERTS"
rt_intrude "$B" "$A" a-long "$(rt_user_alerts "$A")"

for case_name in a-long b-long blocked kill; do
	[ -n "${IT_CID[$case_name]:-}" ] || continue
	rt_use "${RT_CASE_USER[$case_name]}"
	it_wait "$case_name" 60 || it_not_ok "$case_name: container exits within 60 s"
done
for user in "$A" "$B"; do
	rt_use "$user"
	if it_wait_monitors_gone 15; then
		it_ok "$user: every monitor is gone and $IT_RUN_DIR is empty once the containers exited"
	else
		it_not_ok "$user: every monitor is gone and the run dir is empty" "$(it_describe_leftovers)"
	fi
done
it_diag "blocking and two users: containers ran for $(($(it_now_ms) - started)) ms"

# rt_alerts_only USER FILE: every alert in FILE is of one of USER's containers.
rt_alerts_only() {
	# shellcheck disable=SC2086 # a list of ids
	/usr/bin/python3 - "$2" ${RT_CIDS[$1]:-} <<'PY'
import json, sys
path, own = sys.argv[1], set(sys.argv[2:])
ids = [json.loads(line)["container"]["id"] for line in open(path)]
foreign = [i for i in ids if i not in own]
print(f"{len(ids)} alerts, {len(set(ids))} containers, {len(foreign)} alerts of other containers")
sys.exit(1 if foreign or not ids else 0)
PY
}
for user_file in "$A:$(rt_user_alerts "$A")" "$B:$(rt_user_alerts "$B")" "$B:$B_ALERTS"; do
	user=${user_file%%:*}
	file=${user_file#*:}
	if out=$(rt_alerts_only "$user" "$file" 2>&1); then
		it_ok "two users: $user's $file holds only $user's containers ($out)"
	else
		it_not_ok "two users: $user's $file holds only $user's containers" "$out"
	fi
done

# B, registered by the package's hooks.d entry alone (no env): config from
# ~/.config/entryguard, alerts where it says, owned by B.
rt_use "$B"
if problems=$($IT_JSON expect "$B_ALERTS" "${IT_CID[b-long]:-none}" "$P4" "destination.port==80" \
	"process.parent.name==entrypoint.sh" "entryguard.action==alert" "container.name==$IT_TAG-b-long" 2>&1) &&
	[ "$(stat -c %u "$B_ALERTS")" = "${RT_UID[$B]}" ]; then
	it_ok "b-long: the package's hooks.d entry (no env) works for $B: config from ~/.config/entryguard/entryguard.json, its alert in the config's alerts.path, owned by $B"
else
	it_not_ok "b-long: the package's hooks.d entry (no env) works for $B: one alert in the alerts.path of ~/.config/entryguard/entryguard.json, owned by $B" \
		"$problems $(ls -l "$B_ALERTS" 2>&1)
container output: $(it_logs b-long)"
fi
rt_use "$A"
if problems=$($IT_JSON expect "$(rt_user_alerts "$A")" "${IT_CID[a-long]:-none}" "$P4" \
	"destination.port==80" "process.parent.name==entrypoint.sh" "entryguard.action==alert" 2>&1); then
	it_ok "a-long: registered by the user containers.conf's hooks_dir (CONTAINERS_CONF): one alert"
else
	it_not_ok "a-long: registered by the user containers.conf's hooks_dir (CONTAINERS_CONF): one alert" \
		"$problems
container output: $(it_logs a-long)"
fi

# ---- blocking ----
rt_output() { # CASE: the file with the container's whole output
	local file=$IT_DIR/logs/$1.out
	[ -s "$file" ] || rt_podman "${RT_CASE_USER[$1]}" -- logs "$IT_TAG-$1" >"$file" 2>&1
	echo "$file"
}
rt_outcome() { # CASE PORT: what egprobe printed for its attempt to PORT
	sed -n "s/^egprobe\[[0-9]*\]: [a-z0-9-]* [^ ]* port $2: //p" "$(rt_output "$1")" | head -n 1
}
rt_step_exit() { # CASE TEXT: steps.sh's exit status for the step with TEXT
	grep -F -- "$2" "$(rt_output "$1")" | sed -n 's/^step [0-9]* exit \([0-9]*\): .*/\1/p' | head -n 1
}
rt_attempt() { # CASE PORT PATTERN WHAT EXPRESSION...
	local case_name=$1 port=$2 pattern=$3 what=$4 outcome problems=
	shift 4
	outcome=$(rt_outcome "$case_name" "$port")
	grep -Eq -- "$pattern" <<<"$outcome" || problems="the program saw \"${outcome:-nothing}\", wanted /$pattern/"
	problems="$problems$(printf '\n')$($IT_JSON expect "$(rt_user_alerts "$A")" "${IT_CID[$case_name]:-none}" \
		"port:$port" "container.id==${IT_CID[$case_name]:-none}" "destination.port==$port" \
		"process.parent.name==entrypoint.sh" "process.name==egprobe" "$@" 2>&1)"
	if [ -z "${problems//[[:space:]]/}" ]; then
		it_ok "$case_name: $what: the program saw \"$outcome\"; one alert"
	else
		it_not_ok "$case_name: $what: the program sees /$pattern/ and one alert" \
			"$problems
container output: $(tail -n 20 "$(rt_output "$case_name")")"
	fi
}
EPERM='\[EPERM\]$'
blocked=("event.outcome==failure" "entryguard.action==blocked")
rt_attempt blocked 81 "$EPERM" "TCP to $P4:81 blocked" "${blocked[@]}" "network.transport==tcp" "network.type==ipv4"
rt_attempt blocked 82 "$EPERM" "TCP to [$P6]:82 blocked" "${blocked[@]}" "network.transport==tcp" "network.type==ipv6"
rt_attempt blocked 83 "$EPERM" "UDP connect() to $P4:83 blocked" "${blocked[@]}" "network.transport==udp" "network.type==ipv4"
rt_attempt blocked 84 "$EPERM" "UDP sendto() to [$P6]:84 blocked" "${blocked[@]}" "network.transport==udp" "network.type==ipv6"
if [ "$(rt_step_exit blocked "$E loopback")" = 0 ] && grep -q 'loopback (libc): all passed' "$(rt_output blocked)"; then
	it_ok "blocked: in block mode, loopback TCP (blocking and not) with data both ways and UDP sendto/sendmsg/sendmmsg work"
else
	it_not_ok "blocked: loopback calls work in block mode" "$(grep -E 'loopback|step' "$(rt_output blocked)")"
fi
problems=
status=$(rt_step_exit kill "$E tcp $P4 92 0")
outcome=$(rt_outcome kill 92)
[ "$status" = 137 ] && [ -z "$outcome" ] || problems="exit status ${status:-?}, the program saw \"${outcome:-nothing}\""
problems="$problems $($IT_JSON expect "$(rt_user_alerts "$A")" "${IT_CID[kill]:-none}" port:92 \
	"entryguard.action==killed" "event.outcome==failure" "process.parent.name==entrypoint.sh" 2>&1)"
if [ -z "${problems//[[:space:]]/}" ]; then
	it_ok "kill: kill mode: the child connecting to $P4:92 is killed by SIGKILL (exit 137) before the call returns; one alert, \"killed\""
else
	it_not_ok "kill: the child is killed by SIGKILL (exit 137) and the alert says \"killed\"" \
		"$problems
container output: $(tail -n 20 "$(rt_output kill)")"
fi
if [ "$(rt_step_exit kill "$E loopback")" = 0 ] && grep -q 'loopback (libc): all passed' "$(rt_output kill)"; then
	it_ok "kill: a later child's loopback calls work and it is not killed"
else
	it_not_ok "kill: a later child's loopback calls work" "$(grep -E 'loopback|step' "$(rt_output kill)")"
fi
# The wrapper's line: the mode and the listener under A's run dir.
problems=
for case_name in blocked kill; do
	mode=block
	[ "$case_name" != kill ] || mode="kill"
	line=$(grep -F "entryguard-runtime[" "$(rt_log "$A")" 2>/dev/null | grep -F "container ${IT_CID[$case_name]:-none}: ")
	grep -q "$mode mode; .*listener /run/user/${RT_UID[$A]}/entryguard/${IT_CID[$case_name]:-none}/seccomp.sock" <<<"$line" ||
		problems="$problems
$case_name: wanted \"$mode mode; ... listener /run/user/${RT_UID[$A]}/entryguard/<id>/seccomp.sock\", got: ${line:-nothing}"
done
if [ -z "$problems" ]; then
	it_ok "entryguard-runtime as rootless Podman's --runtime (by name from containers.conf, and by path): block and kill mode, the listener in $A's run dir /run/user/${RT_UID[$A]}/entryguard"
else
	it_not_ok "entryguard-runtime as rootless Podman's --runtime: the mode and a listener in $A's run dir" \
		"$problems
log: $(tail -n 10 "$(rt_log "$A")")"
fi
bad=
for file in "$(rt_user_alerts "$A")" "$(rt_user_alerts "$B")" "$B_ALERTS"; do
	[ -s "$file" ] || continue
	$IT_JSON check-ecs "$file" >"$IT_DIR/logs/ecs-rt.txt" 2>&1 || bad="$bad $file: $(head -n 5 "$IT_DIR/logs/ecs-rt.txt")"
done
if [ -z "$bad" ]; then
	it_ok "every alert line of both users is one JSON object with nested keys"
else
	it_not_ok "every alert line of both users is one JSON object with nested keys" "$bad"
fi

# ---- cleanup, checked ----
for user in "$A" "$B"; do
	for name in ${RT_NAMES[$user]:-}; do
		rt_podman "$user" -- rm -f -t 0 "$name" >/dev/null 2>&1
	done
	rt_podman "$user" -- rmi -f "localhost/$IT_TAG:latest" >/dev/null 2>&1
	RT_NAMES[$user]=
	RT_IMAGE_DONE[$user]=
done
left=
for user in "$A" "$B"; do
	rt_user_remove "$user" || left="$left $user"
	[ ! -e "/run/user/${RT_UID[$user]}" ] && ! grep -q "^$user:" /etc/subuid /etc/subgid &&
		[ ! -e "${RT_HOME[$user]}" ] || left="$left $user's files"
done
if [ -z "$left" ]; then
	RT_USERS=()
	it_ok "cleanup: the containers, images, both users, their processes (sinkholes, Podman's pause process), homes, /run/user folders and subordinate ranges are gone"
else
	it_not_ok "cleanup: the users and everything of theirs are gone" "left:$left"
fi
it_diag "took $(($(it_now_ms) - started_all)) ms in all"
it_end
