#!/usr/bin/env python3
"""Figures of a `pagerank` results file: seconds per iteration and TEPS, ring kernels vs the parallel
CSR pull baseline measured in the same run, plus the L1 change per iteration.

    python3 workloads/pagerank/scripts/plot_pagerank.py results/pagerank-*.h5 -o pagerank.png
"""
import argparse

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="HDF5 results file of a pagerank run")
    ap.add_argument("-o", "--output", default="pagerank.png")
    a = ap.parse_args()
    with h5py.File(a.results, "r") as f:
        g = f["/workloads/pagerank"]
        attrs = dict(g.attrs)
        rows = g["iterations"][:]
        l1 = g["l1_delta"][:]
        base_ns = g["baseline_iteration_ns"][:] if "baseline_iteration_ns" in g else np.array([])
    edges = float(attrs["edges"])
    ring_s = rows["total_ns"] / 1e9
    base_s = base_ns / 1e9
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    it = rows["iteration"]
    ax[0].plot(it, ring_s, "o-", label=f"ring kernels ({attrs['partitions']} partitions)")
    if base_s.size:
        ax[0].plot(np.arange(base_s.size), base_s, "s-", label=f"CSR pull baseline ({attrs.get('baseline_threads', '?')} threads)")
    ax[0].set_xlabel("iteration")
    ax[0].set_ylabel("seconds per iteration")
    ax[0].set_ylim(bottom=0)
    ax[0].legend()
    names, teps = ["ring kernels"], [edges / np.median(ring_s)]
    if base_s.size:
        names.append("CSR baseline")
        teps.append(edges / np.median(base_s))
    ax[1].bar(names, teps, color=["tab:blue", "tab:orange"][: len(names)])
    ax[1].set_ylabel("TEPS (edges / median iteration time)")
    for i, t in enumerate(teps):
        ax[1].text(i, t, f"{t:.3g}", ha="center", va="bottom")
    ax[2].semilogy(np.arange(l1.size), l1, "o-")
    if float(attrs["tolerance"]) > 0:
        ax[2].axhline(float(attrs["tolerance"]), color="gray", ls="--", label="tolerance")
        ax[2].legend()
    ax[2].set_xlabel("iteration")
    ax[2].set_ylabel("L1 change")
    fig.suptitle(f"PageRank: {attrs['graph']} — {int(attrs['vertices'])} vertices, {int(edges)} edges")
    fig.tight_layout()
    fig.savefig(a.output, dpi=110)
    print(a.output)


if __name__ == "__main__":
    main()
