#!/usr/bin/env bash
# The Debian package, as an administrator uses it: build it
# (packaging/build-deb.sh), `apt-get install ./entryguard_*.deb`, then a plain
# `podman run` (no --hooks-dir, no entryguard flag; only the test machine's
# --ulimit quirk) is watched, a connection attempt to a public address from
# the test's sinkhole namespace lands in /var/log/entryguard/alerts.ndjson,
# and `apt-get purge` leaves no file, folder, hooks.d entry or monitor behind.
#
#   tests/package/test_deb.sh [DEB]      (root; DEB: use this .deb, do not build)
#
# Installing the package registers the hook for EVERY Podman container on the
# machine: the EXIT trap purges it whatever happens, and the test refuses to
# start where entryguard is installed already (it would purge someone's
# install).  meson runs it alone (is_parallel: false).  Containers get
# --network none or the test's sinkhole namespace only (tests/integration/lib.sh).
# Prints TAP; a missing prerequisite is a "Bail out!".
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/../integration/lib.sh"

PKG_DEB=${1:-}
PKG_INSTALLED_BY_US=
PKG_USER=egtest # the rootless Podman user (made when missing)
PKG_ROOTLESS_NAME=
PKG_LOCK=
PKG_RUN_DIR=/run/entryguard
PKG_LOG_DIR=/var/log/entryguard
PKG_ALERTS=$PKG_LOG_DIR/alerts.ndjson
PKG_CONFIG=/etc/entryguard/entryguard.json
PKG_HOOKS_JSON=/usr/share/containers/oci/hooks.d/entryguard.json
PKG_LIBEXEC=/usr/libexec/entryguard
PKG_MAN_PAGES=(/usr/share/man/man8/entryguard.8.gz /usr/share/man/man8/entryguard-hook.8.gz
	/usr/share/man/man8/entryguard-runtime.8.gz /usr/share/man/man5/entryguard.json.5.gz)

# ---- helpers -----------------------------------------------------------------

pkg_status() { # the package's dpkg status word: installed, config-files, ... or none
	local status
	status=$(dpkg-query -W -f='${db:Status-Status}' entryguard 2>/dev/null) || status=
	echo "${status:-none}"
}

# Monitors started through the package, rootful or rootless: comm
# "entryguard-moni" and either the package's executable (also once deleted)
# or the package's run directory on their command line.  TEXT, when given,
# must be on the command line too (a container's folder).
pkg_monitor_pids() {
	local text=${1:-} proc cmdline
	for proc in /proc/[0-9]*; do
		it_is_monitor_comm "$(cat "$proc/comm" 2>/dev/null)" || continue
		cmdline=$({ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null)
		case $(readlink "$proc/exe" 2>/dev/null) in
		"$PKG_LIBEXEC/entryguard-monitor"*) ;;
		*) grep -qF -- "$PKG_RUN_DIR/" <<<"$cmdline" || continue ;;
		esac
		[ -z "$text" ] || grep -qF -- "$text" <<<"$cmdline" || continue
		echo "${proc#/proc/}"
	done
	return 0
}

