# shellcheck shell=bash disable=SC2034 # sets lib.sh's variables (IT_RUN_DIR, IT_CID...)
# Rootless Podman for the integration tests (test_rootless.sh): test users,
# running commands as them, a sinkhole namespace inside each user's Podman
# user namespace, and lib.sh's Podman functions redone for a user.  Source
# after lib.sh and cases.sh.
#
#   users      rt_users_begin (removes users a killed run left behind),
#              rt_user_add ROLE (a new user egrt-ROLE-<pid>: home, subordinate
#              ids, /run/user/UID), rt_as USER [VAR=VALUE...] COMMAND...,
#              rt_podman USER [VAR=VALUE...] -- PODMAN-ARGS...
#   network    rt_sinkhole_up USER, rt_use USER (the user the lib.sh-style
#              functions below act for: IT_SINK_PATH, IT_RUN_DIR, IT_IMAGE)
#   profiles   rt_profile USER NAME TRACKER [KEY=JSON...]
#   checks     rt_process_uids PID, rt_monitor_has_proc_connector PID,
#              rt_searchable DIR, rt_reachable USER, rt_intrude ATTACKER VICTIM
#              CASE ALERTS, rt_recall_figure USER TRACKER
#   cleanup    rt_cleanup (the EXIT trap; then lib.sh's it_cleanup)
#
# The users run Podman with a login-like clean environment (HOME, USER,
# LOGNAME, PATH, XDG_RUNTIME_DIR, LANG) and Podman's defaults (crun,
# cgroupfs, vfs here).  Containers get `--network none` or the user's
# sinkhole: `podman unshare unshare -n` (a network namespace owned by
# Podman's user namespace; rootless Podman cannot join one of root's), lo and
# a veth pair whose both ends stay inside, default routes, permanent
# neighbour entries for the gateways, passed as --network
# ns:/proc/PID/ns/net.  Never slirp4netns, pasta or the default network.

declare -A RT_UID=() RT_GID=() RT_HOME=() RT_SINK_PID=() RT_NAMES=() RT_IMAGE_DONE=()
declare -A RT_PODMAN_CONF=() # user -> the CONTAINERS_CONF every podman of the user gets
RT_USERS=()
RT_USER= # the user the it_* Podman functions act for (rt_use)

# ---- users -------------------------------------------------------------------

