"""The one percentile definition of the package: nearest rank, in exact integer arithmetic.

It is the definition the C++ writer uses for the `/latency/<probe>/samples_ns` attributes
(harness/record/src/series.cpp; results/SCHEMA.md, "Percentile definition"): for n samples sorted
ascending x[1] <= ... <= x[n], the p-th percentile is x[ceil(p/100 * n)], the rank clamped to 1..n,
with p/100 as the exact fractions 50/100, 90/100, 99/100, 999/1000. Every number and marker the report
shows goes through `percentile()`, so they equal the file's `p50_ns`, `p99_ns`, ... attributes.
(numpy's method="inverted_cdf" is the same definition computed in floating point, and can be one rank
off where p*n is an integer: n = 1000, p = 99.9.)
"""
from fractions import Fraction

import numpy as np

#: The percentiles the writer records as attributes: name -> (attribute, exact fraction).
PERCENTILES = {
    "p50": ("p50_ns", Fraction(50, 100)),
    "p90": ("p90_ns", Fraction(90, 100)),
    "p99": ("p99_ns", Fraction(99, 100)),
    "p999": ("p999_ns", Fraction(999, 1000)),
}


def _fraction(p):
    """p as an exact fraction of 1: a name of PERCENTILES ("p99"), a Fraction of 1, or a percent number
    (99, 99.9, "99.9"); a float percent is read through its shortest decimal text (99.9 -> 999/1000)."""
    if isinstance(p, str) and p in PERCENTILES:
        return PERCENTILES[p][1]
    if isinstance(p, Fraction):
        q = p
    else:
        q = Fraction(str(p)) / 100
    if not 0 <= q <= 1:
        raise ValueError(f"percentile {p!r} is outside 0..100")
    return q


def nearest_rank(n, p):
    """The 1-based nearest rank of percentile p among n samples: ceil(p/100 * n), clamped to 1..n."""
    if n <= 0:
        raise ValueError("no samples")
    q = _fraction(p)
    rank = -(-n * q.numerator // q.denominator)  # ceil in integers
    return min(max(rank, 1), n)


def percentile(samples, p):
    """Nearest-rank percentile p of `samples` (any 1-D array-like, unsorted), as a sample of the input
    (a Python int for integer samples, so uint64 values stay exact); None when there are no samples."""
    x = np.asarray(samples)
    if x.ndim != 1:
        x = x.reshape(-1)
    if x.size == 0:
        return None
    k = nearest_rank(x.size, p) - 1
    value = np.partition(x, k)[k]
    return value.item()


def percentiles(samples, names=("p50", "p90", "p99", "p999")):
    """{name: percentile} for several names of PERCENTILES, sorting once."""
    x = np.sort(np.asarray(samples).reshape(-1))
    if x.size == 0:
        return {name: None for name in names}
    return {name: x[nearest_rank(x.size, name) - 1].item() for name in names}


def median(samples):
    """The median every figure and comparison of the package uses: the nearest-rank p50."""
    return percentile(samples, "p50")
