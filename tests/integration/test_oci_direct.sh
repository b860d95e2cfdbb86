#!/usr/bin/env bash
# Detection end to end with runc or crun run directly (no engine):
# test_oci_direct.sh runc|crun.  Each container's bundle comes from `RUNTIME
# spec`, shares one read-only rootfs, and names entryguard-hook as a
# createRuntime hook in config.json with the test's ENTRYGUARD_CONFIG and
# ENTRYGUARD_RUN_DIR.  The network namespace is the test's sinkhole or a new
# empty one, checked on every config.json before it runs.  Prints TAP.
set -u
runtime=${1:-}
case $runtime in
crun | runc) ;;
*)
	echo "usage: test_oci_direct.sh runc|crun" >&2
	exit 2
	;;
esac
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/cases.sh
source "$(dirname "$0")/cases.sh"

it_begin "oci-$runtime"
it_require "$runtime" ip file python3 meson ninja
IT_RUNNER=$runtime
it_quirks
it_install
it_check_install
it_image
it_sinkhole_up
it_standard_cases
it_end
