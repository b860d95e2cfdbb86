#!/bin/sh
# An OCI runtime wrapper for tests, in the shape of entryguard-runtime: on `create` it
# lets a function edit the bundle's config.json, then it execs the real runtime with the
# same arguments; every other command passes straight through.
#
# Engines start runtimes with their own small environment, so the settings come from a
# file next to the wrapper, "$0.env", which must define:
#   EG_WRAP_RUNTIME=/usr/sbin/runc        the real runtime
#   EG_WRAP_ARGV_LOG=/path/argv.log       optional: every invocation's argv is appended
#   eg_wrap_edit() { ...; }               called with the bundle's config.json path
# Use it as containerd's runc binary: `ctr run --runc-binary /path/runtime-wrapper.sh`.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

settings="$0.env"
# shellcheck disable=SC1090
. "$settings" || {
	echo "runtime-wrapper: cannot read $settings" >&2
	exit 127
}

if [ -n "${EG_WRAP_ARGV_LOG:-}" ]; then
	{
		printf '%s' "argv:"
		for arg in "$@"; do printf ' [%s]' "$arg"; done
		printf '\n'
	} >>"$EG_WRAP_ARGV_LOG"
fi

# Find the command (the first argument that is not a global option or its value) and,
# for create, the bundle in all its spellings; the default bundle is the cwd.
command=
bundle=.
expect_value=
expect_bundle=
for arg in "$@"; do
	if [ -n "$expect_value" ]; then
		expect_value=
		continue
	fi
	if [ -n "$expect_bundle" ]; then
		bundle=$arg
		expect_bundle=
		continue
	fi
	if [ -z "$command" ]; then
		case $arg in
		--root | --log | --log-format | --criu | --rootless) expect_value=1 ;;
		-*) ;;
		*) command=$arg ;;
		esac
		continue
	fi
	case $arg in
	--bundle | -b) expect_bundle=1 ;;
	--bundle=* | -b=*) bundle=${arg#*=} ;;
	esac
done

if [ "$command" = create ]; then
	eg_wrap_edit "$bundle/config.json" || {
		echo "runtime-wrapper: editing $bundle/config.json failed" >&2
		exit 1
	}
fi
exec "$EG_WRAP_RUNTIME" "$@"
