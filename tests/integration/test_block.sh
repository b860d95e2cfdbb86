#!/usr/bin/env bash
# Blocking end to end (issue 4) and containerd (issue 6), through
# entryguard-runtime with real runtimes:
#
#   test_block.sh podman-crun|podman-runc|runc|crun|containerd
#
#   podman-crun, podman-runc  rootful Podman, `--runtime` a profile's
#                             entryguard-runtime (see "How Podman reaches the
#                             wrapper's config" below), the real runtime from
#                             the config's runtime.path, the profile's
#                             hooks.d (the package's shape: hooks.d + wrapper)
#   runc, crun                `entryguard-runtime [--root R] run -b|--bundle=B ID`
#                             with ENTRYGUARD_RUNTIME naming runc or crun; the
#                             wrapper adds the hook and a minimal profile
#   containerd                a private containerd (tests/lib/containerd.sh)
#                             with the test's ENTRYGUARD_* in its environment
#                             (the runc shim hands it to the runtime) and the
#                             CRI plugin loading packaging/engines/
#                             containerd-config.toml (BinaryName, and
#                             base_runtime_spec); containers through `ctr run
#                             --runc-binary <prefix>/bin/entryguard-runtime
#                             --seccomp` (containerd's default profile, edited).
#                             One config reaches every container (containerd's
#                             environment): the kill and detect cases ask for
#                             their mode with the io.entryguard.mode annotation
#                             (`ctr run --annotation`), as a CRI pod would.
#                             Here the snippet is checked by the CRI plugin
#                             loading it and by `containerd config dump`; CRI
#                             pods through it are driven end to end by
#                             test_cri.sh.
#
# The cases, the same for every runner (containers start together; counts
# are taken once every monitor has exited):
#   blocked      block mode: TCP v4, v6, UDP connect, UDP sendto (v4, v6),
#                sendmsg, sendmmsg, IPv4-mapped TCP and UDP to public
#                addresses: the program sees EPERM, one alert each with
#                entryguard.action "blocked", event.outcome "failure"
#   allowed      block mode: loopback TCP (blocking and not) with data both
#                ways, UDP sendto/sendmsg/sendmmsg with payloads received, a
#                private address left pending; the marker is blocked
#   late         block mode: a public attempt 3.6 s after the entrypoint's exec
#                (window 3 s) is let through (EINPROGRESS, pending in the
#                sinkhole), no alert
#   race         block mode: a thread flips the sockaddr between 127.0.0.1
#                and 1.1.1.1 while connect() loops (20000 times or 2 s, inside
#                the window): not one call let through goes anywhere but
#                127.0.0.1, and both answers were seen
#   kill         kill mode: the child is killed by SIGKILL (exit 137), alert
#                "killed"; an allowed child after it is not
#   i386         block mode, a 32-bit static program: socketcall(2) connect,
#                sendto, sendmsg, sendmmsg and the direct i386 connect to a
#                public address: EPERM and "blocked"; socketcall loopback works
#   detected     detect mode through the wrapper: every kind above (the 32-bit
#                ones too) alerts once, none is blocked
#   detect-none  detect mode, --network none: TCP and UDP fail with
#                ENETUNREACH at once and still alert (sock_diag cannot see it)
#   excepted     block mode, the config excepts destination port 120: TCP,
#                sendto, sendmsg and sendmmsg to 1.1.1.1:120 are let through
#   monitor-gone block mode: the test stops the container's monitor (SIGTERM)
#                while it sleeps: then connect() (public or loopback) and
#                sendto() fail with ENOSYS, no alert
#   receiver     (podman-crun only) no wrapper: Podman runs crun with a notify
#                profile and run.oci.seccomp.receiver naming the socket of a
#                monitor the test started beforehand: TCP and UDP to a public
#                address blocked, loopback works
# Also: every monitor gone and the run dir empty at the end; every alert
# line is one JSON object; the wrapper's log names each container's mode,
# profile edit, hook and listener; the hook ran and left the container to
# the listening monitor; containerd: the CRI plugin loaded the snippet and
# the guard checked every create.  Then, alone and one after the other, the
# cost: connects/s to a loopback listener without entryguard, in block mode
# inside the window (emulated) and past it (CONTINUE), without entryguard
# again; and the time from attempt to alert.  Figures are printed as
# "# FIGURE" lines.
#
# How Podman reaches the wrapper's config.  Podman gives the runtime only
# conmon_env_vars (containers.conf), and only for `create` (through conmon);
# `start`, `kill`, `delete` and `state` run with PATH or XDG_RUNTIME_DIR alone
# (seen with Podman 4.3.1), so a wrapper told where its config is by
# ENTRYGUARD_CONFIG in conmon_env_vars would start a container with crun and
# then `start` and `delete` it with the default runtime (runc).  A host install
# needs nothing: the wrapper reads /etc/entryguard/entryguard.json, whatever
# the environment.  A private prefix's config is shared by every test, so
# each profile here gets an executable named entryguard-runtime (Podman's
# runtime_supports_json goes by the basename) that sets ENTRYGUARD_CONFIG,
# ENTRYGUARD_RUN_DIR and ENTRYGUARD_LOG_FILE and execs the installed wrapper;
# the containers.conf is the system one plus default_ulimits plus the
# shipped entryguard-runtime.conf's [engine] lists.
#
# NETWORK SAFETY: every container gets the test's sinkhole or a new empty
# namespace.  Podman: the --network value is checked before and the
# namespace inode after the start; runc/crun: config.json is checked by
# itjson.py guard-bundle before the run; containerd: the runtime that
# entryguard-runtime execs is a guard (tests/lib/runtime-wrapper.sh) that runs
# guard-bundle on the final config.json of every `create` and refuses the
# container otherwise, and the task's namespace inode is checked after.
# Prints TAP.
set -u
runner=${1:-}
case $runner in
podman-crun | podman-runc | runc | crun | containerd) ;;
*)
	echo "usage: test_block.sh podman-crun|podman-runc|runc|crun|containerd" >&2
	exit 2
	;;
esac
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/cases.sh
source "$(dirname "$0")/cases.sh"
# shellcheck source=tests/lib/containerd.sh
source "$IT_SOURCE/tests/lib/containerd.sh"

WINDOW_MS=3000     # the default window (profiles block, kill, detect)
LATE_MS=3600       # the late attempt, after the window
RACE_COUNT=${EG_IT_RACE_COUNT:-20000}
RACE_MAX_MS=2000   # the race stops after this whatever the count: inside the window
RACE_MIN_ATTEMPTS=500
STORM_MS=200
STORM_ROUNDS=3

it_begin "blk-$runner"
case $runner in
podman-*) it_require podman "${runner#podman-}" ip file python3 meson ninja ;;
runc | crun) it_require "$runner" ip file python3 meson ninja ;;
containerd) it_require containerd containerd-shim-runc-v2 ctr runc podman ip file python3 meson ninja ;;
esac
# The listener path <run>/<id>/seccomp.sock must fit a unix socket's 107
# bytes, and Podman's ids are 64 characters: a short run folder.
IT_RUN_DIR=$(mktemp -d /tmp/egb.XXXXXX) || it_bail "mktemp"
chmod 0755 "$IT_RUN_DIR"
BLK_CTRD= # the private containerd's folder
declare -A BLK_PROFILE=() # case -> profile

