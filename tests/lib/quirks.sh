# shellcheck shell=dash
# Uses `local`, which dash, bash and busybox ash all support.
# Fixes for the two quirks of the project's test VMs (see /work/shared/TESTBED.md).
# Source this file, then call the functions you need. Each one is idempotent and a
# no-op on hosts that do not have the quirk.
#
#   eg_quirk_cgroup_hybrid         crun refuses "cgroups in hybrid mode" when a v1 host
#                                  has a controller (hugetlb here) on the v2 hierarchy;
#                                  mounts that controller as v1 so crun is happy.
#   eg_quirk_podman_ulimits DIR    writes DIR/containers.conf (the system one plus
#                                  default_ulimits within root's hard limits) and
#                                  exports CONTAINERS_CONF pointing at it.
#   eg_quirk_podman_ulimit_flags   prints the same limits as podman run flags, for
#                                  callers that prefer flags to CONTAINERS_CONF.

# Runs as root only; prints what it did on stderr.
eg_quirk_cgroup_hybrid() {
	local controllers_file controllers controller
	controllers_file=/sys/fs/cgroup/unified/cgroup.controllers
	[ -r "$controllers_file" ] || return 0
	controllers=$(cat "$controllers_file")
	[ -n "$controllers" ] || return 0
	for controller in $controllers; do
		if grep -qs " /sys/fs/cgroup/$controller cgroup " /proc/self/mounts; then
			continue
		fi
		# A controller can be mounted on only one hierarchy. Mounting it as v1
		# takes it off cgroup2 (it was not in use there), which is what crun needs.
		if ! mkdir -p "/sys/fs/cgroup/$controller" ||
			! mount -t cgroup -o "$controller" cgroup "/sys/fs/cgroup/$controller"; then
			echo "quirks: cannot mount cgroup v1 controller $controller" >&2
			return 1
		fi
		echo "quirks: mounted cgroup v1 controller $controller (hybrid cgroup fix for crun)" >&2
	done
}

# Soft and hard limits for rootful Podman. root here lacks CAP_SYS_RESOURCE, so the
# limits must be at or under the current hard limits; Podman's defaults
# (NOFILE 1048576) are not.
eg_quirk_ulimit_values() {
	local hard_nofile hard_nproc nofile nproc
	# /proc/self/limits rather than `ulimit -Hu`, which dash lacks.
	hard_nofile=$(awk '/^Max open files/ { print $5 }' /proc/self/limits)
	hard_nproc=$(awk '/^Max processes/ { print $4 }' /proc/self/limits)
	nofile=1024
	nproc=1000
	[ "$hard_nofile" = unlimited ] || [ "$hard_nofile" -ge "$nofile" ] || nofile=$hard_nofile
	[ "$hard_nproc" = unlimited ] || [ "$hard_nproc" -ge "$nproc" ] || nproc=$hard_nproc
	echo "$nofile $nproc"
}

eg_quirk_podman_ulimit_flags() {
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(eg_quirk_ulimit_values)
	echo "--ulimit nofile=$1:$1 --ulimit nproc=$2:$2"
}

# CONTAINERS_CONF replaces (does not extend) the system containers.conf files, so
# the file written here starts from the system one and adds default_ulimits to its
# [containers] table; everything else (capabilities, sysctls) stays as installed.
eg_quirk_podman_ulimits() {
	local conf_dir="${1:-}" limits_line system_conf candidate
	[ -n "$conf_dir" ] || {
		echo "quirks: eg_quirk_podman_ulimits needs a directory" >&2
		return 1
	}
	mkdir -p "$conf_dir" || return 1
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(eg_quirk_ulimit_values)
	limits_line="default_ulimits = [ \"nofile=$1:$1\", \"nproc=$2:$2\" ]"
	system_conf=
	for candidate in /etc/containers/containers.conf /usr/share/containers/containers.conf; do
		if [ -r "$candidate" ]; then
			system_conf=$candidate
			break
		fi
	done
	{
		echo "# Written by tests/lib/quirks.sh from ${system_conf:-nothing}: adds default_ulimits."
		if [ -n "$system_conf" ] && grep -q '^\[containers\]' "$system_conf"; then
			grep -v '^[[:space:]]*default_ulimits[[:space:]]*=' "$system_conf" |
				sed "/^\[containers\]/a $limits_line"
		else
			[ -z "$system_conf" ] || grep -v '^[[:space:]]*default_ulimits[[:space:]]*=' "$system_conf"
			echo "[containers]"
			echo "$limits_line"
		fi
	} >"$conf_dir/containers.conf.tmp" && mv "$conf_dir/containers.conf.tmp" "$conf_dir/containers.conf" || return 1
	CONTAINERS_CONF=$conf_dir/containers.conf
	export CONTAINERS_CONF
}
