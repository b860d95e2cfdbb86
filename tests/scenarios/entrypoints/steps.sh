#!/bin/sh
# Exercises blocking (test_block.sh): entrypoint.sh runs each of its
# arguments as a command line of its own (split on blanks), ONE CHILD at a
# time, and reports how each ended, e.g.
#   steps.sh "/bin/egprobe tcp 1.1.1.1 81 0" "/bin/egprobe loopback"
# prints "step 1 exit 0: /bin/egprobe tcp 1.1.1.1 81 0" and so on; a child
# killed by SIGKILL (kill mode) shows as exit 137.  Ends with "steps done".
n=0
for step in "$@"; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # one command line per argument, split on purpose
	$step
	echo "step $n exit $?: $step"
done
echo "steps done"
