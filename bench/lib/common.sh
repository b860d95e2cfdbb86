# shellcheck shell=bash
# bench/run's shared state and helpers: logging, timing, samples, the
# private install, the image, the sinkhole, the profiles, Podman, cleanup.
# Sourced by bench/run (bash).  Every figure is written as samples under
# $BN_DATA (one number per line, one file per figure); bench/lib/bench.py
# turns them into bench/results/latest.json and the table.
#
# NETWORK SAFETY: every container gets `--network none` or the bench's own
# sinkhole namespace (a veth pair whose both ends stay inside it, permanent
# neighbour entries for the gateways): bn_podman_run refuses anything else
# before the container runs.

BN_TAG=eg-bn-$$                 # names, labels, the image
BN_LABEL=io.entryguard.bench=$BN_TAG
BN_IMAGE=localhost/$BN_TAG:latest
BN_NETNS=egbn$$
BN_SINK=/run/netns/$BN_NETNS
BN_PUBLIC4=1.1.1.1
BN_NEXT_PORT=$((1000 + RANDOM % 30000)) # every timed attempt gets its own port
BN_SEQ=0                        # container name counter
BN_STARTED_AUDITD=
BN_AUDIT_RULE=
BN_AUDIT_OLD=                   # "enabled backlog_limit" before we started auditd
BN_MOUNTED_TRACEFS=
BN_BPFTRACE_PID=
BN_IMAGE_MADE=
BN_NETNS_MADE=

bn_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
bn_die() {
	echo "bench/run: $*" >&2
	exit 1
}

# Microseconds since the epoch, without a fork (bash 5's EPOCHREALTIME).
bn_now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# bn_sample NAME VALUE...: appends samples to the figure NAME.
bn_sample() {
	local name=$1 value
	shift
	for value in "$@"; do
		echo "$value" >>"$BN_DATA/$name"
	done
}

# bn_set NAME VALUE: a single value (a count, a text).
bn_set() { printf '%s\n' "$2" >"$BN_DATA/$1.value"; }

# bn_note SECTION TEXT: a problem the table shows instead of a figure.
bn_note() {
	bn_log "note: $1: $2"
	printf '%s\t%s\n' "$1" "$2" >>"$BN_DATA/notes.tsv"
}

# bn_port: sets BN_PORT to a port no other attempt of this run used (no
# subshell: the counter must survive).
bn_port() {
	BN_NEXT_PORT=$((BN_NEXT_PORT + 1))
	BN_PORT=$BN_NEXT_PORT
}

BN_PY() { /usr/bin/python3 "$BN_TOP/bench/lib/bench.py" "$@"; }

# ---- cleanup -----------------------------------------------------------------

