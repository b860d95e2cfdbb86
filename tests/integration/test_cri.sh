#!/usr/bin/env bash
# containerd's CRI end to end (issue 6), through the shipped
# packaging/engines/containerd-config.toml, driven over the CRI v1 gRPC API
# the way the kubelet does (RunPodSandbox, CreateContainer, StartContainer,
# ...), by tests/integration/cri/cri_client.py: crictl is not in Debian 12,
# so the client is python3-grpcio with messages protoc generates at test
# time from cri/cri_v1_subset.proto (upstream's field numbers).
#
# A private containerd (tests/lib/containerd.sh: its own root, state,
# sockets, config) with the CRI plugin on and the snippet appended, its
# paths made this install's: runtime "entryguard" (runc shim, BinaryName =
# entryguard-runtime) and "entryguard-detect" (plain runc, base_runtime_spec
# = `ctr oci spec` plus the hook, as the snippet says; here the hook's entry
# carries the test's ENTRYGUARD_* variables, since a private prefix has no
# /etc/entryguard).  sandbox_image is the test image, imported into the
# k8s.io namespace, whose default command sleeps (nothing is pulled).
# containerd's environment gives entryguard-runtime the "ctrd" profile
# (mode block; annotations may choose the mode); the hook's entry gives the
# hook the "hook" profile (mode detect).
#
# Cases (one pod each, one container running scenarios/steps.sh):
#   block    runtime entryguard: TCP (IPv4, IPv6) and UDP sendto() to public
#            addresses see EPERM, one "blocked" alert each; loopback calls work
#   detect   runtime entryguard, pod annotation io.entryguard.mode=detect
#            (the snippet's pod_annotations passes it to the runtime): TCP to
#            a public address is not denied and alerts ("alert"); loopback works
#   hook     runtime entryguard-detect (no wrapper; the base spec's hook and
#            its monitor's sock_diag watcher): TCP to a public address,
#            held pending, alerts ("alert")
# Also: the CRI plugin loaded the snippet and serves CRI v1; every alert line
# is one JSON object; every monitor gone and the run folder empty once the
# pods are removed.
#
# NETWORK SAFETY: pods never get the host's network (the client refuses
# NamespaceMode NODE).  The CRI plugin's CNI folder holds one conflist:
# `loopback` (containernetworking-plugins) then cri/egsink-cni, which builds
# the sinkhole of lib.sh inside the pod's own namespace (a veth pair whose
# both ends stay there, default routes into it, permanent neighbours): a
# connect to a public address sits in SYN-SENT and no packet can leave.  A
# conflist with only `loopback` is refused by containerd 1.6 ("failed to
# find network info for sandbox": CRI wants an address on eth0).  Before a
# container is created, the pod's namespace (through the sandbox's pid) is
# checked: not the host's, exactly lo, eth0@sink1 and sink1@eth0, no link to
# another namespace; the container's namespace is checked to be the pod's.
# For runtime entryguard, the real runtime entryguard-runtime runs is a guard
# (tests/lib/runtime-wrapper.sh) that makes the same check on the network
# namespace of every config.json before runc creates it.
# Prints TAP.
set -u
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/containerd.sh
source "$IT_SOURCE/tests/lib/containerd.sh"

CRI_DIR=$IT_SOURCE/tests/integration/cri
IT_RULE_ID=c75d0c86-38d6-4821-98a1-465cff8ff4c8 # as cases.sh
K8S_NAMESPACE=k8s.io # the containerd namespace CRI works in

it_begin cri
it_require containerd containerd-shim-runc-v2 ctr runc podman ip nsenter protoc file python3 meson ninja
[ -x /usr/lib/cni/loopback ] || it_bail "missing: /usr/lib/cni/loopback (apt-get install containernetworking-plugins)"
/usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null ||
	it_bail "missing: python3 grpc and protobuf modules (apt-get install python3-grpcio python3-protobuf)"
