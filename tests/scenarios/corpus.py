#!/usr/bin/python3
"""The scenario corpus's data work (tests/scenarios/run.sh calls it).

    corpus.py validate CORPUS
        checks corpus.tsv (columns, names, values) and prints one line per
        case, tab-separated, for run.sh to read
    corpus.py config CORPUS_CONFIG [KEY=VALUE ...]
        the config a case needs: its config column ("-" or KEY=VALUE words)
        then the other KEY=VALUEs (later ones win), as top-level KEY=JSON
        arguments for itjson.py
        config; a dotted KEY sets a nested one (monitor.tracker=procfs gives
        {"monitor": {"tracker": "procfs"}}); a VALUE that is not JSON is a
        string
    corpus.py table CORPUS
        the README's table of cases, generated from the corpus
    corpus.py check-readme CORPUS README
        exit 1 unless README holds exactly that table
    corpus.py score MANIFEST --watcher sockdiag|seccomp --mode detect|block
                    [--json FILE]
        judges every case of a run: MANIFEST has one line per case
        (name, container id, output file, alerts file, tab-separated);
        prints the table and totals, writes the JSON

How a case is judged.  Every egprobe attempt prints
"egprobe[PID]: KIND ADDR port PORT: OUTCOME" (a burst: "burst tcp ADDR
ports A..B: ..."); the marker (1.0.0.1, the scenarios' positive control) is
set apart.  The other attempts are the case's: within one container each
uses its own destination port, and an attempt is caught when an alert of
that container (not to the marker) names its port.  A positive case is
caught when every attempt is; a negative case is a false alert when any
alert other than the marker's came.  In block mode an attempt is blocked
when the program saw EPERM; a positive case must have every attempt
blocked, a negative case none (and egprobe loopback must say "all passed").
A case whose output shows the marker attempt needs the marker's alert
("control"): otherwise its "no alert" could mean nothing was watched.
"""

import json
import re
import sys

COLUMNS = ["name", "entrypoint", "args", "network", "config", "expected", "sockdiag",
           "description"]
MARKER = "1.0.0.1"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
ATTEMPT = re.compile(r"^egprobe\[\d+\]: (?:sc-|sys-)?(tcp|udp|udp-sendto|udp-sendmsg|"
                     r"udp-sendmmsg|tcp-blocking) (\S+) port (\d+): (.*)$")
BURST = re.compile(r"^egprobe\[\d+\]: burst tcp (\S+) ports (\d+)\.\.(\d+): (\d+) attempts, "
                   r"(\d+) pending, (\d+) connected, (\d+) failed(?:: (.*))?$")
LOOPBACK = re.compile(r"^egprobe\[\d+\]: loopback \((\w+)\): (all passed|SOME FAILED)$")


def load_corpus(path):
    cases = []
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        where = f"{path}:{number}"
        if len(fields) != len(COLUMNS):
            sys.exit(f"{where}: {len(fields)} columns, wanted {len(COLUMNS)}: {' '.join(COLUMNS)}")
        case = dict(zip(COLUMNS, fields))
        if not NAME.match(case["name"]):
            sys.exit(f"{where}: bad name {case['name']!r}")
        if any(c["name"] == case["name"] for c in cases):
            sys.exit(f"{where}: duplicate name {case['name']!r}")
        if case["network"] not in ("sink", "none"):
            sys.exit(f"{where}: network must be sink or none")
        if case["expected"] not in ("alert", "none"):
            sys.exit(f"{where}: expected must be alert or none")
        allowed = ("alert", "blind") if case["expected"] == "alert" else ("none",)
        if case["sockdiag"] not in allowed:
            sys.exit(f"{where}: sockdiag must be one of {'/'.join(allowed)} for expected "
                     f"{case['expected']}")
        if not case["description"].strip():
            sys.exit(f"{where}: no description")
        if case["config"] != "-":
            for word in case["config"].split():
                if "=" not in word:
                    sys.exit(f"{where}: config word {word!r} is not KEY=VALUE")
        cases.append(case)
    if not cases:
        sys.exit(f"{path}: no cases")
    return cases


def config_pairs(words):
    document = {}
    for word in words:
        key, _, text = word.partition("=")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        parts = key.split(".")
        node = document
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return [f"{key}={json.dumps(value)}" for key, value in document.items()]