# Pids of live processes whose command line mentions TEXT (never this shell).
bn_pids_mentioning() {
	local proc pid
	for proc in /proc/[0-9]*; do
		pid=${proc#/proc/}
		[ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] || continue
		{ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "$pid"
	done
	return 0
}

bn_remove_containers() {
	local ids
	ids=$(eg_podman ps -a -q --filter "label=$BN_LABEL" 2>/dev/null)
	# shellcheck disable=SC2086 # one word per container id
	[ -z "$ids" ] || eg_podman rm -f -t 0 $ids >/dev/null 2>&1
}

# Undoes everything the bench started, whatever state it is in: only what
# it made (its label, its image, its namespace, its rule, its auditd).
bn_cleanup() {
	local status=$? pid left
	trap - EXIT INT TERM
	bn_bpftrace_stop
	bn_audit_rule_off
	if [ -n "$BN_STARTED_AUDITD" ]; then
		bn_auditd_stop
	fi
	[ -z "${BN_WORK:-}" ] || bn_remove_containers
	if [ -n "${BN_WORK:-}" ]; then
		left=$(bn_pids_mentioning "$BN_WORK/")
		for pid in $left; do kill -9 "$pid" 2>/dev/null; done
		[ -z "$left" ] || bn_log "cleanup: killed processes left behind: $left"
	fi
	[ -z "$BN_NETNS_MADE" ] || ip netns del "$BN_NETNS" 2>/dev/null
	[ -z "$BN_IMAGE_MADE" ] || eg_podman rmi -f "$BN_IMAGE" >/dev/null 2>&1
	if [ -n "$BN_MOUNTED_TRACEFS" ]; then
		umount /sys/kernel/tracing 2>/dev/null || bn_log "cleanup: tracefs still busy, left mounted"
	fi
	if [ -n "${BN_WORK:-}" ] && [ -d "$BN_WORK" ]; then
		if [ -n "${EG_BENCH_KEEP:-}" ]; then
			bn_log "kept $BN_WORK"
		elif ! grep -qF " $BN_WORK/" /proc/self/mounts; then
			rm -rf "$BN_WORK"
		else
			bn_log "cleanup: $BN_WORK still has mounts; left in place"
		fi
	fi
	exit "$status"
}

# ---- setup -------------------------------------------------------------------

bn_packages() {
	# shellcheck source=tests/lib/packages.sh
	source "$BN_TOP/tests/lib/packages.sh"
	eg_ensure_packages "${EG_BUILD_PACKAGES[@]}" "${EG_RUNTIME_PACKAGES[@]}" auditd bpftrace >&2 ||
		bn_die "cannot install packages"
}

# The private install: $BN_SOURCE built in $BN_BUILD (kept between runs, so
# a rerun only rebuilds what changed), installed into $BN_BUILD/prefix.
bn_install() {
	local log=$BN_WORK/logs/install.log
	if [ ! -f "$BN_BUILD/build.ninja" ]; then
		meson setup "$BN_BUILD" "$BN_SOURCE" --prefix="$BN_BUILD/prefix" -Dtests=false \
			-Dbench=false -Dfuzzing=false >"$log" 2>&1 || bn_die "meson setup: $(tail -n 20 "$log")"
	fi
	ninja -C "$BN_BUILD" install >>"$log" 2>&1 || bn_die "build: $(tail -n 30 "$log")"
	BN_PREFIX=$BN_BUILD/prefix
	BN_HOOK=$BN_PREFIX/libexec/entryguard/entryguard-hook
	BN_WRAPPER=$BN_PREFIX/bin/entryguard-runtime
	BN_CLI=$BN_PREFIX/bin/entryguard
	[ -x "$BN_HOOK" ] && [ -x "$BN_WRAPPER" ] || bn_die "install: no hook or wrapper in $BN_PREFIX"
	local cc_flags=(-std=gnu11 -O2 -Wall -Wextra -Werror)
	cc "${cc_flags[@]}" -static -o "$BN_WORK/egprobe" "$BN_TOP/tests/integration/egprobe.c" \
		"$BN_TOP/tests/integration/egprobe_net.c" >>"$log" 2>&1 &&
		cc "${cc_flags[@]}" -static -o "$BN_WORK/hook_timer" "$BN_TOP/bench/hook_timer.c" >>"$log" 2>&1 &&
		cc "${cc_flags[@]}" -o "$BN_WORK/exec_storm" "$BN_TOP/bench/exec_storm.c" >>"$log" 2>&1 ||
		bn_die "cannot build the helpers: $(tail -n 20 "$log")"
}

# The image: busybox, egprobe (also as /bin/egbnattempt: a comm no other
# test uses, so the tracers' records of our attempts are ours) and an
# entrypoint.sh that runs each argument as one child, one after the other
# (so every program is a child of entrypoint.sh), or "fanout N": N
# children sleeping 30 s at once.
bn_image() {
	local rootfs=$BN_WORK/rootfs
	cat >"$BN_WORK/entrypoint.sh" <<'EOF'
#!/bin/sh
# bench/run's entrypoint: each argument is one command line, run as a child
# of this script, one after the other; "fanout N" starts N sleeping children.
if [ "$1" = fanout ]; then
	i=0
	while [ "$i" -lt "$2" ]; do
		sleep 30 &
		i=$((i + 1))
	done
	echo "fanout: $i children"
	wait
	exit 0
fi
for step in "$@"; do
	# shellcheck disable=SC2086 # one command line per argument
	$step
done
EOF
	eg_image_build_rootfs "$rootfs" "$BN_WORK/entrypoint.sh" >"$BN_WORK/logs/image.log" 2>&1 ||
		bn_die "image: $(cat "$BN_WORK/logs/image.log")"
	cp "$BN_WORK/egprobe" "$rootfs/bin/egprobe" && cp "$BN_WORK/egprobe" "$rootfs/bin/egbnattempt" ||
		bn_die "image: cannot copy egprobe"
	eg_image_tar "$rootfs" "$BN_WORK/rootfs.tar" &&
		eg_podman import --quiet "$BN_WORK/rootfs.tar" "$BN_IMAGE" >>"$BN_WORK/logs/image.log" 2>&1 ||
		bn_die "image: podman import failed: $(tail -n 5 "$BN_WORK/logs/image.log")"
	BN_IMAGE_MADE=1
}

bn_sinkhole() {
	{
		ip netns add "$BN_NETNS" && BN_NETNS_MADE=1 &&
			ip -n "$BN_NETNS" link set lo up &&
			ip -n "$BN_NETNS" link add sink0 type veth peer name sink1 &&
			ip -n "$BN_NETNS" addr add 10.254.0.2/24 dev sink0 &&
			ip -n "$BN_NETNS" link set sink0 up && ip -n "$BN_NETNS" link set sink1 up &&
			ip -n "$BN_NETNS" route add default via 10.254.0.1 dev sink0 &&
			ip -n "$BN_NETNS" -6 addr add fd00:254::2/64 dev sink0 nodad &&
			ip -n "$BN_NETNS" -6 route add default via fd00:254::1 dev sink0 &&
			ip -n "$BN_NETNS" neigh add 10.254.0.1 lladdr 02:00:00:00:00:01 dev sink0 nud permanent &&
			ip -n "$BN_NETNS" -6 neigh add fd00:254::1 lladdr 02:00:00:00:00:01 dev sink0 nud permanent
	} >"$BN_WORK/logs/sinkhole.log" 2>&1 || bn_die "sinkhole: $(cat "$BN_WORK/logs/sinkhole.log")"
	bn_sinkhole_sealed || bn_die "sinkhole: not sealed"
}

# The sinkhole holds exactly lo, sink0 and sink1, each veth's peer inside it.
bn_sinkhole_sealed() {
	local links
	links=$(ip -n "$BN_NETNS" -o link show 2>/dev/null) || return 1
	[ "$(wc -l <<<"$links")" -eq 3 ] && grep -q ': sink0@sink1: ' <<<"$links" &&
		grep -q ': sink1@sink0: ' <<<"$links" && ! grep -q 'link-netns' <<<"$links"
}

# bn_profile NAME HOOK_PATH CONFIG_JSON [HOOK_ARG...]: $BN_WORK/NAME/ with
# config.json (alerts to NAME/alerts.ndjson, no syslog, plus CONFIG_JSON's
# keys), hooks.d/entryguard.json running HOOK_PATH with the profile's env,
# and bin/entryguard-runtime: the wrapper with that env (Podman passes the
# runtime no environment of its own; see tests/integration/README.md).
bn_profile() {
	local name=$1 hook=$2 extra=$3 dir=$BN_WORK/$1
	shift 3
	mkdir -p "$dir/hooks.d" "$dir/bin"
	/usr/bin/python3 - "$dir" "$hook" "$extra" "$BN_RUN" "$@" <<'PY' || bn_die "profile $name"
import json, sys
folder, hook, extra, run, *args = sys.argv[1:]
config = {"alerts": {"path": folder + "/alerts.ndjson", "syslog": False}}
config.update(json.loads(extra))
json.dump(config, open(folder + "/config.json", "w"), indent=1)
env = ["ENTRYGUARD_CONFIG=" + folder + "/config.json", "ENTRYGUARD_RUN_DIR=" + run,
       "ENTRYGUARD_LOG_FILE=" + folder + "/entryguard.log",
       "EG_HOOK_TIMER_OUT=" + folder + "/hook_ms"]
entry = {"version": "1.0.0",
         "hook": {"path": hook, "args": [hook.rsplit("/", 1)[-1]] + args + ["createRuntime"],
                  "env": env},
         "when": {"always": True}, "stages": ["createRuntime"]}
json.dump(entry, open(folder + "/hooks.d/entryguard.json", "w"), indent=1)
PY
	cat >"$dir/bin/entryguard-runtime" <<EOF
#!/bin/sh
# bench/run, profile $name: entryguard-runtime with this profile's settings.
ENTRYGUARD_CONFIG='$dir/config.json'
ENTRYGUARD_RUN_DIR='$BN_RUN'
ENTRYGUARD_LOG_FILE='$dir/entryguard.log'
export ENTRYGUARD_CONFIG ENTRYGUARD_RUN_DIR ENTRYGUARD_LOG_FILE
exec '$BN_WRAPPER' "\$@"
EOF
	chmod 0755 "$dir/bin/entryguard-runtime"
	"$BN_CLI" check-config "$dir/config.json" >"$BN_WORK/logs/check-$name.txt" 2>&1 ||
		bn_die "profile $name: $(cat "$BN_WORK/logs/check-$name.txt")"
}

# containers.conf: the system one, default_ulimits for this VM's quirk, and
# the [engine] lists of the shipped snippet (Podman treats a runtime named
# entryguard-runtime like runc: --log-format=json).
bn_containers_conf() {
	local snippet=$BN_PREFIX/share/entryguard/containers.conf.d/entryguard-runtime.conf
	eg_quirk_podman_ulimits "$BN_WORK/containers" 2>>"$BN_WORK/logs/quirks.log" ||
		bn_die "containers.conf: $(cat "$BN_WORK/logs/quirks.log")"
	/usr/bin/python3 - "$CONTAINERS_CONF" "$snippet" <<'PY' >>"$BN_WORK/logs/quirks.log" 2>&1 ||
import re, sys, tomllib
path, snippet_path = sys.argv[1:]
text = open(path).read()
snippet = tomllib.load(open(snippet_path, "rb"))["engine"]
keys = ("runtime_supports_json", "runtime_supports_nocgroups")
lines = "".join(f"{k} = [" + ", ".join('"%s"' % v for v in snippet[k]) + "]\n" for k in keys)
if re.search(r"^\[engine\]\s*$", text, flags=re.M):
    text = re.sub(r"^\[engine\]\s*$", "[engine]\n" + lines.rstrip("\n"), text, count=1, flags=re.M)
else:
    text += "\n[engine]\n" + lines
tomllib.loads(text)
open(path, "w").write(text)
PY
		bn_die "containers.conf: $(cat "$BN_WORK/logs/quirks.log")"
}

bn_setup() {
	BN_WORK=$(mktemp -d /tmp/eg-bn-XXXXXX) || bn_die "mktemp"
	chmod 0755 "$BN_WORK"
	# Short: <run>/<64-hex id>/seccomp.sock must fit a unix socket's 107 bytes.
	BN_RUN=$BN_WORK/r
	BN_DATA=$BN_WORK/data
	mkdir -p "$BN_RUN" "$BN_DATA" "$BN_WORK/logs" "$BN_WORK/out" "$BN_WORK/cid" "$BN_WORK/nohooks"
	export PATH=$EG_CLEAN_PATH
	unset CONTAINERS_CONF
	eg_quirk_cgroup_hybrid 2>>"$BN_WORK/logs/quirks.log" || bn_die "cgroup quirk: $(cat "$BN_WORK/logs/quirks.log")"
	bn_install
	bn_containers_conf
	bn_image
	bn_sinkhole
	local crun runc
	crun=$(command -v crun) && runc=$(command -v runc) || bn_die "crun and runc are needed"
	# detect: the hook as installed; timed: the same behind hook_timer (the
	# hook's wall time); block: entryguard-runtime in block mode over crun.
	bn_profile detect "$BN_HOOK" '{}'
	bn_profile timed "$BN_WORK/hook_timer" '{}' "$BN_HOOK"
	bn_profile block "$BN_HOOK" "{\"mode\": \"block\", \"runtime\": {\"path\": \"$crun\"}}"
}

# ---- containers --------------------------------------------------------------

# bn_podman_run VARIANT NETWORK [PODMAN-OPTION...] -- ARG...: `podman run` of
# the bench image's /entrypoint.sh ARGs.  VARIANT: crun|runc (no
# entryguard), hook-crun|hook-runc (the hook), timed-crun (the hook behind
# hook_timer), block (entryguard-runtime, block mode, over crun).  NETWORK:
# none or sink.  Options before "--" go to `podman run` (add -d, --rm...).
bn_podman_run() {
	local variant=$1 network=$2 runtime hooks net options=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	case $network in
	none) net=none ;;
	sink)
		bn_sinkhole_sealed || bn_die "NETWORK GUARD: the sinkhole is not sealed"
		net=ns:$BN_SINK
		;;
	*) bn_die "NETWORK GUARD: network \"$network\" is neither none nor the sinkhole" ;;
	esac
	case $variant in
	crun | runc) runtime=$variant hooks=$BN_WORK/nohooks ;;
	hook-crun | hook-runc) runtime=${variant#hook-} hooks=$BN_WORK/detect/hooks.d ;;
	timed-crun) runtime=crun hooks=$BN_WORK/timed/hooks.d ;;
	block) runtime=$BN_WORK/block/bin/entryguard-runtime hooks=$BN_WORK/block/hooks.d ;;
	*) bn_die "unknown variant $variant" ;;
	esac
	BN_SEQ=$((BN_SEQ + 1))
	eg_podman --runtime "$runtime" --hooks-dir "$hooks" run --name "$BN_TAG-$BN_SEQ" \
		--label "$BN_LABEL" --network "$net" "${options[@]}" "$BN_IMAGE" /entrypoint.sh "$@"
}

