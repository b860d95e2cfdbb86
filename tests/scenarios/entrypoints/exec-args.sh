#!/bin/sh
# Exercises `exec "$@"`: the common ending of an entrypoint.sh.  The marker
# (1.0.0.1:80, a child started before the exec) must alert; after the exec the
# program that replaced entrypoint.sh is no longer the entrypoint, so the
# attempt of its child (run with
#   exec-args.sh /bin/egprobe spawn /bin/egprobe tcp 1.1.1.1 80)
# gives no alert.
/bin/egprobe tcp 1.0.0.1 80 1500 &
exec "$@"