# Runs before lib.sh's cleanup: the package must never stay installed.
pkg_cleanup() {
	local status=$? pid
	# Before the lock, another test_deb.sh may own everything below.
	[ -n "$PKG_LOCK" ] || return "$status"
	for name in "${IT_PODMAN_NAMES[@]}"; do
		eg_podman rm -f -t 0 "$name" >/dev/null 2>&1
	done
	IT_PODMAN_NAMES=()
	if [ -n "$PKG_ROOTLESS_NAME" ]; then
		eg_as_user "$PKG_USER" "podman rm -f -t 0 $PKG_ROOTLESS_NAME" >/dev/null 2>&1
		eg_image_remove_podman "$IT_IMAGE" "$PKG_USER"
	fi
	if [ -n "$PKG_INSTALLED_BY_US" ] && [ "$(pkg_status)" != none ] &&
		[ "$(pkg_status)" != not-installed ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q entryguard >"$IT_DIR/logs/cleanup-purge.log" 2>&1 ||
			dpkg --purge entryguard >>"$IT_DIR/logs/cleanup-purge.log" 2>&1
		it_diag "cleanup: purged entryguard (the test did not get to do it)"
	fi
	for pid in $(pkg_monitor_pids); do
		kill -9 "$pid" 2>/dev/null
	done
	[ -z "$PKG_LOCK" ] || rm -rf "$PKG_LOCK"
	return "$status"
}

# One test_deb.sh at a time on a machine, whichever `meson test` (or person)
# started it: is_parallel only orders the tests of one meson run, and two of
# these would install and purge the one package under each other.  The lock
# is a folder holding the owner's pid (no fd that podman, conmon or a
# monitor could inherit and keep); a dead owner's lock is taken over.
pkg_lock() {
	local dir=/run/lock/entryguard-test-deb waited=0 holder
	until mkdir "$dir" 2>/dev/null; do
		holder=$(cat "$dir/pid" 2>/dev/null)
		if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
			rm -rf "$dir"
			continue
		fi
		[ "$waited" -gt 0 ] || it_diag "another test_deb.sh (pid ${holder:-?}) runs: waiting (at most 300 s)"
		[ "$waited" -lt 3000 ] || it_bail "another test_deb.sh (pid ${holder:-?}) still runs after 300 s"
		sleep 0.1
		waited=$((waited + 1))
	done
	echo $$ >"$dir/pid"
	PKG_LOCK=$dir
}

# pkg_wait TIMEOUT_S COMMAND...: polls COMMAND (0.1 s steps) until it succeeds.
pkg_wait() {
	local deadline
	deadline=$(($(it_now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(it_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# pkg_run NAME NETWORK ARGS...: a plain detached `podman run` of the test
# image: no --hooks-dir, no entryguard option, only the VM's ulimit quirk.
# NETWORK is "none" or "sink".  Sets PKG_CID; 1 when podman failed.
pkg_run() {
	local case_name=$1 network=$2 name=$IT_TAG-$1 option pid
	shift 2
	PKG_CID=
	case $network in
	none) option=none ;;
	sink)
		it_sinkhole_verify || it_bail "NETWORK GUARD: the sinkhole is not sealed"
		option=ns:$IT_SINK_PATH
		;;
	*) it_bail "NETWORK GUARD: network \"$network\" is neither the sinkhole nor none" ;;
	esac
	IT_PODMAN_NAMES+=("$name")
	# shellcheck disable=SC2086 # IT_ULIMITS is a list of flags
	if ! PKG_CID=$(eg_podman run -d --name "$name" --network "$option" $IT_ULIMITS "$IT_IMAGE" "$@" \
		2>"$IT_DIR/logs/$case_name.start") || [ -z "$PKG_CID" ]; then
		it_diag "podman run $name failed: $(cat "$IT_DIR/logs/$case_name.start")"
		return 1
	fi
	pid=$(eg_podman inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	it_guard_after_start "$pid" "$network"
}

# pkg_podman_wait NAME: until the container IT_TAG-NAME exited (20 s at most).
pkg_podman_wait() {
	timeout 20 env -i PATH="$EG_CLEAN_PATH" HOME=/root podman wait "$IT_TAG-$1" >/dev/null 2>&1
}

# ---- before: a machine without entryguard -----------------------------------

it_begin package
trap 'pkg_cleanup; it_cleanup' EXIT
pkg_lock
it_require podman dpkg dpkg-deb apt-get dpkg-buildpackage dh ip file python3 man groff logrotate
case $(pkg_status) in
none | not-installed) ;;
*) it_bail "entryguard is already installed ($(pkg_status)): this test installs and purges it; remove it first" ;;
esac
for leftover in "$PKG_HOOKS_JSON" /etc/containers/oci/hooks.d/entryguard.json /etc/entryguard \
	/usr/bin/entryguard "$PKG_LIBEXEC"; do
	[ ! -e "$leftover" ] || it_bail "$leftover exists (an install outside dpkg?): remove it first"
done
for leftover in "$PKG_LOG_DIR" "$PKG_RUN_DIR"; do
	[ ! -e "$leftover" ] || rmdir "$leftover" 2>/dev/null ||
		it_bail "$leftover exists and is not empty: remove it first"
done
[ -z "$(pkg_monitor_pids)" ] || it_bail "entryguard monitors are running already: $(pkg_monitor_pids)"
it_ok "no entryguard on the machine before the test"

# ---- build -------------------------------------------------------------------

if [ -z "$PKG_DEB" ]; then
	if PKG_DEB=$("$IT_SOURCE/packaging/build-deb.sh" "$IT_DIR/deb" 2>"$IT_DIR/logs/build-deb.err" | tail -n 1) &&
		[ -f "$PKG_DEB" ]; then
		it_ok "packaging/build-deb.sh built $(basename "$PKG_DEB")"
	else
		it_bail "packaging/build-deb.sh failed: $(tail -n 30 "$IT_DIR/logs/build-deb.err")"
	fi
fi
[ -f "$PKG_DEB" ] || it_bail "no such .deb: $PKG_DEB"

contents=$(dpkg-deb -c "$PKG_DEB" | awk '{ print $6 }' | sed 's|^\./|/|')
expected=(/usr/bin/entryguard "$PKG_LIBEXEC/entryguard-hook" "$PKG_LIBEXEC/entryguard-monitor"
	"$PKG_HOOKS_JSON" "$PKG_CONFIG" /etc/logrotate.d/entryguard /usr/lib/tmpfiles.d/entryguard.conf
	"${PKG_MAN_PAGES[@]}")
# The runtime wrapper, once the tree builds it.
grep -q "'entryguard-runtime'" "$IT_SOURCE/meson.build" && expected+=(/usr/bin/entryguard-runtime)
missing=()
for file in "${expected[@]}"; do
	grep -qxF -- "$file" <<<"$contents" || missing+=("$file")
done
if [ ${#missing[@]} -eq 0 ]; then
	it_ok "the .deb holds the programs, hooks.d entry, config, logrotate, tmpfiles.d and man pages (${#expected[@]} files)"
else
	it_not_ok "the .deb holds every file it should" "missing: ${missing[*]}"
fi
conffiles=$(dpkg-deb -I "$PKG_DEB" conffiles 2>/dev/null)
it_check "$PKG_CONFIG is a conffile" grep -qxF "$PKG_CONFIG" <<<"$conffiles"

# ---- install -----------------------------------------------------------------

PKG_INSTALLED_BY_US=1
deb_dir=$(dirname "$PKG_DEB")
if (cd "$deb_dir" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$(basename "$PKG_DEB")") \
	>"$IT_DIR/logs/install.log" 2>&1 && [ "$(pkg_status)" = installed ]; then
	it_ok "apt-get install ./$(basename "$PKG_DEB")"
else
	it_bail "apt-get install failed: $(tail -n 20 "$IT_DIR/logs/install.log")"
fi
mapfile -t package_files < <(dpkg -L entryguard)

if grep -qF "\"$PKG_LIBEXEC/entryguard-hook\"" "$PKG_HOOKS_JSON" 2>/dev/null &&
	[ -x "$PKG_LIBEXEC/entryguard-hook" ] && [ -x "$PKG_LIBEXEC/entryguard-monitor" ]; then
	it_ok "the hooks.d entry names the installed hook; hook and monitor are in $PKG_LIBEXEC"
else
	it_not_ok "the hooks.d entry names the installed hook" "$(cat "$PKG_HOOKS_JSON" 2>&1; ls -l "$PKG_LIBEXEC" 2>&1)"
fi
it_check "$PKG_LOG_DIR is a folder, mode 0750, owner root:adm" \
	test "$(stat -c '%F %a %U:%G' "$PKG_LOG_DIR" 2>&1)" = "directory 750 root:adm"
it_check "$PKG_RUN_DIR exists" test -d "$PKG_RUN_DIR"
if output=$(entryguard check-config 2>&1) && grep -qxF "$PKG_CONFIG: valid" <<<"$output"; then
	it_ok "entryguard check-config finds and accepts $PKG_CONFIG"
else
	it_not_ok "entryguard check-config finds and accepts $PKG_CONFIG" "$output"
fi
project_version=$(sed -n "s/^[[:space:]]*version: '\([^']*\)',.*/\1/p" "$IT_SOURCE/meson.build" | head -n 1)
it_check "entryguard version says $project_version" test "$(entryguard version 2>&1)" = "entryguard $project_version"
it_check "logrotate accepts /etc/logrotate.d/entryguard" logrotate -d /etc/logrotate.d/entryguard

for page in "${PKG_MAN_PAGES[@]}"; do
	name=$(basename "$page" .gz)
	output=$(MANWIDTH=80 man -l --warnings=w "$page" 2>&1 >"$IT_DIR/logs/$name.txt")
	if [ -f "$page" ] && [ -z "$output" ] && [ -s "$IT_DIR/logs/$name.txt" ]; then
		it_ok "man -l --warnings=w renders the installed $name without a warning"
	else
		it_not_ok "man -l --warnings=w renders the installed $name" "${output:-missing or empty: $page}"
	fi
done
# man finds them by name (mandb's index is not needed for that).
found=$(man -w entryguard-runtime 2>&1)
it_check "man -w entryguard-runtime finds the installed page ($found)" \
	test "$found" = /usr/share/man/man8/entryguard-runtime.8.gz

# ---- a plain podman run is watched -------------------------------------------

it_quirks
it_image podman

# A container that lives 3 s with --network none: while it runs the hook has
# made its folder, its monitor is alive and `entryguard status` lists it.
watched_status() {
	local cid=$1 line
	[ -f "$PKG_RUN_DIR/$cid/container.json" ] || return 1
	line=$(entryguard status 2>/dev/null | grep -F "${cid:0:12}") || return 1
	# The MONITOR column is a pid once the monitor runs ("starting", "gone(N)" otherwise).
	awk '{ exit !($7 ~ /^[0-9]+$/) }' <<<"$line"
}
if pkg_run watch none /s/child/entrypoint.sh /bin/sleep 3; then
	cid=$PKG_CID
	if pkg_wait 10 watched_status "$cid"; then
		monitor=$(entryguard status | grep -F "${cid:0:12}" | awk '{ print $7 }')
		it_ok "podman run (no flags): watched; entryguard status lists it with monitor $monitor"
		config_path=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("config_path"))' \
			"$PKG_RUN_DIR/$cid/container.json" 2>&1)
		it_check "the hook read $PKG_CONFIG (container.json: config_path $config_path)" \
			test "$config_path" = "$PKG_CONFIG"
		if grep -qF "$PKG_RUN_DIR/$cid" "/proc/$monitor/cmdline" 2>/dev/null &&
			[ "$(readlink "/proc/$monitor/exe")" = "$PKG_LIBEXEC/entryguard-monitor" ]; then
			it_ok "the monitor is the package's, for this container's folder"
		else
			it_not_ok "the monitor is the package's, for this container's folder" \
				"exe $(readlink "/proc/$monitor/exe" 2>&1); cmdline $(tr '\0' ' ' <"/proc/$monitor/cmdline" 2>&1)"
		fi
	else
		it_not_ok "podman run (no flags): watched" \
			"status: $(entryguard status 2>&1)
run dir: $(ls -la "$PKG_RUN_DIR" 2>&1)
logs: $(eg_podman logs "$IT_TAG-watch" 2>&1 | tail -n 5)"
	fi
	if pkg_podman_wait watch &&
		pkg_wait 5 test ! -e "$PKG_RUN_DIR/$cid" && [ -z "$(pkg_monitor_pids)" ]; then
		it_ok "after the container exited, its monitor is gone and its folder removed"
	else
		it_not_ok "after the container exited, its monitor is gone and its folder removed" \
			"monitors: $(pkg_monitor_pids | tr '\n' ' '); run dir: $(ls -A "$PKG_RUN_DIR" 2>&1)"
	fi
	eg_podman rm -f -t 0 "$IT_TAG-watch" >/dev/null 2>&1
else
	it_not_ok "podman run (no flags): the container started"
fi

# ---- a plain rootless podman run: observed -----------------------------------

# Rootless Podman runs the same hooks.d entry, as root inside the user's
# namespace, with the run directory in the user's runtime folder.  Whether
# the monitor can watch there depends on the kernel (a proc connector
# subscription from a child user namespace is refused on some kernels, and
# the monitor then refuses to start rather than watch nothing: see
# docs/DETECTION.md), so this part is reported, not counted: "# observed".
eg_ensure_user "$PKG_USER" || it_bail "cannot make the user $PKG_USER"
PKG_ROOTLESS_NAME=$IT_TAG-rootless # from here on the cleanup removes the user's image
eg_image_import_podman "$IT_DIR/rootfs.tar" "$IT_IMAGE" "$PKG_USER" ||
	it_bail "cannot import the image for $PKG_USER"
cid=$(eg_as_user "$PKG_USER" "podman run -d --name $PKG_ROOTLESS_NAME --network none \
	$IT_IMAGE /s/child/entrypoint.sh /bin/sleep 3" 2>"$IT_DIR/logs/rootless.start" | tail -n 1)
if [ -z "$cid" ]; then
	it_not_ok "rootless podman run: the container started" "$(cat "$IT_DIR/logs/rootless.start")"
elif pkg_wait 5 test -n "$(pkg_monitor_pids "/entryguard/$cid")"; then
	monitor=$(pkg_monitor_pids "/entryguard/$cid")
	it_diag "observed: rootless podman run (no flags): watched by monitor $monitor"
else
	it_diag "observed: rootless podman run (no flags): NOT watched (no monitor; the hook logs why to syslog)"
fi
if [ -n "$cid" ]; then
	eg_as_user "$PKG_USER" "timeout 20 podman wait $PKG_ROOTLESS_NAME" >/dev/null 2>&1
	if pkg_wait 5 test -z "$(pkg_monitor_pids "/entryguard/$cid")"; then
		it_ok "after the rootless container exited, no monitor of it is left"
	else
		it_not_ok "after the rootless container exited, no monitor of it is left" \
			"$(pkg_monitor_pids "/entryguard/$cid")"
	fi
	eg_as_user "$PKG_USER" "podman rm -f -t 0 $PKG_ROOTLESS_NAME" >/dev/null 2>&1
fi

# ---- an attempt from the sinkhole lands in the alerts file -------------------

it_sinkhole_up
alert_count() {
	[ -f "$PKG_ALERTS" ] || {
		echo 0
		return
	}
	$IT_JSON count "$PKG_ALERTS" "$1" "$IT_PUBLIC4"
}
if pkg_run alert sink /s/child/entrypoint.sh /bin/egprobe tcp "$IT_PUBLIC4" 80 1500; then
	cid=$PKG_CID
	if pkg_wait 15 test "$(alert_count "$cid")" -ge 1; then
		it_ok "a child of entrypoint.sh reaching $IT_PUBLIC4:80: an alert in $PKG_ALERTS"
		# shellcheck disable=SC2086 # IT_JSON is "python3 itjson.py"
		it_check "the alert names the container, the process, its parent and the destination" \
			$IT_JSON expect "$PKG_ALERTS" "$cid" "$IT_PUBLIC4" \
			"container.id==$cid" "container.name==$IT_TAG-alert" "event.kind==alert" \
			"process.name==egprobe" "process.parent.name==entrypoint.sh" \
			"process.parent.entity_id==@process.entry_leader.entity_id" \
			"destination.port==80" "network.transport==tcp" "entryguard.action==alert"
		table=$(entryguard alerts 2>&1)
		if grep -qF "$IT_TAG-alert" <<<"$table" && grep -qF "$IT_PUBLIC4:80" <<<"$table"; then
			it_ok "entryguard alerts shows it from the default alerts file"
		else
			it_not_ok "entryguard alerts shows it from the default alerts file" "$table"
		fi
		it_check "$PKG_ALERTS: mode 0640" test "$(stat -c %a "$PKG_ALERTS" 2>&1)" = 640
	else
		it_not_ok "a child of entrypoint.sh reaching $IT_PUBLIC4:80: an alert in $PKG_ALERTS" \
			"alerts file: $(tail -n 3 "$PKG_ALERTS" 2>&1)
logs: $(eg_podman logs "$IT_TAG-alert" 2>&1 | tail -n 5)"
	fi
	pkg_podman_wait alert
	eg_podman rm -f -t 0 "$IT_TAG-alert" >/dev/null 2>&1
else
	it_not_ok "podman run in the sinkhole: the container started"
fi
IT_PODMAN_NAMES=()
pkg_wait 5 test -z "$(pkg_monitor_pids)" ||
	it_not_ok "every monitor gone once the containers were removed" "$(pkg_monitor_pids | tr '\n' ' ')"

# ---- purge leaves nothing ----------------------------------------------------

if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q entryguard >"$IT_DIR/logs/purge.log" 2>&1 &&
	{ [ "$(pkg_status)" = none ] || [ "$(pkg_status)" = not-installed ]; }; then
	it_ok "apt-get purge -y entryguard"
	PKG_INSTALLED_BY_US=
else
	it_not_ok "apt-get purge -y entryguard (status $(pkg_status))" "$(tail -n 20 "$IT_DIR/logs/purge.log")"
fi
left=()
for file in "${package_files[@]}"; do
	# The package's own files; shared folders such as /usr/bin stay.
	[ -d "$file" ] && [ ! -L "$file" ] && continue
	[ ! -e "$file" ] && [ ! -L "$file" ] || left+=("$file")
done
for folder in /etc/entryguard "$PKG_LOG_DIR" "$PKG_RUN_DIR" "$PKG_LIBEXEC" /usr/share/entryguard \
	/usr/share/doc/entryguard; do
	[ ! -e "$folder" ] || left+=("$folder")
done
if [ ${#package_files[@]} -gt 10 ] && [ ${#left[@]} -eq 0 ]; then
	it_ok "nothing left of the ${#package_files[@]} paths dpkg listed, nor /etc/entryguard, $PKG_LOG_DIR, $PKG_RUN_DIR"
else
	it_not_ok "nothing left after purge (dpkg listed ${#package_files[@]} paths)" "left: ${left[*]}"
fi
it_check "no hooks.d entry left" test ! -e "$PKG_HOOKS_JSON"
it_check "no entryguard monitor running" test -z "$(pkg_monitor_pids)"

# A container started now is not watched: the hook is no longer registered.
if pkg_run after-purge none /s/child/entrypoint.sh /bin/sleep 1; then
	pkg_podman_wait after-purge
	it_check "a podman run after the purge is not watched (no $PKG_RUN_DIR, no monitor)" \
		test ! -e "$PKG_RUN_DIR" -a -z "$(pkg_monitor_pids)"
else
	it_not_ok "podman run after the purge: the container started"
fi

it_end
