#!/usr/bin/env bash
# entryguard in one command, on a fresh Debian 12 machine:
#
#     bash demo.sh        (as root)
#
# 1. installs the Debian packages it needs (build tools, libraries, podman,
#    crun, runc, busybox-static, iproute2);
# 2. builds entryguard and installs it into a private prefix (build-demo/prefix
#    in this tree: nothing goes to /usr, /etc or /run);
# 3. registers the hook with Podman through a private --hooks-dir, with a
#    config that writes alerts to build-demo/alerts.ndjson;
# 4. runs a tiny busybox container whose entrypoint.sh starts `nc` to a public
#    address (1.1.1.1:80) in a "sinkhole" network namespace: a veth pair whose
#    both ends stay inside the namespace, so nothing can leave the machine;
# 5. shows the alert with `entryguard alerts`.
# It leaves nothing running: the container, its monitor, the namespace and the
# image are removed on exit, also on failure or Ctrl-C.
#
# Environment: EG_DEMO_DIR (default: build-demo in this tree),
# EG_DEMO_RUNTIME (crun or runc; default: Podman's default).
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/packages.sh
source "$top/tests/lib/packages.sh"
# shellcheck source=tests/lib/common.sh
source "$top/tests/lib/common.sh"
# shellcheck source=tests/lib/quirks.sh
source "$top/tests/lib/quirks.sh"
# shellcheck source=tests/lib/image.sh
source "$top/tests/lib/image.sh"

demo_dir=${EG_DEMO_DIR:-$top/build-demo}
prefix=$demo_dir/prefix
alerts=$demo_dir/alerts.ndjson
image=localhost/entryguard-demo:latest
container=entryguard-demo-$$
netns=egdemo$$
work=
runtime_flags=()
[ -z "${EG_DEMO_RUNTIME:-}" ] || runtime_flags=(--runtime "$EG_DEMO_RUNTIME")

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run it as root: bash demo.sh" >&2
	exit 1
fi

