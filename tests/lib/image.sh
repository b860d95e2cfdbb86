# shellcheck shell=dash
# Uses `local`, which dash, bash and busybox ash all support.
# A tiny local test image from busybox-static: no registry, no network.
# Source this file (it needs tests/lib/common.sh sourced first), then:
#
#   eg_image_build_rootfs ROOTFS [ENTRYPOINT_FILE]
#       makes ROOTFS/ with /bin/busybox (static), applet links, /entrypoint.sh
#       (ENTRYPOINT_FILE, or a default that runs its arguments as a child and exits
#       with their status) and empty /proc /sys /dev /tmp /etc.
#   eg_image_tar ROOTFS TARBALL
#   eg_image_import_podman TARBALL IMAGE [USER]
#       imports TARBALL as IMAGE (e.g. localhost/eg-test:latest) into root's Podman
#       storage, or USER's rootless storage when USER is given.
#   eg_image_build IMAGE WORKDIR [USER] [ENTRYPOINT_FILE]
#       all of the above: WORKDIR/rootfs, WORKDIR/rootfs.tar, then the import.
#   eg_image_save_oci IMAGE ARCHIVE
#       writes root's Podman IMAGE as an OCI archive (what containerd imports).
#   eg_image_import_containerd ARCHIVE IMAGE CTR-GLOBAL-ARGS...
#       ctr images import with --base-name, e.g.
#       eg_image_import_containerd img.tar localhost/eg-test:latest -a SOCK -n NS
#   eg_image_remove_podman IMAGE [USER]

EG_IMAGE_DEFAULT=localhost/eg-test:latest
EG_IMAGE_APPLETS="sh cat echo env false id kill ls mkdir nc ps rm sleep sync tee test true wget"

eg_image_busybox() {
	local candidate
	for candidate in /bin/busybox /usr/bin/busybox; do
		if [ -x "$candidate" ] && file -L "$candidate" 2>/dev/null | grep -q 'statically linked'; then
			echo "$candidate"
			return 0
		fi
	done
	echo "image: no static busybox (apt-get install busybox-static)" >&2
	return 1
}

eg_image_build_rootfs() {
	local rootfs="${1:-}" entrypoint_file="${2:-}" busybox applet
	busybox=$(eg_image_busybox) || return 1
	rm -rf "$rootfs" &&
		mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp" "$rootfs/etc" &&
		cp "$busybox" "$rootfs/bin/busybox" || return 1
	chmod 1777 "$rootfs/tmp"
	for applet in $EG_IMAGE_APPLETS; do
		ln -s busybox "$rootfs/bin/$applet" || return 1
	done
	if [ -n "$entrypoint_file" ]; then
		cp "$entrypoint_file" "$rootfs/entrypoint.sh" || return 1
	else
		cat >"$rootfs/entrypoint.sh" <<'EOF'
#!/bin/sh
# Default test entrypoint: runs its arguments as a child (not exec), so the
# entrypoint stays the parent of what it starts.
[ "$#" -gt 0 ] || exit 0
"$@"
EOF
	fi
	chmod 0755 "$rootfs/entrypoint.sh"
}

eg_image_tar() {
	tar --numeric-owner --owner=0 --group=0 -C "$1" -cf "$2" .
}

eg_image_import_podman() {
	local tarball="${1:-}" image="${2:-$EG_IMAGE_DEFAULT}" user="${3:-}" user_tar status
	if [ -n "$user" ]; then
		# The user must be able to read the tarball; the caller's dirs may be private.
		user_tar=$(eg_as_user "$user" 'mktemp /tmp/eg-image.XXXXXX.tar') || return 1
		cat "$tarball" >"$user_tar" || return 1
		eg_as_user "$user" "podman import --quiet $(eg_quote "$user_tar" "$image") >/dev/null"
		status=$?
		rm -f "$user_tar"
		return $status
	fi
	podman import --quiet "$tarball" "$image" >/dev/null
}

eg_image_build() {
	local image="${1:-$EG_IMAGE_DEFAULT}" workdir="${2:-}" user="${3:-}" entrypoint_file="${4:-}"
	mkdir -p "$workdir" &&
		eg_image_build_rootfs "$workdir/rootfs" "$entrypoint_file" &&
		eg_image_tar "$workdir/rootfs" "$workdir/rootfs.tar" &&
		eg_image_import_podman "$workdir/rootfs.tar" "$image" "$user"
}

eg_image_save_oci() {
	rm -f "$2"
	podman save --quiet --format oci-archive -o "$2" "$1" >/dev/null
}

eg_image_import_containerd() {
	local archive="${1:-}" image="${2:-}"
	shift 2
	# --base-name names the image after the archive's ref.name annotation (the tag).
	ctr "$@" images import --base-name "${image%:*}" "$archive" >/dev/null
}

eg_image_remove_podman() {
	local image="${1:-$EG_IMAGE_DEFAULT}" user="${2:-}"
	if [ -n "$user" ]; then
		eg_as_user "$user" "podman rmi -f $(eg_quote "$image") >/dev/null 2>&1"
	else
		podman rmi -f "$image" >/dev/null 2>&1
	fi
	return 0
}
