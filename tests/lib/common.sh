# shellcheck shell=dash
# Uses `local`, which dash, bash and busybox ash all support.
# Small helpers shared by the test scripts. Source it; it defines functions only.

eg_log() {
	echo "[$(date +%H:%M:%S)] $*" >&2
}

eg_die() {
	echo "error: $*" >&2
	exit 1
}

eg_require_root() {
	[ "$(id -u)" -eq 0 ] || eg_die "must run as root"
}

# The environment engines and runtimes are started with in tests: nothing of the
# caller's environment (which would also reach runc's hooks, see tests/fixtures/README.md).
EG_CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# eg_clean_env [NAME=VALUE...] COMMAND...: runs COMMAND with a minimal environment.
eg_clean_env() {
	env -i PATH="$EG_CLEAN_PATH" HOME=/root LANG=C.UTF-8 "$@"
}

# eg_podman ARGS...: rootful podman with a minimal environment, keeping CONTAINERS_CONF
# when set (see eg_quirk_podman_ulimits in quirks.sh).
eg_podman() {
	eg_clean_env ${CONTAINERS_CONF:+CONTAINERS_CONF="$CONTAINERS_CONF"} podman "$@"
}

# eg_as_user USER COMMAND-STRING: runs a shell command line as USER, from USER's home,
# with a minimal login-like environment (HOME, USER, LOGNAME, SHELL, PATH) and no
# XDG_RUNTIME_DIR, as rootless Podman sees it in CI. The caller quotes the command line.
eg_as_user() {
	local user="${1:-}" home
	shift
	home=$(getent passwd "$user" | cut -d: -f6) || return 1
	env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/sh PATH="$EG_CLEAN_PATH" LANG=C.UTF-8 \
		setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
		/bin/sh -c "cd && $*"
}

# eg_ensure_user USER: creates USER with a home and subordinate id ranges (useradd
# adds them to /etc/subuid and /etc/subgid), as rootless Podman needs.
eg_ensure_user() {
	local user="${1:-}"
	if ! id "$user" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$user" || return 1
	fi
	grep -q "^$user:" /etc/subuid || usermod --add-subuids 200000-265535 "$user" || return 1
	grep -q "^$user:" /etc/subgid || usermod --add-subgids 200000-265535 "$user" || return 1
}

# eg_quote ARG...: prints the arguments as one shell-quoted line.
eg_quote() {
	local arg
	for arg in "$@"; do
		printf "'%s' " "$(printf '%s' "$arg" | sed "s/'/'\\\\''/g")"
	done
}