# <run>/<64-hex id>/seccomp.sock must fit a unix socket's 107 bytes.
IT_RUN_DIR=$(mktemp -d /tmp/egr.XXXXXX) || it_bail "mktemp"
chmod 0755 "$IT_RUN_DIR"
CRI_CTRD=
declare -A CRI_POD=() # case -> pod sandbox id

cri_client() {
	/usr/bin/python3 "$CRI_DIR/cri_client.py" --address "$CRI_CTRD/containerd.sock" \
		--generated "$IT_DIR/cri-gen" "$@"
}

cri_cleanup() {
	local status=$? case_name
	trap - EXIT
	if [ -n "$CRI_CTRD" ]; then
		for case_name in "${!CRI_POD[@]}"; do
			cri_client stop-pod "${CRI_POD[$case_name]}" >/dev/null 2>&1
			cri_client rm-pod "${CRI_POD[$case_name]}" >/dev/null 2>&1
		done
		EG_CONTAINERD_NAMESPACE=$K8S_NAMESPACE eg_containerd_stop "$CRI_CTRD" >/dev/null 2>&1
	fi
	it_reap_run_dir '/tmp/egr.*'
	(exit "$status")
	it_cleanup
}
trap cri_cleanup EXIT

it_install
IT_WRAPPER=$IT_PREFIX/bin/entryguard-runtime
[ -x "$IT_WRAPPER" ] || it_bail "install: no $IT_WRAPPER"
setup_started=$(it_now_ms)

# ---- profiles ----------------------------------------------------------------------

cri_log() { echo "$IT_DIR/$1/entryguard.log"; }
it_profile ctrd 'mode="block"' 'allow_annotation_mode="any"' "runtime={\"path\": \"$IT_DIR/guard/runc\"}"
it_profile hook 'mode="detect"'
for profile in ctrd hook; do
	"$IT_CLI" check-config "$IT_DIR/$profile/config.json" >"$IT_DIR/logs/check-$profile.txt" 2>&1 ||
		it_bail "profile $profile: $(cat "$IT_DIR/logs/check-$profile.txt")"
done

# ---- the network guard -------------------------------------------------------------

# A pod's network namespace (a path: /proc/PID/ns/net, a netns mount) is
# sealed: not the host's, and holding exactly lo and egsink-cni's pair.
cat >"$IT_DIR/sealed.sh" <<'EOF' || it_bail "guard"
#!/bin/sh
path=$1
inode=$(stat -L -c %i "$path") && host=$(stat -L -c %i /proc/self/ns/net) || exit 1
if [ "$inode" = "$host" ]; then
	echo "$path is the host's network namespace"
	exit 1
fi
links=$(nsenter --net="$path" ip -o link show) || exit 1
if [ "$(echo "$links" | wc -l)" -eq 3 ] && echo "$links" | grep -q ': lo: ' &&
	echo "$links" | grep -q ': eth0@sink1: ' && echo "$links" | grep -q ': sink1@eth0: ' &&
	! echo "$links" | grep -q 'link-netns'; then
	exit 0
fi
echo "$path is not sealed: $links"
exit 1
EOF
chmod 0755 "$IT_DIR/sealed.sh"
mkdir -p "$IT_DIR/guard" || it_bail "guard"
cp "$IT_SOURCE/tests/lib/runtime-wrapper.sh" "$IT_DIR/guard/runc" && chmod 0755 "$IT_DIR/guard/runc" ||
	it_bail "guard: cannot copy runtime-wrapper.sh"
