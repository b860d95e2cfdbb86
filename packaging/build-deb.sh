#!/usr/bin/env bash
# Builds the Debian package from this tree:
#
#   packaging/build-deb.sh OUTPUT_DIR
#
# Copies the tree (the files git knows or would add, so no build folders; a
# plain copy without build*/ outside a git checkout) into a temporary folder
# with packaging/debian/ as debian/, runs `dpkg-buildpackage -us -uc -b`
# there, and moves entryguard_*.deb (with its .buildinfo and .changes) into
# OUTPUT_DIR.  Prints the .deb's path last.  Needs the Build-Depends of
# packaging/debian/control (dpkg-checkbuilddeps names any that is missing)
# and dpkg-dev; not root.  The log is OUTPUT_DIR/build-deb.log.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
output=${1:-}
[ -n "$output" ] || {
	echo "usage: packaging/build-deb.sh OUTPUT_DIR" >&2
	exit 2
}
mkdir -p "$output"
output=$(cd "$output" && pwd)
log=$output/build-deb.log

for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "build-deb: $tool is missing (apt-get install dpkg-dev debhelper)" >&2
		exit 1
	}
done

# The package's version is the project's: a changelog left behind by a
# version bump would ship the wrong number.
meson_version=$(sed -n "s/^[[:space:]]*version: '\([^']*\)',.*/\1/p" "$top/meson.build" | head -n 1)
package_version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
if [ "${package_version%%-*}" != "$meson_version" ]; then
	echo "build-deb: packaging/debian/changelog says $package_version, meson.build $meson_version" >&2
	exit 1
fi

scratch=$(mktemp -d /tmp/entryguard-deb.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
source_dir=$scratch/entryguard-$meson_version
mkdir -p "$source_dir"

if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked and new files, as they are in the work tree; ignored ones
	# (build folders, fuzz output) stay out.  Deleted ones are skipped.
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' file; do
			[ -e "$file" ] || [ -L "$file" ] || continue
			printf '%s\0' "$file"
		done | tar --null -T - -cf -) | tar -C "$source_dir" -xf -
else
	tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$source_dir" -xf -
fi
rm -rf "$source_dir/debian"
cp -a "$top/packaging/debian" "$source_dir/debian"

echo "build-deb: building entryguard $package_version in $source_dir (log: $log)" >&2
if ! (cd "$source_dir" &&
	DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $log" >&2
	exit 1
fi

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=entryguard_${package_version}_$arch.deb
for file in "$deb" "entryguard_${package_version}_$arch.buildinfo" \
	"entryguard_${package_version}_$arch.changes"; do
	[ -e "$scratch/$file" ] && mv -f "$scratch/$file" "$output/"
done
# A debug symbols package, when debhelper made one.
for file in "$scratch"/entryguard-dbgsym_*.deb; do
	[ -e "$file" ] && mv -f "$file" "$output/"
done
[ -f "$output/$deb" ] || {
	echo "build-deb: dpkg-buildpackage made no $deb; see $log" >&2
	exit 1
}
echo "$output/$deb"
