#!/bin/sh
# Exercises the rate limit (limits.alerts_per_second) and the monitor's
# memory under a burst.  Children of entrypoint.sh, one after the other:
#  1. $1 (default 200) TCP attempts to 1.1.1.1, ports 10000 and up, made at
#     once and held 1 s;
#  2. 300 ms after those closed (more than a second after the burst), one
#     attempt to the marker 1.0.0.1:80: its alert reports how many the rate
#     limit suppressed;
#  3. a second burst of $2 (default 20) to 1.1.1.1, ports 20000 and up: what
#     exceeds the limit is still suppressed when the monitor exits (its log
#     line says how many).
# All of it inside the 3 s window; then the container stays 1 s more, so the
# monitor's memory can be read after the bursts.
/bin/egprobe burst "${1:-200}" 1.1.1.1 10000 1000
/bin/egprobe sleep-then 300 /bin/egprobe tcp 1.0.0.1 80 300
/bin/egprobe burst "${2:-20}" 1.1.1.1 20000 500
/bin/sleep 1