cat >"$IT_DIR/guard/runc.env" <<EOF || it_bail "guard"
EG_WRAP_RUNTIME='$(command -v runc)'
EG_WRAP_ARGV_LOG='$IT_DIR/guard/argv.log'
eg_wrap_edit() {
	netns=\$(/usr/bin/python3 -c 'import json, sys
n = [x for x in json.load(open(sys.argv[1]))["linux"]["namespaces"] if x["type"] == "network"]
print(n[0].get("path", "") if len(n) == 1 else "")' "\$1")
	if [ -n "\$netns" ] && '$IT_DIR/sealed.sh' "\$netns" >>'$IT_DIR/guard/refused.log' 2>&1; then
		echo "checked \$1 \$netns" >>'$IT_DIR/guard/checked.log'
		return 0
	fi
	echo "NETWORK GUARD refused \$1 (network namespace \"\$netns\")" >>'$IT_DIR/guard/refused.log'
	return 1
}
EOF

# ---- the image -----------------------------------------------------------------------

# The test image (busybox, egprobe, the scenarios) whose default command
# sleeps: it is the sandbox (pause) image too.
it_image
IT_IMAGE=localhost/$IT_TAG:latest
eg_image_tar "$IT_ROOTFS" "$IT_DIR/rootfs.tar" &&
	eg_clean_env podman import --quiet --change 'CMD ["/bin/sleep", "3600"]' "$IT_DIR/rootfs.tar" \
		"$IT_IMAGE" >>"$IT_DIR/logs/image.log" 2>&1 &&
	eg_image_save_oci "$IT_IMAGE" "$IT_DIR/image-oci.tar" ||
	it_bail "image: $(tail -n 5 "$IT_DIR/logs/image.log")"

# ---- containerd ----------------------------------------------------------------------

CRI_CTRD=$(mktemp -d /tmp/egd.XXXXXX) || it_bail "mktemp"
# CNI: loopback, then the sinkhole pair (see the header).
mkdir -p "$CRI_CTRD/cni/bin" "$CRI_CTRD/cni/net.d" &&
	ln -s /usr/lib/cni/loopback "$CRI_CTRD/cni/bin/loopback" &&
	cp "$CRI_DIR/egsink-cni" "$CRI_CTRD/cni/bin/egsink" &&
	cat >"$CRI_CTRD/cni/net.d/10-egsink.conflist" <<'EOF' || it_bail "CNI config"
{
  "cniVersion": "0.4.0",
  "name": "egsink",
  "plugins": [
    {"type": "loopback"},
    {"type": "egsink"}
  ]
}
EOF
# The base spec, as the snippet says (ctr oci spec + the hook), with the
# hook profile's variables in the hook's env.
/usr/bin/python3 - "$IT_DIR/base-spec.json" "$IT_HOOK" "ENTRYGUARD_CONFIG=$IT_DIR/hook/config.json" \
	"ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" "ENTRYGUARD_LOG_FILE=$(cri_log hook)" <<'PY' >"$IT_DIR/logs/base-spec.log" 2>&1 ||
import json, subprocess, sys
out, hook, env = sys.argv[1], sys.argv[2], sys.argv[3:]
spec = json.loads(subprocess.run(["ctr", "oci", "spec"], check=True, capture_output=True).stdout)
spec.setdefault("hooks", {})["createRuntime"] = [{"path": hook, "args": ["entryguard-hook", "createRuntime"], "env": env}]
json.dump(spec, open(out, "w"), indent=2)
PY
	it_bail "base spec: $(cat "$IT_DIR/logs/base-spec.log")"
SNIPPET=$IT_SOURCE/packaging/engines/containerd-config.toml
[ -f "$SNIPPET" ] || it_bail "no $SNIPPET"
sed -e "s|/usr/bin/entryguard-runtime|$IT_WRAPPER|g" \
	-e "s|/etc/entryguard/containerd-base-spec.json|$IT_DIR/base-spec.json|g" \
	"$SNIPPET" >"$IT_DIR/containerd-snippet.toml" || it_bail "snippet"
# restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, and CRI gives
# sandboxes oom_score_adj -998 otherwise (TESTBED.md's rlimit quirk, again).
CRI_SETTINGS="  sandbox_image = \"$IT_IMAGE\"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true"
EG_CONTAINERD_CRI=1 EG_CONTAINERD_EXTRA_CONFIG=$IT_DIR/containerd-snippet.toml \
	EG_CONTAINERD_CRI_SETTINGS=$CRI_SETTINGS EG_CONTAINERD_NAMESPACE=$K8S_NAMESPACE \
	eg_containerd_start "$CRI_CTRD" >"$IT_DIR/logs/containerd-start.log" 2>&1 \
	"ENTRYGUARD_CONFIG=$IT_DIR/ctrd/config.json" "ENTRYGUARD_RUN_DIR=$IT_RUN_DIR" \
	"ENTRYGUARD_LOG_FILE=$(cri_log ctrd)" ||
	it_bail "containerd: $(cat "$IT_DIR/logs/containerd-start.log")"
eg_image_import_containerd "$IT_DIR/image-oci.tar" "$IT_IMAGE" \
	--address "$CRI_CTRD/containerd.sock" --namespace "$K8S_NAMESPACE" ||
	it_bail "containerd: image import into $K8S_NAMESPACE failed"
mkdir -p "$IT_DIR/cri-gen" &&
	protoc --python_out="$IT_DIR/cri-gen" -I "$CRI_DIR" "$CRI_DIR/cri_v1_subset.proto" \
		>"$IT_DIR/logs/protoc.log" 2>&1 ||
	it_bail "protoc: $(cat "$IT_DIR/logs/protoc.log")"

if version=$(cri_client version 2>&1) && [ "$(awk '{ print $3 }' <<<"$version")" = v1 ]; then
	it_ok "CRI v1 over gRPC (cri_client.py, protoc-generated messages): Version says \"$version\""
else
	it_bail "CRI Version: $version
$(grep -iE 'cri|error' "$CRI_CTRD/containerd.log" | tail -n 10)"
fi
if image=$(cri_client image-status "$IT_IMAGE" 2>&1); then
	it_ok "CRI ImageStatus finds the test image imported into $K8S_NAMESPACE (the sandbox image): ${image%% *}"
else
	it_bail "CRI ImageStatus $IT_IMAGE: $image"
fi

# ---- pods ----------------------------------------------------------------------------

E=/bin/egprobe
P4=$IT_PUBLIC4
P6=$IT_PUBLIC6
STEPS=$(it_scenario_path steps)
declare -A CRI_CID=() # case -> container id

# cri_run CASE HANDLER MODE_ANNOTATION STEP...: a pod (runtime HANDLER; the
# pod annotation io.entryguard.mode=MODE_ANNOTATION unless "-") with one
# container running steps.sh with the STEPs; returns once it was started.
cri_run() {
	local case_name=$1 handler=$2 mode=$3 dir=$IT_DIR/pods/$1 pod info pid cid inode
	shift 3
	mkdir -p "$dir" || it_bail "pod folder"
	/usr/bin/python3 - "$dir" "$IT_TAG-$case_name" "$case_name" "$mode" "$IT_IMAGE" "$STEPS" "$@" <<'PY' ||
import json, sys
folder, name, case, mode, image, steps = sys.argv[1:7]
namespaces = {"network": "POD", "pid": "CONTAINER", "ipc": "POD"}
pod = {
    "metadata": {"name": name, "uid": name, "namespace": "entryguard-test"},
    "hostname": case,
    "log_directory": folder,
    "annotations": {"io.entryguard.mode": mode} if mode != "-" else {},
    "linux": {"security_context": {"namespace_options": namespaces}},
}
container = {
    "metadata": {"name": "probe"},
    "image": {"image": image},
    "command": [steps],
    "args": sys.argv[7:],
    "log_path": "probe.log",
    "linux": {"security_context": {"namespace_options": namespaces,
                                   "seccomp": {"profile_type": "RuntimeDefault"}}},
}
json.dump(pod, open(folder + "/pod.json", "w"), indent=1)
json.dump(container, open(folder + "/container.json", "w"), indent=1)
PY
		it_bail "$case_name: pod and container configs"
	if ! pod=$(cri_client run-pod "$dir/pod.json" "$handler" 2>&1); then
		it_not_ok "$case_name: RunPodSandbox (runtime $handler)" "$pod
$(grep 'level=error' "$CRI_CTRD/containerd.log" | tail -n 3)"
		return 1
	fi
	CRI_POD[$case_name]=$pod
	# The pod's namespace, through the sandbox's pid (verbose info), before
	# anything but the sandbox's sleep runs in it.
	info=$(cri_client pod-status "$pod" 2>&1)
	pid=$(/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1]); print(json.loads(d["info"]["info"])["pid"])' "$info" 2>/dev/null)
	[ -n "$pid" ] && [ "$pid" -gt 0 ] || it_bail "$case_name: no sandbox pid in PodSandboxStatus: $info"
	"$IT_DIR/sealed.sh" "/proc/$pid/ns/net" >"$IT_DIR/logs/$case_name.netns" 2>&1 ||
		it_bail "NETWORK GUARD: pod $case_name: $(cat "$IT_DIR/logs/$case_name.netns")"
	inode=$(it_netns_inode "/proc/$pid/ns/net")
	if ! cid=$(cri_client create "$pod" "$dir/container.json" "$dir/pod.json" 2>&1); then
		it_not_ok "$case_name: CreateContainer (runtime $handler)" "$cid"
		return 1
	fi
	CRI_CID[$case_name]=$cid
	IT_CID[$case_name]=$cid
	if ! out=$(cri_client start "$cid" 2>&1); then
		it_not_ok "$case_name: StartContainer (runtime $handler)" "$out"
		return 1
	fi
	# The container is in the pod's (sealed) namespace: by its pid, while it
	# runs, or by its OCI spec's namespace path (checked by the guard too).
	info=$(cri_client status "$cid" 2>&1)
	pid=$(/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1]); print(json.loads(d["info"]["info"])["pid"])' "$info" 2>/dev/null)
	if [ -n "$pid" ] && [ "$pid" -gt 0 ] && [ -e "/proc/$pid/ns/net" ]; then
		local container_inode
		container_inode=$(it_netns_inode "/proc/$pid/ns/net")
		if [ -n "$container_inode" ] && [ "$container_inode" != "$inode" ]; then
			kill -9 "$pid" 2>/dev/null
			it_bail "NETWORK GUARD: container $case_name is in network namespace $container_inode, not its pod's ($inode)"
		fi
	fi
	echo "$pid" >"$dir/container.pid"
	return 0
}

