#!/bin/sh
# Exercises the window: a child attempts a public address $1 ms (default
# 4000) after entrypoint.sh's exec: outside the default 3 s window (no alert),
# inside a raised window_ms (alert).  The marker (1.0.0.1:80) attempts at once
# and must alert either way.
/bin/egprobe tcp 1.0.0.1 80 1000 &
/bin/egprobe sleep-then "${1:-4000}" /bin/egprobe tcp 1.1.1.1 80 1000
wait
