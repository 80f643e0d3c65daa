#!/usr/bin/env python3
"""The measuring end of scripts/bench.sh: one workload per call, one JSON object out.

  bench_tool.py upload HOST PORT NBYTES [--pid PID]     bulk to discard; MB/s, CPU of PID
  bench_tool.py download HOST PORT NBYTES [--pid PID]   bulk from chargen ("N\\n"); MB/s
  bench_tool.py connrate HOST PORT SECONDS              connect+close per second
  bench_tool.py ping FILE                               median/min/max RTT of ping output
  bench_tool.py wrk FILE                                requests/s and errors of wrk output
  bench_tool.py record RAW ROW TARGET RUN MTU JSON KEY SCALE [NOTE]   append a raw record
  bench_tool.py paired RAW.jsonl OUT.json               scripts/bench-paired.sh's summary
  bench_tool.py report RAW.jsonl... OUT.json            the table: medians, min-max, ratios
                                                        and each T/smoltcp ratio's 95% interval;
                                                        several raw files pool their runs

Bulk transfers count bytes (download checks the exact count); they do not hash: the
end-to-end tests prove the bytes, this measures speed. `--pid` reads utime+stime of
the server process (/proc/PID/task/*/schedstat, or utime+stime of /proc/PID/stat)
before and after, for bytes per CPU-second.
Every transfer has a deadline (--timeout, default 120 s) and fails rather than hangs.
"""
import json
import os
import random
import re
import socket
import statistics
import sys
import time

CHUNK = 256 * 1024


def cpu_seconds(pid):
    """CPU time of a process (all its threads), in seconds: the scheduler's own count
    in nanoseconds (/proc/PID/task/*/schedstat) where the kernel keeps it, else
    utime + stime from /proc/PID/stat (10 ms ticks: too coarse for short runs)."""
    if pid is None:
        return None
    try:
        total = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        if total > 0:
            return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def opts(argv):
    out = {"pid": None, "timeout": 120.0}
    i = 0
    while i < len(argv):
        if argv[i] == "--pid":
            out["pid"] = int(argv[i + 1])
        elif argv[i] == "--timeout":
            out["timeout"] = float(argv[i + 1])
        i += 2
    return out


def result(bytes_moved, seconds, cpu0, cpu1, **extra):
    r = {"bytes": bytes_moved, "seconds": seconds, "MBps": bytes_moved / seconds / 1e6}
    if cpu0 is not None:
        cpu = cpu1 - cpu0
        r["cpu_s"] = cpu
        r["bytes_per_cpu_s"] = bytes_moved / cpu if cpu > 0 else None
    r.update(extra)
    return r


def upload(host, port, total, o):
    block = memoryview(bytes((i * 7 + (i >> 11)) & 0xFF for i in range(CHUNK)))
    cpu0 = cpu_seconds(o["pid"])
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=o["timeout"])
    sent = 0
    while sent < total:
        n = min(CHUNK, total - sent)
        s.sendall(block[:n])
        sent += n
        if time.monotonic() - t0 > o["timeout"]:
            raise TimeoutError(f"upload: {sent} of {total} bytes after {o['timeout']} s")
    s.shutdown(socket.SHUT_WR)
    # Discard closes when it has read everything: its FIN ends the measurement.
    while s.recv(65536):
        pass
    dt = time.monotonic() - t0
    cpu1 = cpu_seconds(o["pid"])
    s.close()
    return result(sent, dt, cpu0, cpu1)


def download(host, port, total, o):
    buf = bytearray(1 << 20)
    cpu0 = cpu_seconds(o["pid"])
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=o["timeout"])
    s.sendall(f"{total}\n".encode())
    got = 0
    while True:
        n = s.recv_into(buf)
        if n == 0:
            break
        got += n
        if time.monotonic() - t0 > o["timeout"]:
            raise TimeoutError(f"download: {got} of {total} bytes after {o['timeout']} s")
    dt = time.monotonic() - t0
    cpu1 = cpu_seconds(o["pid"])
    s.close()
    if got != total:
        raise ValueError(f"download: got {got} bytes, asked for {total}")
    return result(got, dt, cpu0, cpu1)


def connrate(host, port, seconds):
    n = 0
    failed = 0
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        try:
            s = socket.create_connection((host, port), timeout=2)
            s.close()
            n += 1
        except OSError:
            failed += 1
    dt = time.monotonic() - t0
    return {"connections": n, "failed": failed, "seconds": dt, "per_s": n / dt}