# cri_finish CASE: waits for the container's exit, then stops and removes
# the pod (its sandbox's monitor goes with it).
cri_finish() {
	local case_name=$1 pod=${CRI_POD[$1]:-} cid=${CRI_CID[$1]:-} code
	if [ -n "$cid" ]; then
		code=$(cri_client wait "$cid" 30 2>&1) || it_not_ok "$case_name: the container exits within 30 s" "$code"
		echo "${code:-}" >"$IT_DIR/pods/$case_name/exit-code"
	fi
	if [ -n "$pod" ]; then
		cri_client stop-pod "$pod" >>"$IT_DIR/logs/$case_name.stop" 2>&1 &&
			cri_client rm-pod "$pod" >>"$IT_DIR/logs/$case_name.stop" 2>&1 &&
			unset "CRI_POD[$case_name]" ||
			it_not_ok "$case_name: StopPodSandbox and RemovePodSandbox" "$(cat "$IT_DIR/logs/$case_name.stop")"
	fi
}

# The container's output: CRI's log file ("TIME STREAM TAG line") without
# the prefix.
cri_output() {
	sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' "$IT_DIR/pods/$1/probe.log" 2>/dev/null
}

cri_outcome() { # CASE PORT: what egprobe saw on its attempt to PORT
	cri_output "$1" | sed -n "s/^egprobe\[[0-9]*\]: [a-z0-9-]* [^ ]* port $2: //p" | head -n 1
}

