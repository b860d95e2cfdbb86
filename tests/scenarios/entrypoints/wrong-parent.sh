#!/bin/sh
# install-as: init.sh
# Exercises the parent join: the container's init is init.sh, which starts
# /s/child/entrypoint.sh as a child (its child makes the marker attempt
# to 1.0.0.1:80, which must alert: the window is open), then, 300 ms later
# and inside that window, a child of init.sh (a SIBLING of entrypoint.sh,
# not its child) attempts 1.1.1.1:80: no alert.
/s/child/entrypoint.sh /bin/egprobe tcp 1.0.0.1 80 1500 &
/bin/egprobe sleep-then 300 /bin/egprobe tcp 1.1.1.1 80 1500
wait
