"""rk_analysis: RingKernel results files (results/SCHEMA.md) as pandas DataFrames, and reports.

    import rk_analysis
    r = rk_analysis.load("results/ping_pong.h5")       # refuses a file that is not `complete`
    r.latency["round_trip"]["samples_ns"]              # uint64 samples; .attrs: p50_ns, p99_ns, ...
    rk_analysis.percentile(r.latency["round_trip"]["samples_ns"], "p99") == r.latency["round_trip"].attrs["p99_ns"]

`rk-report RESULTS.h5... -o DIR` (or `python3 -m rk_analysis.report`) writes DIR/report.md and PNGs.
"""
from .loader import FORMAT_MAJOR, Results, ResultsError, Workload, load
from .stats import PERCENTILES, median, nearest_rank, percentile, percentiles

__version__ = "0.1.0"
__all__ = ["FORMAT_MAJOR", "PERCENTILES", "Results", "ResultsError", "Workload", "load", "median",
           "nearest_rank", "percentile", "percentiles"]
