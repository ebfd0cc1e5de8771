#!/usr/bin/env python3
"""Runs shipped scenarios under `mpirun -np R` and alone, and checks that the MPI run is complete, verified,
recorded once (by rank 0, with the rank and host of every device) and gives the same results as one process
(pipeline, fan_out, all_to_all, order_matching, pagerank; also with the bridge squeezed to tiny buffers).

  mpi_runs.py RINGKERNEL SCENARIO_DIR OUT_DIR --mpiexec MPIEXEC [--mpiexec-flag F ...] [--ranks R]

Exit 0 when every check passed; otherwise prints each failure and exits 1.
"""
import argparse
import os
import subprocess
import sys
import time

import h5py
import numpy as np

failures = []
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
# The trades the hand-made order flow must give (symbol, taker, maker, price, quantity), worked out by hand.
HANDMADE_TRADES = [("AAA", 3, 1, 101, 5), ("AAA", 3, 2, 102, 2), ("AAA", 4, 2, 102, 3),
                   ("BBB", 8, 5, 50, 4), ("BBB", 8, 6, 50, 4), ("BBB", 13, 7, 49, 1), ("CCC", 12, 9, 200, 3)]
HANDMADE_REJECTED = [6, 9, 10, 11, 99]


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAILED:", what, flush=True)


def run(cmd, expect_rc=0, timeout=300, env=None):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)
    print(f"{time.monotonic() - t0:6.2f} s  rc={p.returncode}  {' '.join(cmd[-8:])}", flush=True)
    check(p.returncode == expect_rc, f"{' '.join(cmd)} exited {p.returncode}, expected {expect_rc}:\n{p.stdout[-3000:]}")
    return p


