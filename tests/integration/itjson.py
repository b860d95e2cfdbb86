#!/usr/bin/python3
"""JSON work for the integration tests (tests/integration/lib.sh calls it).

    itjson.py config OUT [KEY=JSON ...]
        writes an entryguard config: the given top-level keys (values are JSON)
    itjson.py hooks OUT HOOK_PATH [ENV=VALUE ...]
        writes a hooks.d entry (createRuntime, when always) with that env
    itjson.py bundle CONFIG --rootfs DIR --args JSON --netns PATH|new
                     [--hook PATH --hook-env ENV=VALUE ...] [--hostname NAME]
        edits a `runc spec` / `crun spec` config.json in place for a test
    itjson.py guard-bundle CONFIG [ALLOWED_NETNS_PATH ...]
        the network guard: exit 1 unless the container gets a new, empty
        network namespace or joins one of the allowed (sinkhole) namespaces
    itjson.py count FILE CONTAINER_ID [DEST_IP]
        how many alerts for that container (and destination); wherever a
        DEST_IP is asked for, "port:N" selects by destination port instead
    itjson.py count-all FILE
        how many alert lines the file holds
    itjson.py get FILE CONTAINER_ID DEST_IP DOTTED.KEY
        a field of the one alert for that container and destination
        (strings as they are, other values as JSON; exit 1 when absent)
    itjson.py expect FILE CONTAINER_ID DEST_IP EXPRESSION...
        checks the one alert for that container and destination; an
        EXPRESSION is KEY OP VALUE with OP one of == != < <= > >= ~ (contains),
        or KEY? (present); a VALUE "@OTHER.KEY" names another field.  Prints
        each failed expression; exit 1 when any failed
    itjson.py show FILE CONTAINER_ID
        that container's alerts, one per line, for diagnostics
    itjson.py check-ecs FILE
        every line is one JSON object with nested (not dotted) keys
"""

import ipaddress
import json
import os
import sys


def save(path, document):
    temporary = path + ".part"
    with open(temporary, "w") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


def split_pairs(pairs):
    for pair in pairs:
        key, _, value = pair.partition("=")
        yield key, value


def write_config(out, pairs):
    document = {}
    for key, value in split_pairs(pairs):
        document[key] = json.loads(value)
    save(out, document)


def write_hooks(out, hook_path, env):
    save(out, {
        "version": "1.0.0",
        "hook": {
            "path": hook_path,
            "args": ["entryguard-hook", "createRuntime"],
            "env": list(env),
        },
        "when": {"always": True},
        "stages": ["createRuntime"],
    })


def edit_bundle(config, arguments):
    with open(config) as handle:
        document = json.load(handle)
    hook_path = None
    hook_env = []
    netns = None
    while arguments:
        option = arguments.pop(0)
        if option == "--rootfs":
            document["root"] = {"path": arguments.pop(0), "readonly": True}
        elif option == "--args":
            document["process"]["args"] = json.loads(arguments.pop(0))
        elif option == "--netns":
            netns = arguments.pop(0)
        elif option == "--hook":
            hook_path = arguments.pop(0)
        elif option == "--hook-env":
            hook_env.append(arguments.pop(0))
        elif option == "--hostname":
            document["hostname"] = arguments.pop(0)
        else:
            raise SystemExit(f"itjson.py bundle: unknown option {option}")
    document["process"]["terminal"] = False
    namespaces = [n for n in document["linux"]["namespaces"] if n.get("type") != "network"]
    network = {"type": "network"}
    if netns is None:
        raise SystemExit("itjson.py bundle: --netns PATH|new is required")
    if netns != "new":
        network["path"] = netns
    namespaces.append(network)
    document["linux"]["namespaces"] = namespaces
    document.pop("hooks", None)
    if hook_path:
        document["hooks"] = {"createRuntime": [{
            "path": hook_path,
            "args": ["entryguard-hook", "createRuntime"],
            "env": hook_env,
        }]}
    save(config, document)


def guard_bundle(config, allowed):
    with open(config) as handle:
        document = json.load(handle)
    networks = [n for n in document.get("linux", {}).get("namespaces", [])
                if n.get("type") == "network"]
    if len(networks) == 1:
        path = networks[0].get("path")
        if not path or path in allowed:
            return 0
    print(f"{config}: the container's network is not a new empty namespace nor the "
          f"test's sinkhole ({networks}); refusing to run it", file=sys.stderr)
    return 1


