"""rk-report RESULTS.h5... -o DIR: a Markdown report with PNG figures of one or more results files.

DIR/report.md holds, per file: the run (scenario, status, backend, revision), the latency percentiles of
every probe, throughput, per-kernel telemetry, the workload's own figures (PageRank convergence and
iteration times, order-book volume and latency, any other workload's attributes and tables) and events;
with several files, an A/B table of medians first. Every percentile and median is the nearest-rank one
of rk_analysis.stats, the definition the writer uses, so the p50/p99 printed equal the file's
/latency/<probe>/samples_ns attributes and the markers drawn on the CDFs sit at those values.

Exit codes: 0 written; 2 bad input (a missing file, not a results file, another MAJOR format, a run that
is not complete without --allow-incomplete); 1 anything else.
"""
import argparse
import os
import re
import sys

import numpy as np

from .loader import ResultsError, load
from .stats import PERCENTILES, median, percentiles

FIGSIZE = (7.0, 4.0)
DPI = 100
#: Most points a CDF curve is drawn with (ranks spread evenly, the extremes included).
CDF_POINTS = 4000


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "x"


def _ns(value):
    """A duration in ns in human units (for figure labels; the tables print exact ns)."""
    v = float(value)
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.0f} ns"


def _md_escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header, rows):
    lines = ["| " + " | ".join(_md_escape(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _fmt(value):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value[:8]) + (" …" if len(value) > 8 else "")
    return str(value)


class Report:
    """Collects Markdown and figures for one output folder."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.md = []
        self.figures = []
        self.plt = _pyplot()

    def save(self, fig, name):
        name = _safe(name) + ".png"
        fig.savefig(os.path.join(self.out_dir, name), dpi=DPI, bbox_inches="tight")
        self.plt.close(fig)
        self.figures.append(name)
        return name

    def image(self, title, name):
        self.md.append(f"![{_md_escape(title)}]({name})\n")

    def text(self, *lines):
        self.md.extend(lines)

    # --- latency --------------------------------------------------------------------------------------

    def latency(self, r, label):
        probes = [(p, f) for p, f in r.latency.items()]
        if not probes:
            return
        self.text("### Latency\n",
                  "Nearest-rank percentiles of the raw samples (`/latency/<probe>/samples_ns`), in ns; they "
                  "equal the dataset's `p50_ns` … attributes.\n")
        rows, stats = [], {}
        for probe, frame in probes:
            x = frame["samples_ns"].to_numpy()
            if x.size == 0:
                rows.append([probe, 0] + ["—"] * 7)
                continue
            p = percentiles(x)
            stats[probe] = (x, p)
            rows.append([probe, x.size, int(x.min()), p["p50"], p["p90"], p["p99"], p["p999"], int(x.max()),
                         f"{float(np.mean(x, dtype=np.float64)):.1f}"])
            mismatch = [f"{name} {p[name]} ≠ attribute {attr} {frame.attrs[attr]}"
                        for name, (attr, _) in PERCENTILES.items()
                        if attr in frame.attrs and frame.attrs[attr] != p[name]]
            if mismatch:
                self.text(f"**Warning:** probe `{probe}`: " + "; ".join(mismatch) + "\n")
        self.text(_table(["probe", "count", "min (ns)", "p50 (ns)", "p90 (ns)", "p99 (ns)", "p99.9 (ns)",
                          "max (ns)", "mean (ns)"], rows))
        for probe, (x, p) in stats.items():
            self.image(f"{probe}: CDF", self.latency_cdf(label, probe, x, p))
        if len(stats) > 1:
            self.image("p50 per probe", self.latency_p50(label, stats))

    def latency_cdf(self, label, probe, x, p):
        plt = self.plt
        xs = np.sort(x)
        n = xs.size
        idx = np.unique(np.linspace(0, n - 1, min(n, CDF_POINTS)).astype(np.int64))
        fig, ax = plt.subplots(figsize=FIGSIZE)
        ax.step(xs[idx].astype(np.float64), (idx + 1) / n, where="post", color="C0")
        for name, color in (("p50", "C1"), ("p99", "C3")):
            human = f" ({_ns(p[name])})" if p[name] >= 1000 else ""
            ax.axvline(p[name], color=color, linestyle="--", label=f"{name} = {p[name]} ns{human}")
        if xs[0] > 0 and xs[-1] / max(xs[0], 1) > 50:
            ax.set_xscale("log")
        ax.set_xlabel("latency (ns)")
        ax.set_ylabel("fraction of samples ≤ x")
        ax.set_ylim(0, 1.01)
        ax.set_title(f"{label}: {probe}, {n} samples (nearest-rank percentiles)")
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
        return self.save(fig, f"{label}-latency-{probe}-cdf")

    def latency_p50(self, label, stats):
        plt = self.plt
        names = list(stats)
        values = [stats[n][1]["p50"] for n in names]
        fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(2.0, 0.35 * len(names) + 1)))
        ax.barh(range(len(names)), values, color="C0")
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.set_xlabel("p50 latency (ns)")
        if max(values) / max(min(values), 1) > 50:
            ax.set_xscale("log")
        ax.set_title(f"{label}: median (nearest-rank p50) per probe")
        ax.grid(axis="x", alpha=0.3)
        return self.save(fig, f"{label}-latency-p50")

    # --- throughput -----------------------------------------------------------------------------------

    def throughput(self, r, label):
        if not r.throughput:
            return
        self.text("### Throughput\n",
                  "Whole-run rates are the group's attributes (messages after the first row over "
                  "`duration_ns`); the figure shows the rate of each sampling interval.\n")
        rows = []
        for probe, frame in r.throughput.items():
            a = frame.attrs
            rows.append([probe, len(frame), a.get("messages_total"), a.get("bytes_total"), a.get("duration_ns"),
                         _fmt(a.get("messages_per_second")), _fmt(a.get("bytes_per_second"))])
        self.text(_table(["probe", "rows", "messages", "bytes", "duration (ns)", "messages/s", "bytes/s"], rows))
        plt = self.plt
        fig, ax = plt.subplots(figsize=FIGSIZE)
        t0 = min(int(f["t_ns"].iloc[0]) for f in r.throughput.values() if len(f))\
            if any(len(f) for f in r.throughput.values()) else 0
        drawn = False
        for probe, frame in r.throughput.items():
            if len(frame) < 2:
                continue
            t = frame["t_ns"].to_numpy()
            dt = np.diff(t).astype(np.float64)
            ok = dt > 0
            rate = frame["messages"].to_numpy()[1:].astype(np.float64)[ok] / dt[ok] * 1e9
            ends = (t[1:][ok] - t0) / 1e9
            starts = (t[:-1][ok] - t0) / 1e9
            xs = np.column_stack([starts, ends]).reshape(-1)
            ys = np.repeat(rate, 2)
            ax.plot(xs, ys, label=probe)
            drawn = True
        if drawn:
            ax.set_xlabel("run clock (s)")
            ax.set_ylabel("messages/s in each interval")
            ax.set_title(f"{label}: throughput over time")
            ax.legend(loc="best", fontsize="small")
            ax.grid(alpha=0.3)
            self.image("throughput over time", self.save(fig, f"{label}-throughput"))
        else:
            plt.close(fig)

    # --- telemetry ------------------------------------------------------------------------------------

    def telemetry(self, r, label):
        if not r.telemetry:
            return
        self.text("### Telemetry per kernel\n",
                  "Last snapshot of each kernel's counters; processing latency is the kernel's own mean "
                  "(`total_latency_ns / messages_processed`, the only statistic its telemetry carries).\n")
        rows = []
        for kernel, frame in r.telemetry.items():
            if not len(frame):
                rows.append([kernel, 0] + ["—"] * 6)
                continue
            last = frame.iloc[-1]
            processed = int(last["messages_processed"])
            mean = int(last["total_latency_ns"]) / processed if processed else None
            rows.append([kernel, len(frame), processed, int(last["messages_dropped"]), int(last["error_count"]),
                         int(last["max_latency_ns"]), "—" if mean is None else f"{mean:.1f}",
                         int(last["in_flight"])])
        self.text(_table(["kernel", "snapshots", "messages processed", "dropped", "errors", "max latency (ns)",
                          "mean latency (ns)", "in flight"], rows))
        plt = self.plt
        fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(FIGSIZE[1], 0.3 * len(r.telemetry) + 1)))
        series = {k: f for k, f in r.telemetry.items() if len(f)}
        if any(len(f) >= 2 for f in series.values()):
            t0 = min(int(f["t_ns"].iloc[0]) for f in series.values())
            for kernel, frame in series.items():
                ax.step((frame["t_ns"].to_numpy() - t0) / 1e9, frame["messages_processed"].to_numpy(),
                        where="post", label=kernel)
            ax.set_xlabel("run clock (s)")
            ax.set_ylabel("messages processed (cumulative)")
            if len(series) <= 16:
                ax.legend(loc="best", fontsize="small")
        else:
            names = list(series)
            ax.barh(range(len(names)), [int(series[n]["messages_processed"].iloc[-1]) for n in names])
            ax.set_yticks(range(len(names)), names)
            ax.invert_yaxis()
            ax.set_xlabel("messages processed (last snapshot)")
        ax.set_title(f"{label}: messages processed per kernel")
        ax.grid(alpha=0.3)
        self.image("telemetry per kernel", self.save(fig, f"{label}-telemetry"))

    # --- workloads ------------------------------------------------------------------------------------

    def workloads(self, r, label):
        for name, w in r.workloads.items():
            self.text(f"### Workload `{name}`\n")
            if name == "pagerank" and "iterations" in w:
                self.pagerank(label, w)
            if name == "order_matching" and "volume" in w:
                self.order_matching(r, label, w)
            self.generic(w)

    def generic(self, w, prefix=""):
        if w.attrs:
            self.text(_table(["attribute", "value"], [[prefix + k, _fmt(v)] for k, v in w.attrs.items()]))
        if w.tables:
            self.text(_table(["dataset", "rows", "columns"],
                             [[prefix + k, len(t), ", ".join(f"{c} ({t[c].dtype})" for c in t.columns)]
                              for k, t in w.tables.items()]))
        for sub, g in w.groups.items():
            self.generic(g, prefix=f"{prefix}{sub}/")

    def pagerank(self, label, w):
        plt = self.plt
        it = w["iterations"]
        ring = it["total_ns"].to_numpy()
        base = w.array("baseline_iteration_ns") if "baseline_iteration_ns" in w else np.empty(0, np.uint64)
        rows = [["ring kernels", len(ring), median(ring)]]
        if base.size:
            rows.append(["baseline (" + str(w.attrs.get("baseline", "CSR pull")) + ")", base.size, median(base)])
        self.text("Iteration time, median (nearest-rank p50) of `iterations.total_ns` and "
                  "`baseline_iteration_ns`:\n")
        self.text(_table(["side", "iterations", "median iteration (ns)"], rows))
        if base.size and median(base):
            self.text(f"Ratio of medians, ring / baseline: **{median(ring) / median(base):.3f}** (< 1: the ring "
                      f"kernels were faster). The file's `ring_over_baseline_time` "
                      f"({_fmt(w.attrs.get('ring_over_baseline_time'))}) is a ratio of means.\n")
        fig, ax = plt.subplots(figsize=FIGSIZE)
        ax.semilogy(it["iteration"].to_numpy(), it["l1_delta"].to_numpy(), marker="o", label="L1 change")
        if "tolerance" in w.attrs:
            ax.axhline(w.attrs["tolerance"], color="C3", linestyle="--", label=f"tolerance {w.attrs['tolerance']:g}")
        ax.set_xlabel("iteration")
        ax.set_ylabel("L1 norm of the rank change")
        ax.set_title(f"{label}: PageRank convergence")
        ax.legend()
        ax.grid(alpha=0.3)
        self.image("PageRank convergence", self.save(fig, f"{label}-pagerank-convergence"))
        fig, ax = plt.subplots(figsize=FIGSIZE)
        ax.plot(it["iteration"].to_numpy(), ring / 1e3, marker="o", color="C0", label="ring kernels")
        ax.axhline(median(ring) / 1e3, color="C0", linestyle="--", label=f"ring median {_ns(median(ring))}")
        if base.size:
            ax.plot(np.arange(base.size), base / 1e3, marker="s", color="C1", label="baseline")
            ax.axhline(median(base) / 1e3, color="C1", linestyle="--", label=f"baseline median {_ns(median(base))}")
        ax.set_xlabel("iteration")
        ax.set_ylabel("iteration time (µs)")
        ax.set_title(f"{label}: PageRank iteration time (medians dashed)")
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
        self.image("PageRank iteration time", self.save(fig, f"{label}-pagerank-iteration-time"))

    def order_matching(self, r, label, w):
        plt = self.plt
        probe = w.attrs.get("latency_probe", "order_to_fill")
        rows = [[k, _fmt(w.attrs.get(k))] for k in ("orders", "trades_total", "rejects_total", "orders_per_second",
                                                     "total_volume", "vwap", "books")]
        if probe in r.latency and len(r.latency[probe]):
            p = percentiles(r.latency[probe]["samples_ns"].to_numpy(), ("p50", "p99"))
            rows += [[f"{probe} p50 (ns)", p["p50"]], [f"{probe} p99 (ns)", p["p99"]]]
        self.text(_table(["order book", "value"], rows))
        symbols = w.array("symbols") if "symbols" in w else None
        volume = w.array("volume")
        if symbols is None or len(symbols) != len(volume):
            symbols = [str(i) for i in range(len(volume))]
        fig, ax = plt.subplots(figsize=FIGSIZE)
        ax.bar(range(len(volume)), volume, color="C0")
        step = max(1, len(volume) // 16)
        ax.set_xticks(range(0, len(volume), step), [symbols[i] for i in range(0, len(volume), step)],
                      rotation=60, fontsize="small")
        ax.set_ylabel("traded volume")
        ax.set_title(f"{label}: volume per symbol ({w.attrs.get('trades_total', '?')} trades)")
        ax.grid(axis="y", alpha=0.3)
        self.image("order-book volume per symbol", self.save(fig, f"{label}-order-volume"))

    # --- events ---------------------------------------------------------------------------------------

    def events(self, r):
        ev = r.events
        if not len(ev):
            return
        counts = ev.groupby(["severity", "kind"]).size().reset_index(name="events")
        self.text("### Events\n", _table(["severity", "kind", "events"], counts.values.tolist()))
        bad = ev[ev["severity"] != "info"]
        if len(bad):
            self.text(_table(["severity", "kind", "kernel", "message"],
                             bad[["severity", "kind", "kernel", "message"]].head(20).values.tolist()))


def _labels(results):
    seen, labels = {}, []
    for r in results:
        base = _safe(r.label)
        seen[base] = seen.get(base, 0) + 1
        labels.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return labels


def _comparison(rep, results, labels):
    """The A/B table: per figure present in two files or more, each file's median and its ratio to the
    first file's (A)."""
    figures = {}  # (name, unit) -> [value per file or None]

    def put(key, i, value):
        figures.setdefault(key, [None] * len(results))[i] = value

    for i, r in enumerate(results):
        for probe, frame in r.latency.items():
            if len(frame):
                put((f"latency `{probe}` p50", "ns"), i, median(frame["samples_ns"].to_numpy()))
        w = r.workloads.get("pagerank")
        if w is not None and "iterations" in w and len(w["iterations"]):
            put(("pagerank iteration time p50", "ns"), i, median(w["iterations"]["total_ns"].to_numpy()))
    figures = {k: v for k, v in figures.items() if sum(x is not None for x in v) >= 2}
    rep.text("## A/B comparison (medians)\n",
             "Nearest-rank medians of each run's samples; ratio = file / A. Medians of one run each: "
             "whether a difference is beyond the noise needs repetitions (`ringkernel compare`).\n")
    if not figures:
        rep.text("No figure is present in two files.\n")
        return
    header = ["figure"] + [f"{chr(65 + i) if i < 26 else i}: `{lab}`" for i, lab in enumerate(labels)]
    header += [f"{chr(65 + i) if i < 26 else i}/A" for i in range(1, len(labels))]
    rows = []
    for (name, unit), values in figures.items():
        row = [f"{name} ({unit})"] + [_fmt(v) for v in values]
        for v in values[1:]:
            row.append(f"{v / values[0]:.3f}" if v is not None and values[0] else "—")
        rows.append(row)
    rep.text(_table(header, rows))
    latency = [(k, v) for k, v in figures.items() if k[0].startswith("latency")]
    if latency:
        plt = rep.plt
        fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(2.5, 0.4 * len(latency) * len(results) / 2 + 1)))
        height = 0.8 / len(results)
        for i, lab in enumerate(labels):
            ax.barh([j + i * height for j in range(len(latency))],
                    [v[i] if v[i] is not None else 0 for _, v in latency], height=height, label=lab)
        ax.set_yticks([j + 0.4 - height / 2 for j in range(len(latency))],
                      [k[0].replace("latency ", "").replace("`", "").replace(" p50", "") for k, _ in latency])
        ax.invert_yaxis()
        ax.set_xlabel("p50 latency (ns)")
        ax.set_title("A/B: median latency per probe")
        ax.legend(fontsize="small")
        ax.grid(axis="x", alpha=0.3)
        rep.image("A/B median latency", rep.save(fig, "ab-latency-p50"))