def attrs(path, group):
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f[group].attrs.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ringkernel")
    ap.add_argument("scenarios")
    ap.add_argument("out")
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--mpiexec-flag", action="append", default=[])
    ap.add_argument("--ranks", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    mpi = [a.mpiexec, *a.mpiexec_flag, "-np", str(a.ranks)]
    R = a.ranks

    # (scenario, overrides, workload attributes and datasets that must equal the one-process run's)
    pipeline = (["messages_sent", "messages_received", "stages"], [])
    fan_out = (["tokens_generated", "tokens_received"], ["received_per_consumer"])
    cases = [
        ("pipeline", ["iterations=20000"], *pipeline),
        ("pipeline", ["iterations=20000", "devices=4"], *pipeline),
        ("fan_out", ["iterations=100000"], *fan_out),
        ("fan_out", ["iterations=100000", "devices=4"], *fan_out),
        ("all_to_all", ["iterations=1000", "devices=4"], ["rounds", "tokens"], []),
        ("order_matching", ["workload.generator.orders=200000"], [],
         ["trades", "symbols", "rejects", "reject_reasons", "trades_per_symbol", "volume", "notional", "vwap"]),
        # Hand-made inputs (tests/harness/data): every matching rule; a small graph with dangling vertices.
        ("order_matching", [f"workload.orders={DATA}/orders_handmade.csv"], [],
         ["trades", "symbols", "rejects", "reject_reasons", "volume", "notional", "vwap"]),
        ("pagerank", [f"workload.graph={DATA}/graph_handmade.txt", "workload.baseline=false", "devices=4"],
         ["vertices", "edges", "iterations"], ["ranks", "l1_delta"]),
        # Contributions cross ranks by reference (the bridge ships the blocks); ranks equal bit for bit.
        ("pagerank", ["workload.baseline=false"], ["vertices", "edges", "iterations"], ["ranks", "l1_delta"]),
        ("pagerank", ["workload.baseline=false", "devices=4"], ["vertices", "edges", "iterations"], ["ranks", "l1_delta"]),
    ]
    # The same, with the bridge squeezed so that every backpressure path runs: a 4-slot outbox, batches of
    # 2, one send in flight per peer, 4 messages waiting for a full input ring; small input rings too.
    # drain_timeout bounds a stall, not speed: on a loaded 2-core machine the squeezed runs can take longer
    # than the default 5 s to drain, and a run cut short reports missing tokens.
    squeeze = {"RK_MPI_BRIDGE": "outbox=4,batch=2,inflight=1,pending=4"}
    cases.append(("all_to_all", ["iterations=300", "devices=4", "kernels.0.queue_capacity=16", "drain_timeout=60s"],
                  ["rounds", "tokens"], [], squeeze))
    cases.append(("pipeline", ["iterations=5000", "devices=4", "kernels.0.queue_capacity=16", "drain_timeout=60s"], *pipeline,
                  squeeze))
    produced = {}  # (name, sets without devices=4, squeezed) -> one-process file with the scenario's devices
    for case in cases:
        name, sets, keys, datasets = case[:4]
        env = dict(os.environ, **(case[4] if len(case) > 4 else {}))
        tag = name + "_" + "_".join(os.path.basename(s).replace("=", "").replace(".", "") for s in sets)
        if len(case) > 4:
            tag += "_squeezed"
        args = [os.path.join(a.scenarios, name + ".yaml"), "--quiet"]
        for s in sets:
            args += ["--set", s]
        one = os.path.join(a.out, tag + "_1.h5")
        many = os.path.join(a.out, tag + f"_{R}.h5")
        for p in (one, many):
            if os.path.exists(p):
                os.remove(p)
        run([a.ringkernel, "run", *args, "--output", one])
        run([*mpi, a.ringkernel, "run", *args, "--output", many], env=env)
        if not (os.path.exists(one) and os.path.exists(many)):
            check(False, f"{tag}: a results file is missing")
            continue
        with h5py.File(many, "r") as f:
            st = f.attrs["status"]
            st = st.decode() if isinstance(st, bytes) else st
            check(st == "complete", f"{tag}: status {st!r} under mpirun")
            check(int(f.attrs["mpi_ranks"]) == R, f"{tag}: mpi_ranks {f.attrs['mpi_ranks']} != {R}")
            dev = f["devices"][:]
            ranks = sorted(set(int(r) for r in dev["rank"]))
            check(ranks == list(range(R)), f"{tag}: device ranks {ranks}, expected 0..{R - 1}")
            check(all(len(h) > 0 for h in dev["host"]), f"{tag}: a device without its host")
            kinds = [e.decode() if isinstance(e, bytes) else e for e in f["events"]["kind"]]
            msgs = [m.decode() if isinstance(m, bytes) else m for m in f["events"]["message"]]
            traffic = [m for k, m in zip(kinds, msgs) if k == "mpi" and " messages in " in m]
            check(len(traffic) == R, f"{tag}: {len(traffic)} per-rank bridge events, expected {R}")
            check("dead_letter" not in kinds, f"{tag}: dead letters under mpirun")
        wl = "/workloads/" + name
        x, y = attrs(one, wl), attrs(many, wl)
        for k in keys:
            check(k in x and x.get(k) == y.get(k), f"{tag}: {wl} attribute {k}: one process {x.get(k)}, mpirun {y.get(k)}")
        if any("orders_handmade" in s for s in sets):
            with h5py.File(many, "r") as f:
                g = f[wl]
                syms = [x.decode() if isinstance(x, bytes) else x for x in g["symbols"][()]]
                got = [(syms[t["symbol"]], int(t["taker_order_id"]), int(t["maker_order_id"]), int(t["price"]),
                        int(t["quantity"])) for t in g["trades"][()]]
                check(got == HANDMADE_TRADES, f"{tag}: trades {got}, expected {HANDMADE_TRADES}")
                rejected = sorted(int(r[0]) for r in g["rejects"][()])
                check(rejected == HANDMADE_REJECTED, f"{tag}: rejected orders {rejected}, expected {HANDMADE_REJECTED}")
        with h5py.File(one, "r") as f1, h5py.File(many, "r") as f2:
            for ds in datasets:
                p = wl + "/" + ds
                check(p in f1 and p in f2 and np.array_equal(f1[p][()], f2[p][()]), f"{tag}: {p} differs from one process")
        # `--set devices=4` under mpirun against the scenario's own device count in one process (placement
        # must not change what a workload computes; PageRank keeps its 4 partitions: bit-identical).
        base = (name, tuple(s for s in sets if s != "devices=4"), len(case) > 4)
        if "devices=4" not in sets:
            produced[base] = one
        elif base in produced:
            ref = produced[base]
            x = attrs(ref, wl)
            for k in keys:
                check(x.get(k) == y.get(k), f"{tag}: {wl} attribute {k}: one device {x.get(k)}, 4 devices on {R} ranks {y.get(k)}")
            with h5py.File(ref, "r") as f1, h5py.File(many, "r") as f2:
                for ds in datasets:
                    p = wl + "/" + ds
                    check(np.array_equal(f1[p][()], f2[p][()]), f"{tag}: {p} differs from the one-device run")

    # An input error is reported once (by rank 0), with exit 2 on every rank and no results file.
    bad = os.path.join(a.out, "bad_input.h5")
    p = run([*mpi, a.ringkernel, "run", os.path.join(a.scenarios, "pipeline.yaml"), "--set", "devices=zero",
             "--output", bad], expect_rc=2)
    check(p.stdout.count("error:") == 1, f"an input error under mpirun is reported {p.stdout.count('error:')} times")
    check(not os.path.exists(bad), "an input error under mpirun left a results file")

    # A workload that runs in one process only (allreduce: a shared-memory collective) refuses, exit 2.
    refused = os.path.join(a.out, "allreduce_refused.h5")
    p = run([*mpi, a.ringkernel, "run", os.path.join(a.scenarios, "allreduce.yaml"), "--output", refused], expect_rc=2)
    check("runs in one process only" in p.stdout, "allreduce under mpirun: the error does not say why")
    check(not os.path.exists(refused), "allreduce under mpirun left a results file")

    print(f"mpi_runs: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