# cri_attempt PROFILE CASE PORT OUTCOME_PATTERN WHAT EXPRESSION...: one test
# point: the program saw OUTCOME_PATTERN and exactly one alert with the
# EXPRESSIONs (itjson.py expect) came for the attempt.
cri_attempt() {
	local profile=$1 case_name=$2 port=$3 pattern=$4 what=$5 outcome problems=
	shift 5
	outcome=$(cri_outcome "$case_name" "$port")
	grep -Eq -- "$pattern" <<<"$outcome" || problems="the program saw \"${outcome:-nothing}\", wanted /$pattern/"
	problems="$problems$(printf '\n')$($IT_JSON expect "$(it_alerts_file "$profile")" "${IT_CID[$case_name]:-none}" \
		"port:$port" "container.id==${IT_CID[$case_name]:-none}" "rule.id==$IT_RULE_ID" \
		"event.action==connection_attempted" "destination.port==$port" \
		"process.parent.name==entrypoint.sh" \
		"process.parent.entity_id==@process.entry_leader.entity_id" "$@")"
	if [ -z "${problems//[[:space:]]/}" ]; then
		it_ok "$case_name: $what: the program saw \"$outcome\"; one alert"
	else
		it_not_ok "$case_name: $what: the program sees /$pattern/ and one alert" "$problems
container output: $(cri_output "$case_name" | tail -n 20)
alerts: $($IT_JSON show "$(it_alerts_file "$profile")" "${IT_CID[$case_name]:-none}")"
	fi
}

