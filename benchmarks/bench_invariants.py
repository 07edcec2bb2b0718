"""How long recomputing every system's invariants takes (the issue's target: the whole catalogue
in under 15 minutes on a 2-core machine), and where the time goes.

    python benchmarks/bench_invariants.py [--jobs 2] [--systems A B ...]

Runs exactly what ``make catalogue`` runs (``runners/catalogue.py recompute``), in a fresh
process, with ``--dry-run --force`` so that nothing is written and nothing is skipped, and reports
the wall time, the slowest systems and how many blocks the stopping rule needed. The first run
on a machine also pays Numba's compilation of the integrators (cached on disk afterwards).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 15 * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--systems", nargs="+", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "invariants.json"
        cmd = [sys.executable, str(ROOT / "runners" / "catalogue.py"), "recompute", "--dry-run",
               "--force", "--jobs", str(args.jobs), "--json", str(out)]
        if args.systems:
            cmd += ["--systems", *args.systems]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if not out.exists():
            sys.exit(f"recompute failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        report = json.loads(out.read_text())
    results = report["results"]
    ok = [r for r in results if "error" not in r]
    failed = [r for r in results if "error" in r]
    cpu = sum(r["wall_seconds"] for r in results)
    blocks = sorted(r["block"]["settings"]["blocks"] for r in ok)
    slow = sorted(results, key=lambda r: -r["wall_seconds"])[:8]
    print(f"invariants of {len(results)} systems, {args.jobs} job(s): {wall:.0f} s wall "
          f"(target < {TARGET_SECONDS} s: {'met' if wall < TARGET_SECONDS else 'MISSED'}); "
          f"{cpu:.0f} s summed over systems; {len(failed)} failed")
    print("  slowest: " + ", ".join(f"{r['name']} {r['wall_seconds']:.0f} s" for r in slow))
    if blocks:
        print(f"  blocks of 20 periods per orbit: median {blocks[len(blocks) // 2]}, "
              f"max {blocks[-1]} ({sum(b >= 50 for b in blocks)} systems needed >= 50)")
    not_chaotic = [r["name"] for r in ok if not r["chaotic"]]
    print(f"  not chaotic at their catalogue parameters: {len(not_chaotic)} "
          f"({', '.join(not_chaotic)})")
    for r in failed:
        print(f"  FAILED {r['name']}: {r['error']}")


if __name__ == "__main__":
    main()
