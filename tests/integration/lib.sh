# shellcheck shell=bash
# The integration tests' library: real runtimes, no mocks.  Source it from a
# test script (bash), then call it_begin NAME first.  It gives:
#
#   TAP        it_ok/it_not_ok DESC [DIAG], it_check DESC CMD..., it_diag, it_bail,
#              it_end (prints the plan, exits 1 when anything failed)
#   setup      it_install (builds and installs entryguard into a private prefix,
#              once per run), it_egprobe, it_image (busybox + egprobe + the
#              scenarios; podman import), it_sinkhole_up, it_profile
#   containers it_start / it_wait / it_stop, dispatching on IT_RUNNER:
#              podman-crun, podman-runc (rootful Podman, private --hooks-dir),
#              runc, crun (directly, hook in config.json)
#   alerts     it_wait_alerts, it_count, it_expect (field assertions in python3)
#   monitors   it_monitor_pids, it_wait_monitors_gone
#
# NETWORK SAFETY: a container gets `--network none` / a new empty namespace, or
# the test's sinkhole namespace (a veth pair whose both ends stay inside it, so
# nothing can leave).  it_start refuses anything else, before the container
# runs, and checks again afterwards that the container's namespace is the one
# it asked for.
#
# Everything a test starts is undone by the EXIT trap, also on failure:
# containers, bundles, the sinkhole, monitors left behind, the image, the
# temporary directory (kept with EG_IT_KEEP=1, for debugging).

IT_SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/common.sh
source "$IT_SOURCE/tests/lib/common.sh"
# shellcheck source=tests/lib/quirks.sh
source "$IT_SOURCE/tests/lib/quirks.sh"
# shellcheck source=tests/lib/image.sh
source "$IT_SOURCE/tests/lib/image.sh"

IT_JSON="/usr/bin/python3 $IT_SOURCE/tests/integration/itjson.py"
# Where the private install and its build live: meson passes its own build
# directory; run by hand, a build-it folder at the top of the tree.
IT_WORK=${EG_IT_WORK:-$IT_SOURCE/build-it}
# The containers' entrypoints (the scenario corpus's, tests/scenarios/).
IT_SCENARIOS=$IT_SOURCE/tests/scenarios/entrypoints

# Destinations.  Public addresses appear only as destinations inside the
# sinkhole (or with no network at all), where nothing can leave.
# shellcheck disable=SC2034 # used by the test scripts
IT_PUBLIC4=1.1.1.1
# shellcheck disable=SC2034
IT_PUBLIC6=2606:4700::1111
# shellcheck disable=SC2034
IT_MARKER4=1.0.0.1 # the scenarios' positive control (see tests/scenarios/entrypoints/*.sh)
IT_SINK_ADDR4=10.254.0.2
IT_SINK_ADDR6=fd00:254::2
IT_SINK_GATEWAY_MAC=02:00:00:00:00:01

IT_COUNT=0
IT_FAILED=0
IT_DIR=
IT_TAG=
IT_NETNS=
IT_SINK_PATH=
IT_IMAGE=
IT_ROOTFS=
IT_RUNNER=
declare -A IT_CID=()        # case name -> container id
declare -A IT_OCI_PID=()    # case name -> pid of `runc run` / `crun run`
declare -A IT_OCI_RT=()     # case name -> runtime
IT_PODMAN_NAMES=()
IT_PIDS=() # helper processes the test started (killed on exit)

# ---- TAP -------------------------------------------------------------------

it_diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

it_ok() {
	IT_COUNT=$((IT_COUNT + 1))
	echo "ok $IT_COUNT - $1"
}

it_not_ok() { # it_not_ok DESC [DIAGNOSTICS]
	IT_COUNT=$((IT_COUNT + 1))
	IT_FAILED=$((IT_FAILED + 1))
	echo "not ok $IT_COUNT - $1"
	[ -z "${2:-}" ] || it_diag "$2"
}

# it_todo DESC REASON [DIAGNOSTICS]: a failing point that is a documented
# limit, not a regression: TAP "not ok ... # TODO REASON", which TAP
# consumers (meson, tests/run.sh) count apart from failures.
it_todo() {
	IT_COUNT=$((IT_COUNT + 1))
	echo "not ok $IT_COUNT - $1 # TODO $2"
	[ -z "${3:-}" ] || it_diag "$3"
}

# it_check DESC COMMAND...: one test point from a command's status; its
# output becomes the diagnostics when it fails.
it_check() {
	local description=$1 output
	shift
	if output=$("$@" 2>&1); then
		it_ok "$description"
	else
		it_not_ok "$description" "$output"
	fi
}