cleanup() {
	local status=$? pid proc
	trap - EXIT
	set +e
	podman rm -f -t 0 "$container" >/dev/null 2>&1
	if [ -n "$work" ]; then
		# A monitor never outlives its container; should one be left over
		# anyway, stop it (only ours: its command line names our run dir).
		for proc in /proc/[0-9]*; do
			{ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qF -- "$work/run/" || continue
			pid=${proc#/proc/}
			echo "demo.sh: stopping leftover process $pid" >&2
			kill -9 "$pid" 2>/dev/null
		done
	fi
	ip netns del "$netns" 2>/dev/null
	podman rmi -f "$image" >/dev/null 2>&1
	[ -z "$work" ] || rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "1/5 packages"
# file: tests/lib/image.sh uses it to find a static busybox.
eg_ensure_packages "${EG_BUILD_PACKAGES[@]}" "${EG_RUNTIME_PACKAGES[@]}" file
mkdir -p "$demo_dir"
work=$(mktemp -d "$demo_dir/run.XXXXXX")
chmod 0755 "$work"
# This VM kind's quirks (no-ops elsewhere): crun and hybrid cgroups, and
# Podman's default NOFILE limit above root's hard limit.
eg_quirk_cgroup_hybrid
read -r -a ulimit_flags <<<"$(eg_quirk_podman_ulimit_flags)"

say "2/5 build and install into $prefix"
if [ ! -f "$demo_dir/build/build.ninja" ]; then
	meson setup "$demo_dir/build" "$top" --prefix="$prefix" -Dtests=false -Dbench=false \
		-Dfuzzing=false >"$work/setup.log" 2>&1 || {
		cat "$work/setup.log" >&2
		exit 1
	}
fi
ninja -C "$demo_dir/build" >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	exit 1
}
meson install -C "$demo_dir/build" --no-rebuild >"$work/install.log" 2>&1 || {
	tail -n 20 "$work/install.log" >&2
	exit 1
}
entryguard=$prefix/bin/entryguard
hook=$prefix/libexec/entryguard/entryguard-hook
ls -1 "$prefix/bin/entryguard" "$prefix"/libexec/entryguard/*

say "3/5 register the hook with Podman (private --hooks-dir $work/hooks.d)"
mkdir -p "$work/hooks.d" "$work/run"
cat >"$work/config.json" <<EOF
{
  "alerts": {"path": "$alerts", "syslog": false}
}
EOF
cat >"$work/hooks.d/entryguard.json" <<EOF
{
  "version": "1.0.0",
  "hook": {
    "path": "$hook",
    "args": ["entryguard-hook", "createRuntime"],
    "env": ["ENTRYGUARD_CONFIG=$work/config.json", "ENTRYGUARD_RUN_DIR=$work/run"]
  },
  "when": {"always": true},
  "stages": ["createRuntime"]
}
EOF
cat "$work/hooks.d/entryguard.json"
"$entryguard" check-config "$work/config.json"

say "4/5 a container whose entrypoint.sh phones home, in a sinkhole namespace"
# (/bin/nc with its path: busybox's shell runs a bare "nc" by re-executing
# /proc/self/exe, and the process would then be named "exe".)
cat >"$work/entrypoint.sh" <<'EOF'
#!/bin/sh
# The demo's entrypoint.sh: it starts the "app", but first a child that phones
# home to a public address, as a tampered start-up script would.
echo "entrypoint.sh: fetching my instructions from 1.1.1.1:80"
/bin/nc -w 2 1.1.1.1 80 </dev/null
echo "entrypoint.sh: starting the app"
EOF
eg_image_build_rootfs "$work/rootfs" "$work/entrypoint.sh"
eg_image_tar "$work/rootfs" "$work/rootfs.tar"
podman import --quiet "$work/rootfs.tar" "$image" >/dev/null
# The sinkhole: lo and a veth pair, both ends inside the namespace; the
# default routes lead into the pair (a permanent neighbour entry with a MAC
# nobody has keeps the connect in SYN-SENT), so no packet leaves.
ip netns add "$netns"
ip -n "$netns" link set lo up
ip -n "$netns" link add sink0 type veth peer name sink1
ip -n "$netns" addr add 10.254.0.2/24 dev sink0
ip -n "$netns" link set sink0 up
ip -n "$netns" link set sink1 up
ip -n "$netns" route add default via 10.254.0.1 dev sink0
ip -n "$netns" neigh add 10.254.0.1 lladdr 02:00:00:00:00:01 dev sink0 nud permanent
links=$(ip -n "$netns" -o link show)
if [ "$(wc -l <<<"$links")" -ne 3 ] || ! grep -q 'sink0@sink1' <<<"$links" ||
	! grep -q 'sink1@sink0' <<<"$links" || grep -q link-netns <<<"$links"; then
	echo "demo.sh: the sinkhole namespace is not sealed; refusing to run the container" >&2
	exit 1
fi
before=0
[ ! -f "$alerts" ] || before=$(wc -l <"$alerts")
echo "+ podman --hooks-dir $work/hooks.d run --rm --network ns:/run/netns/$netns $image /entrypoint.sh"
podman "${runtime_flags[@]}" --hooks-dir "$work/hooks.d" run --rm --name "$container" \
	--network "ns:/run/netns/$netns" "${ulimit_flags[@]}" "$image" /entrypoint.sh || true

say "5/5 the alert"
# The monitor writes the alert as soon as it sees the attempt; give it a
# moment at most.
for _ in $(seq 1 50); do
	[ "$( ([ -f "$alerts" ] && wc -l <"$alerts") || echo 0)" -gt "$before" ] && break
	sleep 0.1
done
echo "+ entryguard alerts --file $alerts"
"$entryguard" alerts --file "$alerts"
if [ "$( ([ -f "$alerts" ] && wc -l <"$alerts") || echo 0)" -le "$before" ]; then
	echo "demo.sh: no new alert in $alerts" >&2
	exit 1
fi
echo
echo "The raw record (ECS, one JSON object per line) is the last line of $alerts."
echo "entryguard stays installed in $prefix; nothing is left running."
