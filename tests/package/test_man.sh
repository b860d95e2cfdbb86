#!/usr/bin/env bash
# The man pages render without a warning, and say what the code has:
#
#   test_man.sh SOURCE_ROOT PAGE...
#
# For each built PAGE: groff (with tbl, every warning on) and man(1) render it
# with nothing on stderr, and lexgrog finds its NAME line (whatis, apropos).
# entryguard.json(5) names every key of packaging/entryguard.json and every
# exception field the config loader accepts (policy/config.c); entryguard(8)
# names every command of cli/main.c; every ENTRYGUARD_* variable the code reads
# appears in some page.  TAP; a missing tool or file is a "Bail out!".
set -uo pipefail

source_root=${1:-}
shift || true
if [ -z "$source_root" ] || [ $# -eq 0 ]; then
	echo "Bail out! usage: test_man.sh SOURCE_ROOT PAGE..."
	exit 1
fi
for tool in groff man lexgrog python3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "Bail out! missing $tool (apt-get install groff-base man-db python3)"
		exit 1
	}
done

count=0
failed=0
ok() {
	count=$((count + 1))
	echo "ok $count - $1"
}
not_ok() { # not_ok DESCRIPTION [DIAGNOSTICS]
	count=$((count + 1))
	failed=$((failed + 1))
	echo "not ok $count - $1"
	[ -z "${2:-}" ] || while IFS= read -r line; do echo "# $line"; done <<<"$2"
}

work=$(mktemp -d /tmp/eg-man.XXXXXX) || {
	echo "Bail out! mktemp failed"
	exit 1
}
trap 'rm -rf "$work"' EXIT

# rendered NAME: the page as text, 80 columns, no formatting.
declare -A rendered=()
for page in "$@"; do
	name=$(basename "$page")
	[ -s "$page" ] || {
		not_ok "$name: built" "no such file or empty: $page"
		continue
	}
	if warnings=$(groff -ww -z -t -man "$page" 2>&1) && [ -z "$warnings" ]; then
		ok "$name: groff -ww -t -man renders it without a warning"
	else
		not_ok "$name: groff -ww -t -man renders it without a warning" "$warnings"
	fi
	# -rHY=0: no hyphenation, so that a key's name is never cut in the text.
	MANWIDTH=80 MAN_KEEP_FORMATTING='' MANROFFOPT=-rHY=0 man -l --warnings=w "$page" \
		>"$work/$name.txt" 2>"$work/$name.err"
	status=$?
	if [ "$status" -eq 0 ] && [ ! -s "$work/$name.err" ] && [ -s "$work/$name.txt" ]; then
		ok "$name: man -l --warnings=w (every warning) renders it cleanly"
	else
		not_ok "$name: man -l --warnings=w (every warning) renders it cleanly" \
			"exit $status: $(cat "$work/$name.err")"
	fi
	rendered[$name]=$work/$name.txt
	if whatis=$(lexgrog "$page" 2>&1); then
		ok "$name: lexgrog finds its NAME line (${whatis#*: })"
	else
		not_ok "$name: lexgrog finds its NAME line" "$whatis"
	fi
done

# expect_names PAGE WHAT NAME...: each NAME appears in PAGE's text.
expect_names() {
	local page=$1 what=$2 file missing=() name
	shift 2
	file=${rendered[$page]:-}
	if [ -z "$file" ]; then
		not_ok "$page names $what" "$page was not rendered"
		return
	fi
	for name in "$@"; do
		grep -qF -- "$name" "$file" || missing+=("$name")
	done
	if [ $# -eq 0 ]; then
		not_ok "$page names $what" "found nothing to look for in the sources"
	elif [ ${#missing[@]} -eq 0 ]; then
		ok "$page names $what ($#)"
	else
		not_ok "$page names $what" "missing: ${missing[*]}"
	fi
}

# Every key of the default config, nested ones as "alerts.path".
mapfile -t config_keys < <(python3 - "$source_root/packaging/entryguard.json" <<'PY'
import json, sys
def walk(value, prefix):
    for key, member in value.items():
        yield prefix + key
        if isinstance(member, dict):
            yield from walk(member, prefix + key + ".")
for key in walk(json.load(open(sys.argv[1])), ""):
    print(key)
PY
)
expect_names entryguard.json.5 "every key of packaging/entryguard.json" "${config_keys[@]}"

# The exception fields, from the loader's own list.
mapfile -t exception_keys < <(python3 - "$source_root/policy/config.c" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"exception_keys\[\]\s*=\s*\{(.*?)\}", text, re.S)
print("\n".join(re.findall(r'"([a-z_]+)"', block.group(1)) if block else []))
PY
)
expect_names entryguard.json.5 "every exception field of policy/config.c" "${exception_keys[@]}"

# The CLI's commands, from cli/main.c's table.
mapfile -t commands < <(sed -n 's/^[[:space:]]*{"\([a-z-]*\)", [a-z_]*, ".*$/\1/p' "$source_root/cli/main.c")
expect_names entryguard.8 "every command of cli/main.c" "${commands[@]}"

# Every ENTRYGUARD_* variable the code reads, in some page.
mapfile -t variables < <(grep -rhoE 'getenv\("ENTRYGUARD_[A-Z_]+"\)' \
	"$source_root"/{lib,policy,oci,hook,monitor,cli} 2>/dev/null |
	sed 's/getenv("\(.*\)")/\1/' | sort -u)
missing=()
for variable in "${variables[@]}"; do
	grep -qF -- "$variable" "${rendered[@]}" 2>/dev/null || missing+=("$variable")
done
if [ ${#variables[@]} -eq 0 ]; then
	not_ok "the pages name every ENTRYGUARD_* variable" "found no getenv() in the sources"
elif [ ${#missing[@]} -eq 0 ]; then
	ok "the pages name every ENTRYGUARD_* variable the code reads (${variables[*]})"
else
	not_ok "the pages name every ENTRYGUARD_* variable the code reads" "missing: ${missing[*]}"
fi

echo "1..$count"
[ "$failed" -eq 0 ]