# it_bail REASON: a missing prerequisite or a broken setup.  Fails the whole
# test loudly (never a skip), after cleaning up.
it_bail() {
	echo "Bail out! $*"
	exit 1
}

it_end() {
	echo "1..$IT_COUNT"
	[ "$IT_FAILED" -eq 0 ] || it_diag "$IT_FAILED of $IT_COUNT failed"
	[ "$IT_FAILED" -eq 0 ]
}

it_now_ms() {
	local now
	now=$(date +%s%N)
	echo $((now / 1000000))
}

# ---- setup and cleanup -------------------------------------------------------

# it_begin NAME: root check, private temporary directory, the cleanup trap.
it_begin() {
	local name=$1
	[ "$(id -u)" -eq 0 ] || it_bail "$name: must run as root (rootful Podman, runc, network namespaces)"
	IT_TAG="egit$$"
	IT_DIR=$(mktemp -d "/tmp/egit-$name.XXXXXX") || it_bail "mktemp failed"
	chmod 0755 "$IT_DIR"
	mkdir -p "$IT_DIR/logs" "$IT_DIR/run"
	IT_RUN_DIR=$IT_DIR/run
	trap it_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# Engines and runtimes get a small environment of their own (common.sh).
	export PATH=$EG_CLEAN_PATH
	unset CONTAINERS_CONF
}

