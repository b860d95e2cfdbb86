#!/bin/sh
# Exercises several attempts at once by direct children of entrypoint.sh:
# each argument is KIND,ADDR,PORT[,HOLD_MS] and becomes one child
# `/bin/egprobe KIND ADDR PORT HOLD_MS` (HOLD_MS default 1500); all start
# together and entrypoint.sh waits for them, e.g.
#   together.sh tcp,0.0.0.0,80 udp-sendto,10.9.9.9,53
for attempt in "$@"; do
	old_ifs=$IFS
	IFS=,
	# shellcheck disable=SC2086 # split on commas on purpose
	set -- $attempt
	IFS=$old_ifs
	/bin/egprobe "$1" "$2" "$3" "${4:-1500}" &
done
wait
