#!/usr/bin/env bash
# The hook's failure policy and its contract with the monitor, with no real
# monitor involved:
#  - malformed input fed directly to entryguard-hook (empty, not JSON, wrong
#    shape, no bundle, no config.json, non-UTF-8, oversized, a pid that is
#    gone): one clear error line, exit 0 (detect) so the container starts;
#  - a config with errors: one line naming the file and the key, exit 0;
#  - block mode fails closed (exit 1); mode off starts no monitor;
#  - the monitor handshake, with egprobe as a fake monitor (ENTRYGUARD_MONITOR):
#    ready / error / silent / exits, and what a monitor inherits (its own
#    session, stdio on /dev/null, the ready pipe as fd 3, nothing else);
#  - through Podman (crun, runc) and runc/crun directly: the hook runs, its
#    hooks.d / config.json env reaches it, it records the container's
#    metadata, and a broken config never stops a container.
# Every container runs with --network none (a new, empty namespace).  TAP.
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

it_begin failures
it_require podman runc crun ip file python3 meson ninja timeout
it_quirks
it_install
it_image podman

bundle=$IT_DIR/direct-bundle
mkdir -p "$bundle" && (cd "$bundle" && runc spec) || it_bail "runc spec"
sleep 120 &
live_pid=$!
IT_PIDS+=("$live_pid")
true &
gone_pid=$!
wait "$gone_pid"

good_config=$IT_DIR/good.json
$IT_JSON config "$good_config" "alerts={\"path\": \"$IT_DIR/alerts.ndjson\", \"syslog\": false}"
block_config=$IT_DIR/block.json
$IT_JSON config "$block_config" 'mode="block"' "alerts={\"path\": \"$IT_DIR/alerts.ndjson\", \"syslog\": false}"
off_config=$IT_DIR/off.json
$IT_JSON config "$off_config" 'mode="off"'
broken_config=$IT_DIR/broken.json
printf '{"window_ms": "abc", "alerts": {"path": "%s", "syslog": false}}\n' "$IT_DIR/alerts.ndjson" >"$broken_config"

state() { # state ID PID [BUNDLE]
	printf '{"ociVersion":"1.0.2-dev","id":"%s","status":"creating","pid":%s,"bundle":"%s"}' \
		"$1" "$2" "${3:-$bundle}"
}

# run_hook CONFIG INPUT_FILE [FAKE_MODE]: runs the hook as a runtime would (a
# small environment, stdin = the state); sets hook_status, hook_stderr,
# hook_ms, report (the fake monitor's report file).
run_hook() {
	local config=$1 input=$2 mode=${3:-} started
	local env=(PATH="$EG_CLEAN_PATH" ENTRYGUARD_CONFIG="$config" ENTRYGUARD_RUN_DIR="$IT_RUN_DIR")
	report=$IT_DIR/report.$RANDOM
	[ -z "$mode" ] || env+=(ENTRYGUARD_MONITOR="$IT_EGPROBE" EGPROBE_FAKE_MONITOR="$mode:$report")
	started=$(it_now_ms)
	# $(...) waits for every holder of the stdout pipe: a monitor that kept it
	# would hold this up.
	hook_stderr=$(timeout 30 env -i "${env[@]}" "$IT_HOOK" createRuntime <"$input" 2>&1 >/dev/null)
	hook_status=$?
	hook_ms=$(($(it_now_ms) - started))
}

one_line() { [ -n "$hook_stderr" ] && [ "$(printf '%s\n' "$hook_stderr" | wc -l)" -eq 1 ]; }

describe_run() {
	echo "exit $hook_status after $hook_ms ms; stderr:"
	printf '%s\n' "$hook_stderr"
}

