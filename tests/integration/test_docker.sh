#!/usr/bin/env bash
# Docker end to end (issue 6), through packaging/engines/docker-daemon.json
# as shipped, with only the wrapper's path made this install's:
# "runtimes": {"entryguard": {"path": ...}} and "default-runtime".
#
# A private dockerd (Debian's docker.io; its client /usr/bin/docker, named
# explicitly: another docker may come first in PATH) with its own
# --data-root, --exec-root, --pidfile, socket and key, --config-file the
# snippet, on a private containerd (tests/lib/containerd.sh, its own root,
# state and socket), and no networking of its own: --bridge=none,
# --iptables=false, --ip6tables=false, --ip-masq=false.  Nothing it does
# touches the host's dockerd, /var/lib/docker, /etc/docker or iptables.
# containerd's environment carries ENTRYGUARD_CONFIG, ENTRYGUARD_RUN_DIR and
# ENTRYGUARD_LOG_FILE (Docker's runtime is the runc shim's BinaryName, and
# the shim hands containerd's environment to it).  The image is the test's
# rootfs, `docker import`ed.  The config is rewritten between cases (the
# wrapper and each monitor read it when a container is created), as an
# administrator would edit /etc/entryguard/entryguard.json:
#   block          mode block, `docker run --runtime entryguard --network
#                  none`: TCP (IPv4, IPv6) and UDP sendto() to public
#                  addresses see EPERM, one "blocked" alert each; loopback
#                  calls work
#   detect         mode detect, the same flags: TCP and UDP to a public
#                  address fail at once (ENETUNREACH: --network none) and
#                  alert ("alert"); loopback works
#   default        mode detect, plain `docker run --network none` (no
#                  --runtime): the snippet's default-runtime makes it go
#                  through entryguard-runtime; TCP to a public address alerts
# Also: dockerd lists the runtime; the wrapper's line for each container
# (mode, Docker's default seccomp profile edited, hook added, listener);
# every alert line is one JSON object; every monitor gone, the run folder
# empty; dockerd made no bridge.
#
# NETWORK SAFETY: every container runs with --network none (a new namespace
# holding only lo; dockerd has no bridge to offer anyway).  The real runtime
# entryguard-runtime runs is a guard (tests/lib/runtime-wrapper.sh) that
# refuses any config.json whose network namespace is not a new one
# (itjson.py guard-bundle) before runc creates it; afterwards the running
# container's namespace is checked to hold only lo.
# Prints TAP.
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/containerd.sh
source "$IT_SOURCE/tests/lib/containerd.sh"

DOCKER=/usr/bin/docker # Debian's docker.io client, never another one in PATH
IT_RULE_ID=c75d0c86-38d6-4821-98a1-465cff8ff4c8 # as cases.sh
EG_CONTAINERD_NAMESPACE=moby                     # where dockerd keeps its containers

it_begin docker
it_require dockerd containerd containerd-shim-runc-v2 ctr runc ip nsenter file python3 meson ninja
[ -x "$DOCKER" ] || it_bail "missing: $DOCKER (apt-get install docker.io)"
# <run>/<64-hex id>/seccomp.sock must fit a unix socket's 107 bytes.
IT_RUN_DIR=$(mktemp -d /tmp/egr.XXXXXX) || it_bail "mktemp"
chmod 0755 "$IT_RUN_DIR"
DK_CTRD=   # the private containerd's folder
DK_DIR=    # the private dockerd's folder
DK_PID=    # its pid
DK_KEY=    # /etc/docker/key.json when dockerd made it
DK_MADE_RUN_DOCKER= # 1 when /run/docker was not there before
DK_NAMES=() # containers this test made

dk() {
	env -i PATH="$EG_CLEAN_PATH" HOME="$IT_DIR" DOCKER_CONFIG="$IT_DIR/docker-cli" \
		"$DOCKER" -H "unix://$DK_DIR/docker.sock" "$@"
}