# it_require COMMAND...: each must be installed, or the test fails loudly.
it_require() {
	local command missing=()
	for command in "$@"; do
		command -v "$command" >/dev/null 2>&1 || missing+=("$command")
	done
	[ ${#missing[@]} -eq 0 ] || it_bail "missing: ${missing[*]} (apt-get install podman crun runc busybox-static iproute2 file)"
}

# Pids of live processes whose command line mentions TEXT (this test's
# unique directory), never this shell or its ancestors.
it_pids_mentioning() {
	local text=$1 proc pid
	for proc in /proc/[0-9]*; do
		pid=${proc#/proc/}
		[ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] || continue
		{ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qF -- "$text" && echo "$pid"
	done
	return 0
}

it_cleanup() {
	local status=$? name pid left
	trap - EXIT
	for name in "${IT_PODMAN_NAMES[@]}"; do
		eg_podman rm -f -t 0 "$name" >/dev/null 2>&1
	done
	for name in "${!IT_OCI_PID[@]}"; do
		it_oci_remove "$name"
	done
	for pid in "${IT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	if [ -n "$IT_DIR" ]; then
		# Monitors (and anything else) still running for this test's run
		# directory: a monitor must never outlive its container, so this is
		# a failure the test itself reports; here they only get stopped.
		left=$(it_pids_mentioning "$IT_DIR")
		for pid in $left; do
			kill -9 "$pid" 2>/dev/null
		done
		[ -z "$left" ] || it_diag "cleanup: killed processes left behind: $left"
	fi
	[ -z "$IT_NETNS" ] || ip netns del "$IT_NETNS" 2>/dev/null
	[ -z "$IT_IMAGE" ] || eg_podman rmi -f "$IT_IMAGE" >/dev/null 2>&1
	if [ -n "$IT_DIR" ] && [ -d "$IT_DIR" ]; then
		if [ -n "${EG_IT_KEEP:-}" ]; then
			it_diag "kept $IT_DIR"
		else
			# Bundles' rootfs mounts are gone with their containers; refuse to
			# delete through anything still mounted.
			if ! grep -qF " $IT_DIR/" /proc/self/mounts; then
				rm -rf "$IT_DIR"
			else
				it_diag "cleanup: $IT_DIR still has mounts; left in place"
			fi
		fi
	fi
	exit "$status"
}

# it_reap_run_dir PATTERN: kills what still works in $IT_RUN_DIR (monitors
# run there, outside $IT_DIR) and removes the folder when it matches the
# glob PATTERN (the test's own temporary run folder).
it_reap_run_dir() {
	local pid left
	left=$(it_pids_mentioning "$IT_RUN_DIR/")
	for pid in $left; do
		kill -9 "$pid" 2>/dev/null
	done
	[ -z "$left" ] || it_diag "cleanup: killed processes left behind in $IT_RUN_DIR: $left"
	# shellcheck disable=SC2254 # PATTERN is a glob on purpose
	case $IT_RUN_DIR in $1) rm -rf "$IT_RUN_DIR" ;; esac
}

# it_install: builds entryguard from this tree and installs it into a private
# prefix (once per run: later calls find the install up to date), then sets
# IT_PREFIX, IT_CLI, IT_HOOK, IT_MONITOR, IT_HOOKS_JSON.  A lock keeps
# parallel tests from installing at once; files are replaced only when the
# build changed them, so a running container's hook is never swapped.
it_install() {
	local build=$IT_WORK/install-build log=$IT_DIR/logs/install.log stamp new
	IT_PREFIX=$IT_WORK/prefix
	mkdir -p "$IT_WORK" || it_bail "cannot make $IT_WORK"
	(
		flock 9 || exit 1
		if [ ! -f "$build/build.ninja" ]; then
			meson setup "$build" "$IT_SOURCE" --prefix="$IT_PREFIX" -Dtests=false \
				-Dbench=false -Dfuzzing=false >"$log" 2>&1 || exit 1
		fi
		ninja -C "$build" >>"$log" 2>&1 || exit 1
		# What meson would install, by content: install only when it changed.
		stamp=$IT_PREFIX/.egit-stamp
		new=$(meson introspect --installed "$build" | /usr/bin/python3 -c \
			'import json,sys; print("\n".join(sorted(json.load(sys.stdin))))' |
			xargs -r -d '\n' md5sum 2>&1)
		if [ ! -f "$stamp" ] || [ "$new" != "$(cat "$stamp")" ]; then
			meson install -C "$build" --no-rebuild >>"$log" 2>&1 || exit 1
			echo "$new" >"$stamp"
		fi
	) 9>"$IT_WORK/install.lock" || it_bail "build or install failed: $(tail -n 30 "$log")"
	IT_CLI=$IT_PREFIX/bin/entryguard
	IT_HOOK=$IT_PREFIX/libexec/entryguard/entryguard-hook
	IT_MONITOR=$IT_PREFIX/libexec/entryguard/entryguard-monitor
	IT_HOOKS_JSON=$IT_PREFIX/share/containers/oci/hooks.d/entryguard.json
	IT_WRAPPER=$IT_PREFIX/bin/entryguard-runtime
	[ -x "$IT_CLI" ] || it_bail "install: no $IT_CLI"
	[ -x "$IT_HOOK" ] || it_bail "install: no $IT_HOOK"
}

# it_check_install: the parts a container needs are installed; one test point.
it_check_install() {
	local missing=() file
	for file in "$IT_CLI" "$IT_HOOK" "$IT_MONITOR"; do
		[ -x "$file" ] || missing+=("$file")
	done
	[ -f "$IT_HOOKS_JSON" ] || missing+=("$IT_HOOKS_JSON")
	if [ ${#missing[@]} -eq 0 ]; then
		it_ok "installed into $IT_PREFIX: entryguard, entryguard-hook, entryguard-monitor, hooks.d JSON"
	else
		it_not_ok "installed into $IT_PREFIX" "missing: ${missing[*]}"
	fi
}

# it_egprobe: sets IT_EGPROBE, the static helper (built by meson, or here).
it_egprobe() {
	IT_EGPROBE=${EG_IT_EGPROBE:-}
	if [ -z "$IT_EGPROBE" ]; then
		IT_EGPROBE=$IT_DIR/egprobe
		${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$IT_EGPROBE" \
			"$IT_SOURCE"/tests/integration/egprobe*.c \
			>"$IT_DIR/logs/egprobe.log" 2>&1 ||
			it_bail "cannot build egprobe: $(cat "$IT_DIR/logs/egprobe.log")"
	fi
	# ldd fails on a static executable ("not a dynamic executable").
	! ldd "$IT_EGPROBE" >/dev/null 2>&1 || it_bail "$IT_EGPROBE is not static"
}

# it_egprobe32: sets IT_EGPROBE32, egprobe built as a 32-bit (i386) static
# program (its sc-* commands use socketcall(2)); built by meson when gcc -m32
# works, or here.  Fails the test loudly when it cannot be built (Debian:
# gcc-multilib).  it_image puts it in the image as /bin/egprobe32.
it_egprobe32() {
	IT_EGPROBE32=${EG_IT_EGPROBE32:-}
	if [ -z "$IT_EGPROBE32" ] || [ ! -x "$IT_EGPROBE32" ]; then
		IT_EGPROBE32=$IT_DIR/egprobe32
		${CC:-cc} -m32 -static -std=gnu11 -O2 -Wall -Wextra -Werror -o "$IT_EGPROBE32" \
			"$IT_SOURCE"/tests/integration/egprobe*.c \
			>"$IT_DIR/logs/egprobe32.log" 2>&1 ||
			it_bail "cannot build the 32-bit egprobe with ${CC:-cc} -m32 -static (apt-get install gcc-multilib): $(tail -n 5 "$IT_DIR/logs/egprobe32.log")"
	fi
	file -L "$IT_EGPROBE32" | grep -q 'ELF 32-bit.*Intel 80386.*statically linked' ||
		it_bail "$IT_EGPROBE32 is not a static i386 program: $(file -L "$IT_EGPROBE32")"
}

# The path inside the image of a scenario: /s/NAME/entrypoint.sh, or the
# name its "# install-as:" line gives.
it_scenario_path() {
	local file=$IT_SCENARIOS/$1.sh as
	as=$(sed -n 's/^# install-as: *//p' "$file")
	echo "/s/$1/${as:-entrypoint.sh}"
}

# it_image: the test image (busybox-static, /bin/egprobe, every scenario) as
# a rootfs (IT_ROOTFS, for runc and crun) and, with "podman", imported as
# IT_IMAGE.
it_image() {
	local scenario name target
	it_egprobe
	IT_ROOTFS=$IT_DIR/rootfs
	eg_image_build_rootfs "$IT_ROOTFS" >"$IT_DIR/logs/image.log" 2>&1 ||
		it_bail "image: $(cat "$IT_DIR/logs/image.log")"
	cp "$IT_EGPROBE" "$IT_ROOTFS/bin/egprobe" || it_bail "image: cannot copy egprobe"
	if [ -n "${IT_EGPROBE32:-}" ]; then
		cp "$IT_EGPROBE32" "$IT_ROOTFS/bin/egprobe32" || it_bail "image: cannot copy egprobe32"
	fi
	for scenario in "$IT_SCENARIOS"/*.sh; do
		name=$(basename "$scenario" .sh)
		target=$IT_ROOTFS$(it_scenario_path "$name")
		mkdir -p "$(dirname "$target")" && cp "$scenario" "$target" && chmod 0755 "$target" ||
			it_bail "image: cannot add $scenario"
	done
	if [ "${1:-}" = podman ]; then
		IT_IMAGE=localhost/$IT_TAG:latest
		eg_image_tar "$IT_ROOTFS" "$IT_DIR/rootfs.tar" &&
			eg_clean_env podman import --quiet "$IT_DIR/rootfs.tar" "$IT_IMAGE" \
				>>"$IT_DIR/logs/image.log" 2>&1 ||
			it_bail "image: podman import failed: $(tail -n 5 "$IT_DIR/logs/image.log")"
	fi
}

# it_quirks: the test VM's two quirks (tests/lib/quirks.sh), both no-ops
# elsewhere: crun's hybrid-cgroups refusal, Podman's default rlimits.
it_quirks() {
	eg_quirk_cgroup_hybrid 2>>"$IT_DIR/logs/quirks.log" || it_bail "cgroup quirk: $(cat "$IT_DIR/logs/quirks.log")"
	IT_ULIMITS=$(eg_quirk_podman_ulimit_flags)
}

# ---- the sinkhole ------------------------------------------------------------

# it_sinkhole_up: a network namespace with lo and a veth pair whose both ends
# stay inside it, default routes (IPv4 and IPv6) into the pair: a connect to a
# public address sits in SYN-SENT and no packet can leave.  The gateways get
# permanent neighbour entries (a MAC nobody has; sink1 drops the frames):
# without them neighbour resolution fails after ~3 s and from then on every
# connect in the namespace fails at once with EHOSTUNREACH, leaving no
# SYN-SENT socket to see.
it_sinkhole_up() {
	IT_NETNS=$IT_TAG
	IT_SINK_PATH=/run/netns/$IT_NETNS
	{
		ip netns add "$IT_NETNS" &&
			ip -n "$IT_NETNS" link set lo up &&
			ip -n "$IT_NETNS" link add sink0 type veth peer name sink1 &&
			ip -n "$IT_NETNS" addr add "$IT_SINK_ADDR4/24" dev sink0 &&
			ip -n "$IT_NETNS" link set sink0 up &&
			ip -n "$IT_NETNS" link set sink1 up &&
			ip -n "$IT_NETNS" route add default via 10.254.0.1 dev sink0 &&
			ip -n "$IT_NETNS" -6 addr add "$IT_SINK_ADDR6/64" dev sink0 nodad &&
			ip -n "$IT_NETNS" -6 route add default via fd00:254::1 dev sink0 &&
			ip -n "$IT_NETNS" neigh add 10.254.0.1 lladdr "$IT_SINK_GATEWAY_MAC" dev sink0 nud permanent &&
			ip -n "$IT_NETNS" -6 neigh add fd00:254::1 lladdr "$IT_SINK_GATEWAY_MAC" dev sink0 nud permanent
	} >"$IT_DIR/logs/sinkhole.log" 2>&1 || it_bail "sinkhole: $(cat "$IT_DIR/logs/sinkhole.log")"
	it_sinkhole_verify || it_bail "sinkhole: not sealed: $(ip -n "$IT_NETNS" -o link show 2>&1)"
}

# The sinkhole holds exactly lo, sink0 and sink1, and each veth end's peer is
# in the same namespace (ip shows "@peer" with no link-netns for that).
it_sinkhole_verify() {
	local links
	[ -e "$IT_SINK_PATH" ] || return 1
	links=$(ip -n "$IT_NETNS" -o link show) || return 1
	[ "$(echo "$links" | wc -l)" -eq 3 ] || return 1
	echo "$links" | grep -q ': lo: ' || return 1
	echo "$links" | grep -q ': sink0@sink1: ' || return 1
	echo "$links" | grep -q ': sink1@sink0: ' || return 1
	! echo "$links" | grep -q 'link-netns'
}

# The network namespace inode of a path (/proc/PID/ns/net, /run/netns/X).
it_netns_inode() {
	stat -L -c %i "$1" 2>/dev/null
}

# it_guard_after_start PID NETWORK: the container's namespace is the one asked
# for: the sinkhole's, or (none) not the host's.  Kills the test otherwise.
it_guard_after_start() {
	local pid=$1 network=$2 inode
	[ -n "$pid" ] && [ "$pid" -gt 0 ] || return 0
	inode=$(it_netns_inode "/proc/$pid/ns/net") || return 0 # already gone
	[ -n "$inode" ] || return 0
	case $network in
	sink) [ "$inode" = "$(it_netns_inode "$IT_SINK_PATH")" ] && return 0 ;;
	none) [ "$inode" != "$(it_netns_inode /proc/1/ns/net)" ] &&
		[ "$inode" != "$(it_netns_inode /proc/self/ns/net)" ] && return 0 ;;
	esac
	kill -9 "$pid" 2>/dev/null
	it_bail "NETWORK GUARD: container pid $pid is in network namespace $inode, not $network"
}

# ---- profiles: a config, a hooks.d directory, an alerts file ---------------

# it_profile NAME [KEY=JSON...]: $IT_DIR/NAME/{config.json,hooks.d/,alerts.ndjson}.
# The config writes alerts to the profile's file, without syslog; the rest is
# the default (the seed) unless KEY=JSON says otherwise.
it_profile() {
	local name=$1 dir=$IT_DIR/$1
	shift
	mkdir -p "$dir/hooks.d" || it_bail "profile $name"
	$IT_JSON config "$dir/config.json" \
		"alerts={\"path\": \"$dir/alerts.ndjson\", \"syslog\": false}" "$@" &&
		$IT_JSON hooks "$dir/hooks.d/entryguard.json" "$IT_HOOK" \
			"ENTRYGUARD_CONFIG=$dir/config.json" "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" \
			"ENTRYGUARD_LOG_FILE=$dir/entryguard.log" \
			${ENTRYGUARD_LOG_LEVEL:+"ENTRYGUARD_LOG_LEVEL=$ENTRYGUARD_LOG_LEVEL"} ||
		it_bail "profile $name: cannot write its files"
}

it_alerts_file() {
	echo "$IT_DIR/$1/alerts.ndjson"
}

# ---- profiles for entryguard-runtime (the seccomp watcher) -------------------

# it_log_file PROFILE: the file that receives every log line of the profile's
# hook, monitors and wrapper (ENTRYGUARD_LOG_FILE).
it_log_file() {
	echo "$IT_DIR/$1/entryguard.log"
}

# it_wrapper_profile NAME [KEY=JSON...]: it_profile, plus the profile's log
# file in its hooks.d entry, runtime.path when IT_WRAPPER_RUNTIME_PATH is set
# (the real runtime the wrapper execs), and NAME/bin/entryguard-runtime: an
# executable that exports the profile's ENTRYGUARD_CONFIG, ENTRYGUARD_RUN_DIR
# and ENTRYGUARD_LOG_FILE and execs the installed wrapper ($IT_WRAPPER, set
# by it_install).  Podman passes a runtime no environment of its own for
# most commands (README.md, "How Podman reaches the wrapper's config"), and
# its runtime_supports_json goes by the basename.  The config must pass
# `entryguard check-config` (unless IT_CONFIG_UNCHECKED is set).
it_wrapper_profile() {
	local name=$1 dir=$IT_DIR/$1 runtime_path=${IT_WRAPPER_RUNTIME_PATH:-}
	shift
	it_profile "$name" "$@" ${runtime_path:+"runtime={\"path\": \"$runtime_path\"}"}
	$IT_JSON hooks "$dir/hooks.d/entryguard.json" "$IT_HOOK" \
		"ENTRYGUARD_CONFIG=$dir/config.json" "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" \
		"ENTRYGUARD_LOG_FILE=$(it_log_file "$name")" || it_bail "profile $name: hooks.d entry"
	mkdir -p "$dir/bin" || it_bail "profile $name"
	cat >"$dir/bin/entryguard-runtime" <<EOF || it_bail "profile $name: runtime"
#!/bin/sh
# Profile $name: entryguard-runtime with this profile's settings, for every
# command Podman runs (it passes no environment of its own).
ENTRYGUARD_CONFIG='$dir/config.json'
ENTRYGUARD_RUN_DIR='$IT_RUN_DIR'
ENTRYGUARD_LOG_FILE='$(it_log_file "$name")'
export ENTRYGUARD_CONFIG ENTRYGUARD_RUN_DIR ENTRYGUARD_LOG_FILE
exec '$IT_WRAPPER' "\$@"
EOF
	chmod 0755 "$dir/bin/entryguard-runtime"
	# IT_CONFIG_UNCHECKED=1: the caller judges a refused config itself.
	"$IT_CLI" check-config "$dir/config.json" >"$IT_DIR/logs/check-$name.txt" 2>&1 ||
		[ -n "${IT_CONFIG_UNCHECKED:-}" ] ||
		it_bail "profile $name: $(cat "$IT_DIR/logs/check-$name.txt")"
}

# it_podman_wrapper_conf: CONTAINERS_CONF for Podman with entryguard-runtime:
# the system containers.conf (CONTAINERS_CONF replaces it), default_ulimits
# for this VM, and the [engine] lists of the shipped snippet, so that Podman
# treats a runtime named entryguard-runtime like runc (--log-format=json).
it_podman_wrapper_conf() {
	local snippet=$IT_PREFIX/share/entryguard/containers.conf.d/entryguard-runtime.conf
	[ -f "$snippet" ] || it_bail "install: no $snippet"
	eg_quirk_podman_ulimits "$IT_DIR/containers" 2>>"$IT_DIR/logs/quirks.log" ||
		it_bail "containers.conf: $(cat "$IT_DIR/logs/quirks.log")"
	/usr/bin/python3 - "$CONTAINERS_CONF" "$snippet" <<'PY' >"$IT_DIR/logs/containers-conf.log" 2>&1 ||
import re, sys, tomllib
path, snippet_path = sys.argv[1:]
text = open(path).read()
snippet = tomllib.load(open(snippet_path, "rb"))["engine"]
keys = ("runtime_supports_json", "runtime_supports_nocgroups")
engine = tomllib.loads(text).get("engine", {})
for key in keys:
    if key in engine:
        sys.exit(f"{path} sets engine.{key} already")
lines = "".join(f"{key} = {json_list}\n" for key, json_list in
                ((k, "[" + ", ".join('"%s"' % v for v in snippet[k]) + "]") for k in keys))
if re.search(r"^\[engine\]\s*$", text, flags=re.M):
    text = re.sub(r"^\[engine\]\s*$", "[engine]\n" + lines.rstrip("\n"), text, count=1, flags=re.M)
else:
    text += "\n[engine]\n" + lines
parsed = tomllib.loads(text)["engine"]
for key in keys:
    assert parsed[key] == snippet[key], key
open(path, "w").write(text)
print("engine lists from", snippet_path, ":", {k: parsed[k] for k in keys})
PY
		it_bail "containers.conf: $(cat "$IT_DIR/logs/containers-conf.log")"
}

# ---- containers --------------------------------------------------------------

# it_start PROFILE CASE NETWORK SCENARIO [ARGS...]: starts a container for CASE
# (its name is $IT_TAG-CASE) running the scenario's entrypoint with ARGS, under
# PROFILE, with NETWORK "sink" (the sinkhole) or "none"; detached.  Sets
# IT_CID[CASE].  With IT_PODMAN_WRAPPER=1, Podman's --runtime is the
# profile's entryguard-runtime (it_wrapper_profile; CONTAINERS_CONF from
# it_podman_wrapper_conf), which runs the real runtime of its runtime.path.
it_start() {
	local network=$3
	case $network in
	sink) it_sinkhole_verify || it_bail "NETWORK GUARD: the sinkhole is not sealed" ;;
	none) ;;
	*) it_bail "NETWORK GUARD: network \"$network\" is neither the sinkhole nor none" ;;
	esac
	case $IT_RUNNER in
	podman-crun | podman-runc) it_podman_start "$@" ;;
	runc | crun) it_oci_start "$@" ;;
	*) it_bail "unknown runner \"$IT_RUNNER\"" ;;
	esac
}

it_podman_start() {
	local profile=$1 case_name=$2 network=$3 scenario=$4 name=$IT_TAG-$2 network_option cid pid runtime
	shift 4
	case $network in
	sink) network_option=ns:$IT_SINK_PATH ;;
	none) network_option=none ;;
	esac
	IT_PODMAN_NAMES+=("$name")
	runtime=${IT_RUNNER#podman-}
	[ -z "${IT_PODMAN_WRAPPER:-}" ] || runtime=$IT_DIR/$profile/bin/entryguard-runtime
	# shellcheck disable=SC2086 # IT_ULIMITS is a list of flags
	cid=$(eg_podman --runtime "$runtime" --hooks-dir "$IT_DIR/$profile/hooks.d" \
		run -d --name "$name" --network "$network_option" $IT_ULIMITS \
		"$IT_IMAGE" "$(it_scenario_path "$scenario")" "$@" 2>"$IT_DIR/logs/$case_name.start") ||
		{
			it_diag "podman run $case_name failed: $(cat "$IT_DIR/logs/$case_name.start")"
			return 1
		}
	IT_CID[$case_name]=$cid
	pid=$(eg_podman inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	it_guard_after_start "$pid" "$network"
}

# it_oci_start: runc or crun directly; a bundle per container from `RUNTIME
# spec`, sharing the read-only rootfs, the hook in config.json with the
# profile's environment.
it_oci_start() {
	local profile=$1 case_name=$2 network=$3 scenario=$4 runtime=$IT_RUNNER id=$IT_TAG-$2
	local bundle=$IT_DIR/bundles/$2 args netns=new
	shift 4
	[ "$network" = sink ] && netns=$IT_SINK_PATH
	args=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' \
		"$(it_scenario_path "$scenario")" "$@")
	mkdir -p "$bundle" && (cd "$bundle" && "$runtime" spec) &&
		$IT_JSON bundle "$bundle/config.json" --rootfs "$IT_ROOTFS" --args "$args" \
			--netns "$netns" --hostname "$case_name" --hook "$IT_HOOK" \
			--hook-env "ENTRYGUARD_CONFIG=$IT_DIR/$profile/config.json" \
			--hook-env "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" ||
		it_bail "bundle for $case_name"
	# The guard for hand-made bundles: a new empty namespace or the sinkhole.
	$IT_JSON guard-bundle "$bundle/config.json" "$IT_SINK_PATH" || it_bail "NETWORK GUARD refused $case_name"
	IT_OCI_RT[$case_name]=$runtime
	IT_CID[$case_name]=$id
	# The runtime gets a clean environment (its hooks would inherit ours).
	(cd "$bundle" && exec env -i PATH="$EG_CLEAN_PATH" HOME=/root LANG=C.UTF-8 \
		"$runtime" --root "$IT_DIR/state-$runtime" run --bundle "$bundle" "$id" \
		</dev/null >"$IT_DIR/logs/$case_name.out" 2>&1) &
	IT_OCI_PID[$case_name]=$!
	it_oci_wait_started "$case_name" 15
	local status
	status=$(it_oci_state "$case_name")
	[ "${status% *}" != running ] || it_guard_after_start "${status#* }" "$network"
	return 0
}

# Waits until the runtime reports the container running (or it already
# ended); like `podman run -d`, so cases start one after the other.
it_oci_wait_started() {
	local case_name=$1 deadline status
	deadline=$(($(it_now_ms) + $2 * 1000))
	while kill -0 "${IT_OCI_PID[$case_name]}" 2>/dev/null; do
		status=$(it_oci_state "$case_name")
		case ${status% *} in running | stopped) return 0 ;; esac
		[ "$(it_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# it_oci_state CASE: the runtime's status of the container (running, stopped...).
it_oci_state() {
	local runtime=${IT_OCI_RT[$1]}
	"$runtime" --root "$IT_DIR/state-$runtime" state "${IT_CID[$1]}" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d.get("pid", 0))' \
			2>/dev/null
}

it_oci_remove() {
	local case_name=$1 runtime=${IT_OCI_RT[$1]:-} pid=${IT_OCI_PID[$1]:-}
	[ -n "$runtime" ] || return 0
	"$runtime" --root "$IT_DIR/state-$runtime" kill "${IT_CID[$case_name]}" KILL >/dev/null 2>&1
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	"$runtime" --root "$IT_DIR/state-$runtime" delete -f "${IT_CID[$case_name]}" >/dev/null 2>&1
	unset "IT_OCI_PID[$case_name]"
}

# it_init_pid CASE: the container's init pid on the host (0 when gone).
it_init_pid() {
	local status
	case $IT_RUNNER in
	podman-*) eg_podman inspect -f '{{.State.Pid}}' "$IT_TAG-$1" 2>/dev/null || echo 0 ;;
	*)
		status=$(it_oci_state "$1")
		[ "${status% *}" = running ] && echo "${status#* }" || echo 0
		;;
	esac
}

# it_wait CASE TIMEOUT_S: waits until the container exited; 1 on timeout.
it_wait() {
	local case_name=$1 timeout=$2 pid deadline
	case $IT_RUNNER in
	podman-*)
		timeout "$timeout" env -i PATH="$EG_CLEAN_PATH" HOME=/root podman wait "$IT_TAG-$case_name" \
			>/dev/null 2>&1
		;;
	*)
		pid=${IT_OCI_PID[$case_name]:-}
		[ -n "$pid" ] || return 0
		deadline=$(($(it_now_ms) + timeout * 1000))
		while kill -0 "$pid" 2>/dev/null; do
			[ "$(it_now_ms)" -lt "$deadline" ] || return 1
			sleep 0.1
		done
		wait "$pid" 2>/dev/null
		return 0
		;;
	esac
}

# it_stop CASE: a hard stop: `podman rm -f`, or `RUNTIME kill KILL` + delete.
it_stop() {
	case $IT_RUNNER in
	podman-*) eg_podman rm -f -t 0 "$IT_TAG-$1" >/dev/null 2>&1 ;;
	*) it_oci_remove "$1" ;;
	esac
}

# it_logs CASE: the container's output (for diagnostics).
it_logs() {
	case $IT_RUNNER in
	podman-*) eg_podman logs "$IT_TAG-$1" 2>&1 | tail -n 40 ;;
	*) tail -n 40 "$IT_DIR/logs/$1.out" 2>/dev/null ;;
	esac
}

# ---- alerts -------------------------------------------------------------------

# it_count PROFILE CASE [DEST]: alerts for the case's container (to DEST).
it_count() {
	$IT_JSON count "$(it_alerts_file "$1")" "${IT_CID[$2]:-none}" ${3:+"$3"}
}

# it_wait_alerts PROFILE CASE COUNT TIMEOUT_S [DEST]: polls the alerts file
# (0.1 s steps) until the container has COUNT alerts (to DEST); 1 on timeout.
it_wait_alerts() {
	local profile=$1 case_name=$2 want=$3 timeout=$4 dest=${5:-} deadline
	deadline=$(($(it_now_ms) + timeout * 1000))
	while [ "$(it_count "$profile" "$case_name" ${dest:+"$dest"})" -lt "$want" ]; do
		[ "$(it_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# it_expect PROFILE CASE DEST EXPRESSION...: field assertions on the one
# alert of the case to DEST (see itjson.py expect).
it_expect() {
	local profile=$1 case_name=$2 dest=$3
	shift 3
	$IT_JSON expect "$(it_alerts_file "$profile")" "${IT_CID[$case_name]:-none}" "$dest" "$@"
}

# it_show PROFILE CASE: the case's alerts, for diagnostics.
it_show() {
	$IT_JSON show "$(it_alerts_file "$1")" "${IT_CID[$2]:-none}"
}

# ---- monitors -------------------------------------------------------------------

# Pids of monitors working for this test's run dir.  The kernel keeps 15
# bytes of "entryguard-monitor" as comm: "entryguard-moni" (rundir.h's
# EG_MONITOR_COMM says "entryguard-mon"); either matches here.
it_is_monitor_comm() {
	case $1 in entryguard-mon | entryguard-moni) return 0 ;; esac
	return 1
}

it_monitor_pids() {
	local proc
	for proc in /proc/[0-9]*; do
		it_is_monitor_comm "$(cat "$proc/comm" 2>/dev/null)" || continue
		{ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qF -- "$IT_RUN_DIR/" &&
			echo "${proc#/proc/}"
	done
	return 0
}

# it_wait_monitors_gone TIMEOUT_S: 0 once no monitor of this test runs and
# the run directory has no container folder left.
it_wait_monitors_gone() {
	local deadline
	deadline=$(($(it_now_ms) + $1 * 1000))
	while [ -n "$(it_monitor_pids)" ] || [ -n "$(ls -A "$IT_RUN_DIR" 2>/dev/null)" ]; do
		[ "$(it_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

it_describe_leftovers() {
	echo "monitors: $(it_monitor_pids | tr '\n' ' ')"
	echo "run dir: $(ls -A "$IT_RUN_DIR" 2>/dev/null | tr '\n' ' ')"
}
