#!/usr/bin/env python3
"""Tests of python/rk_analysis: the loader, the percentile, and rk-report.

pytest runs them as they are; without pytest, `test_rk_analysis.py [-k WORD] [--results DIR]` runs them
itself. Tests named *_synthetic* build small files with h5py (no executable needed); the others read the
files the ringkernel fixtures of tests/python/CMakeLists.txt wrote into $RK_ANALYSIS_RESULTS (or
--results DIR): ping_pong.h5, ping_pong_b.h5, pipeline.h5, pagerank.h5, order_matching.h5.
Exit code 77 (ctest SKIP_RETURN_CODE) when h5py, numpy, pandas or matplotlib is missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "python"))
if PACKAGE_DIR not in sys.path:
    sys.path.insert(0, PACKAGE_DIR)

try:
    import h5py
    import matplotlib  # noqa: F401 - the report needs it
    import numpy as np
    import pandas  # noqa: F401 - the loader needs it
except ImportError as e:  # pragma: no cover - depends on the machine
    if __name__ == "__main__":
        print(f"SKIPPED: {e} (scripts/setup.sh installs h5py, numpy, pandas, matplotlib)")
        sys.exit(77)
    import pytest
    pytest.skip(f"{e}", allow_module_level=True)

import rk_analysis
from rk_analysis import ResultsError, load, percentile, percentiles
from rk_analysis.report import main as report_main


class Skip(Exception):
    pass


def _skip(reason):
    try:
        import pytest
    except ImportError:
        raise Skip(reason)
    pytest.skip(reason)


def _results_dir():
    d = os.environ.get("RK_ANALYSIS_RESULTS")
    if not d or not os.path.isdir(d):
        _skip("RK_ANALYSIS_RESULTS names no folder of fixture results files")
    return d


def _fixture(name):
    path = os.path.join(_results_dir(), name)
    if not os.path.exists(path):
        _skip(f"{path} was not produced")
    return path


# --- the percentile ------------------------------------------------------------------------------------

def test_percentile_known_answers_synthetic():
    x = np.random.default_rng(1).permutation(np.arange(1, 1001, dtype=np.uint64))
    assert percentiles(x) == {"p50": 500, "p90": 900, "p99": 990, "p999": 999}
    # numpy's float form of the same definition lands one rank higher here (the reason for integers).
    assert percentile(x, 99.9) == percentile(x, "p999") == 999
    assert percentile([30, 10, 20], 50) == 20          # rank ceil(1.5) = 2
    assert percentile([30, 10, 20], 99) == 30          # rank ceil(2.97) = 3
    assert percentile([7], "p999") == 7
    assert percentile([5, 1], 0) == 1                  # rank clamped to 1
    assert percentile(np.empty(0, np.uint64), 50) is None
    big = np.array([2**64 - 1, 2**53 + 1, 2**53], dtype=np.uint64)
    assert percentile(big, 50) == 2**53 + 1 and isinstance(percentile(big, 50), int)
    assert percentile(big, 100) == 2**64 - 1
    assert rk_analysis.nearest_rank(1000, "p999") == 999
    assert rk_analysis.median([4, 1, 3, 2]) == 2       # nearest rank: the lower middle, never a mean


# --- the loader on files written here ----------------------------------------------------------------

def _write_synthetic(path, version="1.3", status="complete", fmt="ringkernel-results"):
    s = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        f.attrs["format"] = fmt
        f.attrs["format_version"] = version
        f.attrs["status"] = status
        if status == "failed":
            f.attrs["error"] = "kernel 'x' faulted"
        f.attrs["device_count"] = np.uint64(1)
        f.attrs["seed"] = np.uint64(2**64 - 1)
        f.attrs["git_dirty"] = np.bool_(True)
        f.attrs["scenario_name"] = "synthetic"
        f.attrs.create("argv", ["ringkernel", "run", "a b.yaml"], dtype=s)
        dev = np.array([(0, b"cpu-sim-0", b"cpu-simulated", 2**63 + 5, 1, 0, 2, b"", b"CPU \xc3\xa9", 0, b"vm")],
                       dtype=[("index", "<u4"), ("name", s), ("kind", s), ("memory_bytes", "<u8"),
                              ("clock_khz", "<u4"), ("memory_clock_khz", "<u4"), ("multiprocessor_count", "<u4"),
                              ("compute_capability", s), ("cpu_model", s), ("rank", "<i4"), ("host", s)])
        f.create_dataset("devices", data=dev, maxshape=(None,))
        ev = np.array([(2**63 + 7, 1, 2, 3, b"warning", b"lifecycle", b"k/1", b"Launched -> Active")],
                      dtype=[("wall_ns", "<u8"), ("hlc_physical", "<u8"), ("hlc_logical", "<u4"),
                             ("hlc_node", "<u4"), ("severity", s), ("kind", s), ("kernel", s), ("message", s)])
        f.create_dataset("events", data=ev, maxshape=(None,))
        g = f.create_group("latency").create_group("a%2Fb")
        g.attrs["probe"] = "a/b"
        samples = np.array([2**64 - 1, 2**53 + 1, 2**53, 3], dtype=np.uint64)
        ds = g.create_dataset("samples_ns", data=samples)
        ds.attrs["count"] = np.uint64(4)
        for name, value in percentiles(samples).items():
            ds.attrs[f"{name}_ns"] = np.uint64(value)
        f["latency"].create_group("empty").create_dataset("samples_ns", data=np.empty(0, np.uint64))
        f["latency/empty/samples_ns"].attrs["count"] = np.uint64(0)
        t = f.create_group("throughput").create_group("msgs")
        for c, v in (("t_ns", [10, 2**63 + 1]), ("messages", [0, 5]), ("bytes", [0, 320])):
            t.create_dataset(c, data=np.array(v, dtype=np.uint64))
        t.attrs["messages_total"] = np.uint64(5)
        tel = np.zeros(2, dtype=[("t_ns", "<u8"), ("messages_processed", "<u8"), ("is_active", "?")])
        tel["t_ns"] = [1, 2**64 - 2]
        tel["is_active"] = [True, False]
        k = f.create_group("telemetry").create_group("book[3]")
        k.attrs["kernel_id"] = "book[3]"
        k.create_dataset("samples", data=tel)
        w = f.create_group("workloads").create_group("toy")
        w.attrs["name"] = "toy"
        w.attrs["big"] = np.uint64(2**64 - 1)
        w.create_dataset("labels", data=["α", "b"], dtype=s)
        w.create_dataset("counts", data=np.array([2**63 + 3, 1], dtype=np.uint64))
        w.create_group("sub").create_dataset("ratio", data=np.array([0.5]))


def test_loader_synthetic_uint64_and_strings():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "synthetic.h5")
        _write_synthetic(path)
        r = load(path)
    assert r.status == "complete" and r.label == "synthetic"
    assert r.attrs["seed"] == 2**64 - 1 and isinstance(r.attrs["seed"], int)
    assert r.attrs["git_dirty"] is True
    assert r.attrs["argv"] == ["ringkernel", "run", "a b.yaml"]
    assert r.devices["memory_bytes"].dtype == np.uint64 and int(r.devices["memory_bytes"][0]) == 2**63 + 5
    assert r.devices["cpu_model"][0] == "CPU é" and isinstance(r.devices["name"][0], str)
    assert r.events["wall_ns"].dtype == np.uint64 and int(r.events["wall_ns"][0]) == 2**63 + 7
    assert list(r.events["kernel"]) == ["k/1"] and r.events["severity"][0] == "warning"
    lat = r.latency["a/b"]                                   # unescaped name
    assert lat["samples_ns"].dtype == np.uint64
    assert [int(v) for v in lat["samples_ns"]] == [2**64 - 1, 2**53 + 1, 2**53, 3]
    assert lat.attrs["p99_ns"] == 2**64 - 1 and lat.attrs["p50_ns"] == 2**53
    assert len(r.latency["empty"]) == 0 and r.latency["empty"].attrs["count"] == 0
    assert r.throughput["msgs"]["t_ns"].dtype == np.uint64 and int(r.throughput["msgs"]["t_ns"][1]) == 2**63 + 1
    tel = r.telemetry["book[3]"]
    assert tel["t_ns"].dtype == np.uint64 and int(tel["t_ns"][1]) == 2**64 - 2
    assert tel["is_active"].dtype == bool and list(tel["is_active"]) == [True, False]
    w = r.workloads["toy"]
    assert w.attrs["big"] == 2**64 - 1
    assert list(w.array("labels")) == ["α", "b"] and all(isinstance(v, str) for v in w.array("labels"))
    assert w.array("counts").dtype == np.uint64 and int(w.array("counts")[0]) == 2**63 + 3
    assert w.groups["sub"]["ratio"]["ratio"][0] == 0.5


def test_loader_refusals_synthetic():
    with tempfile.TemporaryDirectory() as d:
        def refused(path, words, **kw):
            try:
                load(path, **kw)
            except ResultsError as e:
                assert path in str(e), str(e)
                for word in words:
                    assert word in str(e), (word, str(e))
                return
            raise AssertionError(f"{path} was loaded")

        p = os.path.join(d, "major2.h5")
        _write_synthetic(p, version="2.0")
        refused(p, ["MAJOR 2", "2.0"])
        refused(p, ["MAJOR 2"], allow_incomplete=True)         # a format is never forced
        for status in ("failed", "interrupted", "running"):
            p = os.path.join(d, f"{status}.h5")
            _write_synthetic(p, status=status)
            refused(p, [f"'{status}'", "allow_incomplete"])
            assert load(p, allow_incomplete=True).status == status
        refused(os.path.join(d, "failed.h5"), ["kernel 'x' faulted"])
        p = os.path.join(d, "other.h5")
        _write_synthetic(p, fmt="something-else")
        refused(p, ["not a RingKernel results file"])
        p = os.path.join(d, "text.h5")
        with open(p, "w") as f:
            f.write("not hdf5\n")
        refused(p, ["not readable as HDF5"])
        missing = os.path.join(d, "missing.h5")
        try:
            load(missing)
            raise AssertionError("a missing file was loaded")
        except FileNotFoundError as e:
            assert missing in str(e)
        assert report_main([missing, "-o", os.path.join(d, "out")]) == 2


# --- the loader on files the executable wrote --------------------------------------------------------

FIXTURES = ("ping_pong.h5", "ping_pong_b.h5", "pipeline.h5", "pagerank.h5", "order_matching.h5")


def _is_str_column(column):
    return all(isinstance(v, str) for v in column)


def test_loader_on_runs():
    for name in FIXTURES:
        path = _fixture(name)
        r = load(path)
        with h5py.File(path, "r") as f:
            assert r.attrs["format_version"] == f.attrs["format_version"]
            assert r.attrs["device_count"] == int(f.attrs["device_count"]) == len(r.devices)
            for table, frame in (("devices", r.devices), ("events", r.events)):
                raw = f[table][()]
                assert len(frame) == len(raw)
                for field in raw.dtype.names:
                    if raw.dtype[field].kind == "O":
                        assert _is_str_column(frame[field]), (name, table, field)
                        assert list(frame[field]) == [v.decode() for v in raw[field]]
                    else:
                        assert frame[field].dtype == raw.dtype[field], (name, table, field)
                        assert np.array_equal(frame[field].to_numpy(), raw[field])
            assert r.events["wall_ns"].dtype == np.uint64
            assert len(r.latency) == len(f["latency"]) and len(r.telemetry) == len(f["telemetry"])
            for probe, frame in r.latency.items():
                ds = f["latency"][probe.replace("%", "%25").replace("/", "%2F")]["samples_ns"]
                assert frame["samples_ns"].dtype == np.uint64
                assert np.array_equal(frame["samples_ns"].to_numpy(), ds[()])
                assert frame.attrs["count"] == len(frame) == int(ds.attrs["count"])
                if len(frame):
                    p = percentiles(frame["samples_ns"])
                    for key, (attr, _) in rk_analysis.PERCENTILES.items():
                        assert p[key] == int(ds.attrs[attr]), (name, probe, key, p[key], int(ds.attrs[attr]))
            for probe, frame in r.throughput.items():
                assert list(frame.columns) == ["t_ns", "messages", "bytes"]
                assert all(frame[c].dtype == np.uint64 for c in frame.columns)
                assert int(frame["messages"].sum()) == frame.attrs["messages_total"]
            for kernel, frame in r.telemetry.items():
                assert frame["t_ns"].dtype == np.uint64 and frame["messages_processed"].dtype == np.uint64
                assert frame["is_active"].dtype == bool
    w = load(_fixture("ping_pong.h5")).workloads["ping_pong"]
    assert w.attrs["probe"] == "round_trip" and w["bounce_lines"]["p50_ns"].dtype == np.uint64
    w = load(_fixture("pipeline.h5")).workloads["pipeline"]
    assert _is_str_column(w.array("stages")) and len(w.array("stages")) == w.attrs["stages"]
    w = load(_fixture("pagerank.h5")).workloads["pagerank"]
    assert len(w["iterations"]) == w.attrs["iterations"] == len(w.array("l1_delta"))
    assert w["iterations"]["total_ns"].dtype == np.uint64
    om = load(_fixture("order_matching.h5"))
    w = om.workloads["order_matching"]
    assert _is_str_column(w.array("symbols")) and w.array("symbols")[0] == "SYM0"
    assert len(w["trades"]) == w.attrs["trades_total"] and w["trades"]["taker_order_id"].dtype == np.uint64
    assert int(w.array("volume").sum()) == w.attrs["total_volume"]
    assert om.latency[w.attrs["latency_probe"]].attrs["count"] == w.attrs["trades_total"]


# --- the report ----------------------------------------------------------------------------------------

def _run_report(args):
    env = dict(os.environ, PYTHONPATH=PACKAGE_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "rk_analysis.report", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def _section(md, label):
    m = re.search(rf"^## `{re.escape(label)}`:.*?(?=^## |\Z)", md, flags=re.M | re.S)
    assert m, f"no section for {label}"
    return m.group(0)


def _row(section, header_word, first_cell):
    """The cells of the row starting with `first_cell` in the first table whose header has header_word,
    as {header: cell}."""
    for table in re.findall(r"(?:^\|.*\|\n)+", section, flags=re.M):
        lines = table.strip("\n").split("\n")
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        if header_word not in header:
            continue
        for line in lines[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] == first_cell:
                return dict(zip(header, cells))
    raise AssertionError(f"no row {first_cell!r} in a table with {header_word!r}")


def _check_pngs(out, md):
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert images, "the report shows no figure"
    for name in images:
        path = os.path.join(out, name)
        assert os.path.isfile(path), path
        with open(path, "rb") as f:
            head = f.read(8)
        assert head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 1000, path
    on_disk = {n for n in os.listdir(out) if n.endswith(".png")}
    assert on_disk == set(images), on_disk ^ set(images)
    return images


def test_report_numbers_equal_the_file():
    files = [_fixture(n) for n in ("ping_pong.h5", "ping_pong_b.h5", "pagerank.h5", "order_matching.h5")]
    out = tempfile.mkdtemp(prefix="rk_report_")
    try:
        done = _run_report([*files, "-o", out])
        assert done.returncode == 0, done.stderr
        md_path = os.path.join(out, "report.md")
        assert done.stdout.strip() == md_path
        with open(md_path, encoding="utf-8") as f:
            md = f.read()
        images = _check_pngs(out, md)
        for want in ("ping_pong-latency-round_trip-cdf.png", "ping_pong-latency-atomic_bounce-cdf.png",
                     "ping_pong-throughput.png", "ping_pong-telemetry.png", "ab-latency-p50.png",
                     "pagerank-pagerank-convergence.png", "pagerank-pagerank-iteration-time.png",
                     "order_matching-order-volume.png", "order_matching-latency-order_to_fill-cdf.png"):
            assert want in images, want
        ab = re.search(r"^## A/B comparison.*?(?=^## )", md, flags=re.M | re.S).group(0)
        for label, path in (("ping_pong", files[0]), ("ping_pong_b", files[1]), ("order_matching", files[3])):
            probes = {"ping_pong": ("round_trip", "atomic_bounce")}.get(label.split("_b")[0], ("order_to_fill",))
            section = _section(md, label)
            with h5py.File(path, "r") as f:
                for probe in probes:
                    attrs = f["latency"][probe]["samples_ns"].attrs
                    row = _row(section, "p50 (ns)", probe)
                    for col, attr in (("count", "count"), ("min (ns)", "min_ns"), ("p50 (ns)", "p50_ns"),
                                      ("p90 (ns)", "p90_ns"), ("p99 (ns)", "p99_ns"), ("p99.9 (ns)", "p999_ns"),
                                      ("max (ns)", "max_ns")):
                        assert int(row[col]) == int(attrs[attr]), (label, probe, col, row[col], int(attrs[attr]))
        with h5py.File(files[0], "r") as fa, h5py.File(files[1], "r") as fb:
            row = _row(ab, "figure", "latency `round_trip` p50 (ns)")
            a = int(fa["latency/round_trip/samples_ns"].attrs["p50_ns"])
            b = int(fb["latency/round_trip/samples_ns"].attrs["p50_ns"])
            assert int(row["A: `ping_pong`"]) == a and int(row["B: `ping_pong_b`"]) == b, row
            assert row["B/A"] == f"{b / a:.3f}"
        with h5py.File(files[3], "r") as f:
            attrs = f["latency/order_to_fill/samples_ns"].attrs
            om = _section(md, "order_matching")
            assert int(_row(om, "value", "order_to_fill p99 (ns)")["value"]) == int(attrs["p99_ns"])
            assert int(_row(om, "value", "trades_total")["value"]) == int(f["workloads/order_matching"].attrs["trades_total"])
        pr = _section(md, "pagerank")
        w = load(files[2]).workloads["pagerank"]
        assert int(_row(pr, "median iteration (ns)", "ring kernels")["median iteration (ns)"]) == \
            rk_analysis.median(w["iterations"]["total_ns"])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_report_refuses_incomplete():
    out = tempfile.mkdtemp(prefix="rk_report_")
    try:
        path = os.path.join(out, "interrupted.h5")
        shutil.copyfile(_fixture("ping_pong.h5"), path)
        with h5py.File(path, "r+") as f:
            f.attrs["status"] = "interrupted"
        done = _run_report([path, "-o", os.path.join(out, "r")])
        assert done.returncode == 2 and path in done.stderr and "interrupted" in done.stderr, done.stderr
        assert not os.path.exists(os.path.join(out, "r", "report.md"))
        done = _run_report([path, "--allow-incomplete", "-o", os.path.join(out, "r")])
        assert done.returncode == 0, done.stderr
        with open(os.path.join(out, "r", "report.md"), encoding="utf-8") as f:
            assert "| status | interrupted |" in f.read()
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _main(argv):
    import argparse
    import traceback
    parser = argparse.ArgumentParser(description="run the tests without pytest")
    parser.add_argument("-k", default="", help="run the tests whose name contains this")
    parser.add_argument("--results", help="folder of the fixture results files (else $RK_ANALYSIS_RESULTS)")
    args = parser.parse_args(argv)
    if args.results:
        os.environ["RK_ANALYSIS_RESULTS"] = args.results
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f) and args.k in n]
    passed = failed = skipped = 0
    for name, fn in tests:
        try:
            fn()
        except Skip as e:
            skipped += 1
            print(f"SKIPPED {name}: {e}")
        except Exception:  # noqa: BLE001 - report every failure
            failed += 1
            print(f"FAILED {name}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"passed {name}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if failed:
        return 1
    return 77 if skipped and not passed else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
