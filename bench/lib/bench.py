#!/usr/bin/python3
"""bench/run's number work.

    bench.py latency OUTPUT ALERTS SAMPLES MISSED
        attempt-to-alert: egprobe's "attempt at <us>" (CLOCK_REALTIME just
        before connect()) per port in OUTPUT, against the @timestamp of the
        alert to that port in ALERTS; appends microseconds to SAMPLES and
        the number of attempts without an alert to MISSED
    bench.py count-ports ALERTS PORT...
        how many of the PORTs have at least one alert
    bench.py records auditd|bpftrace ATTEMPTS RECORDS
        attempt-to-record: for each attempt in ATTEMPTS (a container's
        output), the tracer's own timestamp of the record for that port
        (audit: msg=audit(SECONDS.MS:SERIAL) of the SYSCALL record whose
        SOCKADDR names the port; bpftrace: nsecs + RECORDS.offset), minus
        the attempt time; prints microseconds, one per line
    bench.py summarize DATA OUT_JSON
        every figure from the samples in DATA: bench/results/latest.json,
        and the table on stdout
    bench.py table JSON
        the table again, from a results file
    bench.py markdown JSON [--update FILE]
        the results as a Markdown table (docs/PERFORMANCE.md); with
        --update, replaces the part of FILE between the results markers
"""

import datetime
import json
import math
import os
import re
import statistics
import sys

ATTEMPT = re.compile(r"egprobe\[(\d+)\]: attempt at (\d+) us")
OUTCOME = re.compile(r"egprobe\[(\d+)\]: \S+ \S+ port (\d+): ")


def attempts_by_port(path):
    """{port: attempt time in us} from an egprobe output (pids pair them)."""
    at, by_port = {}, {}
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return {}
    for line in lines:
        m = ATTEMPT.search(line)
        if m:
            at[m.group(1)] = int(m.group(2))
            continue
        m = OUTCOME.search(line)
        if m and m.group(1) in at:
            by_port[int(m.group(2))] = at.pop(m.group(1))
    return by_port


