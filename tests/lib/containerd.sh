# shellcheck shell=dash
# Uses `local`, which dash, bash and busybox ash all support.
# A private containerd for tests: its own root, state, sockets and config, so it clashes
# with no system containerd and leaves nothing behind. Needs common.sh sourced first.
#
#   eg_containerd_start DIR [NAME=VALUE...]
#                                  starts containerd with everything under DIR (keep DIR
#                                  short: the socket path must fit in 108 bytes); sets
#                                  EG_CONTAINERD_ADDRESS and EG_CONTAINERD_PID. Each
#                                  NAME=VALUE joins containerd's (minimal) environment,
#                                  which the runc shim hands to the runtime it runs
#                                  (BinaryName, `ctr run --runc-binary`) and so to its
#                                  hooks. Optional settings:
#                                  EG_CONTAINERD_EXTRA_CONFIG=FILE  TOML appended to the
#                                    config (e.g. a runtime's options for CRI)
#                                  EG_CONTAINERD_CRI=1  keeps the CRI plugin (disabled by
#                                    default), with its CNI folders empty and under DIR,
#                                    so that a CRI runtime config is loaded and checked
#                                    (fill DIR/cni/bin and DIR/cni/net.d before the start
#                                    to give pods a network)
#                                  EG_CONTAINERD_CRI_SETTINGS=TOML  lines for the CRI
#                                    plugin's own table (sandbox_image, ...)
#   eg_ctr ARGS...                 ctr against it, in namespace $EG_CONTAINERD_NAMESPACE
#                                  (give `run` --runc-root DIR/runc too, or runc keeps
#                                  its state in /run/containerd/runc/<namespace>)
#   eg_containerd_stop DIR         removes its tasks and containers, stops it, kills any
#                                  shim it started, unmounts and deletes DIR
#
# The runc shim (io.containerd.runc.v2) computes its own socket as
# /run/containerd/s/<sha256(address, namespace, id)>, so a private address keeps it
# apart from a system containerd too.

EG_CONTAINERD_NAMESPACE=${EG_CONTAINERD_NAMESPACE:-egtest}

