#!/usr/bin/python3
"""Edit OCI config.json files and Podman seccomp profiles for tests.

    oci_edit.py bundle CONFIG [options]     edit a bundle's config.json in place
      --args JSON                 process.args, e.g. '["/entrypoint.sh","true"]'
      --no-terminal               process.terminal = false
      --hook STAGE PATH ARGS      append a hook; ARGS is a JSON list of the arguments
                                  after args[0] (PATH's basename): repeatable
      --notify SYSCALL            make SYSCALL go to the seccomp listener (repeatable);
                                  adds an allow-all profile when there is none
      --listener-path PATH        linux.seccomp.listenerPath
      --listener-metadata TEXT    linux.seccomp.listenerMetadata
      --save-original FILE        copy CONFIG's bytes to FILE before editing
    oci_edit.py profile SRC DST --notify SYSCALL [--listener-path PATH]
                                  copy a containers seccomp.json (Podman's format)
                                  sending SYSCALL to the listener
    oci_edit.py check-netns CONFIG
                                  exit 1 unless the container gets a new, empty network
                                  namespace (a "network" entry without "path")
"""

import json
import os
import shutil
import sys


def load(path):
    with open(path, "rb") as handle:
        return json.load(handle)


def save(path, document):
    temporary = path + ".part"
    with open(temporary, "w") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


def send_to_listener(rules, syscalls):
    """Takes SYSCALLS out of every rule and adds one SCMP_ACT_NOTIFY rule for them."""
    for rule in rules:
        names = rule.get("names")
        if names:
            rule["names"] = [name for name in names if name not in syscalls]
    rules[:] = [rule for rule in rules if rule.get("names") != []]
    rules.append({"names": list(syscalls), "action": "SCMP_ACT_NOTIFY"})


def edit_bundle(arguments):
    config_path = arguments.pop(0)
    document = load(config_path)
    notify = []
    listener_path = None
    listener_metadata = None
    while arguments:
        option = arguments.pop(0)
        if option == "--args":
            document.setdefault("process", {})["args"] = json.loads(arguments.pop(0))
        elif option == "--no-terminal":
            document.setdefault("process", {})["terminal"] = False
        elif option == "--hook":
            stage, path, hook_args = arguments.pop(0), arguments.pop(0), json.loads(arguments.pop(0))
            hook = {"path": path, "args": [os.path.basename(path)] + hook_args}
            document.setdefault("hooks", {}).setdefault(stage, []).append(hook)
        elif option == "--notify":
            notify.append(arguments.pop(0))
        elif option == "--listener-path":
            listener_path = arguments.pop(0)
        elif option == "--listener-metadata":
            listener_metadata = arguments.pop(0)
        elif option == "--save-original":
            shutil.copyfile(config_path, arguments.pop(0))
        else:
            raise SystemExit(f"oci_edit.py bundle: unknown option {option}")
    if notify or listener_path is not None or listener_metadata is not None:
        linux = document.setdefault("linux", {})
        seccomp = linux.get("seccomp")
        if seccomp is None:
            seccomp = linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}
        if notify:
            send_to_listener(seccomp.setdefault("syscalls", []), notify)
        if listener_path is not None:
            seccomp["listenerPath"] = listener_path
        if listener_metadata is not None:
            seccomp["listenerMetadata"] = listener_metadata
    save(config_path, document)


def edit_profile(arguments):
    source, destination = arguments.pop(0), arguments.pop(0)
    profile = load(source)
    notify = []
    while arguments:
        option = arguments.pop(0)
        if option == "--notify":
            notify.append(arguments.pop(0))
        elif option == "--listener-path":
            profile["listenerPath"] = arguments.pop(0)
        else:
            raise SystemExit(f"oci_edit.py profile: unknown option {option}")
    send_to_listener(profile.setdefault("syscalls", []), notify)
    save(destination, profile)


def check_network_namespace(arguments):
    document = load(arguments[0])
    namespaces = document.get("linux", {}).get("namespaces", [])
    for namespace in namespaces:
        if namespace.get("type") == "network" and not namespace.get("path"):
            return 0
    print(f"{arguments[0]}: no new network namespace; refusing to run it", file=sys.stderr)
    return 1


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "bundle":
        edit_bundle(arguments)
    elif command == "profile":
        edit_profile(arguments)
    elif command == "check-netns":
        return check_network_namespace(arguments)
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
