#!/usr/bin/env bash
# The scenario corpus (corpus.tsv, README.md) through rootful Podman + crun,
# for one watcher and mode:
#
#   run.sh --watcher sockdiag|seccomp [--mode detect|block] [--set KEY=VALUE]...
#          [--json FILE] [--only NAME[,NAME...]]
#
#   --watcher sockdiag  the hook alone (hooks.d), detect mode: the monitor
#                       sees sockets with sock_diag
#   --watcher seccomp   entryguard-runtime as Podman's --runtime (crun
#                       underneath), in --mode detect (default) or block:
#                       the monitor also gets every connect/sendto/sendmsg/
#                       sendmmsg as a seccomp notification
#   --set KEY=VALUE     passed into every case's config, after the case's
#                       own settings; a dotted KEY is nested
#                       (monitor.tracker=procfs), a VALUE that is not JSON is
#                       a string.  A config `entryguard check-config` refuses
#                       is used all the same (the run says so): the result
#                       then shows what that build does with it
#   --json FILE         writes the results: scenarios_total, positives,
#                       negatives, caught, missed, missed_known_blind,
#                       false_alerts, (block) blocked and allowed, and per
#                       scenario its result
#   --only NAMES        only these cases (comma-separated)
#
# Every container starts at once (`podman run -d`, two at a time) in
# the test's sinkhole namespace or with --network none, as its line says;
# the run waits until they all exited and every monitor is gone, then
# judges each case from the container's output and its alerts (corpus.py
# score).  It prints one line per case (scenario, expected, result:
# caught/missed/false-alert/correct-none, in block mode blocked/allowed, the
# marker control) and the totals.  Exit 0 once the run completed, whatever
# the results (test_scenarios.sh asserts them); 1 when the setup failed
# ("Bail out!"); 2 on a usage error.  Root only; everything it started is
# removed on exit (tests/integration/lib.sh).
set -u
usage() {
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}
watcher=
mode=detect
json=
only=
sets=()
while [ $# -gt 0 ]; do
	case $1 in
	--watcher) watcher=${2:-} && shift ;;
	--watcher=*) watcher=${1#*=} ;;
	--mode) mode=${2:-} && shift ;;
	--mode=*) mode=${1#*=} ;;
	--set) sets+=("${2:-}") && shift ;;
	--set=*) sets+=("${1#*=}") ;;
	--json) json=${2:-} && shift ;;
	--json=*) json=${1#*=} ;;
	--only) only=${2:-} && shift ;;
	--only=*) only=${1#*=} ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument \"$1\"" >&2 && usage ;;
	esac
	shift
done
case $watcher in sockdiag | seccomp) ;; *) echo "run.sh: --watcher sockdiag|seccomp" >&2 && usage ;; esac
case $mode in detect | block) ;; *) echo "run.sh: --mode detect|block" >&2 && usage ;; esac
[ "$watcher" = seccomp ] || [ "$mode" = detect ] || {
	echo "run.sh: --watcher sockdiag runs in detect mode only (the hook cannot block)" >&2
	usage
}
for setting in "${sets[@]}"; do
	case $setting in *=*) ;; *) echo "run.sh: --set $setting: KEY=VALUE" >&2 && usage ;; esac
