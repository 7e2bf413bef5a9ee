#!/usr/bin/env python3
"""The peers table, from the hourglass-bench JSON reports bench/peers/run.sh leaves in --results
(<system>_<connections>x<depth>.json): every run, then each system at its best setting and
Hourglass's ratios to the peers. Markdown on stdout."""
import argparse, json, os

NAMES = {"hourglass": "Hourglass (hourglassd)", "redis": "Redis 7 + Lua (EVALSHA)",
         "pg": "PostgreSQL 15 + PostGIS 3"}


def main():
    ap = argparse.ArgumentParser()
    for flag in ("--results", "--settings", "--systems", "--orders", "--stock-rows", "--units",
                 "--command"):
        ap.add_argument(flag, required=True)
    a = ap.parse_args()
    runs = {}
    for system in a.systems.split():
        for setting in a.settings.split():
            path = os.path.join(a.results, f"{system}_{setting}.json")
            if os.path.exists(path):
                with open(path) as f:
                    runs[(system, setting)] = json.load(f)
                with open(os.path.join(a.results, f"{system}_{setting}.server_cpu_s")) as f:
                    runs[(system, setting)]["server_cpu_s"] = float(f.read())
    machine = open(os.path.join(a.results, "machine.txt")).read().strip().replace("\n", "; ")
    print(f"`{a.command}` — {a.orders} orders per run (each once), {a.stock_rows} stock rows, "
          f"{a.units} units loaded; {machine}\n")
    print("| system | connections × depth | orders/s | p50 µs | p99 µs | server CPU µs/order | "
          "client CPU µs/order | reserved | units reserved | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (system, setting), r in runs.items():
        lat = r["latency_us"]
        c, d = setting.split("x")
        n = max(r["requests"], 1)
        print(f"| {NAMES[system]} | {c} × {d} | {r['throughput_rps']:,.0f} | {lat['p50']:,.0f} | "
              f"{lat['p99']:,.0f} | {r['server_cpu_s'] * 1e6 / n:,.0f} | "
              f"{r['client_cpu_s'] * 1e6 / n:,.1f} | {r['reserved']:,} | "
              f"{r['units_reserved']:,} | {r['errors'] + r['transport_errors']} |")
    best = {}
    for (system, setting), r in runs.items():
        if system not in best or r["throughput_rps"] > best[system][1]["throughput_rps"]:
            best[system] = (setting, r)
    if not best:
        return
    print("\nEach system at its best setting (highest throughput):\n")
    print("| system | best setting | orders/s | p50 µs | p99 µs | Hourglass throughput ÷ | Hourglass p99 lower |")
    print("|---|---|---|---|---|---|---|")
    hg = best.get("hourglass")
    for system, (setting, r) in best.items():
        lat = r["latency_us"]
        ratio = lower = "—"
        if hg and system != "hourglass":
            ratio = f"{hg[1]['throughput_rps'] / r['throughput_rps']:,.1f}×"
            lower = "yes" if hg[1]["latency_us"]["p99"] < lat["p99"] else "no"
        print(f"| {NAMES[system]} | {setting.replace('x', ' × ')} | {r['throughput_rps']:,.0f} | "
              f"{lat['p50']:,.0f} | {lat['p99']:,.0f} | {ratio} | {lower} |")
    # The same client settings side by side.
    peers = [p for p in ("redis", "pg") if any(k[0] == p for k in runs)]
    if "hourglass" in best and peers:
        print("\nAt the same setting, Hourglass's throughput ÷ the peer's (its p99 lower?):\n")
        print("| connections × depth | " + " | ".join(NAMES[p] for p in peers) + " |")
        print("|---|" + "---|" * len(peers))
        for setting in a.settings.split():
            hg_run = runs.get(("hourglass", setting))
            if not hg_run:
                continue
            cells = []
            for p in peers:
                r = runs.get((p, setting))
                if not r:
                    cells.append("—")
                    continue
                lower = hg_run["latency_us"]["p99"] < r["latency_us"]["p99"]
                cells.append(f"{hg_run['throughput_rps'] / r['throughput_rps']:,.1f}× "
                             f"({'yes' if lower else 'no'})")
            print(f"| {setting.replace('x', ' × ')} | " + " | ".join(cells) + " |")
    # The goals: at least 20x Redis-Lua and 100x PostGIS throughput, with lower p99.
    if hg:
        print()
        for system, goal in (("redis", 20), ("pg", 100)):
            if system not in best:
                continue
            r = best[system][1]
            ratio = hg[1]["throughput_rps"] / r["throughput_rps"]
            lower = hg[1]["latency_us"]["p99"] < r["latency_us"]["p99"]
            met = "met" if ratio >= goal and lower else "NOT met"
            print(f"Goal ≥ {goal}× {NAMES[system]} with lower p99: {met} "
                  f"({ratio:,.1f}×, p99 {hg[1]['latency_us']['p99']:,.0f} vs "
                  f"{r['latency_us']['p99']:,.0f} µs).  ")


if __name__ == "__main__":
    main()
