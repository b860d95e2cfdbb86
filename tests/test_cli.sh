#!/usr/bin/env bash
# The entryguard command as users run it: output, one-line errors, exit codes.
# Usage: test_cli.sh ENTRYGUARD_BINARY SOURCE_ROOT   (prints TAP)
set -u
entryguard=$1
source_root=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
count=0
failures=0

# check NAME EXPECTED_EXIT EXPECTED_STDOUT EXPECTED_STDERR -- COMMAND...
check() {
	local name=$1 want_exit=$2 want_out=$3 want_err=$4
	shift 5
	local out err status
	out=$("$@" 2>"$scratch/stderr")
	status=$?
	err=$(cat "$scratch/stderr")
	count=$((count + 1))
	if [ "$status" = "$want_exit" ] && [ "$out" = "$want_out" ] && [ "$err" = "$want_err" ]; then
		echo "ok $count - $name"
	else
		failures=$((failures + 1))
		echo "not ok $count - $name"
		printf '# exit %s (wanted %s)\n# stdout: %s\n# wanted: %s\n# stderr: %s\n# wanted: %s\n' \
			"$status" "$want_exit" "$out" "$want_out" "$err" "$want_err" | sed '2,$s/^/# /'
	fi
}

check "version" 0 "entryguard 0.1.0" "" -- "$entryguard" version
check "no command is a usage error" 2 "" "$("$entryguard" 2>&1 >/dev/null)" -- "$entryguard"
check "unknown command" 2 "" "$("$entryguard" frobnicate 2>&1 >/dev/null)" -- "$entryguard" frobnicate

check "classify public, excluded, mapped, unspecified" 0 \
	"1.1.1.1 public
169.254.169.254 excluded 169.254.0.0/16
::ffff:10.0.0.1 excluded 10.0.0.0/8
2606:4700::1111 public
192.0.0.9 excluded 192.0.0.9/32
0.0.0.0 unspecified" "" \
	-- "$entryguard" classify 1.1.1.1 169.254.169.254 ::ffff:10.0.0.1 2606:4700::1111 192.0.0.9 0.0.0.0
check "classify goes on past a bad address, exit 1" 1 "8.8.8.8 public" \
	'entryguard: classify: "1.2.3": not an IPv4 or IPv6 address' \
	-- "$entryguard" classify 1.2.3 8.8.8.8
check "classify without an address is a usage error" 2 "" \
	"$("$entryguard" classify 2>&1 >/dev/null)" -- "$entryguard" classify

check "check-config accepts the packaged default" 0 \
	"$source_root/packaging/entryguard.json: valid
  mode detect, window 3000 ms, lineage children, 1 entrypoint name, 27 excluded ranges, 0 exceptions, annotations never" "" \
	-- "$entryguard" check-config "$source_root/packaging/entryguard.json"
printf '{"window_ms": "abc"}' >"$scratch/bad.json"
check "check-config names the key" 1 "" \
	"entryguard: check-config: $scratch/bad.json: window_ms: expected a positive integer, got \"abc\"" \
	-- "$entryguard" check-config "$scratch/bad.json"
printf '{"alerts": {"pth": "/x"}}' >"$scratch/typo.json"
check "check-config refuses an unknown key" 1 "" \
	"entryguard: check-config: $scratch/typo.json: alerts: unknown key \"pth\"" \
	-- "$entryguard" check-config "$scratch/typo.json"
check "check-config on a missing file" 1 "" \
	"entryguard: check-config: $scratch/none.json: cannot open: No such file or directory" \
	-- "$entryguard" check-config "$scratch/none.json"
check "check-config via ENTRYGUARD_CONFIG" 1 "" \
	"entryguard: check-config: $scratch/bad.json: window_ms: expected a positive integer, got \"abc\"" \
	-- env ENTRYGUARD_CONFIG="$scratch/bad.json" "$entryguard" check-config
head -c 2000000 /dev/zero | tr '\0' ' ' >"$scratch/huge.json"
check "check-config refuses an oversized file" 1 "" \
	"$("$entryguard" check-config "$scratch/huge.json" 2>&1 >/dev/null)" \
	-- "$entryguard" check-config "$scratch/huge.json"
count=$((count + 1))
if "$entryguard" check-config "$scratch/huge.json" 2>&1 | grep -q 'larger than'; then
	echo "ok $count - the oversized-file error says why"
else
	failures=$((failures + 1))
	echo "not ok $count - the oversized-file error says why"
fi

echo "1..$count"
[ "$failures" -eq 0 ]
