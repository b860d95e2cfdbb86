#!/usr/bin/env bash
# The scenario corpus (tests/scenarios/) as a test: tests/scenarios/run.sh
# three times, one after the other, through rootful Podman + crun:
#
#   seccomp/detect  entryguard-runtime, detect mode: every positive case
#                   alerts (caught), no negative case does
#   seccomp/block   entryguard-runtime, block mode: the same, and every
#                   positive attempt is blocked (the program saw EPERM, the
#                   alert says "blocked"), every negative one is let through
#                   (loopback: data both ways)
#   sockdiag        the hook alone, detect mode: each case as its sockdiag
#                   column says: "alert" cases alert, negative cases do not;
#                   "blind" cases (what the sock_diag path cannot see,
#                   docs/DETECTION.md) are reported, not asserted
#
# Where a case's container makes the marker attempt (1.0.0.1:80), its alert
# is required too, so that "no alert" never passes because nothing watched.
# Plus: tests/scenarios/README.md holds the table generated from
# corpus.tsv.  One TAP line per case per watcher.  Root; needs podman, crun,
# busybox-static, gcc -m32 (the corpus's 32-bit cases) and iproute2, and
# fails loudly ("Bail out!") without them.
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
SCENARIOS=$IT_SOURCE/tests/scenarios

it_begin scenarios
it_require podman crun ip file python3 meson ninja
started=$(it_now_ms)

if output=$(/usr/bin/python3 "$SCENARIOS/corpus.py" check-readme "$SCENARIOS/corpus.tsv" \
	"$SCENARIOS/README.md" 2>&1); then
	it_ok "tests/scenarios/README.md holds the table generated from corpus.tsv"
else
	it_not_ok "tests/scenarios/README.md holds the table generated from corpus.tsv" "$output"
fi

# scenarios_run LABEL RUN.SH-ARGUMENTS...: one run; its table as diagnostics,
# then one test point per case from its JSON.
scenarios_run() {
	local label=$1 json log run_started
	shift
	json=$IT_DIR/${label//\//-}.json
	log=$IT_DIR/logs/${label//\//-}.log
	run_started=$(it_now_ms)
	"$SCENARIOS/run.sh" "$@" --json "$json" >"$log" 2>&1 ||
		it_bail "$label: tests/scenarios/run.sh $* failed: $(tail -n 20 "$log")"
	it_diag "$(cat "$log")"
	/usr/bin/python3 - "$json" "$label" <<'PY' >"$IT_DIR/points.txt" ||
import json, sys
path, label = sys.argv[1:]
document = json.load(open(path))
for r in document["scenarios"]:
    want = r["watcher_expected"]
    what = {"alert": "alerts", "none": "no alert", "blind": "blind"}[want]
    got = r["result"]
    if document["mode"] == "block":
        got += ", " + r["block"]
        what += ", " + ("blocked" if r["expected"] == "alert" else "allowed")
    if r["control"] != "-":
        got += ", marker " + r["control"]
    note = "; ".join(r["notes"])
    if r["as_expected"] is None:
        status = "ok"
        text = f"{label}: {r['name']}: known blind, reported only: {got}"
    else:
        status = "ok" if r["as_expected"] else "not ok"
        text = f"{label}: {r['name']}: {what}: {got}"
    print(f"{status}\t{text}\t{note} ({r['description']})")
PY
		it_bail "$label: cannot read $json"
	local status text note
	while IFS=$'\t' read -r status text note; do
		if [ "$status" = ok ]; then
			it_ok "$text"
		else
			it_not_ok "$text" "$note"
		fi
	done <"$IT_DIR/points.txt"
	it_diag "$label: $(($(it_now_ms) - run_started)) ms"
}

scenarios_run seccomp/detect --watcher seccomp --mode detect
scenarios_run seccomp/block --watcher seccomp --mode block
scenarios_run sockdiag --watcher sockdiag
it_diag "the three runs took $(($(it_now_ms) - started)) ms"
it_end