# bn_monitor_pid CID: the pid of the container's monitor (empty when none).
bn_monitor_pid() {
	local pid
	read -r pid _ <"$BN_RUN/$1/monitor.pid" 2>/dev/null || return 0
	[ -n "$pid" ] && [ -d "/proc/$pid" ] && echo "$pid"
	return 0
}

# bn_monitors: pids of every monitor working in our run dir.
bn_monitors() {
	local proc
	for proc in /proc/[0-9]*; do
		case $(cat "$proc/comm" 2>/dev/null) in entryguard-mon*) ;; *) continue ;; esac
		{ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qF -- "$BN_RUN/" && echo "${proc#/proc/}"
	done
	return 0
}

bn_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# Proportional set size (shared pages divided among their users) and the
# private dirty pages: what one more monitor really adds (RSS counts all of
# libc, which every process shares).
bn_pss_kib() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
bn_private_kib() { awk '/^Private_(Clean|Dirty):/ { n += $2 } END { print n }' "/proc/$1/smaps_rollup" 2>/dev/null; }

# utime + stime of PID, in ms.
bn_cpu_ms() {
	local hz
	hz=$(getconf CLK_TCK)
	awk -v hz="$hz" '{ sub(/^.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null
}

# bn_wait_gone SECONDS: until no container of ours and no monitor is left.
bn_wait_gone() {
	local deadline=$((SECONDS + $1))
	while [ -n "$(eg_podman ps -a -q --filter "label=$BN_LABEL" 2>/dev/null)" ] || [ -n "$(bn_monitors)" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}