# Users are named egrt-<role>-<pid of the test>: a run killed with SIGKILL
# leaves them behind, and the next run removes them once that pid is gone.
rt_users_begin() {
	local user pid
	while IFS=: read -r user _; do
		[[ $user =~ ^egrt-[a-z]+-([0-9]+)$ ]] || continue
		pid=${BASH_REMATCH[1]}
		[ "$pid" != $$ ] || continue
		if [ -d "/proc/$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q test_rootless; then
			continue # another run of this test, still going
		fi
		it_diag "removing user $user left behind by an earlier run (pid $pid is gone)"
		rt_user_remove "$user"
	done </etc/passwd
}

rt_user_add() {
	local role=$1 user=egrt-$1-$$ uid
	useradd -m -s /bin/sh "$user" >"$IT_DIR/logs/useradd-$role.log" 2>&1 ||
		it_bail "useradd $user: $(cat "$IT_DIR/logs/useradd-$role.log")"
	RT_USERS+=("$user")
	# useradd gives each new user its own subordinate range (login.defs
	# SUB_UID_MIN..); a copy of an older system may not: add one then.
	if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
		it_bail "useradd gave $user no range in /etc/subuid and /etc/subgid (SUB_UID_COUNT in /etc/login.defs)"
	fi
	uid=$(id -u "$user") || it_bail "id $user"
	RT_UID[$user]=$uid
	RT_GID[$user]=$(id -g "$user")
	RT_HOME[$user]=$(getent passwd "$user" | cut -d: -f6)
	# No systemd/logind here: make the runtime directory logind would.
	rm -rf "/run/user/$uid" && mkdir -p /run/user && mkdir -m 0700 "/run/user/$uid" &&
		chown "$user:" "/run/user/$uid" || it_bail "cannot make /run/user/$uid for $user"
	eval "RT_USER_$role=\$user"
}

rt_user_remove() {
	local user=$1 uid tries=0
	uid=$(id -u "$user" 2>/dev/null) || return 0
	pkill -KILL -u "$user" 2>/dev/null
	while pgrep -u "$user" >/dev/null 2>&1 && [ $tries -lt 50 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	rm -rf "/run/user/$uid"
	userdel -r "$user" >/dev/null 2>&1 || userdel -f -r "$user" >/dev/null 2>&1
	# userdel removes the user's subordinate ranges; make sure.
	sed -i "/^$user:/d" /etc/subuid /etc/subgid 2>/dev/null
	! id "$user" >/dev/null 2>&1
}

# rt_as USER [VAR=VALUE...] COMMAND...: as USER (no privilege kept), from
# the user's home, with a login-like environment plus the VAR=VALUEs; killed
# after RT_TIMEOUT seconds when that is set.
rt_as() {
	local user=$1
	shift
	# shellcheck disable=SC2086 # RT_TIMEOUT: "timeout SECONDS" or nothing
	(cd "${RT_HOME[$user]}" && exec ${RT_TIMEOUT:+timeout "$RT_TIMEOUT"} setpriv --reuid="${RT_UID[$user]}" --regid="${RT_GID[$user]}" \
		--init-groups --inh-caps=-all env -i HOME="${RT_HOME[$user]}" USER="$user" LOGNAME="$user" \
		PATH="$EG_CLEAN_PATH" XDG_RUNTIME_DIR="/run/user/${RT_UID[$user]}" LANG=C.UTF-8 "$@")
}

# rt_podman USER [VAR=VALUE...] -- ARGS...: rootless podman as USER, with
# CONTAINERS_CONF=RT_PODMAN_CONF[USER] when set (a container made with a
# runtime named there needs it for every later command).  The warning about
# "/" not being a shared mount (true of this VM) is dropped.
rt_podman() {
	local user=$1 variables=()
	shift
	[ -z "${RT_PODMAN_CONF[$user]:-}" ] || variables+=("CONTAINERS_CONF=${RT_PODMAN_CONF[$user]}")
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		variables+=("$1")
		shift
	done
	shift
	rt_as "$user" "${variables[@]}" podman "$@" 2> >(grep -v 'is not a shared mount' >&2)
}

# rt_image USER: the test image (it_image's rootfs) in USER's storage.
rt_image() {
	local user=$1 tar=$IT_DIR/rootfs.tar
	[ -f "$tar" ] || eg_image_tar "$IT_ROOTFS" "$tar" || it_bail "image: tar"
	chmod 0644 "$tar"
	rt_podman "$user" -- import --quiet "$tar" "localhost/$IT_TAG:latest" \
		>"$IT_DIR/logs/import-$user.log" 2>&1 ||
		it_bail "image: podman import as $user failed: $(tail -n 5 "$IT_DIR/logs/import-$user.log")"
	RT_IMAGE_DONE[$user]=1
}

# ---- the sinkhole, inside the user's Podman user namespace -------------------

# rt_sinkhole_up USER: `podman unshare unshare -n`: a network namespace
# owned by the user namespace Podman runs containers in, set up there as the
# user (lo, veth pair with both ends inside, routes, permanent neighbours),
# held open by a sleeping shell whose host pid becomes RT_SINK_PID[USER].
rt_sinkhole_up() {
	local user=$1 ready=$IT_DIR/sink-$1.ready deadline pid
	: >"$ready" && chown "$user" "$ready" || it_bail "sinkhole $user"
	# shellcheck disable=SC2016 # expanded by the inner shell
	rt_podman "$user" -- unshare unshare -n /bin/sh -c '
		set -e
		ip link set lo up
		ip link add sink0 type veth peer name sink1
		ip addr add '"$IT_SINK_ADDR4"'/24 dev sink0
		ip link set sink0 up
		ip link set sink1 up
		ip route add default via 10.254.0.1 dev sink0
		ip -6 addr add '"$IT_SINK_ADDR6"'/64 dev sink0 nodad
		ip -6 route add default via fd00:254::1 dev sink0
		ip neigh add 10.254.0.1 lladdr '"$IT_SINK_GATEWAY_MAC"' dev sink0 nud permanent
		ip -6 neigh add fd00:254::1 lladdr '"$IT_SINK_GATEWAY_MAC"' dev sink0 nud permanent
		echo "ready $$" >"$1"
		exec sleep 3600' rt-sinkhole "$ready" </dev/null >"$IT_DIR/logs/sink-$user.log" 2>&1 &
	IT_PIDS+=("$!")
	deadline=$(($(it_now_ms) + 20000))
	until grep -q '^ready ' "$ready"; do
		[ "$(it_now_ms)" -lt "$deadline" ] || it_bail "sinkhole for $user: $(cat "$IT_DIR/logs/sink-$user.log")"
		sleep 0.05
	done
	read -r _ pid <"$ready"
	RT_SINK_PID[$user]=$pid
	rt_sinkhole_verify "$user" ||
		it_bail "sinkhole for $user not sealed: $(nsenter --net="/proc/$pid/ns/net" ip -o link show 2>&1)"
}

# The user's sinkhole: a namespace other than the host's, owned by the
# user's Podman user namespace (not the initial one), holding exactly lo,
# sink0 and sink1, each veth end's peer inside it; its holder runs as the
# user.
rt_sinkhole_verify() {
	local user=$1 pid=${RT_SINK_PID[$1]:-} links inode
	[ -n "$pid" ] && [ -e "/proc/$pid/ns/net" ] || return 1
	[ "$(stat -c %u "/proc/$pid")" = "${RT_UID[$user]}" ] || return 1
	inode=$(it_netns_inode "/proc/$pid/ns/net")
	[ "$inode" != "$(it_netns_inode /proc/1/ns/net)" ] || return 1
	[ "$(it_netns_inode "/proc/$pid/ns/user")" != "$(it_netns_inode /proc/1/ns/user)" ] || return 1
	links=$(nsenter --net="/proc/$pid/ns/net" ip -o link show) || return 1
	[ "$(echo "$links" | wc -l)" -eq 3 ] || return 1
	echo "$links" | grep -q ': lo: ' || return 1
	echo "$links" | grep -q ': sink0@sink1: ' || return 1
	echo "$links" | grep -q ': sink1@sink0: ' || return 1
	! echo "$links" | grep -q 'link-netns'
}

# rt_use USER: the user the it_* container functions act for.
rt_use() {
	RT_USER=$1
	IT_SINK_PATH=/proc/${RT_SINK_PID[$1]}/ns/net
	IT_RUN_DIR=/run/user/${RT_UID[$1]}/entryguard
	IT_IMAGE=localhost/$IT_TAG:latest
}

# ---- profiles ------------------------------------------------------------------

# rt_profile USER NAME TRACKER [KEY=JSON...]: $IT_DIR/u-USER/NAME/ with
# config.json (no alerts.path unless a KEY says so: the user's default,
# $XDG_STATE_HOME/entryguard/alerts.ndjson) and hooks.d/entryguard.json,
# whose env has ENTRYGUARD_CONFIG, ENTRYGUARD_LOG_FILE (the user's log
# folder) and, for TRACKER "env-procfs", ENTRYGUARD_TRACKER=procfs.  No
# ENTRYGUARD_RUN_DIR, HOME or XDG_*: like the package's entry, the hook must
# find the user's folders by itself (EG_RT_HOOK_XDG=1 adds HOME and
# XDG_RUNTIME_DIR, for debugging).  Readable by the user, owned by root.
rt_profile() {
	local user=$1 name=$2 tracker=$3 dir=$IT_DIR/u-$1/$2 env=()
	shift 3
	mkdir -p "$dir/hooks.d" "$(rt_log_dir "$user")" || it_bail "profile $user/$name"
	chown "$user:" "$(rt_log_dir "$user")"
	env=("ENTRYGUARD_CONFIG=$dir/config.json" "ENTRYGUARD_LOG_FILE=$(rt_log "$user")")
	[ "$tracker" != env-procfs ] || env+=(ENTRYGUARD_TRACKER=procfs)
	[ -z "${EG_RT_HOOK_XDG:-}" ] ||
		env+=("HOME=${RT_HOME[$user]}" "XDG_RUNTIME_DIR=/run/user/${RT_UID[$user]}")
	$IT_JSON config "$dir/config.json" "$@" &&
		$IT_JSON hooks "$dir/hooks.d/entryguard.json" "$IT_HOOK" "${env[@]}" ||
		it_bail "profile $user/$name: cannot write its files"
	chmod -R a+rX "$IT_DIR/u-$user"
}

rt_log_dir() { echo "$IT_DIR/u-$1/log"; }
rt_log() { echo "$IT_DIR/u-$1/log/entryguard.log"; }

# The user's default alerts file (no XDG_STATE_HOME in the hook's env).
rt_user_alerts() { echo "${RT_HOME[$1]}/.local/state/entryguard/alerts.ndjson"; }

# ---- lib.sh's Podman functions, for RT_USER ----------------------------------
# cases.sh runs with IT_RUNNER=podman-crun and calls these; here they act as
# RT_USER.  Every profile of a user shares the user's alerts file (counts go
# by container id).

it_profile() { rt_profile "$RT_USER" "$1" "$RT_TRACKER" "${@:2}"; }

it_alerts_file() { rt_user_alerts "$RT_USER"; }

# it_sinkhole_verify (it_start's guard) for the current user.
it_sinkhole_verify() { rt_sinkhole_verify "$RT_USER"; }

it_podman_start() {
	local profile=$1 case_name=$2 network=$3 scenario=$4 name=$IT_TAG-$2 network_option cid pid
	shift 4
	case $network in
	sink) network_option=ns:$IT_SINK_PATH ;;
	none) network_option=none ;;
	*) it_bail "NETWORK GUARD: $network" ;;
	esac
	RT_NAMES[$RT_USER]+=" $name"
	cid=$(rt_podman "$RT_USER" -- --hooks-dir "$IT_DIR/u-$RT_USER/$profile/hooks.d" \
		run -d --name "$name" --network "$network_option" \
		"$IT_IMAGE" "$(it_scenario_path "$scenario")" "$@" 2>"$IT_DIR/logs/$case_name.start") ||
		{
			it_diag "podman run $case_name as $RT_USER failed: $(cat "$IT_DIR/logs/$case_name.start")"
			return 1
		}
	IT_CID[$case_name]=$cid
	pid=$(rt_podman "$RT_USER" -- inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	it_guard_after_start "$pid" "$network"
}

