"""How far a row's median over a few systems strays from its median over many: random subsets.

    .venv/bin/python benchmarks/subset_spread.py results/reproduce_blockrnn/systems.csv
        [--sizes 13,26,40,66] [--draws 10000]

Reads the per-system table that ``chaosbench reproduce`` writes (``systems.csv``: row, system,
ours, published) and, for each row and subset size k, draws k of its systems at random without
replacement, ``--draws`` times with a fixed seed, and computes the relative difference of the two
medians on each draw, as ``reproduce`` does on the whole set. Prints the relative difference over
all systems, the 2.5 and 97.5 percentiles over draws, and the share of draws whose difference
exceeds the 15% target although the whole set's may not: what a verdict on k systems is worth,
when one initial condition per system leaves per-system sMAPE scattered by tens. The fixed
13-system ``subset`` is one such draw.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd


def spread(ours: np.ndarray, published: np.ndarray, k: int, draws: int, seed: int = 0):
    """Percentiles (2.5, 97.5) of the relative difference of medians over random k-subsets, and
    the share of subsets beyond +-15%."""
    rng = np.random.default_rng(seed)
    picks = np.argsort(rng.random((draws, len(ours))), axis=1)[:, :k]   # k without replacement
    relative = np.median(ours[picks], axis=1) / np.median(published[picks], axis=1) - 1.0
    lo, hi = np.percentile(relative, [2.5, 97.5])
    return float(lo), float(hi), float(np.mean(np.abs(relative) > 0.15))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("systems_csv")
    parser.add_argument("--sizes", default="13,26,40,66")
    parser.add_argument("--draws", type=int, default=10000)
    args = parser.parse_args()

    table = pd.read_csv(args.systems_csv).dropna(subset=["ours", "published"])
    print("| row | systems | relative, all | k | 95% of k-subsets | k-subsets beyond 15% |")
    print("|---|---|---|---|---|---|")
    for row, group in table.groupby("row"):
        ours, pub = group["ours"].to_numpy(float), group["published"].to_numpy(float)
        whole = np.median(ours) / np.median(pub) - 1.0
        for k in (int(s) for s in args.sizes.split(",")):
            if k >= len(group):
                continue
            lo, hi, beyond = spread(ours, pub, k, args.draws)
            print(f"| {row} | {len(group)} | {whole:+.0%} | {k} | {lo:+.0%} to {hi:+.0%} | "
                  f"{beyond:.0%} |")


if __name__ == "__main__":
    main()
