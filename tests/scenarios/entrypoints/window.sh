#!/bin/sh
# Exercises monitor.lifetime "window": a child attempts the marker
# 1.0.0.1:80 at once (it must alert: the monitor watches while the window is
# open), then the container keeps running for $1 s (default 8), long after
# the window closed: the monitor must exit by itself meanwhile.
/bin/egprobe tcp 1.0.0.1 80 300
/bin/sleep "${1:-8}"