dk_cleanup() {
	local status=$? name pid waited mountpoint
	trap - EXIT
	if [ -n "$DK_PID" ]; then
		for name in "${DK_NAMES[@]}"; do
			dk rm -f "$name" >/dev/null 2>&1
		done
		[ -z "$IT_IMAGE" ] || dk rmi -f "$IT_IMAGE" >/dev/null 2>&1
		kill "$DK_PID" 2>/dev/null
		waited=0
		while kill -0 "$DK_PID" 2>/dev/null && [ "$waited" -lt 100 ]; do
			sleep 0.1
			waited=$((waited + 1))
		done
		kill -9 "$DK_PID" 2>/dev/null
	fi
	[ -z "$DK_KEY" ] || rm -f "$DK_KEY"
	[ -z "$DK_MADE_RUN_DOCKER" ] || rmdir /run/docker/plugins /run/docker 2>/dev/null
	IT_IMAGE= # a docker image, not Podman's: it_cleanup must not look for it
	[ -z "$DK_CTRD" ] || eg_containerd_stop "$DK_CTRD" >/dev/null 2>&1
	if [ -n "$DK_DIR" ]; then
		awk -v dir="$DK_DIR/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r |
			while IFS= read -r mountpoint; do
				umount -l "$mountpoint" 2>/dev/null
			done
		for pid in $(it_pids_mentioning "$DK_DIR/"); do
			kill -9 "$pid" 2>/dev/null
		done
		case $DK_DIR in /tmp/egk.*) rm -rf "$DK_DIR" ;; esac
	fi
	it_reap_run_dir '/tmp/egr.*'
	(exit "$status")
	it_cleanup
}
trap dk_cleanup EXIT

it_install
IT_WRAPPER=$IT_PREFIX/bin/entryguard-runtime
[ -x "$IT_WRAPPER" ] || it_bail "install: no $IT_WRAPPER"
setup_started=$(it_now_ms)

# dk_mode MODE: the config every container created from now on gets.
dk_mode() {
	it_profile docker "mode=\"$1\"" "runtime={\"path\": \"$IT_DIR/guard/runc\"}"
	"$IT_CLI" check-config "$IT_DIR/docker/config.json" >"$IT_DIR/logs/check.txt" 2>&1 ||
		it_bail "config: $(cat "$IT_DIR/logs/check.txt")"
}
dk_log() { echo "$IT_DIR/docker/entryguard.log"; }
dk_mode block

# The guard: runc behind entryguard-runtime, refusing any network namespace
# but a new one.
mkdir -p "$IT_DIR/guard" || it_bail "guard"
cp "$IT_SOURCE/tests/lib/runtime-wrapper.sh" "$IT_DIR/guard/runc" && chmod 0755 "$IT_DIR/guard/runc" ||
	it_bail "guard: cannot copy runtime-wrapper.sh"
cat >"$IT_DIR/guard/runc.env" <<EOF || it_bail "guard"
EG_WRAP_RUNTIME='$(command -v runc)'
EG_WRAP_ARGV_LOG='$IT_DIR/guard/argv.log'
eg_wrap_edit() {
	$IT_JSON guard-bundle "\$1" 2>>'$IT_DIR/guard/refused.log' || {
		echo "NETWORK GUARD refused \$1" >>'$IT_DIR/guard/refused.log'
		return 1
	}
	echo "checked \$1" >>'$IT_DIR/guard/checked.log'
}
EOF

# ---- the daemons -------------------------------------------------------------------------

SNIPPET=$IT_SOURCE/packaging/engines/docker-daemon.json
[ -f "$SNIPPET" ] || it_bail "no $SNIPPET"
DK_DIR=$(mktemp -d /tmp/egk.XXXXXX) || it_bail "mktemp"
sed -e "s|/usr/bin/entryguard-runtime|$IT_WRAPPER|g" "$SNIPPET" >"$DK_DIR/daemon.json" || it_bail "snippet"
if ! /usr/bin/python3 - "$SNIPPET" "$DK_DIR/daemon.json" "$IT_WRAPPER" <<'PY' >"$IT_DIR/logs/snippet.txt" 2>&1; then
import json, sys
shipped, used, wrapper = sys.argv[1:]
shipped, used = json.load(open(shipped)), json.load(open(used))
shipped["runtimes"]["entryguard"]["path"] = wrapper
assert shipped == used, (shipped, used)
assert used["runtimes"]["entryguard"] == {"path": wrapper}, used
print(json.dumps(used))
PY
	it_bail "snippet: $(cat "$IT_DIR/logs/snippet.txt")"
