#!/usr/bin/env bash
# Fails when a tracked C source or header differs from what .clang-format
# asks; prints the files and how to fix them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
bad=()
for file in "${files[@]}"; do
	[ -f "$file" ] || continue
	if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
		bad+=("$file")
	fi
done
if [ ${#bad[@]} -gt 0 ]; then
	echo "not ok - clang-format: ${#bad[@]} file(s) need formatting (clang-format -i FILE):"
	printf '  %s\n' "${bad[@]}"
	exit 1
fi
echo "ok - clang-format: ${#files[@]} files formatted"