it_init_pid() {
	rt_podman "$RT_USER" -- inspect -f '{{.State.Pid}}' "$IT_TAG-$1" 2>/dev/null || echo 0
}

it_wait() { RT_TIMEOUT=$2 rt_podman "$RT_USER" -- wait "$IT_TAG-$1" >/dev/null 2>&1; }

it_stop() { rt_podman "$RT_USER" -- rm -f -t 0 "$IT_TAG-$1" >/dev/null 2>&1; }

it_logs() { rt_podman "$RT_USER" -- logs "$IT_TAG-$1" 2>&1 | tail -n 40; }

# ---- monitors ------------------------------------------------------------------

# The host uids (real, effective, saved, filesystem) of a process.
rt_process_uids() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status" 2>/dev/null; }

# rt_monitor_has_proc_connector PID: 0 when the process holds a
# NETLINK_CONNECTOR socket (protocol 11), by the socket inodes of its fds
# against /proc/net/netlink of its own and the host's network namespace.
rt_monitor_has_proc_connector() {
	local pid=$1 inodes
	inodes=$(find "/proc/$pid/fd" -maxdepth 1 -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/^socket:\[\([0-9]*\)\]$/\1/')
	[ -n "$inodes" ] || return 1
	cat "/proc/$pid/net/netlink" /proc/1/net/netlink 2>/dev/null |
		awk -v list="$inodes" 'BEGIN { n = split(list, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
			$2 == 11 && ($10 in want) { found = 1 } END { exit !found }'
}

# rt_wait_file FILE TIMEOUT_S: 0 once FILE is non-empty.
rt_wait_file() {
	local deadline
	deadline=$(($(it_now_ms) + $2 * 1000))
	until [ -s "$1" ]; do
		[ "$(it_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# ---- checks --------------------------------------------------------------------

# The test users run the private install's programs: every folder on the
# way to it must be searchable by others.  A tree under a private folder
# (a clone in /root, mode 0700) gets its own install in /var/tmp instead,
# kept between runs like the build directory's.
rt_searchable() {
	local dir=$1 mode
	while [ "$dir" != / ]; do
		if [ -d "$dir" ]; then
			mode=$(stat -c %a "$dir") || return 1
			[ $((8#$mode & 1)) -eq 1 ] || return 1
		fi
		dir=$(dirname "$dir")
	done
}

# The private install and the test's folder must be usable by the users:
# every directory on the way searchable, the programs executable.
rt_reachable() {
	local user=$1 file problems=
	for file in "$IT_HOOK" "$IT_MONITOR" "$IT_CLI" "$IT_WRAPPER"; do
		rt_as "$user" test -x "$file" || problems="$problems
cannot execute $file: $(namei -m "$file" 2>&1 | tr '\n' ' ')"
	done
	for file in "$IT_HOOKS_JSON" "$IT_DIR/rootfs/entrypoint.sh"; do
		rt_as "$user" test -r "$file" || problems="$problems
cannot read $file: $(namei -m "$file" 2>&1 | tr '\n' ' ')"
	done
	[ -z "$problems" ] || {
		echo "$problems"
		return 1
	}
}

# rt_recall_figure USER TRACKER: for the lead's recall figure
# (docs/ROOTLESS.md), the pass's judged cases as counts: the alerts cases.sh
# expects that came (true positives), those that did not (misses), and
# alerts where cases.sh expects none.  Printed as a "# FIGURE" line, not
# judged (the test points above judge each case).
rt_recall_figure() {
	local user=$1 tracker=$2 pairs=() case_name
	for case_name in "${!IT_CID[@]}"; do
		pairs+=("$case_name=${IT_CID[$case_name]}")
	done
	it_diag "FIGURE rootless detection, tracker $tracker ($user): $(/usr/bin/python3 - "$(rt_user_alerts "$user")" \
		"$IT_PUBLIC4" "$IT_PUBLIC6" "$IT_MARKER4" "${pairs[@]}" <<'PY' 2>&1
import collections, json, sys
path, p4, p6, marker = sys.argv[1:5]
cid = dict(pair.split("=", 1) for pair in sys.argv[5:])
# case -> {destination: alerts expected}; "*" counts every alert of the case
expected = {
    "tcp4": {p4: 1}, "tcp6": {p6: 1}, "udp4": {p4: 1}, "udp6": {p6: 1}, "mapped4": {"*": 1},
    "excluded": {marker: 1, "*": 1}, "late": {marker: 1, p4: 0}, "late-long": {marker: 1, p4: 1},
    "other-name": {"*": 0}, "grandchild": {marker: 1, p4: 0}, "grandchild-desc": {marker: 1, p4: 1},
    "double-fork": {marker: 1, p4: 0}, "double-fork-desc": {marker: 1, p4: 1},
    "exec-args": {marker: 1, p4: 0},
}
seen = collections.Counter()
for line in open(path):
    record = json.loads(line)
    seen[(record["container"]["id"], record["destination"]["ip"])] += 1
    seen[(record["container"]["id"], "*")] += 1
hits = misses = extra = 0
missed, unexpected = [], []
for case, wants in expected.items():
    if case not in cid:
        continue
    for destination, want in wants.items():
        got = seen[(cid[case], destination)]
        if destination == "*" and len(wants) > 1:
            if got > sum(w for d, w in wants.items() if d != "*"):
                extra += 1
                unexpected.append(case)
            continue
        hits += min(got, want)
        if got < want:
            misses += want - got
            missed.append(f"{case} {destination}")
        elif got > want:
            extra += got - want
            unexpected.append(f"{case} {destination}")
total = hits + misses
print(f"{hits}/{total} expected alerts seen (recall {hits / total:.2f})" if total else "no judged cases",
      f"missed: {', '.join(missed) or 'none'};", f"{extra} unexpected: {', '.join(unexpected) or 'none'}")
PY
	)"
}

# rt_intrude ATTACKER VICTIM CASE ALERTS: as ATTACKER, every way into the
# VICTIM's monitor of CASE must be refused: list/create in the run dir, read
# the container's folder and monitor.pid, connect to its control socket,
# kill(pid, 0) (the permission check of any signal, without sending one),
# read and append to the alerts file.
rt_intrude() {
	local attacker=$1 victim=$2 case_name=$3 alerts=$4 run dir pid out
	run=/run/user/${RT_UID[$victim]}/entryguard
	dir=$run/${IT_CID[$case_name]:-none}
	rt_wait_file "$dir/monitor.pid" 5
	{ read -r pid _ <"$dir/monitor.pid"; } 2>/dev/null
	if [ -z "${pid:-}" ]; then
		it_not_ok "two users: $attacker cannot reach $victim's monitor ($case_name)" "no monitor.pid in $dir"
		return
	fi
	out=$(rt_as "$attacker" /usr/bin/python3 - "$run" "$dir" "$pid" "$alerts" <<'PY' 2>&1
import errno, os, socket, sys
run, folder, pid, alerts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def control():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(folder + "/control.sock")
tries = [
    ("list the run dir", lambda: os.listdir(run)),
    ("create a file in the run dir", lambda: open(run + "/intruder", "w")),
    ("list the container folder", lambda: os.listdir(folder)),
    ("read monitor.pid", lambda: open(folder + "/monitor.pid").read()),
    ("connect to control.sock", control),
    ("signal the monitor", lambda: os.kill(pid, 0)),
    ("read the alerts file", lambda: open(alerts).read()),
    ("append to the alerts file", lambda: open(alerts, "a")),
]
bad = 0
for what, attempt in tries:
    try:
        attempt()
        print(f"{what}: ALLOWED")
        bad += 1
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
        print(f"{what}: {name}")
        if e.errno not in (errno.EACCES, errno.EPERM):
            bad += 1
sys.exit(1 if bad else 0)
PY
	)
	# shellcheck disable=SC2181 # the status of the command substitution above
	if [ $? -eq 0 ]; then
		it_ok "two users: $attacker is refused everything of $victim's monitor ($(tr '\n' ';' <<<"$out" | sed 's/;$//; s/;/; /g'))"
	else
		it_not_ok "two users: $attacker is refused (EACCES/EPERM) every way into $victim's run dir, control socket, monitor and alerts" "$out"
	fi
}

# ---- cleanup -------------------------------------------------------------------

rt_cleanup() {
	local status=$? user name
	trap - EXIT
	for user in "${RT_USERS[@]}"; do
		for name in ${RT_NAMES[$user]:-}; do
			rt_podman "$user" -- rm -f -t 0 "$name" >/dev/null 2>&1
		done
		[ -z "${RT_IMAGE_DONE[$user]:-}" ] ||
			rt_podman "$user" -- rmi -f "localhost/$IT_TAG:latest" >/dev/null 2>&1
	done
	# Monitors left behind are the test's failure (reported before this);
	# here every process of the test users goes, then the users.
	for user in "${RT_USERS[@]}"; do
		rt_user_remove "$user" || it_diag "cleanup: could not remove user $user"
	done
	IT_IMAGE= # not in root's storage
	IT_NETNS=
	(exit "$status")
	it_cleanup
}