done
[ -z "$json" ] || case $json in /*) ;; *) json=$PWD/$json ;; esac

SCENARIOS=$(cd "$(dirname "$0")" && pwd)
CORPUS=$SCENARIOS/corpus.tsv
# shellcheck source=tests/integration/lib.sh
source "$SCENARIOS/../integration/lib.sh"

# The run folder is short: <run>/<64-hex id>/seccomp.sock must fit a unix
# socket's 107 bytes (it_begin makes /tmp/egit-sc.XXXXXX/run).
it_begin sc
it_require podman crun ip file python3 meson ninja
# shellcheck disable=SC2034 # read by lib.sh
IT_RUNNER=podman-crun
cases=$(/usr/bin/python3 "$SCENARIOS/corpus.py" validate "$CORPUS" 2>&1) || it_bail "corpus: $cases"
for name in ${only//,/ }; do
	grep -q "^$name"$'\t' <<<"$cases" || it_bail "--only: no case \"$name\" in $CORPUS"
done
it_quirks
it_install
[ -x "$IT_WRAPPER" ] || it_bail "install: no $IT_WRAPPER"
it_egprobe32
it_image podman
it_sinkhole_up
# A refused config is the point of some runs (a key this build does not
# know yet): say so (profile_for), do not stop.
# shellcheck disable=SC2034 # read by lib.sh
IT_CONFIG_UNCHECKED=1
if [ "$watcher" = seccomp ]; then
	# shellcheck disable=SC2034 # read by lib.sh
	IT_PODMAN_WRAPPER=1
	# shellcheck disable=SC2034 # read by lib.sh
	IT_WRAPPER_RUNTIME_PATH=$(command -v crun)
	it_podman_wrapper_conf
fi

# ---- profiles: one per distinct config column ------------------------------------

declare -A PROFILE_OF=() # config column -> profile name
PROFILE= # profile_for's answer
profile_for() {
	local config=$1 pairs
	PROFILE=${PROFILE_OF[$config]:-}
	[ -z "$PROFILE" ] || return 0
	PROFILE=p${#PROFILE_OF[@]}
	PROFILE_OF[$config]=$PROFILE
	pairs=$(/usr/bin/python3 "$SCENARIOS/corpus.py" config "$config" "mode=$mode" "${sets[@]}" 2>&1) ||
		it_bail "config for \"$config\": $pairs"
	mapfile -t pairs <<<"$pairs"
	# Both watchers: the profile's log file (it_log_file) gets every
	# hook, monitor and wrapper line; sockdiag uses no entryguard-runtime.
	it_wrapper_profile "$PROFILE" "${pairs[@]}"
	"$IT_CLI" check-config "$IT_DIR/$PROFILE/config.json" >"$IT_DIR/logs/check-$PROFILE.txt" 2>&1 ||
		it_diag "WARNING: entryguard check-config refuses the config for \"$config\" (used all the same): $(tr '\n' ' ' <"$IT_DIR/logs/check-$PROFILE.txt")"
}

# ---- the containers ---------------------------------------------------------------

# Podman starts are mostly CPU: EG_SCENARIOS_JOBS (default 2, one per core
# here) `podman run -d` at a time, each in a subshell (it_start's network
# guard kills a container in the wrong namespace and says "Bail out!", which
# stops the run below).  The container ids are read back by name.
jobs_max=${EG_SCENARIOS_JOBS:-2}
names=()
declare -A CASE_PROFILE=()
started=$(it_now_ms)
while IFS=$'\t' read -r name entrypoint args network config _; do
	if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then
		continue
	fi
	profile_for "$config"
	CASE_PROFILE[$name]=$PROFILE
	argv=()
	[ "$args" = - ] || read -ra argv <<<"$args"
	names+=("$name")
	IT_PODMAN_NAMES+=("$IT_TAG-$name") # removed on exit, started or not
	(it_start "$PROFILE" "$name" "$network" "$entrypoint" "${argv[@]}") \
		>"$IT_DIR/logs/$name.starting" 2>&1 </dev/null &
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n
	done
done <<<"$cases"
wait
[ ${#names[@]} -gt 0 ] || it_bail "no case selected (--only $only)"
for name in "${names[@]}"; do
	! grep -q '^Bail out!' "$IT_DIR/logs/$name.starting" ||
		it_bail "$name: $(grep '^Bail out!' "$IT_DIR/logs/$name.starting")"
	IT_CID[$name]=$(eg_podman inspect -f '{{.Id}}' "$IT_TAG-$name" 2>/dev/null)
	[ -n "${IT_CID[$name]}" ] ||
		it_diag "$name: the container did not start: $(cat "$IT_DIR/logs/$name.starting" "$IT_DIR/logs/$name.start" 2>/dev/null)"
done
it_diag "$watcher/$mode: started ${#names[@]} containers in $(($(it_now_ms) - started)) ms"

for name in "${names[@]}"; do
	[ -z "${IT_CID[$name]:-}" ] || it_wait "$name" 60 || it_diag "$name: still running after 60 s"
done
it_wait_monitors_gone 15 || it_diag "monitors left after 15 s: $(it_describe_leftovers)"
it_diag "$watcher/$mode: the containers ran for $(($(it_now_ms) - started)) ms"

# Each container's output, then all of them removed in one call.
for name in "${names[@]}"; do
	[ -z "${IT_CID[$name]:-}" ] && continue
	eg_podman logs "$IT_TAG-$name" >"$IT_DIR/logs/$name.out" 2>&1 &
done
wait
if [ ${#IT_PODMAN_NAMES[@]} -gt 0 ]; then
	eg_podman rm -f -t 0 "${IT_PODMAN_NAMES[@]}" >/dev/null 2>&1
	IT_PODMAN_NAMES=()
fi

manifest=$IT_DIR/manifest.tsv
: >"$manifest"
for name in "${names[@]}"; do
	printf '%s\t%s\t%s\t%s\n' "$name" "${IT_CID[$name]:-none}" "$IT_DIR/logs/$name.out" \
		"$(it_alerts_file "${CASE_PROFILE[$name]}")" >>"$manifest"
done
/usr/bin/python3 "$SCENARIOS/corpus.py" score "$manifest" --corpus "$CORPUS" --watcher "$watcher" \
	--mode "$mode" ${json:+--json "$json"} || it_bail "scoring failed"
[ -z "$json" ] || it_diag "results written to $json"
exit 0