fi
it_ok "daemon.json is packaging/engines/docker-daemon.json with only the runtime's path changed: $(cat "$IT_DIR/logs/snippet.txt")"

DK_CTRD=$(mktemp -d /tmp/egc.XXXXXX) || it_bail "mktemp"
eg_containerd_start "$DK_CTRD" >"$IT_DIR/logs/containerd-start.log" 2>&1 \
	"ENTRYGUARD_CONFIG=$IT_DIR/docker/config.json" "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" \
	"ENTRYGUARD_LOG_FILE=$(dk_log)" ||
	it_bail "containerd: $(cat "$IT_DIR/logs/containerd-start.log")"
host_links_before=$(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort)
# --oom-score-adjust=0: root here lacks CAP_SYS_RESOURCE (TESTBED.md), and
# dockerd lowers its own score by default.  dockerd 20.10 writes a trust
# key to /etc/docker/key.json whatever its other paths (only daemon.json's
# "deprecated-key-path" moves it, and daemon.json is the snippet as shipped):
# removed at the end when this test made it.
[ -e /etc/docker/key.json ] || DK_KEY=/etc/docker/key.json
# It also makes /run/docker/plugins (plugin discovery), whatever --exec-root.
[ -e /run/docker ] || DK_MADE_RUN_DOCKER=1
env -i PATH="$EG_CLEAN_PATH" HOME="$IT_DIR" dockerd \
	--config-file "$DK_DIR/daemon.json" \
	--data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" --pidfile "$DK_DIR/dockerd.pid" \
	-H "unix://$DK_DIR/docker.sock" --containerd "$DK_CTRD/containerd.sock" \
	--bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
	--oom-score-adjust=0 \
	</dev/null >"$IT_DIR/logs/dockerd.log" 2>&1 &
DK_PID=$!
waited=0
until dk version >/dev/null 2>&1; do
	if ! kill -0 "$DK_PID" 2>/dev/null || [ "$waited" -ge 300 ]; then
		it_bail "dockerd did not start: $(tail -n 15 "$IT_DIR/logs/dockerd.log")"
	fi
	sleep 0.1
	waited=$((waited + 1))
done
runtimes=$(dk info --format '{{json .Runtimes}} {{.DefaultRuntime}} {{.ServerVersion}}' 2>&1)
if grep -qF "\"entryguard\":{\"path\":\"$IT_WRAPPER\"" <<<"$runtimes" && grep -q ' entryguard ' <<<"$runtimes"; then
	it_ok "a private dockerd ($(awk '{ print $NF }' <<<"$runtimes")) loaded the snippet: runtime entryguard at $IT_WRAPPER, the default runtime"
else
	it_bail "dockerd: runtimes $runtimes"
fi
host_links_after=$(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort)
new_links=$(comm -13 <(echo "$host_links_before") <(echo "$host_links_after") | grep -E '^(docker|br-)')
if [ -z "$new_links" ]; then
	it_ok "dockerd made no bridge on the host (--bridge=none)"
else
	it_not_ok "dockerd made no bridge on the host" "$new_links"
fi

# ---- the image ---------------------------------------------------------------------------

it_image
IT_IMAGE=localhost/$IT_TAG:latest
eg_image_tar "$IT_ROOTFS" "$IT_DIR/rootfs.tar" &&
	dk import "$IT_DIR/rootfs.tar" "$IT_IMAGE" >>"$IT_DIR/logs/image.log" 2>&1 ||
	it_bail "docker import: $(tail -n 5 "$IT_DIR/logs/image.log")"

# ---- containers --------------------------------------------------------------------------

E=/bin/egprobe
P4=$IT_PUBLIC4
P6=$IT_PUBLIC6
STEPS=$(it_scenario_path steps)