blk_cleanup() {
	local status=$? name
	trap - EXIT
	if [ -n "$BLK_CTRD" ]; then
		eg_containerd_stop "$BLK_CTRD" >/dev/null 2>&1
	fi
	for name in "${IT_PODMAN_NAMES[@]}"; do
		eg_podman rm -f -t 0 "$name" >/dev/null 2>&1
	done
	IT_PODMAN_NAMES=()
	# Monitors work in the run folder, which is outside $IT_DIR.
	it_reap_run_dir '/tmp/egb.*'
	(exit "$status")
	it_cleanup
}
trap blk_cleanup EXIT

case $runner in
podman-*) IT_RUNNER=$runner ;;
runc | crun) IT_RUNNER=$runner ;;
containerd) IT_RUNNER=containerd ;;
esac
REAL_RUNTIME=$(command -v "${runner#podman-}")
[ "$runner" != containerd ] || REAL_RUNTIME=$(command -v runc)
it_quirks
it_install
[ -x "$IT_WRAPPER" ] || it_bail "install: no $IT_WRAPPER"
it_egprobe32
it_image podman
it_sinkhole_up
setup_started=$(it_now_ms)

# ---- profiles -------------------------------------------------------------------

blk_log() { it_log_file "$1"; }

# blk_profile NAME [KEY=JSON...]: lib.sh's it_wrapper_profile (config,
# hooks.d, alerts and log files, the profile's entryguard-runtime for
# Podman), with runtime.path where the runner needs it.
blk_profile() {
	local name=$1 runtime_path=
	shift
	case $runner in
	podman-*) runtime_path=$REAL_RUNTIME ;;
	containerd) runtime_path=$IT_DIR/guard/runc ;;
	esac
	IT_WRAPPER_RUNTIME_PATH=$runtime_path it_wrapper_profile "$name" "$@"
}

# The containerd guard: tests/lib/runtime-wrapper.sh as the "real runtime"
# entryguard-runtime runs; on create it refuses any config.json whose network
# namespace is neither new nor the sinkhole, then execs runc.
blk_containerd_guard() {
	mkdir -p "$IT_DIR/guard" || it_bail "guard"
	cp "$IT_SOURCE/tests/lib/runtime-wrapper.sh" "$IT_DIR/guard/runc" && chmod 0755 "$IT_DIR/guard/runc" ||
		it_bail "guard: cannot copy runtime-wrapper.sh"
	cat >"$IT_DIR/guard/runc.env" <<EOF || it_bail "guard"
EG_WRAP_RUNTIME='$REAL_RUNTIME'
EG_WRAP_ARGV_LOG='$IT_DIR/guard/argv.log'
eg_wrap_edit() {
	$IT_JSON guard-bundle "\$1" '$IT_SINK_PATH' 2>>'$IT_DIR/guard/refused.log' || {
		echo "NETWORK GUARD refused \$1" >>'$IT_DIR/guard/refused.log'
		return 1
	}
	echo "checked \$1" >>'$IT_DIR/guard/checked.log'
}
EOF
}

# Podman, runc and crun: one profile per mode.  containerd: its environment
# (so one config) reaches every container; the mode of the kill and detect
# cases comes from the io.entryguard.mode annotation (`ctr run
# --annotation`, as a CRI pod annotation would), which the config allows.
# Every profile excepts destination port 120 (the excepted case).
EXCEPTIONS='exceptions=[{"destination_port": 120}]'
if [ "$runner" = containerd ]; then
	blk_containerd_guard
	blk_profile ctrd 'mode="block"' 'allow_annotation_mode="any"' "$EXCEPTIONS"
else
	blk_profile block 'mode="block"' "$EXCEPTIONS"
	blk_profile kill 'mode="kill"' "$EXCEPTIONS"
	blk_profile detect 'mode="detect"' "$EXCEPTIONS"
fi

# ---- Podman: containers.conf -----------------------------------------------------

# The system containers.conf, default_ulimits for this VM and the
# wrapper's [engine] lists: lib.sh's it_podman_wrapper_conf.
blk_podman_conf() {
	it_podman_wrapper_conf
}

# ---- containerd ------------------------------------------------------------------

# The shipped snippet with this install's paths: BinaryName, and
# base_runtime_spec (whose file is made as the snippet says: `ctr oci spec`
# plus the hook).
blk_containerd_up() {
	local snippet=$IT_SOURCE/packaging/engines/containerd-config.toml
	[ -f "$snippet" ] || it_bail "no $snippet"
	BLK_CTRD=$(mktemp -d /tmp/egc.XXXXXX) || it_bail "mktemp"
	/usr/bin/python3 - "$IT_DIR/base-spec.json" "$IT_HOOK" <<'PY' >"$IT_DIR/logs/base-spec.log" 2>&1 ||
import json, subprocess, sys
out, hook = sys.argv[1:]
spec = json.loads(subprocess.run(["ctr", "oci", "spec"], check=True, capture_output=True).stdout)
spec.setdefault("hooks", {})["createRuntime"] = [{"path": hook, "args": ["entryguard-hook", "createRuntime"]}]
json.dump(spec, open(out, "w"), indent=2)
PY
		it_bail "base spec: $(cat "$IT_DIR/logs/base-spec.log")"
	sed -e "s|/usr/bin/entryguard-runtime|$IT_WRAPPER|g" \
		-e "s|/etc/entryguard/containerd-base-spec.json|$IT_DIR/base-spec.json|g" \
		"$snippet" >"$IT_DIR/containerd-snippet.toml" || it_bail "snippet"
	EG_CONTAINERD_CRI=1 EG_CONTAINERD_EXTRA_CONFIG=$IT_DIR/containerd-snippet.toml \
		eg_containerd_start "$BLK_CTRD" >"$IT_DIR/logs/containerd-start.log" 2>&1 \
		"ENTRYGUARD_CONFIG=$IT_DIR/ctrd/config.json" "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" \
		"ENTRYGUARD_LOG_FILE=$(blk_log ctrd)" ||
		it_bail "containerd: $(cat "$IT_DIR/logs/containerd-start.log")"
	eg_image_save_oci "$IT_IMAGE" "$IT_DIR/image-oci.tar" &&
		eg_image_import_containerd "$IT_DIR/image-oci.tar" "$IT_IMAGE" \
			--address "$EG_CONTAINERD_ADDRESS" --namespace "$EG_CONTAINERD_NAMESPACE" ||
		it_bail "containerd: image import failed"
}

case $runner in
podman-*) blk_podman_conf ;;
containerd) blk_containerd_up ;;
esac

# ---- containers ------------------------------------------------------------------

declare -A BLK_CTR_PID=() # containerd: case -> pid of `ctr run`
BLK_STEPS=$(it_scenario_path steps)

# blk_start MODE CASE NETWORK STEP...: a container for CASE running
# scenarios/steps.sh with the STEPs, in MODE (block, kill, detect: through
# entryguard-runtime; plain: the same runtime without entryguard), on NETWORK
# (sink or none).  Returns once it runs (or already ended), like `podman run -d`.
blk_start() {
	local mode=$1 case_name=$2 network=$3
	case $network in
	sink) it_sinkhole_verify || it_bail "NETWORK GUARD: the sinkhole is not sealed" ;;
	none) ;;
	*) it_bail "NETWORK GUARD: network \"$network\" is neither the sinkhole nor none" ;;
	esac
	case $mode in
	plain) BLK_PROFILE[$case_name]=none ;;
	*) [ "$runner" = containerd ] && BLK_PROFILE[$case_name]=ctrd || BLK_PROFILE[$case_name]=$mode ;;
	esac
	case $runner in
	podman-*) blk_podman_start "$@" ;;
	runc | crun) blk_oci_start "$@" ;;
	containerd) blk_ctr_start "$@" ;;
	esac || {
		it_not_ok "$case_name: container started" "$(cat "$IT_DIR/logs/$case_name.start" 2>/dev/null)"
		return 1
	}
}