def parse_ping(path):
    text = open(path).read()
    rtts = [float(x) for x in re.findall(r"time=([0-9.]+) ms", text)]
    # The log may hold several ping runs (bench.sh interleaves blocks): sum them.
    counts = re.findall(r"(\d+) packets transmitted, (\d+) received", text)
    if not rtts:
        raise ValueError(f"no replies in {path}")
    return {
        "median_us": statistics.median(rtts) * 1000,
        "min_us": min(rtts) * 1000,
        "max_us": max(rtts) * 1000,
        "sent": sum(int(s) for s, _ in counts) if counts else None,
        "received": sum(int(r) for _, r in counts) if counts else len(rtts),
    }


def parse_wrk(path):
    text = open(path).read()
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    if not rps:
        raise ValueError(f"no Requests/sec in {path}: {text[-400:]}")
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    reqs = re.search(r"(\d+) requests in", text)
    return {"rps": float(rps.group(1)), "errors": errors, "requests": int(reqs.group(1)) if reqs else None}


# The rows of the table: key, label, unit, which way is better, and how to pull the value
# out of a raw record.
ROWS = [
    ("ping", "ping RTT median", "us", "lower"),
    ("ping_cpu0", "ping RTT median, one CPU", "us", "lower"),
    ("upload@1500", "bulk upload, MTU 1500", "MB/s", "higher"),
    ("download@1500", "bulk download, MTU 1500", "MB/s", "higher"),
    ("upload@9000", "bulk upload, MTU 9000", "MB/s", "higher"),
    ("download@9000", "bulk download, MTU 9000", "MB/s", "higher"),
    ("upload@65535", "bulk upload, MTU 65535", "MB/s", "higher"),
    ("download@65535", "bulk download, MTU 65535", "MB/s", "higher"),
    ("upload_loss5", "bulk upload, 5% loss, MTU 1500", "MB/s", "higher"),
    ("download_loss5", "bulk download, 5% loss, MTU 1500", "MB/s", "higher"),
    ("http_c10", "HTTP wrk -t1 -c10", "req/s", "higher"),
    ("http_c100", "HTTP wrk -t1 -c100", "req/s", "higher"),
    ("connrate", "connect+close", "conn/s", "higher"),
    ("cpu_upload", "CPU cost, upload MTU 1500", "MB/CPU-s", "higher"),
    ("cpu_download", "CPU cost, download MTU 1500", "MB/CPU-s", "higher"),
]
TARGETS = ["tundra", "smoltcp", "kernel"]


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# The ratio of two medians from a handful of runs on a shared VM moves by +-10-15% run to
# run, so a table's 0.94x or 1.02x alone cannot say "missed" or "met". A percentile
# bootstrap does: resample each side's runs with replacement, take the ratio of the
# resampled medians, many times; the middle 95% of those ratios is the interval. A fixed
# seed keeps a report reproducible from its raw file.
BOOTSTRAP_ROUNDS = 4000
BOOTSTRAP_SEED = 8


def bootstrap_interval(draw):
    """The middle 95% of BOOTSTRAP_ROUNDS values of `draw(rng)` (a statistic of one
    resample; None when a resample has none), or None if every draw was None."""
    rng = random.Random(BOOTSTRAP_SEED)
    values = sorted(v for v in (draw(rng) for _ in range(BOOTSTRAP_ROUNDS)) if v is not None)
    if not values:
        return None
    return [values[int(0.025 * (len(values) - 1))], values[int(0.975 * (len(values) - 1))]]


def ratio_interval(a, b):
    """The 95% bootstrap interval of median(a) / median(b), or None with fewer than two
    runs on either side (one run has no spread to resample)."""
    a = [v for v in a if v is not None]
    b = [v for v in b if v is not None]
    if len(a) < 2 or len(b) < 2:
        return None

    def draw(rng):
        mb = statistics.median(rng.choices(b, k=len(b)))
        return statistics.median(rng.choices(a, k=len(a))) / mb if mb else None

    return bootstrap_interval(draw)


def median_interval(values):
    """The 95% bootstrap interval of the median of `values` (e.g. per-pair ratios), or
    None with fewer than two values."""
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None
    return bootstrap_interval(lambda rng: statistics.median(rng.choices(values, k=len(values))))


# Differences smaller than this are called level even when the runs are steady enough
# to resolve them (connect+close, paced by the client, differs by 0.2% with an interval
# of +-0.1%): a 1% difference is not a result anybody acts on.
LEVEL_MARGIN = 0.02