cri_loopback() { # CASE: the loopback step passed
	if cri_output "$1" | grep -q 'loopback (libc): all passed'; then
		it_ok "$1: allowed loopback calls (TCP and UDP to 127.0.0.1, data both ways) work"
	else
		it_not_ok "$1: allowed loopback calls work" "$(cri_output "$1" | grep -E 'loopback|step')"
	fi
}

# The three pods, one after the other (each is stopped and removed before
# the next, so a case's counts are final when it is checked).
cri_run block entryguard - "$E tcp $P4 81 0" "$E tcp $P6 82 0" "$E udp-sendto $P4 83" "$E loopback" &&
	cri_finish block
cri_run detect entryguard detect "$E tcp $P4 91 300" "$E loopback" && cri_finish detect
cri_run hook entryguard-detect - "$E tcp $P4 101 1500" && cri_finish hook
for case_name in block detect hook; do
	[ -n "${CRI_POD[$case_name]:-}" ] && cri_finish "$case_name"
done

# ---- checks ----------------------------------------------------------------------------

EPERM='\[EPERM\]$'
NOT_DENIED='^(still pending \[EINPROGRESS\]|sent|connected)$'
blocked=("event.outcome==failure" "entryguard.action==blocked" "process.name==egprobe"
	"container.runtime?" "entryguard.elapsed_ms>=0" "entryguard.elapsed_ms<3000")
cri_attempt ctrd block 81 "$EPERM" "runtime entryguard (BinaryName), block mode: TCP to $P4:81" \
	"${blocked[@]}" "destination.ip==$P4" "network.transport==tcp" "network.type==ipv4"
cri_attempt ctrd block 82 "$EPERM" "TCP to [$P6]:82" "${blocked[@]}" "destination.ip==$P6" "network.type==ipv6"
cri_attempt ctrd block 83 "$EPERM" "UDP sendto() to $P4:83" "${blocked[@]}" "network.transport==udp"
cri_loopback block
count=$($IT_JSON count "$(it_alerts_file ctrd)" "${IT_CID[block]:-none}")
if [ "$count" = 3 ]; then
	it_ok "block: three attempts, three alerts in all"
else
	it_not_ok "block: three attempts, three alerts in all" "$count alerts"
fi

detected=("entryguard.action==alert" "entryguard.action!=blocked" "process.name==egprobe")
cri_attempt ctrd detect 91 "$NOT_DENIED" \
	"runtime entryguard, pod annotation io.entryguard.mode=detect: TCP to $P4:91 is not denied" \
	"${detected[@]}" "destination.ip==$P4"
cri_loopback detect
# The wrapper's line for each container: its mode (detect: from the pod
# annotation, which CRI copies into the spec because of the snippet's
# pod_annotations), containerd's RuntimeDefault profile edited, the hook
# added, the listener.
cri_wrapper_line() { # CASE MODE
	grep -F "entryguard-runtime[" "$(cri_log ctrd)" 2>/dev/null | grep -F "container ${IT_CID[$1]:-none}: " |
		grep -q "$2 mode; seccomp: .*; hook added; listener $IT_RUN_DIR/${IT_CID[$1]:-none}/seccomp.sock"
}
if cri_wrapper_line block block && cri_wrapper_line detect detect; then
	it_ok "the wrapper ran for both containers of runtime entryguard: block mode (the config's), detect mode (the pod annotation, passed on by the snippet's pod_annotations); seccomp profile edited, hook added, listener"