blk_podman_start() {
	local mode=$1 case_name=$2 network=$3 name=$IT_TAG-$2 network_option runtime hooks cid pid
	shift 3
	case $network in
	sink) network_option=ns:$IT_SINK_PATH ;;
	none) network_option=none ;;
	esac
	if [ "$mode" = plain ]; then
		runtime=${runner#podman-}
		hooks=$IT_DIR/no-hooks.d
		mkdir -p "$hooks"
	else
		runtime=$IT_DIR/$mode/bin/entryguard-runtime
		hooks=$IT_DIR/$mode/hooks.d
	fi
	IT_PODMAN_NAMES+=("$name")
	# shellcheck disable=SC2086 # IT_ULIMITS is a list of flags
	cid=$(eg_podman --runtime "$runtime" --hooks-dir "$hooks" run -d --name "$name" \
		--network "$network_option" $IT_ULIMITS "$IT_IMAGE" "$BLK_STEPS" "$@" \
		2>"$IT_DIR/logs/$case_name.start") || return 1
	IT_CID[$case_name]=$cid
	pid=$(eg_podman inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	it_guard_after_start "$pid" "$network"
}

blk_oci_start() {
	local mode=$1 case_name=$2 network=$3 id=$IT_TAG-$2 bundle=$IT_DIR/bundles/$2 args netns=new
	local command=() environment=() status
	shift 3
	[ "$network" = sink ] && netns=$IT_SINK_PATH
	args=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$BLK_STEPS" "$@")
	mkdir -p "$bundle" && (cd "$bundle" && "$runner" spec) &&
		$IT_JSON bundle "$bundle/config.json" --rootfs "$IT_ROOTFS" --args "$args" \
			--netns "$netns" --hostname "$case_name" ||
		it_bail "bundle for $case_name"
	$IT_JSON guard-bundle "$bundle/config.json" "$IT_SINK_PATH" || it_bail "NETWORK GUARD refused $case_name"
	IT_OCI_RT[$case_name]=$runner
	IT_CID[$case_name]=$id
	if [ "$mode" = plain ]; then
		command=("$REAL_RUNTIME" --root "$IT_DIR/state-$runner" run --bundle "$bundle" "$id")
	else
		# The wrapper with runc's and crun's own spellings of the bundle.
		environment=("ENTRYGUARD_CONFIG=$IT_DIR/$mode/config.json" "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR"
			"ENTRYGUARD_LOG_FILE=$(blk_log "$mode")" "ENTRYGUARD_RUNTIME=$REAL_RUNTIME")
		case $runner in
		runc) command=("$IT_WRAPPER" --root "$IT_DIR/state-$runner" run -b "$bundle" "$id") ;;
		crun) command=("$IT_WRAPPER" --root "$IT_DIR/state-$runner" run "--bundle=$bundle" "$id") ;;
		esac
	fi
	(cd "$bundle" && exec env -i PATH="$EG_CLEAN_PATH" HOME=/root LANG=C.UTF-8 "${environment[@]}" \
		"${command[@]}" </dev/null >"$IT_DIR/logs/$case_name.out" 2>&1) &
	IT_OCI_PID[$case_name]=$!
	it_oci_wait_started "$case_name" 15
	status=$(it_oci_state "$case_name")
	[ "${status% *}" != running ] || it_guard_after_start "${status#* }" "$network"
	return 0
}

blk_ctr_start() {
	local mode=$1 case_name=$2 network=$3 id=$IT_TAG-$2 pid_file=$IT_DIR/$2.pid deadline pid=
	local options=(--rm --runtime io.containerd.runc.v2 --runc-root "$BLK_CTRD/runc" --seccomp
		--pid-file "$pid_file" --fifo-dir "$BLK_CTRD/fifo")
	shift 3
	# ctr gives a container a new network namespace unless --net-host (never
	# here); --with-ns joins the sinkhole.
	[ "$network" = sink ] && options+=(--with-ns "network:$IT_SINK_PATH")
	case $mode in
	plain) options+=(--runc-binary "$IT_DIR/guard/runc") ;;
	block) options+=(--runc-binary "$IT_WRAPPER") ;;
	*) options+=(--runc-binary "$IT_WRAPPER" --annotation "io.entryguard.mode=$mode") ;;
	esac
	IT_CID[$case_name]=$id
	(eg_ctr run "${options[@]}" "$IT_IMAGE" "$id" "$BLK_STEPS" "$@" \
		</dev/null >"$IT_DIR/logs/$case_name.out" 2>&1) &
	BLK_CTR_PID[$case_name]=$!
	IT_PIDS+=("$!")
	deadline=$(($(it_now_ms) + 15000))
	while [ ! -s "$pid_file" ] && kill -0 "${BLK_CTR_PID[$case_name]}" 2>/dev/null; do
		[ "$(it_now_ms)" -lt "$deadline" ] || break
		sleep 0.05
	done
	read -r pid <"$pid_file" 2>/dev/null
	it_guard_after_start "${pid:-}" "$network"
	return 0
}

# blk_wait CASE TIMEOUT_S: the container exited.
blk_wait() {
	local pid deadline
	case $runner in
	containerd)
		pid=${BLK_CTR_PID[$1]:-}
		[ -n "$pid" ] || return 0
		deadline=$(($(it_now_ms) + $2 * 1000))
		while kill -0 "$pid" 2>/dev/null; do
			[ "$(it_now_ms)" -lt "$deadline" ] || return 1
			sleep 0.1
		done
		wait "$pid" 2>/dev/null
		return 0
		;;
	*) it_wait "$@" ;;
	esac
}

# blk_output CASE: the file holding the container's whole output.
blk_output() {
	local file=$IT_DIR/logs/$1.out
	case $runner in
	podman-*) [ -s "$file" ] || eg_podman logs "$IT_TAG-$1" >"$file" 2>&1 ;;
	esac
	echo "$file"
}

# ---- checks ----------------------------------------------------------------------

# The outcome egprobe printed for its attempt to PORT ("" when it printed none,
# e.g. killed first).
blk_outcome() {
	sed -n "s/^egprobe\[[0-9]*\]: [a-z0-9-]* [^ ]* port $2: //p" "$(blk_output "$1")" | head -n 1
}

# blk_step_exit CASE TEXT: the exit status steps.sh reported for the step
# whose command line contains TEXT.
blk_step_exit() {
	grep -F -- "$2" "$(blk_output "$1")" | sed -n 's/^step [0-9]* exit \([0-9]*\): .*/\1/p' | head -n 1
}

blk_alerts_file() { it_alerts_file "${BLK_PROFILE[$1]}"; }

blk_count() { # CASE [DEST]: alerts of the case (to DEST, or "port:N")
	$IT_JSON count "$(blk_alerts_file "$1")" "${IT_CID[$1]:-none}" ${2:+"$2"}
}

blk_show() { $IT_JSON show "$(blk_alerts_file "$1")" "${IT_CID[$1]:-none}"; }

