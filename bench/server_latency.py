#!/usr/bin/env python3
"""Server-side latency of one run: the difference of two scrapes of hourglassd's /metrics
(before and after the run) for one op's hourglass_request_duration_seconds histogram, as JSON.

    bench/server_latency.py BEFORE AFTER [--op route] > server.json

That histogram times each request from reading its line to writing its answer (before any
journal wait), in fixed buckets (1, 2.5, 5, 10, 25, 50, 100, 250, 500 µs, 1 ms, ...). A quantile
is the bucket that holds it ("le": its upper bound) and, like Prometheus's histogram_quantile,
a linear estimate inside that bucket. Standard library only."""
import argparse
import json
import math
import re

SAMPLE = re.compile(r'^hourglass_request_duration_seconds_bucket\{op="([^"]*)",le="([^"]*)"\} (\S+)$')


def buckets(path, op):
    """{upper bound in µs (inf for +Inf): cumulative count} for `op`."""
    out = {}
    with open(path) as f:
        for line in f:
            m = SAMPLE.match(line.strip())
            if m and m.group(1) == op:
                le = math.inf if m.group(2) == "+Inf" else float(m.group(2)) * 1e6
                out[le] = float(m.group(3))
    return out


def quantile(bounds, cumulative, q):
    total = cumulative[-1]
    if total == 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for le, seen in zip(bounds, cumulative):
        if seen >= rank:
            if math.isinf(le):
                return {"le_us": None, "estimate_us": lower}  # beyond the last bound
            inside = seen - below
            frac = (rank - below) / inside if inside else 1.0
            return {"le_us": le, "estimate_us": round(lower + (le - lower) * frac, 1)}
        lower, below = le, seen
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--op", default="route")
    args = ap.parse_args()
    before, after = buckets(args.before, args.op), buckets(args.after, args.op)
    if not after:
        raise SystemExit(f"server_latency: no {args.op} histogram in {args.after}")
    bounds = sorted(after)
    cumulative = [after[b] - before.get(b, 0.0) for b in bounds]
    report = {"op": args.op, "count": cumulative[-1]}
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99_9", 0.999)):
        report[name] = quantile(bounds, cumulative, q)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
