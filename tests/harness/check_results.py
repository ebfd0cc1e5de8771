#!/usr/bin/env python3
"""Check that a RingKernel results file has what results/SCHEMA.md promises (for CI gates).

usage: check_results.py FILE [--status STATUS ...] [--workload NAME] [--latency PROBE ...]

Checks the required root attributes, the top-level groups, the status (default: "complete"),
the error attribute of failed runs, and the summary attributes of every latency dataset.
Exits 0 when the file passes, 1 with one line per problem otherwise, 2 on bad usage.
"""
import argparse
import re
import sys

import h5py
import numpy as np

REQUIRED_ATTRS = {
    "format": str,
    "format_version": str,
    "status": str,
    "scenario": str,
    "command_line": str,
    "backend": str,
    "started_utc": str,
    "git_revision": str,
    "hostname": str,
    "build_type": str,
    "version_hdf5": str,
}
GROUPS = ("devices", "events", "latency", "throughput", "telemetry", "workloads")
STATUSES = ("running", "complete", "interrupted", "failed")
UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def check(path, statuses, workload, probes):
    problems = []

    def need(cond, msg):
        if not cond:
            problems.append(msg)
        return cond

    with h5py.File(path, "r") as f:
        attrs = f.attrs
        for name, kind in REQUIRED_ATTRS.items():
            if need(name in attrs, f"root attribute '{name}' is missing"):
                need(isinstance(attrs[name], kind), f"root attribute '{name}' is {type(attrs[name]).__name__}, not str")
        if problems:
            return problems
        need(attrs["format"] == "ringkernel-results", f"format is {attrs['format']!r}")
        need(re.fullmatch(r"1\.\d+", attrs["format_version"]) is not None,
             f"format_version {attrs['format_version']!r} is not 1.x")
        status = attrs["status"]
        need(status in STATUSES, f"status {status!r} is not one of {STATUSES}")
        need(status in statuses, f"status is {status!r}, expected {' or '.join(statuses)}")
        if status == "failed":
            need("error" in attrs and len(attrs["error"]) > 0, "a failed run has no error message")
        need("argv" in attrs and len(attrs["argv"]) > 0, "root attribute 'argv' is missing or empty")
        need("device_count" in attrs and int(attrs["device_count"]) >= 1, "device_count is missing or 0")
        need("git_dirty" in attrs, "root attribute 'git_dirty' is missing")
        need(UTC.match(attrs["started_utc"]) is not None, f"started_utc {attrs['started_utc']!r} is not ISO-8601 UTC")
        if status != "running":
            if need("finished_utc" in attrs, "finished_utc is missing from a finished file"):
                need(UTC.match(attrs["finished_utc"]) is not None, f"finished_utc {attrs['finished_utc']!r} malformed")
                need(attrs["started_utc"] <= attrs["finished_utc"], "finished_utc is before started_utc")
        need(re.fullmatch(r"\d+\.\d+\.\d+", attrs["version_hdf5"]) is not None,
             f"version_hdf5 {attrs['version_hdf5']!r} is not major.minor.release")
        need(len(attrs["hostname"]) > 0, "hostname is empty")
        for g in GROUPS:
            need(g in f, f"/{g} is missing")
        if "devices" in f:
            need(f["devices"].shape[0] == int(attrs["device_count"]),
                 f"/devices has {f['devices'].shape[0]} rows, device_count is {int(attrs['device_count'])}")
        if "latency" in f:
            for probe, group in f["latency"].items():
                if not need("samples_ns" in group, f"/latency/{probe} has no samples_ns"):
                    continue
                ds = group["samples_ns"]
                if not need("count" in ds.attrs, f"/latency/{probe}/samples_ns has no count"):
                    continue
                n = int(ds.attrs["count"])
                need(n == ds.shape[0], f"/latency/{probe}: count {n} != length {ds.shape[0]}")
                if n > 0:
                    x = np.sort(ds[:])
                    p50, p99, mx = (int(ds.attrs[k]) for k in ("p50_ns", "p99_ns", "max_ns"))
                    need(p50 <= p99 <= mx, f"/latency/{probe}: p50 {p50} <= p99 {p99} <= max {mx} does not hold")
                    rank = max(1, -(-n * 99 // 100))
                    need(int(x[rank - 1]) == p99, f"/latency/{probe}: p99 {p99} is not the nearest-rank value {x[rank - 1]}")
        for probe in probes:
            ds = f.get(f"latency/{probe}/samples_ns")
            if need(ds is not None, f"/latency/{probe}/samples_ns is missing"):
                need(int(ds.attrs.get("count", 0)) > 0, f"/latency/{probe} has no samples")
        if workload:
            need(f"workloads/{workload}" in f, f"/workloads/{workload} is missing")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--status", action="append", choices=STATUSES,
                    help="accepted status (repeatable; default: complete)")
    ap.add_argument("--workload", help="require /workloads/NAME")
    ap.add_argument("--latency", action="append", default=[], metavar="PROBE",
                    help="require a non-empty /latency/PROBE (repeatable)")
    args = ap.parse_args()
    try:
        problems = check(args.file, args.status or ["complete"], args.workload, args.latency)
    except OSError as e:
        problems = [f"cannot read: {e}"]
    for p in problems:
        print(f"{args.file}: {p}", file=sys.stderr)
    if not problems:
        print(f"{args.file}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