def verdict(interval, better, ratio=None):
    """Where the interval lies against 1.0x, read in the row's good direction: "ahead" or
    "behind" when it excludes 1.0x and the ratio is more than LEVEL_MARGIN from it, else
    "tied" (the runs cannot tell the stacks apart, or the difference is too small)."""
    if interval is None:
        return None
    lo, hi = interval
    big = ratio is None or abs(ratio - 1.0) > LEVEL_MARGIN
    if lo > 1.0 and big:
        return "ahead" if better == "higher" else "behind"
    if hi < 1.0 and big:
        return "behind" if better == "higher" else "ahead"
    return "tied"


def paired(raw_path, out_path):
    """The summary of scripts/bench-paired.sh: per connection count, each side's median,
    the median of the per-pair ratios Tundra/smoltcp with its 95% bootstrap interval, and
    in how many pairs Tundra was faster. Pairs ran back to back, so slow phases of the
    machine hit both sides of a pair alike."""
    records = [json.loads(line) for line in open(raw_path) if line.strip()]
    meta = next((r for r in records if r.get("meta")), {})
    pairs = [r for r in records if not r.get("meta")]
    rows = []
    for conns in sorted({r["conns"] for r in pairs}):
        ps = [r for r in pairs if r["conns"] == conns and r.get("tundra") and r.get("smoltcp")]
        ratios = [r["tundra"] / r["smoltcp"] for r in ps]
        row = {
            "conns": conns,
            "pairs": len(ps),
            "tundra": stats([r["tundra"] for r in ps]),
            "smoltcp": stats([r["smoltcp"] for r in ps]),
            "ratio_median": statistics.median(ratios) if ratios else None,
            "ratio_ci95": median_interval(ratios),
            "tundra_faster": sum(1 for x in ratios if x > 1.0),
            "errors": sum(r.get("errors", 0) for r in ps),
        }
        row["verdict"] = verdict(row["ratio_ci95"], "higher", row["ratio_median"])
        rows.append(row)
    with open(out_path, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    print("| wrk -t1 | pairs | Tundra req/s | smoltcp req/s | T/smoltcp (pair median) | 95% CI | Tundra faster |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ci = row["ratio_ci95"]
        ci_text = f"{fmt(ci[0])}-{fmt(ci[1])} {row['verdict']}" if ci else "-"
        t, s = row["tundra"], row["smoltcp"]
        print(f"| -c{row['conns']} | {row['pairs']} | {fmt(t['median']) if t else '-'} | "
              f"{fmt(s['median']) if s else '-'} | {fmt(row['ratio_median'])}x | {ci_text} | "
              f"{row['tundra_faster']} of {row['pairs']} |")
    for row in rows:
        if row["errors"]:
            print(f"errors: -c{row['conns']}: {row['errors']}")
    print(f"JSON: {out_path}")


def fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def report(raw_paths, out_path):
    records = [json.loads(line) for path in raw_paths for line in open(path) if line.strip()]
    metas = [r for r in records if r.get("meta")]
    meta = dict(metas[0]) if metas else {}
    if len(raw_paths) > 1:
        meta["pooled_from"] = list(raw_paths)
    records = [r for r in records if not r.get("meta")]
    table = []
    for key, label, unit, better in ROWS:
        row = {"key": key, "label": label, "unit": unit, "better": better, "runs": {}, "stats": {}, "notes": []}
        for target in TARGETS:
            runs = [r for r in records if r["row"] == key and r["target"] == target]
            row["runs"][target] = runs
            row["stats"][target] = stats([r.get("value") for r in runs])
            for r in runs:
                note = f"{target}: {r['note']}" if r.get("note") else None
                if note and note not in row["notes"]:
                    row["notes"].append(note)
        t, s, k = (row["stats"][x] for x in TARGETS)

        def ratio(a, b):
            if not a or not b or not b["median"]:
                return None
            return a["median"] / b["median"]

        def values(target):
            return [r.get("value") for r in row["runs"][target]]

        row["tundra_over_smoltcp"] = ratio(t, s)
        row["tundra_over_kernel"] = ratio(t, k)
        row["tundra_over_smoltcp_ci95"] = ratio_interval(values("tundra"), values("smoltcp"))
        row["tundra_over_kernel_ci95"] = ratio_interval(values("tundra"), values("kernel"))
        row["vs_smoltcp"] = verdict(row["tundra_over_smoltcp_ci95"], better, row["tundra_over_smoltcp"])
        row["errors"] = {x: sum(r.get("errors", 0) or 0 for r in row["runs"][x]) for x in TARGETS}
        table.append(row)
    out = {"meta": meta, "rows": table}
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)

    def cell(st):
        if not st:
            return "-"
        return f"{fmt(st['median'])} [{fmt(st['min'])}-{fmt(st['max'])}]"

    def interval(row):
        ci = row["tundra_over_smoltcp_ci95"]
        if not ci:
            return "-"
        return f"{fmt(ci[0])}-{fmt(ci[1])} {row['vs_smoltcp']}"

    head = ["workload", "unit", "Tundra", "smoltcp", "kernel", "T/smoltcp", "95% CI", "T/kernel"]
    lines = [head]
    for row in table:
        lines.append([
            row["label"], row["unit"],
            cell(row["stats"]["tundra"]), cell(row["stats"]["smoltcp"]), cell(row["stats"]["kernel"]),
            fmt(row["tundra_over_smoltcp"]) + ("x" if row["tundra_over_smoltcp"] else ""),
            interval(row),
            fmt(row["tundra_over_kernel"]) + ("x" if row["tundra_over_kernel"] else ""),
        ])
    widths = [max(len(l[i]) for l in lines) for i in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for l in lines[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(l, widths)) + " |")
    notes = [(row["label"], n) for row in table for n in row["notes"]]
    errs = [(row["label"], row["errors"]) for row in table if any(row["errors"].values())]
    for label, n in notes:
        print(f"note: {label}: {n}")
    for label, e in errs:
        print(f"errors: {label}: {e}")
    loads = [r["load"][0] for r in records if r.get("load")]
    if loads:
        print(f"load average (1 min) during runs: {min(loads):.2f}-{max(loads):.2f}, median {statistics.median(loads):.2f}")
    if len(raw_paths) > 1:
        runs = max((st["n"] for row in table for st in row["stats"].values() if st), default=0)
        print(f"median [min-max] of up to {runs} runs each, pooled from {len(raw_paths)} raw files; JSON: {out_path}")
    else:
        print(f"median [min-max] of {meta.get('runs', '?')} runs each; JSON: {out_path}")
    print("95% CI: bootstrap interval of the T/smoltcp ratio; ahead/behind = Tundra better/worse "
          "beyond the run-to-run noise and by over 2%; tied = not")


def record(raw, row, target, run, mtu, measurement, key, scale, note):
    """Appends one raw record: the measured value under `key` (times `scale`), the whole
    measurement, and the load average at the time."""
    with open("/proc/loadavg") as f:
        load = [float(x) for x in f.read().split()[:3]]
    rec = {"row": row, "target": target, "run": int(run), "mtu": int(mtu), "load": load}
    try:
        m = json.loads(measurement)
        v = m.get(key)
        rec["value"] = v * scale if v is not None else None
        rec["measurement"] = m
        if "errors" in m:
            rec["errors"] = m["errors"]
    except (json.JSONDecodeError, AttributeError):
        rec["value"] = None
        note = note or ("failed: " + measurement.strip().splitlines()[-1][:300] if measurement.strip() else "failed")
    if note:
        rec["note"] = note
    with open(raw, "a") as f:
        f.write(json.dumps(rec) + "\n")
    shown = "-" if rec["value"] is None else fmt(rec["value"])
    t0 = float(os.environ.get("BENCH_T0", "0") or 0)
    elapsed = f"  t+{time.time() - t0:.0f}s" if t0 else ""
    print(f"  {target:8} {row:15} run {run} mtu {mtu}: {shown}{'  (' + note + ')' if note else ''}  load {load[0]:.2f}{elapsed}",
          flush=True)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "record":
        raw, row, target, run, mtu, measurement, key, scale = args[:8]
        record(raw, row, target, run, mtu, measurement, key, float(scale), args[8] if len(args) > 8 else "")
        return
    if cmd == "upload":
        r = upload(args[0], int(args[1]), int(args[2]), opts(args[3:]))
    elif cmd == "download":
        r = download(args[0], int(args[1]), int(args[2]), opts(args[3:]))
    elif cmd == "connrate":
        r = connrate(args[0], int(args[1]), float(args[2]))
    elif cmd == "ping":
        r = parse_ping(args[0])
    elif cmd == "wrk":
        r = parse_wrk(args[0])
    elif cmd == "paired":
        paired(args[0], args[1])
        return
    elif cmd == "report":
        if len(args) < 2:
            sys.exit("usage: bench_tool.py report RAW.jsonl... OUT.json")
        report(args[:-1], args[-1])
        return
    else:
        sys.exit(f"bench_tool.py: unknown command {cmd}")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
