# shellcheck shell=bash
# The Debian packages entryguard's build and tests need, in one place, and
# the function that installs whichever are missing (the test command and the
# demo both start from a bare Debian 12 machine).

EG_BUILD_PACKAGES=(
	meson ninja-build pkg-config gcc clang clang-format libclang-rt-14-dev git python3
	libseccomp-dev libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libnl-idiag-3-dev
	libyajl-dev libcap-dev libcmocka-dev iproute2 busybox-static gcc-multilib
	scdoc man-db debhelper dpkg-dev
)

# What the integration tests and the demo run containers with.
EG_RUNTIME_PACKAGES=(
	podman crun runc conmon containernetworking-plugins uidmap fuse-overlayfs containerd
	busybox-static iproute2 python3 file logrotate
	python3-grpcio python3-protobuf protobuf-compiler docker.io
	passwd procps util-linux
)

# Installs the packages given that dpkg does not report as installed.
eg_ensure_packages() {
	local missing=() package
	for package in "$@"; do
		dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$package")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "entryguard: missing packages (${missing[*]}); run as root to install them" >&2
		return 1
	fi
	echo "entryguard: installing ${missing[*]}"
	# No package may start its service (docker.io would start dockerd with its
	# default bridge and iptables rules, containerd a system daemon): a
	# policy-rc.d that refuses every start, for this install only, unless the
	# machine has one already.
	local policy=/usr/sbin/policy-rc.d made_policy="" status
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# entryguard tests: no service starts on install\nexit 101\n' >"$policy" &&
			chmod 0755 "$policy" && made_policy=1
	fi
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	status=$?
	[ -z "$made_policy" ] || rm -f "$policy"
	return $status
}
