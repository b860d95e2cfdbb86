#!/bin/sh
# install-as: init.sh
# Exercises an entrypoint.sh that is not the container's first process:
# init.sh runs /s/child/entrypoint.sh with its arguments as a child and
# waits; the window opens at that later exec, and entrypoint.sh's own child
# makes the attempt, e.g.
#   nested.sh /bin/egprobe tcp 1.1.1.1 80    (an alert)
/s/child/entrypoint.sh "$@"