# blk_expect_alert CASE PORT EXPRESSION...: exactly one alert to PORT, with
# the fields of a direct child of entrypoint.sh and the EXPRESSIONs.
blk_expect_alert() {
	local case_name=$1 port=$2
	shift 2
	$IT_JSON expect "$(blk_alerts_file "$case_name")" "${IT_CID[$case_name]:-none}" "port:$port" \
		"container.id==${IT_CID[$case_name]}" "rule.id==$IT_RULE_ID" \
		"event.action==connection_attempted" "destination.port==$port" \
		"process.parent.name==entrypoint.sh" \
		"process.parent.entity_id==@process.entry_leader.entity_id" \
		"entryguard.elapsed_ms>=0" "entryguard.elapsed_ms<$WINDOW_MS" "$@"
}

# blk_attempt CASE PORT OUTCOME_PATTERN ALERT_EXPRESSION...: one test point:
# the program saw OUTCOME_PATTERN (an extended regex) and one alert came.
blk_attempt() {
	local case_name=$1 port=$2 pattern=$3 what=$4 outcome problems=
	shift 4
	outcome=$(blk_outcome "$case_name" "$port")
	grep -Eq -- "$pattern" <<<"$outcome" || problems="the program saw \"${outcome:-nothing}\", wanted /$pattern/"
	problems="$problems$(printf '\n')$(blk_expect_alert "$case_name" "$port" "$@")"
	if [ -z "${problems//[[:space:]]/}" ]; then
		it_ok "$case_name: $what: the program saw \"$outcome\"; one alert"
	else
		it_not_ok "$case_name: $what: the program sees /$pattern/ and one alert" \
			"$problems
container output: $(tail -n 30 "$(blk_output "$case_name")")"
	fi
}

# blk_no_alert CASE PORT OUTCOME_PATTERN WHAT
blk_no_alert() {
	local case_name=$1 port=$2 pattern=$3 what=$4 outcome count
	outcome=$(blk_outcome "$case_name" "$port")
	count=$(blk_count "$case_name" "port:$port")
	if grep -Eq -- "$pattern" <<<"$outcome" && [ "$count" = 0 ]; then
		it_ok "$case_name: $what: the program saw \"$outcome\"; no alert"
	else
		it_not_ok "$case_name: $what: the program sees /$pattern/ and no alert" \
			"the program saw \"${outcome:-nothing}\"; $count alert(s) to port $port
$(blk_show "$case_name")
container output: $(tail -n 30 "$(blk_output "$case_name")")"
	fi
}

blk_total() { # CASE COUNT DESCRIPTION
	local got
	got=$(blk_count "$1")
	if [ "$got" = "$2" ]; then
		it_ok "$1: $3: $got alerts in all"
	else
		it_not_ok "$1: $3: $2 alerts in all" "$got alerts:
$(blk_show "$1")"
	fi
}