def stamp_us(text):
    stamp = datetime.datetime.strptime(text.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    return round(stamp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6)


def alerts_by_port(path):
    first = {}
    try:
        handle = open(path)
    except OSError:
        return {}
    for line in handle:
        try:
            record = json.loads(line)
            port = record["destination"]["port"]
            at = stamp_us(record["@timestamp"])
        except (ValueError, KeyError, TypeError):
            continue
        if port not in first or at < first[port]:
            first[port] = at
    return first


def command_latency(output, alerts, samples, missed):
    attempts = attempts_by_port(output)
    alerted = alerts_by_port(alerts)
    lost = 0
    with open(samples, "a") as out:
        for port, at in sorted(attempts.items()):
            if port in alerted:
                out.write(f"{alerted[port] - at}\n")
            else:
                lost += 1
    with open(missed, "a") as out:
        out.write(f"{lost}\n")


def command_count_ports(alerts, ports):
    alerted = alerts_by_port(alerts)
    print(sum(1 for port in ports if int(port) in alerted))


AUDIT_STAMP = re.compile(r"msg=audit\((\d+)\.(\d+):(\d+)\)")


def audit_records(path):
    """{port: [record times in us]} from `ausearch --raw` output."""
    events = {}
    for line in open(path, errors="replace"):
        m = AUDIT_STAMP.search(line)
        if not m:
            continue
        event = events.setdefault(m.group(3), {"us": int(m.group(1)) * 1000000 + int(m.group(2)) * 1000})
        if line.startswith("type=SYSCALL"):
            event["ours"] = 'comm="egbnattempt"' in line
        m = re.search(r"saddr=([0-9A-Fa-f]+)", line)
        if line.startswith("type=SOCKADDR") and m and len(m.group(1)) >= 8:
            raw = bytes.fromhex(m.group(1))
            if raw[0] in (2, 10):  # AF_INET, AF_INET6 (little-endian family)
                event["port"] = int.from_bytes(raw[2:4], "big")
    records = {}
    for e in events.values():
        if e.get("ours") and "port" in e:
            records.setdefault(e["port"], []).append(e["us"])
    return records


def bpftrace_records(path):
    """{port: [record times in us]} from the bench's bpftrace output."""
    try:
        offset = int(open(path + ".offset").read().strip())
    except (OSError, ValueError):
        return {}
    records = {}
    for line in open(path, errors="replace"):
        parts = line.split()
        if len(parts) != 4 or parts[0] != "egbnattempt":
            continue
        try:
            port, ns = int(parts[3]), int(parts[2])
        except ValueError:
            continue
        records.setdefault(port, []).append((ns + offset) // 1000)
    return records


def command_records(kind, attempts_path, records_path):
    attempts = attempts_by_port(attempts_path)
    try:
        records = audit_records(records_path) if kind == "auditd" else bpftrace_records(records_path)
    except OSError:
        records = {}
    lost = 0
    for port, at in sorted(attempts.items()):
        # The record of this attempt: its port, within 2 s (an earlier run
        # may have used the same port: `ausearch -ts recent` reaches back).
        near = [t for t in records.get(port, []) if abs(t - at) < 2000000]
        if near:
            print(min(near, key=lambda t: abs(t - at)) - at)
        else:
            lost += 1
    if lost:
        print(f"{kind}: {lost} of {len(attempts)} attempts without a record", file=sys.stderr)


# ---- statistics ---------------------------------------------------------------


def load(data, name, scale=1.0):
    try:
        text = open(os.path.join(data, name)).read()
    except OSError:
        return []
    values = []
    for word in text.split():
        try:
            values.append(float(word) * scale)
        except ValueError:
            pass
    return values


def percentile(values, q):
    """Nearest rank: the smallest value with at least q of the samples at or under it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def median(values):
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


def paired_ratios(a, b):
    return [x / y for x, y in zip(a, b) if y]


def rounded(value, digits=3):
    return None if value is None else round(value, digits)


def summarize(data):
    r = {}
    notes = []
    try:
        for line in open(os.path.join(data, "notes.tsv")):
            section, _, text = line.rstrip("\n").partition("\t")
            notes.append({"section": section, "note": text})
    except OSError:
        pass

    # 1. container start
    start = {v: load(data, "start_us." + v, 1e-3) for v in ("crun", "hook-crun", "block", "runc", "hook-runc")}
    for v, values in start.items():
        key = v.replace("-", "_")
        r[f"start_ms_median_{key}"] = rounded(median(values), 1)
        r[f"start_ms_p95_{key}"] = rounded(percentile(values, 0.95), 1)
        r[f"start_n_{key}"] = len(values)
    r["start_ratio_hook_crun"] = rounded(ratio(median(start["hook-crun"]), median(start["crun"])))
    r["start_ratio_block_crun"] = rounded(ratio(median(start["block"]), median(start["crun"])))
    r["start_ratio_hook_runc"] = rounded(ratio(median(start["hook-runc"]), median(start["runc"])))
    for name, a, b in (("hook_crun", "hook-crun", "crun"), ("block_crun", "block", "crun"),
                       ("hook_runc", "hook-runc", "runc")):
        pairs = paired_ratios(start[a], start[b])
        r[f"start_ratio_{name}_paired_p95"] = rounded(percentile(pairs, 0.95))
        # Two readings that resist a shared machine's bursts: the median of
        # each round's own ratio, and the ratio of the lower quartiles.
        r[f"start_ratio_{name}_paired_median"] = rounded(median(pairs))
        r[f"start_ratio_{name}_q25"] = rounded(ratio(percentile(start[a], 0.25), percentile(start[b], 0.25)))

    # 2. the hook
    hook = load(data, "hook_ms")
    r["hook_ms_median"] = rounded(median(hook), 2)
    r["hook_ms_p95"] = rounded(percentile(hook, 0.95), 2)
    r["hook_ms_p99"] = rounded(percentile(hook, 0.99), 2)
    r["hook_n"] = len(hook)
    inside = load(data, "hook_internal_ms")
    r["hook_internal_ms_median"] = rounded(median(inside), 2)
    r["hook_internal_ms_p99"] = rounded(percentile(inside, 0.99), 2)
    r["hook_internal_n"] = len(inside)

    # 3. attempt to alert
    for path in ("sockdiag", "seccomp"):
        lat = load(data, "latency_us." + path, 1e-3)
        r[f"alert_latency_ms_median_{path}"] = rounded(median(lat), 2)
        r[f"alert_latency_ms_p95_{path}"] = rounded(percentile(lat, 0.95), 2)
        r[f"alert_latency_ms_p99_{path}"] = rounded(percentile(lat, 0.99), 2)
        r[f"alert_latency_n_{path}"] = len(lat)
        r[f"alert_latency_missed_{path}"] = int(sum(load(data, "latency_missed." + path)))

    # 4. scenarios
    runs = {}
    for watcher, mode in (("sockdiag", "detect"), ("seccomp", "detect"), ("seccomp", "block")):
        try:
            runs[(watcher, mode)] = json.load(open(os.path.join(data, f"scenarios.{watcher}.{mode}.json")))
        except (OSError, ValueError):
            pass
    total = next((run.get("scenarios_total") for run in runs.values() if "scenarios_total" in run), None)
    r["scenarios_total"] = total
    for (watcher, mode), run in runs.items():
        suffix = watcher if mode == "detect" else f"{watcher}_{mode}"
        for key in ("caught", "missed", "false_alerts"):
            r[f"scenarios_{key}_{suffix}"] = run.get(key)
        for key, value in run.items():
            if key not in ("scenarios_total", "caught", "missed", "false_alerts") and isinstance(
                    value, (int, float, str)):
                r[f"scenarios_{suffix}_{key}"] = value
        r[f"scenarios_{suffix}_detail"] = {k: v for k, v in run.items() if isinstance(v, (list, dict))} or None
    r.setdefault("scenarios_caught_sockdiag", None)
    r.setdefault("scenarios_caught_seccomp", None)
    falses = [run.get("false_alerts") for run in runs.values() if isinstance(run.get("false_alerts"), int)]
    r["false_alerts"] = sum(falses) if falses else None

    # 5. monitor cost
    idle = load(data, "rss_kib.idle")
    r["monitor_rss_kib_idle"] = rounded(median(idle), 0)
    r["monitor_rss_kib_idle_max"] = rounded(max(idle) if idle else None, 0)
    r["monitor_pss_kib_idle"] = rounded(median(load(data, "pss_kib.idle")), 0)
    r["monitor_private_kib_idle"] = rounded(median(load(data, "private_kib.idle")), 0)
    r["monitor_private_kib_1000_tracked"] = rounded(median(load(data, "private_kib.tracked_1000")), 0)
    tracked = load(data, "rss_kib.tracked_1000")
    r["monitor_rss_kib_1000_tracked"] = rounded(median(tracked), 0)
    count = load(data, "tracked_processes.value")
    r["monitor_tracked_processes"] = int(count[0]) if count else None
    r["monitor_rss_kib_after_exec_storm"] = rounded(median(load(data, "rss_kib.after_storm")), 0)
    cpu = load(data, "cpu_ms_per_1000_execs")
    r["monitor_cpu_ms_per_1000_host_execs"] = rounded(median(cpu), 2)
    r["monitor_cpu_ms_per_1000_host_execs_max"] = rounded(max(cpu) if cpu else None, 2)
    r["monitor_cpu_ms_per_1000_host_execs_net"] = rounded(median(load(data, "cpu_ms_per_1000_execs_net")), 2)
    r["monitor_cpu_ms_per_s_idle"] = rounded(median(load(data, "cpu_ms_idle_per_s")), 2)
    r["host_exec_storm_ratio_monitor"] = rounded(ratio(median(load(data, "exec_storm_us.monitor")),
                                                       median(load(data, "exec_storm_us.none"))))
    plain, early, window, after = (load(data, "rate." + n) for n in ("plain", "plain_early", "block_window",
                                                                     "block_after"))
    r["connect_rate_plain_median"] = rounded(median(plain), 0)
    r["connect_rate_plain_early_median"] = rounded(median(early), 0)
    r["connect_rate_block_median"] = rounded(median(after), 0)
    r["connect_rate_block_window_median"] = rounded(median(window), 0)
    r["connect_rate_ratio_block"] = rounded(ratio(median(after), median(plain)))
    r["connect_rate_ratio_block_window"] = rounded(ratio(median(window), median(early)))
    r["connect_rate_ratio_block_p95_spread"] = rounded(percentile(paired_ratios(after, plain), 0.95))
    r["connect_rate_n"] = len(plain)

    # 6. scale
    scale_plain, scale_hook = load(data, "scale_us.crun", 1e-3), load(data, "scale_us.hook-crun", 1e-3)
    seen = load(data, "scale_alerts_seen")
    n = load(data, "scale_n.value")
    r["scale_containers"] = int(n[0]) if n else None
    r["scale_50_alerts_seen"] = int(min(seen)) if seen else None
    r["scale_50_monitors_seen"] = int(min(load(data, "scale_monitors"))) if load(data, "scale_monitors") else None
    r["scale_50_monitor_rss_sum_kib"] = rounded(median(load(data, "scale_rss_sum_kib")), 0)
    r["scale_50_monitor_pss_sum_kib"] = rounded(median(load(data, "scale_pss_sum_kib")), 0)
    r["scale_50_start_ms_plain"] = rounded(median(scale_plain), 0)
    r["scale_50_start_ms_hook"] = rounded(median(scale_hook), 0)
    r["scale_50_start_ratio"] = rounded(ratio(median(scale_hook), median(scale_plain)))
    r["scale_rounds"] = len(scale_hook)

    # 7. alternatives
    rates = {w: load(data, "rate.alt." + w) for w in ("none", "auditd", "bpftrace")}
    starts = {w: load(data, "start_us.alt." + w, 1e-3) for w in ("none", "auditd", "bpftrace")}
    r["connect_rate_alt_plain_median"] = rounded(median(rates["none"]), 0)
    for w in ("auditd", "bpftrace"):
        r[f"connect_rate_ratio_{w}"] = rounded(ratio(median(rates[w]), median(rates["none"])))
        r[f"connect_rate_{w}_median"] = rounded(median(rates[w]), 0)
        r[f"start_ratio_{w}"] = rounded(ratio(median(starts[w]), median(starts["none"])))
        rec = load(data, "record_us." + w, 1e-3)
        r[f"record_latency_ms_median_{w}"] = rounded(median(rec), 3)
        r[f"record_latency_ms_p99_{w}"] = rounded(percentile(rec, 0.99), 3)
        r[f"record_latency_n_{w}"] = len(rec)
    r["alternatives_rounds"] = len(rates["none"])
    r["notes"] = notes
    return r


# ---- the table ---------------------------------------------------------------

def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def target_rows(r):
    """(target, met?) for each target of issue 7."""
    positives = r.get("scenarios_seccomp_positives") or r.get("scenarios_positives")
    caught = r.get("scenarios_caught_seccomp")
    block, auditd = r.get("connect_rate_ratio_block"), r.get("connect_rate_ratio_auditd")

    def check(value, ok):
        return "n/a" if value is None else ("met" if ok(value) else "MISSED")

    return [
        ("hook under 5 ms median", check(r.get("hook_ms_median"), lambda v: v < 5)),
        ("start ratio under 1.05 with the hook (crun)", check(r.get("start_ratio_hook_crun"), lambda v: v < 1.05)),
        ("start ratio under 1.05 with the hook (runc)", check(r.get("start_ratio_hook_runc"), lambda v: v < 1.05)),
        ("attempt-to-alert p99 under 10 ms, seccomp path",
         check(r.get("alert_latency_ms_p99_seccomp"), lambda v: v < 10)),
        ("one idle monitor under 2 MiB RSS", check(r.get("monitor_rss_kib_idle"), lambda v: v < 2048)),
        ("seccomp path catches every positive scenario",
         "n/a" if caught is None or positives is None else ("met" if caught >= positives else "MISSED")),
        ("zero false alerts", check(r.get("false_alerts"), lambda v: v == 0)),
        ("block-mode connect rate ratio better than auditd's",
         "n/a" if block is None or auditd is None else ("met" if block > auditd else "MISSED")),
    ]


def rows(r):
    """(section, figure, value, spread, ratio) for the table."""
    out = []

    def add(section, figure, value, spread="", ratio_value=None, digits=2):
        out.append((section, figure, fmt(value, digits), spread, fmt(ratio_value, 3)))

    def ms(k, digits=1):
        return fmt(r.get(k), digits)

    for runtime in ("crun", "runc"):
        add("1 start", f"podman run --rm, {runtime}, no entryguard (ms)", r.get(f"start_ms_median_{runtime}"),
            f"p95 {ms(f'start_ms_p95_{runtime}')}, n {r.get(f'start_n_{runtime}')}", 1.0, 1)
        add("1 start", f"  {runtime}, with the hook (ms)", r.get(f"start_ms_median_hook_{runtime}"),
            f"p95 {ms(f'start_ms_p95_hook_{runtime}')}; paired ratios: median "
            f"{fmt(r.get(f'start_ratio_hook_{runtime}_paired_median'), 3)}, p95 "
            f"{fmt(r.get(f'start_ratio_hook_{runtime}_paired_p95'), 3)}; q25 ratio "
            f"{fmt(r.get(f'start_ratio_hook_{runtime}_q25'), 3)}",
            r.get(f"start_ratio_hook_{runtime}"), 1)
        if runtime == "crun":
            add("1 start", "  crun, entryguard-runtime in block mode (ms)", r.get("start_ms_median_block"),
                f"p95 {ms('start_ms_p95_block')}; paired ratios: median "
                f"{fmt(r.get('start_ratio_block_crun_paired_median'), 3)}, p95 "
                f"{fmt(r.get('start_ratio_block_crun_paired_p95'), 3)}; q25 ratio "
                f"{fmt(r.get('start_ratio_block_crun_q25'), 3)}",
                r.get("start_ratio_block_crun"), 1)
    add("2 hook", "hook wall time, exec to exit (ms)", r.get("hook_ms_median"),
        f"p95 {ms('hook_ms_p95', 2)}, p99 {ms('hook_ms_p99', 2)}, n {r.get('hook_n')}")
    add("2 hook", "  the hook's own log, main() to exit, every hook run incl. scale (ms)",
        r.get("hook_internal_ms_median"),
        f"p99 {ms('hook_internal_ms_p99', 2)}, n {r.get('hook_internal_n')}")
    for path, label in (("sockdiag", "sock_diag path (hook, sinkhole)"), ("seccomp", "seccomp path (block)")):
        add("3 alert", f"attempt to alert, {label} (ms)", r.get(f"alert_latency_ms_median_{path}"),
            f"p95 {ms(f'alert_latency_ms_p95_{path}', 2)}, p99 {ms(f'alert_latency_ms_p99_{path}', 2)}, "
            f"n {r.get(f'alert_latency_n_{path}')}, missed {r.get(f'alert_latency_missed_{path}')}")
    for w in ("auditd", "bpftrace"):
        add("3 alert", f"attempt to record, {w} (ms, its own timestamp)", r.get(f"record_latency_ms_median_{w}"),
            f"p99 {ms(f'record_latency_ms_p99_{w}', 3)}, n {r.get(f'record_latency_n_{w}')}", None, 3)
    missing = "; ".join(n["note"] for n in r.get("notes", []) if n["section"] == "scenarios")
    add("4 scenarios", "scenarios in the corpus", r.get("scenarios_total"),
        f"NOT MEASURED: {missing}" if r.get("scenarios_total") is None and missing else "")
    for suffix, label in (("sockdiag", "sock_diag, detect"), ("seccomp", "seccomp, detect"),
                          ("seccomp_block", "seccomp, block")):
        add("4 scenarios", f"  positives caught: {label}", r.get(f"scenarios_caught_{suffix}"),
            f"of {fmt(r.get(f'scenarios_{suffix}_positives'))}; missed {fmt(r.get(f'scenarios_missed_{suffix}'))} "
            f"(known blind {fmt(r.get(f'scenarios_{suffix}_missed_known_blind'))}); "
            f"false alerts {fmt(r.get(f'scenarios_false_alerts_{suffix}'))} "
            f"of {fmt(r.get(f'scenarios_{suffix}_negatives'))} negatives")
    add("5 monitor", "monitor RSS, idle (KiB)", r.get("monitor_rss_kib_idle"),
        f"max {fmt(r.get('monitor_rss_kib_idle_max'), 0)}; PSS {fmt(r.get('monitor_pss_kib_idle'), 0)}, "
        f"private {fmt(r.get('monitor_private_kib_idle'), 0)}", None, 0)
    add("5 monitor", "monitor RSS, 1,000 tracked processes (KiB)", r.get("monitor_rss_kib_1000_tracked"),
        f"tracked {fmt(r.get('monitor_tracked_processes'))}; private "
        f"{fmt(r.get('monitor_private_kib_1000_tracked'), 0)}", None, 0)
    add("5 monitor", "monitor CPU per 1,000 host execs (ms)", r.get("monitor_cpu_ms_per_1000_host_execs"),
        f"max {ms('monitor_cpu_ms_per_1000_host_execs_max', 2)}; net of idle "
        f"{ms('monitor_cpu_ms_per_1000_host_execs_net', 2)}; idle {ms('monitor_cpu_ms_per_s_idle', 2)} ms/s; "
        "ratio: the storm's wall time",
        r.get("host_exec_storm_ratio_monitor"))
    add("5 monitor", "connects/s, no entryguard, 3 s after the start", r.get("connect_rate_plain_median"),
        f"n {r.get('connect_rate_n')}", 1.0, 0)
    add("5 monitor", "  connects/s, block mode, after the window (CONTINUE)", r.get("connect_rate_block_median"),
        f"paired-ratio p95 {fmt(r.get('connect_rate_ratio_block_p95_spread'), 3)}", r.get("connect_rate_ratio_block"), 0)
    add("5 monitor", "connects/s, no entryguard, right after the start", r.get("connect_rate_plain_early_median"),
        "", 1.0, 0)
    add("5 monitor", "  connects/s, block mode, in the window (emulated)", r.get("connect_rate_block_window_median"), "",
        r.get("connect_rate_ratio_block_window"), 0)
    n = r.get("scale_containers")
    add("6 scale", f"{n} containers at once, no entryguard (ms)", r.get("scale_50_start_ms_plain"),
        f"rounds {r.get('scale_rounds')}", 1.0, 0)
    add("6 scale", f"  {n} containers at once, with the hook (ms)", r.get("scale_50_start_ms_hook"), "",
        r.get("scale_50_start_ratio"), 0)
    add("6 scale", f"  alerts seen (of {n})", r.get("scale_50_alerts_seen"),
        f"monitors seen {fmt(r.get('scale_50_monitors_seen'))}")
    add("6 scale", f"  sum of the {n} monitors' RSS (KiB)", r.get("scale_50_monitor_rss_sum_kib"),
        f"sum of PSS {fmt(r.get('scale_50_monitor_pss_sum_kib'), 0)}", None, 0)
    add("7 others", "connects/s, no watcher", r.get("connect_rate_alt_plain_median"),
        f"rounds {r.get('alternatives_rounds')}", 1.0, 0)
    for w, label in (("auditd", "auditd -S connect"), ("bpftrace", "bpftrace sys_enter_connect")):
        add("7 others", f"  connects/s, {label}", r.get(f"connect_rate_{w}_median"), "",
            r.get(f"connect_rate_ratio_{w}"), 0)
        add("7 others", f"  container start with {label}: ratio", None, "", r.get(f"start_ratio_{w}"))
    return out


def print_table(r):
    m = r.get("machine", {})
    print(f"entryguard bench, {r.get('date')}, {'quick' if r.get('quick') else 'full'} run, "
          f"{r.get('duration_s')} s; {m.get('cpu_model')}, {m.get('nproc')} cpus, kernel {m.get('kernel')}, "
          f"load {m.get('loadavg_start')} -> {m.get('loadavg_end')}")
    width = max(len(row[1]) for row in rows(r))
    print(f"{'':12} {'figure':{width}} {'median':>10} {'ratio':>7}  spread")
    for section, figure, value, spread, ratio_text in rows(r):
        print(f"{section:12} {figure:{width}} {value:>10} {ratio_text:>7}  {spread}")
    print("targets:")
    for target, met in target_rows(r):
        print(f"  {met:7} {target}")
    for note in r.get("notes", []):
        print(f"note: {note['section']}: {note['note']}")


def markdown(r):
    m = r.get("machine", {})
    lines = [f"Run of {r.get('date')} ({'quick' if r.get('quick') else 'full'}, {r.get('duration_s')} s), "
             f"commit {r.get('commit', '?')[:12]}: {m.get('cpu_model')}, {m.get('nproc')} CPUs, "
             f"{m.get('mem_mib')} MiB, kernel {m.get('kernel')}; load average {m.get('loadavg_start')} at the "
             f"start, {m.get('loadavg_end')} at the end.", "",
             "| | figure | median | ratio | spread |", "|---|---|---:|---:|---|"]
    for section, figure, value, spread, ratio_text in rows(r):
        lines.append(f"| {section} | {figure.strip()} | {value} | {ratio_text} | {spread} |")
    lines += ["", "| target | this run |", "|---|---|"]
    lines += [f"| {target} | {met} |" for target, met in target_rows(r)]
    if r.get("notes"):
        lines += [""] + [f"- {n['section']}: {n['note']}" for n in r["notes"]]
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- results:begin (bench/report writes this part) -->", "<!-- results:end -->"


def command_markdown(path, update):
    text = markdown(json.load(open(path)))
    if not update:
        sys.stdout.write(text)
        return
    document = open(update).read()
    if BEGIN not in document or END not in document:
        sys.exit(f"{update}: no results markers ({BEGIN} ... {END})")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    open(update, "w").write(head + BEGIN + "\n" + text + END + tail)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "latency":
        command_latency(*args)
    elif command == "count-ports":
        command_count_ports(args[0], args[1:])
    elif command == "records":
        command_records(*args)
    elif command == "summarize":
        data, out = args[0], args[1]
        results = json.load(open(os.path.join(data, "meta.json")))
        results.update(summarize(data))
        with open(out + ".part", "w") as handle:
            json.dump(results, handle, indent=1)
            handle.write("\n")
        os.replace(out + ".part", out)
        print_table(results)
    elif command == "table":
        print_table(json.load(open(args[0])))
    elif command == "markdown":
        command_markdown(args[0], args[2] if len(args) > 2 and args[1] == "--update" else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
