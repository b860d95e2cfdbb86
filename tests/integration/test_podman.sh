#!/usr/bin/env bash
# Detection end to end with rootful Podman: test_podman.sh crun|runc
# entryguard is installed into a private prefix and registered through a
# private `podman --hooks-dir` whose entry sets ENTRYGUARD_CONFIG and
# ENTRYGUARD_RUN_DIR, so nothing touches the host's /etc, /run or hooks.d.
# Every container runs in the test's sinkhole namespace or with
# --network none.  Prints TAP.
set -u
runtime=${1:-}
case $runtime in
crun | runc) ;;
*)
	echo "usage: test_podman.sh crun|runc" >&2
	exit 2
	;;
esac
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/cases.sh
source "$(dirname "$0")/cases.sh"

it_begin "podman-$runtime"
it_require podman "$runtime" ip file python3 meson ninja
IT_RUNNER=podman-$runtime
it_quirks
it_install
it_check_install
if grep -qF "\"$IT_HOOK\"" "$IT_HOOKS_JSON" 2>/dev/null && grep -q createRuntime "$IT_HOOKS_JSON"; then
	it_ok "the installed hooks.d entry names the installed hook, stage createRuntime"
else
	it_not_ok "the installed hooks.d entry names the installed hook, stage createRuntime" \
		"$(cat "$IT_HOOKS_JSON" 2>&1)"
fi
it_image podman
it_sinkhole_up
it_standard_cases
it_end