# ---- Podman + crun without the wrapper: run.oci.seccomp.receiver -------------------
# docs/BLOCKING.md: a monitor stands listening in a folder we name, crun
# (run directly by Podman: no entryguard-runtime) sends it the listener named
# by the annotation, with a profile that notifies the four calls (Podman's
# default with connect, sendto, sendmsg and sendmmsg moved to a notify rule;
# socketcall stays allowed there, so this route does not cover 32-bit
# programs: RUNTIME.md).  No hooks.d: one route per container.  The mode is
# the config's (block): Podman sets no listener metadata.
blk_receiver_start() {
	local dir=$IT_RUN_DIR/receiver name=$IT_TAG-receiver cid pid deadline
	/usr/bin/python3 - /usr/share/containers/seccomp.json "$IT_DIR/notify-profile.json" \
		>"$IT_DIR/logs/notify-profile.log" 2>&1 <<'PY' || it_bail "notify profile: $(cat "$IT_DIR/logs/notify-profile.log")"
import json, sys
source, out = sys.argv[1:]
profile = json.load(open(source))
watched = ["connect", "sendto", "sendmsg", "sendmmsg"]
for rule in profile["syscalls"]:
    if any(n in watched for n in rule["names"]):
        assert rule["action"] == "SCMP_ACT_ALLOW" and not rule.get("args"), rule
        rule["names"] = [n for n in rule["names"] if n not in watched]
profile["syscalls"] = [r for r in profile["syscalls"] if r["names"]]
profile["syscalls"].append({"names": watched, "action": "SCMP_ACT_NOTIFY"})
json.dump(profile, open(out, "w"), indent=1)
PY
	mkdir -p "$dir" || it_bail "receiver folder"
	: >"$IT_DIR/receiver.ready"
	env -i PATH="$EG_CLEAN_PATH" ENTRYGUARD_CONFIG="$IT_DIR/block/config.json" \
		ENTRYGUARD_RUN_DIR="$IT_RUN_DIR" ENTRYGUARD_LOG_FILE="$(blk_log block)" \
		"$IT_MONITOR" --listen "$dir/seccomp.sock" --container-dir "$dir" --ready-fd 3 \
		3>"$IT_DIR/receiver.ready" </dev/null >"$IT_DIR/logs/receiver-monitor.log" 2>&1 &
	IT_PIDS+=("$!")
	deadline=$(($(it_now_ms) + 5000))
	until grep -q '^ready' "$IT_DIR/receiver.ready"; do
		[ "$(it_now_ms)" -lt "$deadline" ] ||
			it_bail "receiver: the standing monitor never said ready: $(cat "$IT_DIR/receiver.ready" "$IT_DIR/logs/receiver-monitor.log")"
		sleep 0.05
	done
	BLK_PROFILE[receiver]=block
	mkdir -p "$IT_DIR/no-hooks.d"
	IT_PODMAN_NAMES+=("$name")
	it_sinkhole_verify || it_bail "NETWORK GUARD: the sinkhole is not sealed"
	# shellcheck disable=SC2086 # IT_ULIMITS is a list of flags
	cid=$(eg_podman --runtime crun --hooks-dir "$IT_DIR/no-hooks.d" run -d --name "$name" \
		--network "ns:$IT_SINK_PATH" --security-opt "seccomp=$IT_DIR/notify-profile.json" \
		--annotation "run.oci.seccomp.receiver=$dir/seccomp.sock" $IT_ULIMITS "$IT_IMAGE" \
		"$BLK_STEPS" "$@" 2>"$IT_DIR/logs/receiver.start") || {
		it_not_ok "receiver: container started" "$(cat "$IT_DIR/logs/receiver.start")"
		return 0
	}
	IT_CID[receiver]=$cid
	pid=$(eg_podman inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	it_guard_after_start "$pid" sink
}

# ---- the cases ---------------------------------------------------------------------

P4=$IT_PUBLIC4
P6=$IT_PUBLIC6
PM=::ffff:$IT_PUBLIC4 # IPv4-mapped
E=/bin/egprobe
E32=/bin/egprobe32
started=$(it_now_ms)
# First, the container whose monitor the test stops (SIGTERM, by its pid in
# monitor.pid) while it sleeps: from then on its notified calls get ENOSYS
# (docs/BLOCKING.md, "When the monitor is gone"), public or not.
blk_start block monitor-gone sink "$E sleep-then 2000 $E tcp $P4 123 0" "$E tcp 127.0.0.1 124 0" \
	"$E udp-sendto $P4 125 0"
gone_pid=
deadline=$(($(it_now_ms) + 5000))
while [ -z "$gone_pid" ] && [ "$(it_now_ms)" -lt "$deadline" ]; do
	read -r gone_pid _ <"$IT_RUN_DIR/${IT_CID[monitor-gone]:-none}/monitor.pid" 2>/dev/null || sleep 0.05
done
if [ -n "$gone_pid" ] && it_is_monitor_comm "$(cat "/proc/$gone_pid/comm" 2>/dev/null)"; then
	kill -TERM "$gone_pid"
	it_wait_pid_gone "$gone_pid" 5 || it_not_ok "monitor-gone: the monitor exits on SIGTERM"
else
	it_not_ok "monitor-gone: the container's monitor is running" "monitor.pid: ${gone_pid:-none}"
fi
blk_start block blocked sink "$E tcp $P4 81 0" "$E tcp $P6 82 0" "$E udp $P4 83 0" \
	"$E udp-sendto $P4 84 0" "$E udp-sendmsg $P4 85 0" "$E udp-sendmmsg $P4 86 0" \
	"$E tcp $PM 87 0" "$E udp-sendto $P6 88 0" "$E udp-sendmsg $PM 89 0"
blk_start block allowed sink "$E tcp $IT_MARKER4 80 0" "$E loopback" "$E tcp 10.254.0.1 90 300"
blk_start block late sink "$E tcp $IT_MARKER4 80 0" "$E sleep-then $LATE_MS $E tcp $P4 91 300"
blk_start block race sink "$E race $RACE_COUNT $RACE_MAX_MS $P4"
blk_start kill kill sink "$E tcp $P4 92 0" "$E udp-sendto $P4 93 0" "$E loopback"
blk_start block i386 sink "$E32 sc-tcp $P4 94 0" "$E32 sc-udp-sendto $P4 95 0" \
	"$E32 sc-udp-sendmsg $P4 96 0" "$E32 sc-udp-sendmmsg $P4 97 0" "$E32 sys-tcp $P4 98 0" \
	"$E32 loopback sc"
blk_start detect detected sink "$E tcp $P4 101 300" "$E tcp $P6 102 300" "$E udp $P4 103 0" \
	"$E udp-sendto $P4 104 0" "$E udp-sendmsg $P4 105 0" "$E udp-sendmmsg $P4 106 0" \
	"$E tcp $PM 107 300" "$E udp-sendto $P6 108 0" "$E udp-sendmsg $PM 109 0" \
	"$E32 sc-tcp $P4 110 300" "$E32 sc-udp-sendto $P4 111 0"
blk_start detect detect-none none "$E tcp $P4 112 0" "$E udp-sendto $P4 113 0"
blk_start block excepted sink "$E tcp $IT_MARKER4 80 0" "$E tcp $P4 120 300" \
	"$E udp-sendto $P4 120 0" "$E udp-sendmsg $P4 120 0" "$E udp-sendmmsg $P4 120 0"
[ "$runner" != podman-crun ] ||
	blk_receiver_start "$E tcp $P4 121 0" "$E udp-sendto $P4 122 0" "$E loopback"
it_diag "$runner: started ${#IT_CID[@]} containers in $(($(it_now_ms) - started)) ms (setup took $((started - setup_started)) ms after the install and image)"

for case_name in "${!IT_CID[@]}"; do
	blk_wait "$case_name" 60 || it_not_ok "$case_name: container exits within 60 s"
done
if it_wait_monitors_gone 15; then
	it_ok "every monitor is gone and $IT_RUN_DIR is empty once the containers exited"
else
	it_not_ok "every monitor is gone and the run dir is empty once the containers exited" \
		"$(it_describe_leftovers)"
fi
it_diag "containers ran for $(($(it_now_ms) - started)) ms"

# The wrapper's own line for each container: its mode, the profile it
# edited, the listener; the hook from hooks.d (Podman) or added by the wrapper.
blk_wrapper_lines() {
	local case_name mode want_hook line problems=
	for case_name in "${!IT_CID[@]}"; do
		[ "${BLK_PROFILE[$case_name]}" != none ] && [ "$case_name" != receiver ] || continue
		case $case_name in
		kill) mode="kill" ;;
		detected | detect-none) mode=detect ;;
		*) mode=block ;;
		esac
		case $runner in
		podman-*) want_hook="hook already there" ;;
		*) want_hook="hook added" ;;
		esac
		line=$(grep -F "entryguard-runtime[" "$(blk_log "${BLK_PROFILE[$case_name]}")" 2>/dev/null |
			grep -F "container ${IT_CID[$case_name]}: ")
		if ! grep -q "$mode mode; seccomp: .*; $want_hook; listener $IT_RUN_DIR/${IT_CID[$case_name]}/seccomp.sock" <<<"$line"; then
			problems="$problems
$case_name: wanted \"$mode mode; seccomp: ...; $want_hook; listener $IT_RUN_DIR/${IT_CID[$case_name]}/seccomp.sock\", got: ${line:-nothing}"
		fi
	done
	[ -z "$problems" ] || {
		echo "$problems"
		return 1
	}
}
it_check "the wrapper edited every container's config.json ($(case $runner in podman-*) echo "Podman's profile; hook from hooks.d" ;; containerd) echo "containerd's default profile (--seccomp); hook added" ;; *) echo "no profile: minimal one added; hook added" ;; esac)) and started its monitor listening, in the right mode" \
	blk_wrapper_lines
case $runner in
podman-* | containerd) it_diag "wrapper, e.g.: $(grep -F "container ${IT_CID[blocked]}: " "$(blk_log "${BLK_PROFILE[blocked]}")" | grep -F 'entryguard-runtime[' | cut -d' ' -f3-)" ;;
*) it_diag "wrapper, e.g.: $(grep -F "container ${IT_CID[blocked]}: " "$(blk_log block)" | grep -F 'entryguard-runtime[' | cut -d' ' -f3-)" ;;
esac

# ---- blocked ----
EPERM='\[EPERM\]$'
blocked=("event.outcome==failure" "entryguard.action==blocked" "process.name==egprobe")
blk_attempt blocked 81 "$EPERM" "TCP to $P4:81" "${blocked[@]}" "destination.ip==$P4" \
	"network.transport==tcp" "network.type==ipv4"
blk_attempt blocked 82 "$EPERM" "TCP to [$P6]:82" "${blocked[@]}" "destination.ip==$P6" \
	"network.transport==tcp" "network.type==ipv6"
blk_attempt blocked 83 "$EPERM" "UDP connect() to $P4:83" "${blocked[@]}" "network.transport==udp"
blk_attempt blocked 84 "$EPERM" "UDP sendto() to $P4:84" "${blocked[@]}" "network.transport==udp" \
	"network.type==ipv4"
blk_attempt blocked 85 "$EPERM" "UDP sendmsg() to $P4:85" "${blocked[@]}" "network.transport==udp"
blk_attempt blocked 86 "$EPERM" "UDP sendmmsg() to $P4:86" "${blocked[@]}" "network.transport==udp"
blk_attempt blocked 87 "$EPERM" "TCP to $PM:87 (IPv4-mapped)" "${blocked[@]}" "destination.ip~$P4" \
	"network.transport==tcp"
blk_attempt blocked 88 "$EPERM" "UDP sendto() to [$P6]:88" "${blocked[@]}" "network.transport==udp" \
	"network.type==ipv6"
