#!/usr/bin/env bash
# Twenty containers started at once with rootful Podman (ten on crun, ten on
# runc), all in the test's sinkhole, each with its own monitor and all
# writing to one alerts file: every container's alert is present, exactly
# once, with its own destination port and container id; the file holds only
# whole records (one write(2) per record); every monitor is gone and the run
# directory empty once the containers exited.  Prints TAP.
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

count=${EG_IT_MANY:-20}
it_begin many
it_require podman crun runc ip file python3 meson ninja
it_quirks
it_install
it_check_install
it_image podman
it_sinkhole_up
it_profile default

started=$(it_now_ms)
pids=()
for i in $(seq 1 "$count"); do
	case_name=c$i
	IT_PODMAN_NAMES+=("$IT_TAG-$case_name")
	runner=podman-crun
	[ $((i % 2)) -eq 0 ] && runner=podman-runc
	(
		IT_RUNNER=$runner
		it_podman_start default "$case_name" sink child /bin/egprobe tcp "$IT_PUBLIC4" $((1000 + i)) 2000 &&
			echo "${IT_CID[$case_name]}" >"$IT_DIR/cid.$case_name"
	) &
	pids+=($!)
done
failed_starts=0
for pid in "${pids[@]}"; do
	wait "$pid" || failed_starts=$((failed_starts + 1))
done
for i in $(seq 1 "$count"); do
	IT_CID[c$i]=$(cat "$IT_DIR/cid.c$i" 2>/dev/null)
done
IT_RUNNER=podman-crun # podman wait / logs work for either runtime
if [ "$failed_starts" -eq 0 ]; then
	it_ok "$count containers started at once ($(($(it_now_ms) - started)) ms for all)"
else
	it_not_ok "$count containers started at once" "$failed_starts failed to start"
fi

for i in $(seq 1 "$count"); do
	it_wait "c$i" 90 || it_not_ok "c$i: container exits within 90 s"
done
it_diag "all exited $(($(it_now_ms) - started)) ms after the first start"
deadline=$(($(it_now_ms) + 20000))
while [ "$($IT_JSON count-all "$(it_alerts_file default)" 2>/dev/null || echo 0)" -lt "$count" ] &&
	[ "$(it_now_ms)" -lt "$deadline" ]; do
	sleep 0.1
done

if it_wait_monitors_gone 30; then
	it_ok "every monitor is gone and the run dir is empty once the $count containers exited"
else
	it_not_ok "every monitor is gone and the run dir is empty once the $count containers exited" \
		"$(it_describe_leftovers)"
fi

missing=()
for i in $(seq 1 "$count"); do
	if ! it_expect default "c$i" "$IT_PUBLIC4" "destination.port==$((1000 + i))" \
		"process.parent.name==entrypoint.sh" "container.name==$IT_TAG-c$i" >"$IT_DIR/logs/expect.c$i" 2>&1 ||
		[ "$(it_count default "c$i")" != 1 ]; then
		missing+=("c$i ($(it_count default "c$i") alerts: $(head -n 2 "$IT_DIR/logs/expect.c$i" | tr '\n' ' '))")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	it_ok "every container's alert is present exactly once, with its own port, name and parent"
else
	it_not_ok "every container's alert is present exactly once (${#missing[@]} of $count wrong)" \
		"$(printf '%s\n' "${missing[@]}")"
fi
if [ ! -s "$(it_alerts_file default)" ]; then
	it_not_ok "the shared alerts file holds only whole records" "no alerts file"
elif $IT_JSON check-ecs "$(it_alerts_file default)" >"$IT_DIR/logs/ecs.txt" 2>&1; then
	it_ok "the shared alerts file holds only whole records ($(wc -l <"$(it_alerts_file default)") lines)"
else
	it_not_ok "the shared alerts file holds only whole records" "$(head -n 10 "$IT_DIR/logs/ecs.txt")"
fi
it_diag "took $(($(it_now_ms) - started)) ms"
it_end