def table(cases):
    lines = ["| scenario | entrypoint and arguments | network | config | expected | sock_diag | what it exercises |",
             "|---|---|---|---|---|---|---|"]
    for case in cases:
        args = "" if case["args"] == "-" else " " + case["args"]
        cells = [f"`{case['name']}`", f"`{case['entrypoint']}.sh{args}`", case["network"],
                 "" if case["config"] == "-" else f"`{case['config']}`", case["expected"],
                 case["sockdiag"], case["description"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def check_readme(cases, readme):
    text = open(readme, encoding="utf-8").read()
    want = table(cases)
    if want in text:
        return 0
    print(f"{readme} does not hold the table generated from the corpus; regenerate it with\n"
          f"  tests/scenarios/corpus.py table tests/scenarios/corpus.tsv\n"
          f"and paste it between the markers.  Wanted:\n{want}")
    return 1


# ---- scoring --------------------------------------------------------------------


def is_marker(address):
    return address in (MARKER, "::ffff:" + MARKER)


def read_output(path):
    """The case's attempts, the marker's outcome, loopback summaries."""
    attempts = []  # (port, outcome)
    marker = None
    loopback = []
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        match = ATTEMPT.match(line)
        if match:
            address, port, outcome = match.group(2), int(match.group(3)), match.group(4)
            if is_marker(address):
                marker = outcome
            else:
                attempts.append((port, outcome))
            continue
        match = BURST.match(line)
        if match:
            first, last = int(match.group(2)), int(match.group(3))
            failed, error = int(match.group(7)), match.group(8) or ""
            count = last - first + 1
            denied = failed == count and "not permitted" in error
            for port in range(first, last + 1):
                attempts.append((port, "Operation not permitted [EPERM]" if denied else
                                 f"burst: {failed} of {count} failed {error}".strip()))
            continue
        match = LOOPBACK.match(line)
        if match:
            loopback.append(match.group(2))
    return attempts, marker, loopback


def read_alerts(path, container_id):
    alerts = []
    try:
        handle = open(path, encoding="utf-8", errors="replace")
    except OSError:
        return alerts
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            if (record.get("container") or {}).get("id") != container_id:
                continue
            destination = record.get("destination") or {}
            alerts.append({
                "ip": str(destination.get("ip")),
                "port": destination.get("port"),
                "action": (record.get("entryguard") or {}).get("action"),
                "source": (record.get("entryguard") or {}).get("source"),
            })
    return alerts


def judge(case, container_id, output, alerts_file, watcher, mode):
    attempts, marker, loopback = read_output(output)
    alerts = read_alerts(alerts_file, container_id)
    targets = [a for a in alerts if not is_marker(a["ip"])]
    marker_alerts = [a for a in alerts if is_marker(a["ip"])]
    alerted_ports = {a["port"] for a in targets}
    ports = [port for port, _ in attempts]
    caught_ports = [p for p in ports if p in alerted_ports]
    positive = case["expected"] == "alert"
    ran = bool(attempts or loopback)
    notes = []
    if not ran:
        notes.append("no attempt seen in the container's output")
    if positive:
        result = "caught" if ports and len(caught_ports) == len(ports) else "missed"
        if ports and 0 < len(caught_ports) < len(ports):
            missed = [str(p) for p in ports if p not in alerted_ports]
            notes.append(f"{len(caught_ports)} of {len(ports)} attempts alerted (no alert "
                         f"for port {', '.join(missed[:8])}{'...' if len(missed) > 8 else ''})")
    else:
        result = "false-alert" if targets else "correct-none"
        if targets:
            notes.append("alerts to " + ", ".join(sorted({f"{a['ip']}:{a['port']}" for a in targets})))
    control = "-"
    if marker is not None:
        control = "ok" if marker_alerts else "missing"
        if not marker_alerts:
            notes.append("the marker (1.0.0.1) did not alert: was the container watched?")
    block = "-"
    if mode == "block":
        denied = [o for _, o in attempts if "[EPERM]" in o]
        if positive:
            block = "blocked" if attempts and len(denied) == len(attempts) else "allowed"
            if attempts and 0 < len(denied) < len(attempts):
                notes.append(f"{len(denied)} of {len(attempts)} attempts blocked")
            not_blocked = sorted({str(a["action"]) for a in targets} - {"blocked"})
            if not_blocked:
                block = "allowed"
                notes.append(f"alerts with entryguard.action {', '.join(not_blocked)}, not blocked")
        else:
            failed_loopback = [s for s in loopback if s != "all passed"]
            block = "allowed" if not denied and not failed_loopback and ran else "blocked"
            if denied:
                notes.append(f"{len(denied)} attempt(s) saw EPERM")
            if failed_loopback:
                notes.append("egprobe loopback: SOME FAILED")
    want = case["expected"] if watcher == "seccomp" else case["sockdiag"]
    if want == "blind" and result == "caught":
        notes.append("seen although marked blind (by chance: a dump fell in its lifetime)")
    if want == "blind":
        as_expected = None  # reported, not asserted
    elif want == "alert":
        as_expected = result == "caught"
    else:
        as_expected = result == "correct-none"
    if as_expected is not None:
        as_expected = as_expected and ran and control != "missing"
        if mode == "block":
            as_expected = as_expected and block == ("blocked" if positive else "allowed")
    outcomes = sorted({o for _, o in attempts})
    return {
        "name": case["name"],
        "expected": case["expected"],
        "sockdiag_expected": case["sockdiag"],
        "watcher_expected": want,
        "result": result,
        "block": block,
        "control": control,
        "as_expected": as_expected,
        "attempts": len(ports),
        "attempts_alerted": len(caught_ports),
        "alerts": len(targets),
        "marker_alerts": len(marker_alerts),
        "outcomes": outcomes[:5],
        "alert_sources": sorted({str(a["source"]) for a in targets}),
        "alert_actions": sorted({str(a["action"]) for a in targets}),
        "notes": notes,
        "container_id": container_id,
        "network": case["network"],
        "config": case["config"],
        "description": case["description"],
    }


def score(corpus_path, manifest, watcher, mode, json_path):
    cases = {c["name"]: c for c in load_corpus(corpus_path)}
    results = []
    for line in open(manifest, encoding="utf-8"):
        name, container_id, output, alerts_file = line.rstrip("\n").split("\t")
        results.append(judge(cases[name], container_id, output, alerts_file, watcher, mode))
    positives = [r for r in results if r["expected"] == "alert"]
    negatives = [r for r in results if r["expected"] == "none"]
    totals = {
        "watcher": watcher,
        "mode": mode,
        "scenarios_total": len(results),
        "positives": len(positives),
        "negatives": len(negatives),
        "caught": sum(r["result"] == "caught" for r in positives),
        "missed": sum(r["result"] == "missed" for r in positives),
        "missed_known_blind": sum(r["result"] == "missed" and r["watcher_expected"] == "blind"
                                  for r in positives),
        "false_alerts": sum(r["result"] == "false-alert" for r in negatives),
        "correct_none": sum(r["result"] == "correct-none" for r in negatives),
        "control_missing": sum(r["control"] == "missing" for r in results),
        "not_as_expected": sum(r["as_expected"] is False for r in results),
    }
    if mode == "block":
        totals["blocked"] = sum(r["block"] == "blocked" for r in positives)
        totals["allowed"] = sum(r["block"] == "allowed" for r in negatives)
    width = max(len(r["name"]) for r in results)
    head = f"{'scenario':<{width}}  {'expected':<14} {'result':<13}"
    if mode == "block":
        head += f" {'block':<8}"
    head += f" {'control':<8} note"
    print(head)
    for r in results:
        expected = r["expected"]
        if watcher == "sockdiag" and r["sockdiag_expected"] == "blind":
            expected += " (blind)"
        line = f"{r['name']:<{width}}  {expected:<14} {r['result']:<13}"
        if mode == "block":
            line += f" {r['block']:<8}"
        flag = "" if r["as_expected"] is not False else "UNEXPECTED "
        line += f" {r['control']:<8} {flag}{'; '.join(r['notes'])}"
        print(line.rstrip())
    summary = (f"totals ({watcher}, {mode}): {totals['scenarios_total']} scenarios, "
               f"{totals['positives']} positives: {totals['caught']} caught, {totals['missed']} "
               f"missed ({totals['missed_known_blind']} known blind); {totals['negatives']} "
               f"negatives: {totals['false_alerts']} false alerts")
    if mode == "block":
        summary += (f"; blocked {totals['blocked']}/{totals['positives']}, allowed "
                    f"{totals['allowed']}/{totals['negatives']}")
    summary += f"; {totals['not_as_expected']} not as expected"
    print(summary)
    if json_path:
        document = dict(totals)
        document["scenarios"] = results
        with open(json_path + ".part", "w") as handle:
            json.dump(document, handle, indent=1)
            handle.write("\n")
        import os
        os.replace(json_path + ".part", json_path)
    return 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    command, path = sys.argv[1], sys.argv[2]
    if command == "validate":
        for case in load_corpus(path):
            print("\t".join(case[c] for c in COLUMNS))
        return 0
    if command == "config":
        words = ([] if path == "-" else path.split()) + sys.argv[3:]
        for word in words:
            if "=" not in word:
                sys.exit(f"corpus.py config: {word!r} is not KEY=VALUE")
        for pair in config_pairs(words):
            print(pair)
        return 0
    if command == "table":
        sys.stdout.write(table(load_corpus(path)))
        return 0
    if command == "check-readme":
        return check_readme(load_corpus(path), sys.argv[3])
    if command == "score":
        arguments = sys.argv[3:]
        options = {"--watcher": None, "--mode": "detect", "--json": None, "--corpus": None}
        manifest = path
        while arguments:
            option = arguments.pop(0)
            if option not in options or not arguments:
                sys.exit(f"corpus.py score: unknown option {option}")
            options[option] = arguments.pop(0)
        return score(options["--corpus"], manifest, options["--watcher"], options["--mode"],
                     options["--json"])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