blk_attempt blocked 89 "$EPERM" "UDP sendmsg() to $PM:89 (IPv4-mapped)" "${blocked[@]}" \
	"destination.ip~$P4" "network.transport==udp"
blk_total blocked 9 "nine public attempts, nine alerts"
it_diag "blocked: the mapped attempt is reported as $($IT_JSON get "$(blk_alerts_file blocked)" "${IT_CID[blocked]}" port:87 destination.ip) ($($IT_JSON get "$(blk_alerts_file blocked)" "${IT_CID[blocked]}" port:87 network.type))"

# ---- allowed ----
out=$(blk_output allowed)
if [ "$(blk_step_exit allowed "$E loopback")" = 0 ] && grep -q 'loopback (libc): all passed' "$out"; then
	it_ok "allowed: in the window, in block mode: loopback TCP connect (blocking and non-blocking) with data both ways, UDP sendto/sendmsg/sendmmsg with their payloads received"
else
	it_not_ok "allowed: loopback TCP and UDP calls work in block mode, in the window" \
		"$(grep -E 'loopback|step' "$out")"
fi
blk_attempt allowed 80 "$EPERM" "the marker (a public attempt in the same window) is blocked" "${blocked[@]}"
blk_no_alert allowed 90 'still pending \[EINPROGRESS\]$' "TCP to the private 10.254.0.1:90 is let through (non-blocking: EINPROGRESS, pending in the sinkhole)"
blk_total allowed 1 "only the marker alerts"

# ---- late ----
blk_attempt late 80 "$EPERM" "the marker at once is blocked" "${blocked[@]}"
blk_no_alert late 91 'still pending \[EINPROGRESS\]$' "TCP to $P4:91 ${LATE_MS} ms after the entrypoint's exec (window ${WINDOW_MS} ms) is let through (EINPROGRESS, pending in the sinkhole)"

# ---- race ----
out=$(blk_output race)
race_line=$(grep -F ': race: ' "$out" | grep -F ' attempts in ' | tail -n 1)
read -r r_done r_ms r_denied r_loop r_else r_other < <(sed -n \
	's/.*race: \([0-9]*\) attempts in \([0-9]*\) ms: \([0-9]*\) denied \[EPERM\], \([0-9]*\) to 127.0.0.1, \([0-9]*\) elsewhere, \([0-9]*\) other errors.*/\1 \2 \3 \4 \5 \6/p' <<<"$race_line")
if [ -n "${r_done:-}" ] && [ "$r_else" = 0 ] && [ "$r_other" = 0 ] && [ "$r_denied" -gt 0 ] &&
	[ "$r_loop" -gt 0 ] && [ "$r_done" -ge "$RACE_MIN_ATTEMPTS" ] &&
	[ "$(blk_step_exit race "$E race")" = 0 ] && [ "$(blk_count race "$P4")" -ge 1 ]; then
	it_ok "race: a thread flipping the sockaddr between 127.0.0.1 and $P4 while connect() loops: $r_done attempts in $r_ms ms, $r_denied denied (EPERM), $r_loop completed to 127.0.0.1, not one let through elsewhere"
else
	it_not_ok "race: no connect() let through reaches anything but 127.0.0.1 (and both answers are seen, >= $RACE_MIN_ATTEMPTS attempts)" \
		"${race_line:-no race line}; step exit $(blk_step_exit race "$E race"); $(blk_count race "$P4") alert(s) to $P4
$(tail -n 20 "$out")"
fi

