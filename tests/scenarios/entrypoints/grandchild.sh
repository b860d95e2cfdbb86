#!/bin/sh
# Exercises lineage: a GRANDCHILD of entrypoint.sh (child egprobe spawn, its
# child egprobe tcp) attempts 1.1.1.1:80: no alert with lineage "children",
# an alert with "descendants".  The marker (1.0.0.1:80, a direct child) must
# alert either way.
/bin/egprobe tcp 1.0.0.1 80 1500 &
/bin/egprobe spawn /bin/egprobe tcp 1.1.1.1 80 1500
wait
