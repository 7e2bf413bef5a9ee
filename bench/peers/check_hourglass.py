#!/usr/bin/env python3
"""Stock conservation in hourglassd after a peers run: units loaded = units left + units held.

The daemon's journal is the record of every stock change, so this subscribes to it from seq 1,
sums the units each (store, SKU) got held (reserved, minus released/expired/committed) and
committed, then asks the daemon for each such pair's stock over a second connection and checks
  on_hand = loaded - committed   reserved = held   available = on_hand - reserved >= 0
against the stock file, and that the load client's units reserved equal the journal's.
Pairs the journal never names did not change. Prints one line; exit 0 balanced, 1 not.

  check_hourglass.py --port N --stock stock.csv --client-units U
"""
import argparse, json, socket, sys
from collections import defaultdict


def lines(sock):
    buf = b""
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("check_hourglass: the daemon closed the connection")
        buf += chunk
        *complete, buf = buf.split(b"\n")
        for line in complete:
            yield json.loads(line)


def journal_effects(port):
    held, committed = defaultdict(int), defaultdict(int)
    sign = {"reserved": 1, "released": -1, "expired": -1, "committed": -1}
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b'{"op":"subscribe","name":"peers-check","from":1}\n')
        stream = lines(s)
        hello = next(stream)
        if not hello.get("ok"):
            raise SystemExit(f"check_hourglass: subscribe refused: {hello}")
        last = hello["last_seq"]
        seq = 0
        while seq < last:
            ev = next(stream)
            seq = ev["seq"]
            if ev["type"] == "stock_set":
                raise SystemExit("check_hourglass: a stock.set ran; this check cannot balance it")
            if ev["type"] not in sign:
                continue
            for item in ev["items"]:
                pair = (item.get("store", ev["store"]), item["sku"])
                held[pair] += sign[ev["type"]] * item["qty"]
                if ev["type"] == "committed":
                    committed[pair] += item["qty"]
    return held, committed, last


def stock_levels(port, pairs):
    levels = {}
    with socket.create_connection(("127.0.0.1", port)) as s:
        stream = lines(s)
        for i in range(0, len(pairs), 2000):
            batch = pairs[i:i + 2000]
            s.sendall(b"".join(json.dumps({"op": "stock", "store": st, "sku": sku}).encode() + b"\n"
                               for st, sku in batch))
            for pair in batch:
                levels[pair] = next(stream)
    return levels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stock", required=True)
    ap.add_argument("--client-units", type=int, required=True)
    a = ap.parse_args()
    held, committed, last_seq = journal_effects(a.port)
    pairs = sorted(set(held) | set(committed))
    wanted = {f"{st},{sku}": (st, sku) for st, sku in pairs}
    loaded = {}
    with open(a.stock) as f:
        next(f)
        for line in f:
            cut = line.rfind(",")
            key = line[:cut]
            if key in wanted:
                loaded[wanted[key]] = int(line[cut + 1:])
    levels = stock_levels(a.port, pairs)
    bad = []
    for pair in pairs:
        lv = levels[pair]
        want_on_hand = loaded.get(pair, 0) - committed[pair]
        if (not lv.get("ok") or lv["on_hand"] != want_on_hand or lv["reserved"] != held[pair]
                or lv["available"] != lv["on_hand"] - lv["reserved"] or lv["available"] < 0):
            bad.append((pair, lv, loaded.get(pair), held[pair], committed[pair]))
    units_loaded = sum(loaded.values())
    units_held = sum(held.values())
    units_left = sum(levels[p]["available"] for p in pairs if levels[p].get("ok"))
    units_out = sum(committed.values())
    ok = not bad and units_held + sum(committed.values()) == a.client_units
    print(f"hourglass: {len(pairs)} (store, SKU) pairs changed in {last_seq} journal records; "
          f"their units loaded {units_loaded} = left {units_left} + held {units_held}"
          f" + committed {units_out}; client saw {a.client_units} reserved; "
          f"{len(bad)} mismatches -> {'balanced' if ok else 'NOT BALANCED'}")
    for b in bad[:5]:
        print("  mismatch:", b)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
