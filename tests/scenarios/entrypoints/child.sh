#!/bin/sh
# Exercises the rule's own case: entrypoint.sh runs its arguments as ONE CHILD
# (not exec), waits for it and exits with its status; e.g.
#   child.sh /bin/egprobe tcp 1.1.1.1 80    (an attempt by a direct child)
#   child.sh /bin/sleep 60                  (a long-running container)
"$@"
status=$?
exit "$status"