else
	it_not_ok "the wrapper ran for both containers of runtime entryguard, in block and (annotation) detect mode" \
		"$(grep -F "entryguard-runtime[" "$(cri_log ctrd)" 2>/dev/null | tail -n 8)"
fi
it_diag "wrapper, e.g.: $(grep -F "container ${IT_CID[block]:-none}: " "$(cri_log ctrd)" 2>/dev/null | grep -F 'entryguard-runtime[' | cut -d' ' -f3-)"

cri_attempt hook hook 101 "$NOT_DENIED" \
	"runtime entryguard-detect (base_runtime_spec with the hook, plain runc): TCP to $P4:101 held pending" \
	"${detected[@]}" "destination.ip==$P4"
if grep -q "entryguard-runtime" "$(cri_log hook)" 2>/dev/null; then
	it_not_ok "hook: no entryguard-runtime on the entryguard-detect path" "$(grep entryguard-runtime "$(cri_log hook)")"
else
	it_ok "hook: the entryguard-detect pod ran without the wrapper (its log has no entryguard-runtime line)"
fi

# ---- the snippet, the guard, the monitors -----------------------------------------------

if /usr/bin/python3 - "$CRI_CTRD/config.toml" "$IT_WRAPPER" "$IT_DIR/base-spec.json" \
	>"$IT_DIR/logs/config-check.txt" 2>&1 <<'PY'; then
import sys, tomllib
config, wrapper, base = sys.argv[1:]
runtimes = tomllib.load(open(config, "rb"))["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
assert runtimes["entryguard"]["options"]["BinaryName"] == wrapper, runtimes["entryguard"]
assert runtimes["entryguard-detect"]["base_runtime_spec"] == base, runtimes["entryguard-detect"]
PY
	it_ok "the pods ran through packaging/engines/containerd-config.toml as shipped, paths substituted (BinaryName $IT_WRAPPER; base_runtime_spec)"
else
	it_not_ok "the pods ran through packaging/engines/containerd-config.toml" "$(cat "$IT_DIR/logs/config-check.txt")"
fi
checked=$(grep -c '^checked ' "$IT_DIR/guard/checked.log" 2>/dev/null)
if [ "${checked:-0}" -ge 4 ] && ! grep -q 'NETWORK GUARD' "$IT_DIR/guard/refused.log" 2>/dev/null; then
	it_ok "the guard checked the network namespace of every config.json runtime entryguard created (${checked} creates: 2 sandboxes, 2 containers; none refused)"
else
	it_not_ok "the guard checked every config.json of runtime entryguard (4)" \
		"${checked:-0} checked; $(cat "$IT_DIR/guard/refused.log" 2>/dev/null)"
fi
bad=
for profile in ctrd hook; do
	file=$(it_alerts_file "$profile")
	[ -s "$file" ] || continue
	$IT_JSON check-ecs "$file" >"$IT_DIR/logs/ecs-$profile.txt" 2>&1 ||
		bad="$bad $profile: $(head -n 5 "$IT_DIR/logs/ecs-$profile.txt")"
done
if [ -z "$bad" ]; then
	it_ok "every alert line is one JSON object with nested keys"
else
	it_not_ok "every alert line is one JSON object with nested keys" "$bad"
fi
if it_wait_monitors_gone 10; then
	it_ok "once the pods are removed, every monitor of this test is gone and $IT_RUN_DIR is empty"
else
	it_not_ok "once the pods are removed, every monitor is gone and the run dir is empty" "$(it_describe_leftovers)"
fi
it_diag "took $(($(it_now_ms) - setup_started)) ms after the install"
it_end