eg_containerd_start() {
	local dir="${1:-}" waited=0 cri='"io.containerd.grpc.v1.cri", '
	[ "$#" -eq 0 ] || shift
	mkdir -p "$dir/root" "$dir/state" || return 1
	[ "${EG_CONTAINERD_CRI:-}" != 1 ] || cri=
	# The runc shim puts its socket under /run/containerd/s whatever the config says.
	# Tests may run several private containerds at once: under a lock, the first
	# one to find no /run/containerd marks it as the tests' own, each registers
	# itself, and the last to leave removes what is still empty (never a system
	# containerd's folder).
	(
		flock 9
		if [ ! -d /run/containerd ]; then
			mkdir -p /run/containerd && : >/run/containerd/.eg-tests-created
		fi
		: >"/run/containerd/.eg-tests-user-$(basename "$dir")-$$"
	) 9>/run/lock/eg-containerd.lock || return 1
	echo "/run/containerd/.eg-tests-user-$(basename "$dir")-$$" >"$dir/run-containerd-user"
	cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
# Not needed by ctr, and CRI would otherwise set up networking and a second socket.
disabled_plugins = [${cri}"io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$dir/containerd.sock"

[ttrpc]
  address = "$dir/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/root/opt"
EOF
	if [ "${EG_CONTAINERD_CRI:-}" = 1 ]; then
		# CRI loads its runtimes (BinaryName, base_runtime_spec) at start-up; no
		# network config of the host's, nothing but loopback for its stream server.
		mkdir -p "$dir/cni/bin" "$dir/cni/net.d" || return 1
		cat >>"$dir/config.toml" <<EOF

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
${EG_CONTAINERD_CRI_SETTINGS:-}
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$dir/cni/bin"
    conf_dir = "$dir/cni/net.d"
EOF
	fi
	if [ -n "${EG_CONTAINERD_EXTRA_CONFIG:-}" ]; then
		{ echo && cat "$EG_CONTAINERD_EXTRA_CONFIG"; } >>"$dir/config.toml" || return 1
	fi
	EG_CONTAINERD_ADDRESS=$dir/containerd.sock
	# A minimal environment: the shim and runc (and so runc's hooks) inherit it.
	env -i PATH="${EG_CLEAN_PATH:-/usr/sbin:/usr/bin:/sbin:/bin}" "$@" \
		containerd --config "$dir/config.toml" </dev/null >"$dir/containerd.log" 2>&1 &
	EG_CONTAINERD_PID=$!
	echo "$EG_CONTAINERD_PID" >"$dir/containerd.pid"
	export EG_CONTAINERD_ADDRESS EG_CONTAINERD_PID
	until ctr --address "$EG_CONTAINERD_ADDRESS" version >/dev/null 2>&1; do
		if ! kill -0 "$EG_CONTAINERD_PID" 2>/dev/null || [ "$waited" -ge 100 ]; then
			echo "containerd did not start; its log:" >&2
			tail -n 20 "$dir/containerd.log" >&2
			return 1
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
}

eg_ctr() {
	ctr --address "$EG_CONTAINERD_ADDRESS" --namespace "$EG_CONTAINERD_NAMESPACE" "$@"
}

# Prints the pids of processes whose command line mentions TEXT (our private address or
# directory), so only what this containerd started is stopped.
eg_containerd_pids_mentioning() {
	local text="${1:-}" proc
	for proc in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qF -- "$text" && echo "${proc#/proc/}"
	done
	return 0
}

eg_containerd_stop() {
	local dir="${1:-}" pid id mountpoint waited
	[ -n "$dir" ] || return 1
	[ -n "${EG_CONTAINERD_ADDRESS:-}" ] || EG_CONTAINERD_ADDRESS=$dir/containerd.sock
	[ -n "${EG_CONTAINERD_PID:-}" ] || EG_CONTAINERD_PID=$(cat "$dir/containerd.pid" 2>/dev/null)
	if [ -S "$EG_CONTAINERD_ADDRESS" ]; then
		for id in $(eg_ctr tasks list -q 2>/dev/null); do
			eg_ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1
			eg_ctr tasks delete -f "$id" >/dev/null 2>&1
		done
		for id in $(eg_ctr containers list -q 2>/dev/null); do
			eg_ctr containers delete "$id" >/dev/null 2>&1
		done
	fi
	if [ -n "${EG_CONTAINERD_PID:-}" ] && kill -0 "$EG_CONTAINERD_PID" 2>/dev/null; then
		kill "$EG_CONTAINERD_PID"
		waited=0
		while kill -0 "$EG_CONTAINERD_PID" 2>/dev/null && [ "$waited" -lt 50 ]; do
			sleep 0.1
			waited=$((waited + 1))
		done
		kill -9 "$EG_CONTAINERD_PID" 2>/dev/null
	fi
	# Shims outlive containerd by design; ours name our address on their command line.
	for pid in $(eg_containerd_pids_mentioning "$EG_CONTAINERD_ADDRESS"); do
		kill -9 "$pid" 2>/dev/null
	done
	# Rootfs mounts of tasks that never got deleted, deepest first.
	awk -v dir="$dir/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while IFS= read -r mountpoint; do
			umount -l "$mountpoint" 2>/dev/null
		done
	# ctr run --runc-root "$dir/runc" keeps runc's state here; without it runc uses
	# /run/containerd/runc/<namespace>.
	rmdir "/run/containerd/runc/$EG_CONTAINERD_NAMESPACE" 2>/dev/null
	if [ -e "$dir/run-containerd-user" ]; then
		(
			flock 9
			rm -f "$(cat "$dir/run-containerd-user")"
			if [ -e /run/containerd/.eg-tests-created ] &&
				! compgen -G '/run/containerd/.eg-tests-user-*' >/dev/null; then
				rm -f /run/containerd/.eg-tests-created
				rmdir /run/containerd/s /run/containerd/runc /run/containerd/fifo \
					/run/containerd 2>/dev/null
			fi
		) 9>/run/lock/eg-containerd.lock
	fi
	rm -rf "$dir"
	unset EG_CONTAINERD_PID
}