def write_report(paths, out_dir, allow_incomplete=False, title="RingKernel report"):
    """Load `paths` and write out_dir/report.md and its PNGs; returns the path of report.md."""
    results = [load(p, allow_incomplete=allow_incomplete) for p in paths]
    os.makedirs(out_dir, exist_ok=True)
    rep = Report(out_dir)
    labels = _labels(results)
    rep.text(f"# {title}\n", _table(["", "file", "scenario", "status", "started (UTC)"],
                                    [[chr(65 + i) if i < 26 else i, f"`{r.path}`", r.scenario_name, r.status,
                                      r.attrs.get("started_utc", "")] for i, r in enumerate(results)]))
    if len(results) > 1:
        _comparison(rep, results, labels)
    for r, label in zip(results, labels):
        a = r.attrs
        rep.text(f"## `{label}`: {r.scenario_name}\n")
        run = [["file", f"`{r.path}`"], ["status", r.status]]
        if a.get("error"):
            run.append(["error", a["error"]])
        run += [[k, _fmt(a[k])] for k in ("workload", "backend", "device_count", "mpi_ranks", "started_utc",
                                          "finished_utc", "git_revision", "git_dirty", "build_type",
                                          "hostname", "format_version") if k in a]
        run.append(["command line", f"`{a.get('command_line', '')}`"])
        rep.text(_table(["run", ""], run))
        if len(r.devices):
            rep.text(_table(["device", "name", "kind", "rank", "host"],
                            r.devices[["index", "name", "kind", "rank", "host"]].values.tolist()))
        rep.latency(r, label)
        rep.throughput(r, label)
        rep.telemetry(r, label)
        rep.workloads(r, label)
        rep.events(r)
    path = os.path.join(out_dir, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(rep.md))
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="rk-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", metavar="RESULTS.h5")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for report.md and PNGs")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="also read files whose status is not complete (running, interrupted, failed)")
    parser.add_argument("--title", default="RingKernel report")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.files, args.output, allow_incomplete=args.allow_incomplete, title=args.title)
    except (ResultsError, FileNotFoundError) as e:
        print(f"rk-report: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - one line instead of a traceback, exit 1
        print(f"rk-report: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