def load_alerts(path, container_id, destination=None):
    alerts = []
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return alerts
    with handle:
        for line in handle:
            record = json.loads(line)
            if record.get("container", {}).get("id") != container_id:
                continue
            if destination is not None and destination.startswith("port:"):
                # "port:N": by destination port alone (an IPv4-mapped address
                # may be reported either way)
                if record.get("destination", {}).get("port") != int(destination[5:]):
                    continue
            elif destination is not None:
                ip = record.get("destination", {}).get("ip")
                if ip is None or ipaddress.ip_address(ip) != ipaddress.ip_address(destination):
                    continue
            alerts.append(record)
    return alerts


def get_field(record, dotted):
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "~")


def as_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def evaluate(record, expression):
    """Returns None when the expression holds, else why not."""
    if expression.endswith("?"):
        key = expression[:-1]
        return None if get_field(record, key) is not None else f"{key} is absent"
    for operator in OPERATORS:
        key, found, wanted = expression.partition(operator)
        if found:
            break
    else:
        return f"bad expression {expression!r}"
    actual = get_field(record, key)
    if wanted.startswith("@"):
        wanted = get_field(record, wanted[1:])
    if actual is None:
        return f"{key} is absent (wanted {operator} {wanted!r})"
    if operator in ("==", "!="):
        number_actual, number_wanted = as_number(actual), as_number(wanted)
        if number_actual is not None and number_wanted is not None:
            equal = number_actual == number_wanted
        else:
            equal = str(actual) == str(wanted)
        holds = equal if operator == "==" else not equal
    elif operator == "~":
        holds = str(wanted) in str(actual)
    else:
        number_actual, number_wanted = as_number(actual), as_number(wanted)
        if number_actual is None or number_wanted is None:
            return f"{key} = {actual!r}: not comparable with {wanted!r}"
        holds = {"<": number_actual < number_wanted, "<=": number_actual <= number_wanted,
                 ">": number_actual > number_wanted,
                 ">=": number_actual >= number_wanted}[operator]
    return None if holds else f"{key} = {json.dumps(actual)}, wanted {operator} {wanted!r}"


def expect(path, container_id, destination, expressions):
    alerts = load_alerts(path, container_id, destination)
    if len(alerts) != 1:
        print(f"{len(alerts)} alerts for {container_id} to {destination}, wanted 1")
        for record in load_alerts(path, container_id):
            print("alert: " + json.dumps(record, sort_keys=True))
        return 1
    failures = [why for why in (evaluate(alerts[0], e) for e in expressions) if why]
    for why in failures:
        print(why)
    if failures:
        print("the alert: " + json.dumps(alerts[0], sort_keys=True))
    return 1 if failures else 0


def check_ecs(path):
    bad = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                record = json.loads(line)
            except ValueError as error:
                print(f"line {number}: not JSON: {error}")
                bad += 1
                continue
            if not isinstance(record, dict) or not line.endswith(b"\n"):
                print(f"line {number}: not one object ending in a newline")
                bad += 1
            stack = [record]
            while stack:
                item = stack.pop()
                if isinstance(item, dict):
                    for key, value in item.items():
                        if "." in key:
                            print(f"line {number}: dotted key {key!r}")
                            bad += 1
                        stack.append(value)
    return 1 if bad else 0


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "config":
        write_config(arguments[0], arguments[1:])
    elif command == "hooks":
        write_hooks(arguments[0], arguments[1], arguments[2:])
    elif command == "bundle":
        edit_bundle(arguments[0], arguments[1:])
    elif command == "guard-bundle":
        return guard_bundle(arguments[0], arguments[1:])
    elif command == "count":
        destination = arguments[2] if len(arguments) > 2 else None
        print(len(load_alerts(arguments[0], arguments[1], destination)))
    elif command == "count-all":
        try:
            with open(arguments[0], "rb") as handle:
                print(sum(1 for _ in handle))
        except FileNotFoundError:
            print(0)
    elif command == "get":
        alerts = load_alerts(arguments[0], arguments[1], arguments[2])
        if len(alerts) != 1:
            print(f"itjson.py get: {len(alerts)} alerts for {arguments[1]} to {arguments[2]}",
                  file=sys.stderr)
            return 1
        value = get_field(alerts[0], arguments[3])
        if value is None:
            return 1
        print(value if isinstance(value, str) else json.dumps(value))
    elif command == "expect":
        return expect(arguments[0], arguments[1], arguments[2], arguments[3:])
    elif command == "show":
        for record in load_alerts(arguments[0], arguments[1]):
            print(json.dumps(record, sort_keys=True))
    elif command == "check-ecs":
        return check_ecs(arguments[0])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
