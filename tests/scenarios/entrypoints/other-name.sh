#!/bin/sh
# install-as: start.sh
# Exercises the entrypoint's name: the same as child.sh, but installed as
# start.sh, so no window opens and its child's public attempt gives no alert.
"$@"
status=$?
exit "$status"