# dk_run CASE [--runtime entryguard] -- STEP...: one container, --network
# none, attached until it exits; its output in logs/CASE.out.  While it runs
# (a first step that sleeps 300 ms gives the time), its namespace is checked
# to hold only lo.
dk_run() {
	local case_name=$1 name=$IT_TAG-$1 options=() pid links deadline
	shift
	while [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	DK_NAMES+=("$name")
	dk run --name "$name" --network none --cidfile "$IT_DIR/$case_name.cid" "${options[@]}" \
		"$IT_IMAGE" "$STEPS" "/bin/sleep 0.3" "$@" >"$IT_DIR/logs/$case_name.out" 2>&1 &
	local run_pid=$!
	deadline=$(($(it_now_ms) + 15000))
	pid=0
	while kill -0 "$run_pid" 2>/dev/null && [ "$(it_now_ms)" -lt "$deadline" ]; do
		pid=$(dk inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
		[ "${pid:-0}" -gt 0 ] && break
		sleep 0.05
	done
	if [ "${pid:-0}" -gt 0 ] && links=$(nsenter --net="/proc/$pid/ns/net" ip -o link show 2>/dev/null); then
		if [ "$(it_netns_inode "/proc/$pid/ns/net")" = "$(it_netns_inode /proc/self/ns/net)" ] ||
			[ "$(echo "$links" | wc -l)" -ne 1 ] || ! grep -q ': lo: ' <<<"$links"; then
			kill -9 "$pid" 2>/dev/null
			it_bail "NETWORK GUARD: container $case_name's network namespace is not a new one with only lo: $links"
		fi
		echo "checked" >"$IT_DIR/$case_name.netns"
	fi
	wait "$run_pid"
	IT_CID[$case_name]=$(cat "$IT_DIR/$case_name.cid" 2>/dev/null)
}

dk_outcome() { # CASE PORT: what egprobe saw on its attempt to PORT
	sed -n "s/^egprobe\[[0-9]*\]: [a-z0-9-]* [^ ]* port $2: //p" "$IT_DIR/logs/$1.out" | head -n 1
}

# dk_attempt CASE PORT OUTCOME_PATTERN WHAT EXPRESSION...: the program saw
# OUTCOME_PATTERN and exactly one alert with the EXPRESSIONs came.
dk_attempt() {
	local case_name=$1 port=$2 pattern=$3 what=$4 outcome problems="" file
	shift 4
	file=$(it_alerts_file docker)
	outcome=$(dk_outcome "$case_name" "$port")
	grep -Eq -- "$pattern" <<<"$outcome" || problems="the program saw \"${outcome:-nothing}\", wanted /$pattern/"
	problems="$problems$(printf '\n')$($IT_JSON expect "$file" "${IT_CID[$case_name]:-none}" "port:$port" \
		"container.id==${IT_CID[$case_name]:-none}" "rule.id==$IT_RULE_ID" \
		"event.action==connection_attempted" "destination.port==$port" \
		"process.parent.name==entrypoint.sh" "process.name==egprobe" \
		"process.parent.entity_id==@process.entry_leader.entity_id" \
		"entryguard.elapsed_ms>=0" "entryguard.elapsed_ms<3000" "$@")"
	if [ -z "${problems//[[:space:]]/}" ]; then
		it_ok "$case_name: $what: the program saw \"$outcome\"; one alert"
	else
		it_not_ok "$case_name: $what: the program sees /$pattern/ and one alert" "$problems
container output: $(tail -n 20 "$IT_DIR/logs/$case_name.out")
alerts: $($IT_JSON show "$file" "${IT_CID[$case_name]:-none}")"
	fi
}

dk_loopback() { # CASE
	if grep -q 'loopback (libc): all passed' "$IT_DIR/logs/$1.out"; then
		it_ok "$1: allowed loopback calls (TCP and UDP to 127.0.0.1, data both ways) work"
	else
		it_not_ok "$1: allowed loopback calls work" "$(grep -E 'loopback|step|Error|error' "$IT_DIR/logs/$1.out")"
	fi
}

dk_total() { # CASE COUNT
	local got
	got=$($IT_JSON count "$(it_alerts_file docker)" "${IT_CID[$1]:-none}")
	if [ "$got" = "$2" ]; then
		it_ok "$1: $2 alert(s) in all"
	else
		it_not_ok "$1: $2 alert(s) in all" "$got"
	fi
}

# dk_wrapper CASE MODE: the wrapper's line for the container.
dk_wrapper() {
	local line
	line=$(grep -F "entryguard-runtime[" "$(dk_log)" 2>/dev/null | grep -F "container ${IT_CID[$1]:-none}: ")
	if grep -q "$2 mode; seccomp: existing profile.*; hook added; listener $IT_RUN_DIR/${IT_CID[$1]:-none}/seccomp.sock" <<<"$line"; then
		it_ok "$1: the wrapper ran in $2 mode, edited Docker's default seccomp profile, added the hook, listened"
	else
		it_not_ok "$1: the wrapper ran in $2 mode with Docker's profile edited" "${line:-no line}"
	fi
}

EPERM='\[EPERM\]$'
UNREACH='\[ENETUNREACH\]$'
blocked=("event.outcome==failure" "entryguard.action==blocked")
detected=("entryguard.action==alert" "entryguard.action!=blocked")

dk_run block --runtime entryguard -- "$E tcp $P4 81 0" "$E tcp $P6 82 0" "$E udp-sendto $P4 83" "$E loopback"
dk_attempt block 81 "$EPERM" "docker run --runtime entryguard, block mode: TCP to $P4:81" "${blocked[@]}" \
	"destination.ip==$P4" "network.transport==tcp" "network.type==ipv4"
dk_attempt block 82 "$EPERM" "TCP to [$P6]:82" "${blocked[@]}" "destination.ip==$P6" "network.type==ipv6"
dk_attempt block 83 "$EPERM" "UDP sendto() to $P4:83" "${blocked[@]}" "network.transport==udp"
dk_loopback block
dk_total block 3
dk_wrapper block block

dk_mode detect
dk_run detect --runtime entryguard -- "$E tcp $P4 91 0" "$E udp-sendto $P4 92" "$E loopback"
dk_attempt detect 91 "$UNREACH" "docker run --runtime entryguard, detect mode: TCP to $P4:91 fails at once (--network none) and alerts" \
	"${detected[@]}" "destination.ip==$P4" "network.transport==tcp"
dk_attempt detect 92 "$UNREACH" "UDP sendto() to $P4:92 alerts" "${detected[@]}" "network.transport==udp"
dk_loopback detect
dk_total detect 2
dk_wrapper detect detect

dk_run default -- "$E tcp $P4 101 0"
dk_attempt default 101 "$UNREACH" "plain docker run (no --runtime; the snippet's default-runtime): TCP to $P4:101 alerts" \
	"${detected[@]}" "destination.ip==$P4"
dk_wrapper default detect

# ---- the guard, the alerts, the monitors -------------------------------------------------

checked=$(grep -c '^checked ' "$IT_DIR/guard/checked.log" 2>/dev/null)
netns_checked=$(cat "$IT_DIR"/*.netns 2>/dev/null | grep -c checked)
if [ "${checked:-0}" -eq 3 ] && [ ! -s "$IT_DIR/guard/refused.log" ] && [ "$netns_checked" -eq 3 ]; then
	it_ok "the guard saw a new network namespace in all 3 config.json files before runc created them, and each running container's namespace held only lo"
else
	it_not_ok "the guard checked all 3 containers" "${checked:-0} config.json checked, $netns_checked namespaces checked; $(cat "$IT_DIR/guard/refused.log" 2>/dev/null)"
fi
if [ -s "$(it_alerts_file docker)" ] && $IT_JSON check-ecs "$(it_alerts_file docker)" >"$IT_DIR/logs/ecs.txt" 2>&1; then
	it_ok "every alert line is one JSON object with nested keys"
else
	it_not_ok "every alert line is one JSON object with nested keys" "$(head -n 5 "$IT_DIR/logs/ecs.txt")"
fi
if it_wait_monitors_gone 10; then
	it_ok "every monitor of this test is gone and $IT_RUN_DIR is empty"
else
	it_not_ok "every monitor is gone and the run dir is empty" "$(it_describe_leftovers)"
fi
it_diag "took $(($(it_now_ms) - setup_started)) ms after the install"
it_end
