#!/bin/sh
# Exercises fork-time lineage: a child of entrypoint.sh double-forks and
# exits, so its own child is re-parented to the container's init (this very
# entrypoint.sh, pid 1 in the container) before it attempts 1.1.1.1:80.  By
# its real lineage it is a grandchild: no alert with "children", an alert
# whose parent is the middle process with "descendants".  The marker
# (1.0.0.1:80) must alert either way.
/bin/egprobe tcp 1.0.0.1 80 1500 &
/bin/egprobe double-fork /bin/egprobe tcp 1.1.1.1 80 1500
# The re-parented process is not ours to wait for; outlive its attempt.
/bin/egprobe sleep-then 2500 /bin/true
wait