# expect_rejected DESC INPUT_FILE WORD [CONFIG] [STATUS]: one line naming
# WORD, the wanted exit status, nothing left in the run directory.
expect_rejected() {
	local description=$1 input=$2 word=$3 config=${4:-$good_config} want=${5:-0}
	run_hook "$config" "$input" ready
	if [ "$hook_status" = "$want" ] && one_line && grep -qiF -- "$word" <<<"$hook_stderr" &&
		[ ! -e "$report" ] && [ -z "$(ls -A "$IT_RUN_DIR")" ]; then
		it_ok "$description: exit $want, one error line ($hook_stderr)"
	else
		it_not_ok "$description: exit $want, one error line naming \"$word\", no monitor, nothing left in the run dir" \
			"$(describe_run)
monitor started: $([ -e "$report" ] && echo yes || echo no); run dir: $(ls -A "$IT_RUN_DIR" | tr '\n' ' ')"
	fi
	rm -rf "${IT_RUN_DIR:?}"/*
}

input=$IT_DIR/input
: >"$input"
expect_rejected "empty state" "$input" "state"
printf 'not json{' >"$input"
expect_rejected "state that is not JSON" "$input" "state"
printf '[1, 2]' >"$input"
expect_rejected "state that is a JSON array" "$input" "state"
printf '{"ociVersion":"1.0.2-dev","id":"egit-x","status":"creating","pid":%s}' "$live_pid" >"$input"
expect_rejected "state without a bundle" "$input" "bundle"
state egit-x "$live_pid" "$IT_DIR/no-such-bundle" >"$input"
expect_rejected "bundle without config.json" "$input" "config.json"
printf '{"ociVersion":"1.0.2-dev","id":"egit-\xff\xfe","status":"creating","pid":%s,"bundle":"%s"}' \
	"$live_pid" "$bundle" >"$input"
expect_rejected "state with non-UTF-8 bytes" "$input" "UTF"
{
	printf '{"ociVersion":"1.0.2-dev","pad":"'
	head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
	printf '"}'
} >"$input"
expect_rejected "state of 5 MiB (over the 4 MiB bound)" "$input" "state"
state egit-x "$gone_pid" >"$input"
expect_rejected "state whose pid is gone" "$input" "$gone_pid"
state egit-x 0 >"$input"
expect_rejected "state with pid 0" "$input" "pid"

state egit-x "$live_pid" >"$input"
expect_rejected "a config with an error (window_ms \"abc\")" "$input" "window_ms" "$broken_config"
if grep -qF "$broken_config" <<<"$hook_stderr"; then
	it_ok "the config error names the file"
else
	it_not_ok "the config error names the file ($broken_config)" "$(describe_run)"
fi
expect_rejected "a config file that does not exist" "$input" "$IT_DIR/missing.json" "$IT_DIR/missing.json"

# crun writes the state into the hook's stdin and fails the container
# ("writing to pipe: Broken pipe") when the hook exited without reading it, so
# the hook must read its whole stdin before failing, whatever the failure.
# Deterministic here: the state arrives 300 ms late, through a pipe.
stdin_read_check() { # stdin_read_check DESC CONFIG
	local flag=$IT_DIR/epipe.$RANDOM
	{
		sleep 0.3
		cat "$input" 2>/dev/null || echo "writing the state failed (status $?)" >"$flag"
	} | env -i PATH="$EG_CLEAN_PATH" ENTRYGUARD_CONFIG="$2" ENTRYGUARD_RUN_DIR="$IT_RUN_DIR" \
		"$IT_HOOK" createRuntime >/dev/null 2>"$IT_DIR/logs/stdin-check.err"
	if [ ! -e "$flag" ]; then
		it_ok "$1: the hook still reads its whole stdin (else crun fails the container with EPIPE)"
	else
		it_not_ok "$1: the hook still reads its whole stdin (else crun fails the container with EPIPE)" \
			"$(cat "$flag"): the hook exited without reading the state; it said: $(cat "$IT_DIR/logs/stdin-check.err")"
	fi
	rm -rf "${IT_RUN_DIR:?}"/*
}
stdin_read_check "a config with an error" "$broken_config"
stdin_read_check "a config file that does not exist" "$IT_DIR/missing.json"
printf 'not json{' >"$IT_DIR/bad-state"
expect_rejected "block mode, malformed state: fails closed" "$IT_DIR/bad-state" "state" "$block_config" 1

run_hook "$off_config" "$input" ready
if [ "$hook_status" = 0 ] && [ ! -e "$report" ] && [ -z "$(ls -A "$IT_RUN_DIR")" ]; then
	it_ok "mode off: exit 0, no monitor, nothing recorded"
else
	it_not_ok "mode off: exit 0, no monitor, nothing recorded" "$(describe_run)"
fi

# A monitor in a session of its own (not the caller's, not the runtime's) that
# it does not lead: setsid in the middle process, then the second fork.
our_sid=$(ps -o sid= -p $$ | tr -d ' ')
detached_session() {
	local sid
	sid=$(sed -n 's/^sid=//p' "$1")
	[ -n "$sid" ] && [ "$sid" != "$our_sid" ] && grep -q '^session_leader=no' "$1"
}

# The handshake with a (fake) monitor.
state egit-ready "$live_pid" >"$input"
run_hook "$good_config" "$input" ready
if [ "$hook_status" = 0 ] && [ -e "$report" ]; then
	it_ok "a monitor that says ready: exit 0 after $hook_ms ms"
else
	it_not_ok "a monitor that says ready: exit 0" "$(describe_run)"
fi
fds=$(grep '^fd ' "$report" 2>/dev/null | sort)
wanted_fds="fd 0 -> /dev/null
fd 1 -> /dev/null
fd 2 -> /dev/null"
if [ "$(grep -v '^fd 3 ' <<<"$fds")" = "$wanted_fds" ] && grep -q '^fd 3 -> pipe:' <<<"$fds" &&
	detached_session "$report" && grep -q -- '--container-dir '"$IT_RUN_DIR/egit-ready"' --ready-fd 3' "$report"; then
	it_ok "the monitor is detached: a new session it does not lead (double fork), stdio on /dev/null, the ready pipe as fd 3, no other fd"
else
	it_not_ok "the monitor is detached: a new session it does not lead (double fork), stdio on /dev/null, the ready pipe as fd 3, no other fd" \
		"$(cat "$report" 2>&1)"
fi
metadata=$IT_RUN_DIR/egit-ready/container.json
if /usr/bin/python3 - "$metadata" "$live_pid" "$bundle" "$good_config" "$IT_DIR/alerts.ndjson" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["id"] == "egit-ready", d
assert d["init_pid"] == int(sys.argv[2]), d
assert d["bundle"] == sys.argv[3], d
assert d["config_path"] == sys.argv[4], d
assert d["alerts_path"] == sys.argv[5], d
assert d["mode"] == "detect", d
PY
	it_ok "container.json records id, init pid, bundle, config and alerts path, mode"
else
	it_not_ok "container.json records id, init pid, bundle, config and alerts path, mode" "$(cat "$metadata" 2>&1)"
fi
rm -rf "${IT_RUN_DIR:?}"/*

state egit-stay "$live_pid" >"$input"
run_hook "$good_config" "$input" ready-stay
stay_pid=$(sed -n 's/^pid=//p' "$report" 2>/dev/null)
if [ "$hook_status" = 0 ] && [ "$hook_ms" -lt 3000 ] && [ -n "$stay_pid" ] && kill -0 "$stay_pid" 2>/dev/null; then
	it_ok "the hook returns at once ($hook_ms ms) while its monitor keeps running: nothing holds the runtime's pipes"
else
	it_not_ok "the hook returns at once while its monitor keeps running" "$(describe_run)"
fi
[ -z "$stay_pid" ] || kill "$stay_pid" 2>/dev/null
rm -rf "${IT_RUN_DIR:?}"/*

state egit-error "$live_pid" >"$input"
run_hook "$good_config" "$input" error
if [ "$hook_status" = 0 ] && one_line && grep -q "simulated failure" <<<"$hook_stderr" &&
	[ ! -e "$IT_RUN_DIR/egit-error" ]; then
	it_ok "a monitor that reports an error: its message in one line, exit 0 (detect), its folder removed"
else
	it_not_ok "a monitor that reports an error: its message in one line, exit 0, its folder removed" "$(describe_run)"
fi
run_hook "$block_config" "$input" error
if [ "$hook_status" = 1 ]; then
	it_ok "the same in block mode: exit 1 (fails closed)"
else
	it_not_ok "the same in block mode: exit 1 (fails closed)" "$(describe_run)"
fi
state egit-exit "$live_pid" >"$input"
run_hook "$good_config" "$input" exit
if [ "$hook_status" = 0 ] && one_line && grep -qi "monitor" <<<"$hook_stderr"; then
	it_ok "a monitor that dies before ready: exit 0, one line ($hook_stderr)"
else
	it_not_ok "a monitor that dies before ready: exit 0, one line" "$(describe_run)"
fi
state egit-silent "$live_pid" >"$input"
run_hook "$good_config" "$input" silent
silent_pid=$(sed -n 's/^pid=//p' "$report" 2>/dev/null)
if [ "$hook_status" = 0 ] && [ "$hook_ms" -lt 8000 ] && one_line && grep -qi "ready" <<<"$hook_stderr"; then
	it_ok "a monitor that never answers: the hook gives up after $hook_ms ms, exit 0, one line"
else
	it_not_ok "a monitor that never answers: the hook gives up within 8 s, exit 0, one line" "$(describe_run)"
fi
# The fake stays silent for 10 s on its own: the hook must have killed it.
silent_gone=no
for _ in $(seq 50); do
	if [ -n "$silent_pid" ] && { ! kill -0 "$silent_pid" 2>/dev/null ||
		[ "$(awk '{print $3}' "/proc/$silent_pid/stat" 2>/dev/null)" = Z ]; }; then
		silent_gone=yes
		break
	fi
	sleep 0.02
done
if [ "$silent_gone" = yes ]; then
	it_ok "the monitor that missed its ready deadline was killed, not left behind"
else
	it_not_ok "the monitor that missed its ready deadline was killed" "pid '${silent_pid}' still there: $(ps -o pid,stat,args -p "${silent_pid:-0}" 2>&1)"
fi
[ -z "$silent_pid" ] || kill "$silent_pid" 2>/dev/null
rm -rf "${IT_RUN_DIR:?}"/*
kill "$live_pid" 2>/dev/null

# Through the runtimes.  profile NAME CONFIG [FAKE_MODE]: hooks.d and env.
runtime_env() { # runtime_env CONFIG [MODE REPORT]
	echo "ENTRYGUARD_CONFIG=$1"
	echo "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR"
	if [ -n "${2:-}" ]; then
		echo "ENTRYGUARD_MONITOR=$IT_EGPROBE"
		echo "EGPROBE_FAKE_MONITOR=$2:$3"
	fi
}

# run_container RUNNER CONFIG [MODE REPORT]: a container (--network none)
# printing "started"; sets out, status, cid.
run_container() {
	local runner=$1 dir=$IT_DIR/c.$RANDOM env_lines args
	dir_last=$dir
	mapfile -t env_lines < <(runtime_env "${@:2}")
	mkdir -p "$dir/hooks.d"
	cid=
	case $runner in
	podman-*)
		$IT_JSON hooks "$dir/hooks.d/entryguard.json" "$IT_HOOK" "${env_lines[@]}"
		IT_PODMAN_NAMES+=("$IT_TAG-$runner")
		# shellcheck disable=SC2086
		out=$(timeout 60 env -i PATH="$EG_CLEAN_PATH" HOME=/root podman --runtime "${runner#podman-}" \
			--hooks-dir "$dir/hooks.d" run --name "$IT_TAG-$runner" --network none $IT_ULIMITS \
			"$IT_IMAGE" "$(it_scenario_path child)" /bin/echo started 2>"$dir/stderr")
		status=$?
		cid=$(eg_podman inspect -f '{{.Id}}' "$IT_TAG-$runner" 2>/dev/null)
		eg_podman rm -f "$IT_TAG-$runner" >/dev/null 2>&1
		;;
	*)
		cid=$IT_TAG-$runner
		args=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' \
			"$(it_scenario_path child)" /bin/echo started)
		local hook_env=()
		local line
		for line in "${env_lines[@]}"; do hook_env+=(--hook-env "$line"); done
		(cd "$dir" && "$runner" spec) &&
			$IT_JSON bundle "$dir/config.json" --rootfs "$IT_ROOTFS" --args "$args" --netns new \
				--hook "$IT_HOOK" "${hook_env[@]}" &&
			$IT_JSON guard-bundle "$dir/config.json" || it_bail "NETWORK GUARD / bundle for $runner"
		out=$(cd "$dir" && timeout 60 env -i PATH="$EG_CLEAN_PATH" HOME=/root "$runner" \
			--root "$IT_DIR/state-$runner" run --bundle "$dir" "$cid" </dev/null 2>"$dir/stderr")
		status=$?
		"$runner" --root "$IT_DIR/state-$runner" delete -f "$cid" >/dev/null 2>&1
		;;
	esac
}

for runner in podman-crun podman-runc runc crun; do
	report=$IT_DIR/report-$runner
	run_container "$runner" "$good_config" ready "$report"
	if [ "$status" = 0 ] && [ "$out" = started ] && [ -s "$report" ]; then
		it_ok "$runner: the hook runs (with its configured env) and starts a monitor; the container starts"
	else
		it_not_ok "$runner: the hook runs and starts a monitor; the container starts" \
			"exit $status, output: $out; stderr: $(tail -n 5 "$dir_last/stderr" 2>/dev/null); monitor report: $(cat "$report" 2>&1)"
	fi
	fds=$(grep '^fd ' "$report" 2>/dev/null | sort)
	if [ "$(grep -v '^fd 3 ' <<<"$fds")" = "$wanted_fds" ] && grep -q '^fd 3 -> pipe:' <<<"$fds" &&
		detached_session "$report"; then
		it_ok "$runner: the monitor inherits nothing from the runtime (own session, stdio /dev/null, fd 3)"
	else
		it_not_ok "$runner: the monitor inherits nothing from the runtime" "$(cat "$report" 2>&1)"
	fi
	metadata=$IT_RUN_DIR/$cid/container.json
	want_name=
	want_runtime=$runner
	case $runner in podman-*)
		want_name=$IT_TAG-$runner
		want_runtime=podman
		;;
	esac
	if /usr/bin/python3 - "$metadata" "$cid" "$want_name" "$IT_TAG" "$want_runtime" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
path, cid, name, tag, runtime = sys.argv[1:]
assert d["id"] == cid, f"id {d['id']!r}, wanted {cid!r}"
assert d["init_pid"] > 0, d
assert d["args"][1:] == ["/bin/echo", "started"], d["args"]
assert d.get("runtime") == runtime, f"runtime {d.get('runtime')!r}, wanted {runtime!r}"
if name:
    assert d.get("name") == name, f"name {d.get('name')!r}, wanted {name!r}"
    assert tag in (d.get("image") or ""), f"image {d.get('image')!r}, wanted one naming {tag!r}"
PY
		it_ok "$runner: container.json has the container's id, init pid, args, runtime${want_name:+, name and image}"
	else
		it_not_ok "$runner: container.json has the container's id, init pid, args, runtime${want_name:+, name and image}" \
			"$(cat "$metadata" 2>&1)"
	fi
	rm -rf "${IT_RUN_DIR:?}"/*

	# Three times: whether the runtime sees the hook's early exit is a race
	# (see stdin_read_check above).
	bad=
	for attempt in 1 2 3; do
		run_container "$runner" "$broken_config"
		[ "$status" = 0 ] && [ "$out" = started ] ||
			bad="${bad}attempt $attempt: exit $status, output: $out; stderr: $(tail -n 5 "$dir_last/stderr" 2>/dev/null)
"
	done
	if [ -z "$bad" ]; then
		it_ok "$runner: a config with errors never stops the container (3 of 3 started)"
	else
		it_not_ok "$runner: a config with errors never stops the container" "$bad"
	fi
	if [ -z "$(ls -A "$IT_RUN_DIR")" ]; then
		it_ok "$runner: ... and it is not watched (nothing in the run dir)"
	else
		it_not_ok "$runner: ... and it is not watched" "run dir: $(ls -A "$IT_RUN_DIR")"
	fi
	rm -rf "${IT_RUN_DIR:?}"/*
done

it_end