# ---- kill ----
killed=("event.outcome==failure" "entryguard.action==killed" "process.name==egprobe")
for attempt in "tcp $P4 92" "udp-sendto $P4 93"; do
	port=${attempt##* }
	status=$(blk_step_exit kill "$E $attempt 0")
	outcome=$(blk_outcome kill "$port")
	problems=$(blk_expect_alert kill "$port" "${killed[@]}")
	if [ "$status" = 137 ] && [ -z "$outcome" ] && [ -z "$problems" ]; then
		it_ok "kill: ${attempt% *}: the process is killed by SIGKILL before the call returns (exit 137, no outcome printed); one alert, \"killed\""
	else
		it_not_ok "kill: ${attempt% *}: the process is killed by SIGKILL (exit 137) and the alert says \"killed\"" \
			"exit status ${status:-?}; the program saw \"${outcome:-nothing}\"; $problems
container output: $(tail -n 20 "$(blk_output kill)")"
	fi
done
if [ "$(blk_step_exit kill "$E loopback")" = 0 ] && grep -q 'loopback (libc): all passed' "$(blk_output kill)"; then
	it_ok "kill: allowed calls of a later child in the same window work and it is not killed"
else
	it_not_ok "kill: allowed calls of a later child work and it is not killed" \
		"$(grep -E 'loopback|step' "$(blk_output kill)")"
fi
blk_total kill 2 "two attempts, two alerts"

# ---- i386 ----
i386=("event.outcome==failure" "entryguard.action==blocked" "process.name==egprobe32")
blk_attempt i386 94 "$EPERM" "32-bit socketcall(SYS_CONNECT) TCP to $P4:94" "${i386[@]}" "network.transport==tcp"
blk_attempt i386 95 "$EPERM" "32-bit socketcall(SYS_SENDTO) UDP to $P4:95" "${i386[@]}" "network.transport==udp"
blk_attempt i386 96 "$EPERM" "32-bit socketcall(SYS_SENDMSG) UDP to $P4:96" "${i386[@]}" "network.transport==udp"
blk_attempt i386 97 "$EPERM" "32-bit socketcall(SYS_SENDMMSG) UDP to $P4:97" "${i386[@]}" "network.transport==udp"
blk_attempt i386 98 "$EPERM" "32-bit direct connect(2) TCP to $P4:98" "${i386[@]}" "network.transport==tcp"
if [ "$(blk_step_exit i386 "$E32 loopback sc")" = 0 ] && grep -q 'loopback (socketcall): all passed' "$(blk_output i386)"; then
	it_ok "i386: allowed socketcall() connect, sendto, sendmsg, sendmmsg to 127.0.0.1 work, payloads and msg_len right"
else
	it_not_ok "i386: allowed socketcall() calls to 127.0.0.1 work" "$(grep -E 'loopback|step' "$(blk_output i386)")"
fi
blk_total i386 5 "five attempts, five alerts"

# ---- detected ----
detected=("entryguard.action==alert" "entryguard.action!=blocked")
NOT_DENIED='^(still pending \[EINPROGRESS\]|sent|connected)$'
blk_attempt detected 101 "$NOT_DENIED" "detect mode: TCP to $P4:101 is not blocked" "${detected[@]}" "network.transport==tcp"
blk_attempt detected 102 "$NOT_DENIED" "detect mode: TCP to [$P6]:102" "${detected[@]}" "network.type==ipv6"
blk_attempt detected 103 "$NOT_DENIED" "detect mode: UDP connect()+send() to $P4:103" "${detected[@]}" "network.transport==udp"
blk_attempt detected 104 "$NOT_DENIED" "detect mode: UDP sendto() to $P4:104 (no socket state: sock_diag cannot see it)" "${detected[@]}" "network.transport==udp"
blk_attempt detected 105 "$NOT_DENIED" "detect mode: UDP sendmsg() to $P4:105" "${detected[@]}" "network.transport==udp"
blk_attempt detected 106 "$NOT_DENIED" "detect mode: UDP sendmmsg() to $P4:106" "${detected[@]}" "network.transport==udp"
blk_attempt detected 107 "$NOT_DENIED" "detect mode: TCP to $PM:107 (IPv4-mapped)" "${detected[@]}" "destination.ip~$P4"
blk_attempt detected 108 "$NOT_DENIED" "detect mode: UDP sendto() to [$P6]:108" "${detected[@]}" "network.type==ipv6"
blk_attempt detected 109 "$NOT_DENIED" "detect mode: UDP sendmsg() to $PM:109 (IPv4-mapped)" "${detected[@]}" "destination.ip~$P4"
blk_attempt detected 110 "$NOT_DENIED" "detect mode: 32-bit socketcall(SYS_CONNECT) to $P4:110" "${detected[@]}" "process.name==egprobe32"
blk_attempt detected 111 "$NOT_DENIED" "detect mode: 32-bit socketcall(SYS_SENDTO) to $P4:111" "${detected[@]}" "process.name==egprobe32"
blk_total detected 11 "eleven attempts, eleven alerts (none twice: seccomp and sock_diag both watch)"

# ---- detect-none ----
UNREACH='\[ENETUNREACH\]$'
blk_attempt detect-none 112 "$UNREACH" "--network none: TCP to $P4:112 fails at once (ENETUNREACH) and still alerts" "${detected[@]}"
blk_attempt detect-none 113 "$UNREACH" "--network none: UDP sendto() to $P4:113 fails at once and still alerts" "${detected[@]}"

# ---- monitor-gone ----
problems=
for port in 123 124 125; do
	outcome=$(blk_outcome monitor-gone "$port")
	grep -q '\[ENOSYS\]$' <<<"$outcome" || problems="$problems port $port: \"${outcome:-nothing}\";"
done
if [ -z "$problems" ] && [ "$(blk_count monitor-gone)" = 0 ]; then
	it_ok "monitor-gone: once the monitor is stopped, the container's connect() to $P4 and to 127.0.0.1 and its sendto() fail with ENOSYS (fail-closed); no alert"
else
	it_not_ok "monitor-gone: once the monitor is stopped, notified calls fail with ENOSYS" \
		"$problems $(blk_count monitor-gone) alert(s)
container output: $(tail -n 20 "$(blk_output monitor-gone)")"
fi

# ---- excepted ----
blk_attempt excepted 80 "$EPERM" "the marker is blocked" "${blocked[@]}"
for attempt in "tcp:still pending \[EINPROGRESS\]" "udp-sendto:sent" "udp-sendmsg:sent" "udp-sendmmsg:sent"; do
	kind=${attempt%%:*}
	want=${attempt#*:}
	outcome=$(sed -n "s/^egprobe\[[0-9]*\]: $kind [^ ]* port 120: //p" "$(blk_output excepted)" | head -n 1)
	if grep -Eq -- "^$want\$" <<<"$outcome"; then
		it_ok "excepted: $kind to $P4:120, a port the config excepts, is let through: \"$outcome\""
	else
		it_not_ok "excepted: $kind to $P4:120, a port the config excepts (exceptions: [{\"destination_port\": 120}]), is let through" \
			"the program saw \"${outcome:-nothing}\"
$(blk_show excepted)"
	fi
done
blk_total excepted 1 "only the marker alerts"

# ---- receiver (podman-crun) ----
if [ -n "${IT_CID[receiver]:-}" ]; then
	blk_attempt receiver 121 "$EPERM" "crun's run.oci.seccomp.receiver route (no wrapper): TCP to $P4:121" \
		"${blocked[@]}"
	blk_attempt receiver 122 "$EPERM" "the receiver route: UDP sendto() to $P4:122" "${blocked[@]}"
	if [ "$(blk_step_exit receiver "$E loopback")" = 0 ] && grep -q 'loopback (libc): all passed' "$(blk_output receiver)"; then
		it_ok "receiver: allowed loopback calls work through the standing monitor"
	else
		it_not_ok "receiver: allowed loopback calls work through the standing monitor" \
			"$(grep -E 'loopback|step' "$(blk_output receiver)")"
	fi
	it_diag "receiver: the standing monitor said: $(grep -F "container ${IT_CID[receiver]}: seccomp listener" "$(blk_log block)" | cut -d' ' -f2-)"
fi

# ---- the hook ----
blk_hook_lines() {
	local case_name problems=
	for case_name in "${!IT_CID[@]}"; do
		[ "${BLK_PROFILE[$case_name]}" != none ] && [ "$case_name" != receiver ] || continue
		grep -F "entryguard-hook[" "$(blk_log "${BLK_PROFILE[$case_name]}")" 2>/dev/null |
			grep -qF "container ${IT_CID[$case_name]}: already watched" ||
			problems="$problems $case_name"
	done
	[ -z "$problems" ] || {
		echo "no \"already watched\" line from the hook for:$problems"
		return 1
	}
}
it_check "the hook ($([[ $runner == podman-* ]] && echo "Podman's hooks.d" || echo "added by the wrapper")) ran at createRuntime for every container and left it to the listening monitor" \
	blk_hook_lines

# ---- containerd: the snippet, the guard ----
if [ "$runner" = containerd ]; then
	plugins=$(eg_ctr plugins ls 2>&1)
	if grep -E '^io\.containerd\.grpc\.v1[[:space:]]+cri[[:space:]].*[[:space:]]ok[[:space:]]*$' <<<"$plugins" >/dev/null; then
		it_ok "containerd: the CRI plugin loaded packaging/engines/containerd-config.toml (runtimes entryguard with BinaryName, entryguard-detect with base_runtime_spec) and started"
	else
		it_not_ok "containerd: the CRI plugin loads packaging/engines/containerd-config.toml and starts" \
			"$(grep -E 'cri' <<<"$plugins")
$(grep -iE 'cri|base|spec|error' "$BLK_CTRD/containerd.log" | tail -n 10)"
	fi
	containerd --config "$BLK_CTRD/config.toml" config dump >"$IT_DIR/logs/containerd-dump.toml" 2>/dev/null
	if /usr/bin/python3 - "$IT_DIR/logs/containerd-dump.toml" "$IT_WRAPPER" "$IT_DIR/base-spec.json" \
		>"$IT_DIR/logs/containerd-dump.check" 2>&1 <<'PY'; then
import sys, tomllib
dump, wrapper, base = sys.argv[1:]
runtimes = tomllib.load(open(dump, "rb"))["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
blocking, detecting = runtimes["entryguard"], runtimes["entryguard-detect"]
assert blocking["runtime_type"] == "io.containerd.runc.v2", blocking
assert blocking["options"]["BinaryName"] == wrapper, blocking
assert "io.entryguard.mode" in blocking["pod_annotations"], blocking
assert detecting["runtime_type"] == "io.containerd.runc.v2", detecting
assert detecting["base_runtime_spec"] == base, detecting
PY
		it_ok "containerd: \`containerd config dump\` shows runtime entryguard (runc v2, BinaryName $IT_WRAPPER, pod annotation io.entryguard.mode) and entryguard-detect (base_runtime_spec with the hook)"
	else
		it_not_ok "containerd: \`containerd config dump\` shows the snippet's runtimes" \
			"$(cat "$IT_DIR/logs/containerd-dump.check")
$(grep -A 14 'runtimes.entryguard' "$IT_DIR/logs/containerd-dump.toml" | head -n 40)"
	fi
	checked=$(grep -c '^checked ' "$IT_DIR/guard/checked.log" 2>/dev/null)
	if [ "${checked:-0}" -eq "${#IT_CID[@]}" ] && [ ! -s "$IT_DIR/guard/refused.log" ]; then
		it_ok "containerd: the network guard checked every container's final config.json before runc created it (${checked} creates, none refused)"
	else
		it_not_ok "containerd: the network guard checked every container's config.json (${#IT_CID[@]})" \
			"${checked:-0} checked; refused: $(cat "$IT_DIR/guard/refused.log" 2>/dev/null)"
	fi
	it_diag "containerd: the shim ran the wrapper as: $(grep -m1 ' \[create\]' "$IT_DIR/guard/argv.log" 2>/dev/null)"
fi

# ---- every alert line ----
bad=
for profile in block kill detect ctrd; do
	file=$(it_alerts_file "$profile")
	[ -s "$file" ] || continue
	$IT_JSON check-ecs "$file" >"$IT_DIR/logs/ecs-$profile.txt" 2>&1 ||
		bad="$bad $profile: $(head -n 5 "$IT_DIR/logs/ecs-$profile.txt")"
done
if [ -z "$bad" ]; then
	it_ok "every alert line is one JSON object with nested keys"
else
	it_not_ok "every alert line is one JSON object with nested keys" "$bad"
fi

# ---- figures ----
# Attempt to alert: egprobe's "attempt at" (CLOCK_REALTIME, just before the
# syscall) against the alert's @timestamp, per port.
blk_delays() { # CASE: "n min median max" in microseconds
	/usr/bin/python3 - "$(blk_output "$1")" "$(blk_alerts_file "$1")" "${IT_CID[$1]}" <<'PY'
import datetime, json, re, statistics, sys
output, alerts, cid = sys.argv[1:]
attempt_at, port_of = {}, {}
for line in open(output, errors="replace"):
    m = re.match(r"egprobe\[(\d+)\]: attempt at (\d+) us", line)
    if m:
        attempt_at[m.group(1)] = int(m.group(2))
    m = re.match(r"egprobe\[(\d+)\]: \S+ \S+ port (\d+): ", line)
    if m and m.group(1) in attempt_at:
        port_of[int(m.group(2))] = attempt_at[m.group(1)]
delays = []
for line in open(alerts):
    record = json.loads(line)
    if record.get("container", {}).get("id") != cid:
        continue
    port = record.get("destination", {}).get("port")
    if port not in port_of:
        continue
    stamp = datetime.datetime.strptime(record["@timestamp"].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    at = stamp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6
    delays.append(at - port_of[port])
if delays:
    print(len(delays), int(min(delays)), int(statistics.median(delays)), int(max(delays)))
else:
    print(0, 0, 0, 0)
PY
}
read -r d_n d_min d_med d_max < <(blk_delays blocked)
# (Only alerts whose port matches an attempt are timed: the counts and
# fields are the checks above.)
if [ "$d_n" -ge 1 ] && [ "$d_min" -ge 0 ] && [ "$d_max" -lt 1000000 ]; then
	it_ok "blocked: each alert is written after its attempt and within 1 s of it (attempt to alert: min $d_min us, median $d_med us, max $d_max us over $d_n of 9)"
else
	it_not_ok "blocked: each alert is written after its attempt and within 1 s of it" \
		"$d_n delays: min $d_min us, median $d_med us, max $d_max us"
fi
read -r e_n e_min e_med e_max < <(blk_delays detected)
it_diag "FIGURE $runner attempt-to-alert (seccomp path): block mode median $d_med us (min $d_min, max $d_max, n=$d_n); detect mode median $e_med us (min $e_min, max $e_max, n=$e_n)"
# ---- cost: connects per second -------------------------------------------------------
# Alone (nothing else of this test runs meanwhile), one container after the
# other: without entryguard, then in block mode (STORM_ROUNDS storms of
# STORM_MS inside the window, where every connect is emulated; then, past
# the window, the same where every connect is answered CONTINUE), then
# without entryguard again.  Figures only (the VM's noise is large); the
# check is that every connect succeeded.
storm_steps=()
for _ in $(seq 1 "$STORM_ROUNDS"); do storm_steps+=("$E storm $STORM_MS"); done
blk_start plain cost-plain none "${storm_steps[@]}"
blk_wait cost-plain 30 || it_not_ok "cost-plain: container exits within 30 s"
blk_start block cost-block none "${storm_steps[@]}" "$E sleep-then $((WINDOW_MS + 300 - STORM_ROUNDS * STORM_MS)) /bin/true" \
	"${storm_steps[@]}"
blk_wait cost-block 30 || it_not_ok "cost-block: container exits within 30 s"
blk_start plain cost-plain2 none "${storm_steps[@]}"
blk_wait cost-plain2 30 || it_not_ok "cost-plain2: container exits within 30 s"
# storms CASE FIRST COUNT: the median rate of COUNT storms from the FIRST-th
storms() {
	sed -n 's/.*storm: .* connects in .* ms (0 failed): \([0-9]*\)\/s/\1/p' "$(blk_output "$1")" |
		sed -n "$2,$(($2 + $3 - 1))p" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
s_plain=$(storms cost-plain 1 "$STORM_ROUNDS")
s_plain2=$(storms cost-plain2 1 "$STORM_ROUNDS")
s_in=$(storms cost-block 1 "$STORM_ROUNDS")
s_out=$(storms cost-block $((STORM_ROUNDS + 1)) "$STORM_ROUNDS")
all=$(cat "$(blk_output cost-plain)" "$(blk_output cost-block)" "$(blk_output cost-plain2)" | grep -c 'storm: ')
if [ "${all:-0}" -eq $((4 * STORM_ROUNDS)) ] && [ -n "$s_in" ] && [ -n "$s_out" ] && [ -n "$s_plain" ] &&
	[ -n "$s_plain2" ] && ! grep -qh 'storm: .*([1-9][0-9]* failed)' "$(blk_output cost-block)"; then
	it_ok "cost: connect() storms to a loopback listener, every connect succeeded: medians $s_plain/s and $s_plain2/s without entryguard, $s_in/s in block mode inside the window (emulated), $s_out/s past it (CONTINUE)"
	it_diag "FIGURE $runner connects/s (median of $STORM_ROUNDS x $STORM_MS ms): plain $s_plain, $s_plain2; block mode in the window (emulated) $s_in, ratio $(awk -v a="$s_in" -v b="$s_plain" -v c="$s_plain2" 'BEGIN { printf "%.2f", 2 * a / (b + c) }'); past the window (CONTINUE) $s_out, ratio $(awk -v a="$s_out" -v b="$s_plain" -v c="$s_plain2" 'BEGIN { printf "%.2f", 2 * a / (b + c) }')"
else
	it_not_ok "cost: connect() storms to a loopback listener, every connect succeeded (without entryguard, in block mode in and past the window)" \
		"$(grep -h 'storm\|step' "$(blk_output cost-plain)" "$(blk_output cost-block)" "$(blk_output cost-plain2)")"
fi
if it_wait_monitors_gone 10; then
	it_ok "at the end, every monitor of this test is gone and $IT_RUN_DIR is empty"
else
	it_not_ok "at the end, every monitor of this test is gone and the run dir is empty" "$(it_describe_leftovers)"
fi
it_diag "took $(($(it_now_ms) - setup_started)) ms after the install and image"
it_end
