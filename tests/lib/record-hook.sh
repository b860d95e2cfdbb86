#!/bin/sh
# An OCI hook that records what a hook receives, for fixtures and integration tests.
#
#   record-hook.sh OUTDIR STAGE
#
# Writes, byte for byte:
#   OUTDIR/state-STAGE.json      the OCI state from stdin
#   OUTDIR/config-STAGE.json     "$bundle/config.json" as it is while the hook runs
# and a small description of the hook's circumstances (no environment values, only
# the names of the variables, so nothing about the machine leaks into fixtures):
#   OUTDIR/hook-STAGE.txt        uid/gid, cwd, uid_map, env names, open fds
#   OUTDIR/sequence.txt          STAGE appended, so the file shows the stages' order
#
# Engines start hooks with an empty or tiny environment, so PATH is set here.
# It always exits 0: a recording hook must not stop a container.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

out=${1:-}
stage=${2:-}
if [ -z "$out" ] || [ -z "$stage" ]; then
	echo "usage: record-hook.sh OUTDIR STAGE" >&2
	exit 0
fi

# The order in which stages (and a seccomp_listener.py --sequence) saw the container.
echo "$stage" >>"$out/sequence.txt"

cat >"$out/state-$stage.json.part" && mv "$out/state-$stage.json.part" "$out/state-$stage.json"

# The state is one JSON object; take "bundle" with python when there is one, else sed.
bundle=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bundle"])' \
	"$out/state-$stage.json" 2>/dev/null) ||
	bundle=$(sed -n 's/.*"bundle" *: *"\([^"]*\)".*/\1/p' "$out/state-$stage.json")
if [ -n "$bundle" ] && [ -r "$bundle/config.json" ]; then
	cp "$bundle/config.json" "$out/config-$stage.json"
else
	echo "bundle=$bundle: no readable config.json" >"$out/config-$stage.error"
fi

# A subshell, so the redirection below does not change the fds listed ($$ is the
# hook's own shell, whose fds are still the ones the engine gave it).
(
	echo "stage=$stage"
	echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
	echo "cwd=$(pwd)"
	echo "cwd_is_bundle=$([ "$(pwd -P)" = "$(cd "$bundle" 2>/dev/null && pwd -P)" ] && echo yes || echo no)"
	echo "uid_map=$(tr -s ' \n' ' ' </proc/self/uid_map)"
	echo "env_names=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' | sort | tr '\n' ' ')"
	# The fds the engine left open to the hook (what a detaching hook must close);
	# the one naming this script is the shell's own. Inode numbers are dropped.
	echo "fds:"
	for fd in /proc/"$$"/fd/*; do
		target=$(readlink "$fd" 2>/dev/null) || continue
		echo "  ${fd##*/} -> $(echo "$target" | sed 's/\[[0-9]*\]/[N]/')"
	done
) >"$out/hook-$stage.txt" 2>/dev/null

exit 0
