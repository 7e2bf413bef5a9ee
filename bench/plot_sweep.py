#!/usr/bin/env python3
"""Draws hourglass-bench open-loop reports as latency (p50, p99, p99.9; log scale) against the
achieved throughput, as a self-contained SVG, and writes the same points as a Markdown table.

    bench/plot_sweep.py --out sweep.svg --table sweep.md closed.json open-*.json

Standard library only. A closed-loop report, if given, marks the maximum throughput. Beside an
open-loop report X.json, X.server.json (bench/server_latency.py) adds the daemon's own p99."""
import argparse
import json
import math
import os

W, H, L, R, T, B = 760, 440, 70, 20, 40, 60  # size and margins (pixels)
# (label, key in the report's latency_us, colour)
SERIES = [("p50", "p50", "#1f77b4"), ("p99", "p99", "#d62728"), ("p99.9", "p99_9", "#9467bd")]


def fmt_us(v):
    return f"{v / 1000:g} ms" if v >= 1000 else f"{v:g} µs"


def escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def latency(report, key):
    return max(float(report["latency_us"][key]), 1.0)


def server_p99(report):
    """The daemon's p99 as "estimate (≤ bucket bound)", or — without a server report."""
    p99 = report.get("server", {}).get("p99")
    if not p99:
        return "—"
    if p99["le_us"] is None:
        return f"> {p99['estimate_us']:g}"
    return f"{p99['estimate_us']:g} (≤ {p99['le_us']:g})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reports", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--title", default="hourglass-bench open-loop sweep")
    args = ap.parse_args()
    closed, points = None, []
    for path in args.reports:
        if path.endswith(".server.json"):  # read beside its report below
            continue
        with open(path) as f:
            report = json.load(f)
        if report["mode"] == "closed":
            closed = report
        else:
            server = os.path.splitext(path)[0] + ".server.json"
            if os.path.exists(server):
                with open(server) as f:
                    report["server"] = json.load(f)
            points.append(report)
    points.sort(key=lambda r: float(r["rate"]))
    if not points:
        raise SystemExit("plot_sweep: no open-loop reports")

    xmax = 1.05 * max([r["throughput_rps"] for r in points] +
                      [closed["throughput_rps"] if closed else 0])
    ys = [latency(r, k) for r in points for _, k, _ in SERIES]
    served = [r for r in points if r.get("server", {}).get("p99")]
    ys += [max(r["server"]["p99"]["estimate_us"], 1.0) for r in served]
    ylo = 10 ** math.floor(math.log10(min(ys)))
    yhi = 10 ** math.ceil(math.log10(max(ys)))
    if yhi <= ylo:
        yhi = ylo * 10

    def x(v):
        return L + (W - L - R) * v / xmax

    def y(v):
        span = math.log10(yhi) - math.log10(ylo)
        return T + (H - T - B) * (1 - (math.log10(v) - math.log10(ylo)) / span)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="20" font-size="13">{escape(args.title)}</text>']
    decade = ylo
    while decade <= yhi:
        svg.append(f'<line x1="{L}" x2="{W - R}" y1="{y(decade):.1f}" y2="{y(decade):.1f}" '
                   f'stroke="#ddd"/><text x="{L - 6}" y="{y(decade) + 4:.1f}" '
                   f'text-anchor="end">{fmt_us(decade)}</text>')
        decade *= 10
    for i in range(6):
        v = xmax * i / 5
        svg.append(f'<text x="{x(v):.1f}" y="{H - B + 18}" text-anchor="middle">'
                   f'{v / 1000:.0f}k</text>')
    svg.append(f'<text x="{(L + W - R) / 2}" y="{H - 15}" text-anchor="middle">'
               f'achieved throughput (requests/s)</text>')
    mid = (T + H - B) / 2
    svg.append(f'<text x="16" y="{mid}" transform="rotate(-90 16 {mid})" '
               f'text-anchor="middle">latency from the intended send time</text>')
    svg.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" '
               f'stroke="#888"/>')
    if closed:
        cx = x(closed["throughput_rps"])
        svg.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{T}" y2="{H - B}" stroke="#999" '
                   f'stroke-dasharray="4 3"/><text x="{cx - 4:.1f}" y="{T + 14}" '
                   f'text-anchor="end">closed-loop maximum</text>')
    for i, (label, key, colour) in enumerate(SERIES):
        pts = " ".join(f"{x(r['throughput_rps']):.1f},{y(latency(r, key)):.1f}" for r in points)
        svg.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for r in points:
            svg.append(f'<circle cx="{x(r["throughput_rps"]):.1f}" '
                       f'cy="{y(latency(r, key)):.1f}" r="3" fill="{colour}"/>')
        svg.append(f'<text x="{L + 10 + 70 * i}" y="{T + 16}" fill="{colour}">{label}</text>')
    if served:  # the daemon's own p99, dashed
        pts = " ".join(f"{x(r['throughput_rps']):.1f},"
                       f"{y(max(r['server']['p99']['estimate_us'], 1.0)):.1f}" for r in served)
        svg.append(f'<polyline points="{pts}" fill="none" stroke="#2ca02c" stroke-width="2" '
                   f'stroke-dasharray="6 4"/>')
        svg.append(f'<text x="{L + 10 + 70 * len(SERIES)}" y="{T + 16}" fill="#2ca02c">'
                   f'server p99</text>')
    svg.append("</svg>")
    with open(args.out, "w") as f:
        f.write("\n".join(svg) + "\n")

    rows = ["| target rate | achieved req/s | p50 µs | p99 µs | p99.9 µs | max µs | send lag p99 µs "
            "| server p99 µs (bucket) |",
            "|---|---|---|---|---|---|---|---|"]
    if closed:
        c = closed["latency_us"]
        rows.append(f"| closed loop 8×32 | {closed['throughput_rps']:,.0f} | {c['p50']:.0f} | "
                    f"{c['p99']:.0f} | {c['p99_9']:.0f} | {c['max']:.0f} | — | — |")
    for r in points:
        c = r["latency_us"]
        lag = r["send_lag_us"]["p99"] if r.get("send_lag_us") else float("nan")
        rows.append(f"| {float(r['rate']):,.0f} | {r['throughput_rps']:,.0f} | {c['p50']:.0f} | "
                    f"{c['p99']:.0f} | {c['p99_9']:.0f} | {c['max']:.0f} | {lag:.0f} | "
                    f"{server_p99(r)} |")
    with open(args.table, "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
