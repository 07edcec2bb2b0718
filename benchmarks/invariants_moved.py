"""What a recompute of the catalogue's invariants moved: every system's stored values at a git
revision against the working tree's, as the README's table after a change of settings.

    python benchmarks/invariants_moved.py --base REV [--top 15]

For each system in both: the largest exponent before and after with their standard errors, the
change in units of the combined standard error, the Kaplan-Yorke dimension before and after,
and the blocks the stopping rule took; then a summary (median relative change, how many moved by
more than 2 and 3 combined standard errors, how many largest exponents reach 1% relative
standard error, and how many spectra meet the 1% rule whole). Reads files only; computes nothing.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]


def stored(text: str) -> dict:
    spec = yaml.safe_load(text)
    inv = spec["invariants"]
    settings = inv.get("settings", {})
    return {"lam": float(inv["max_lyapunov"]), "se": float(inv["max_lyapunov_stderr"]),
            "spectrum": np.asarray(inv["lyapunov_spectrum"], float),
            "spectrum_se": np.asarray(inv["lyapunov_spectrum_stderr"], float),
            "ky": inv.get("kaplan_yorke_dimension"), "blocks": settings.get("blocks"),
            "wall": settings.get("wall_seconds", np.nan), "period": float(spec["period"])}


def at_revision(rev: str, path: str) -> str | None:
    out = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True,
                         text=True)
    return out.stdout if out.returncode == 0 else None


def target_met(inv: dict, rel: float = 0.01, abs_: float = 0.002) -> bool:
    """Every exponent within the 1% rule: standard error <= rel * |exponent| + abs / period
    (the absolute term governs exponents near zero; those fixed at exactly zero carry standard
    error 0 and pass)."""
    lam, se = inv["spectrum"], inv["spectrum_se"]
    return bool(np.all(se <= rel * np.abs(lam) + abs_ / inv["period"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision holding the old values")
    parser.add_argument("--top", type=int, default=15, help="rows of the table (largest moves)")
    args = parser.parse_args()

    rows = []
    for path in sorted((ROOT / "systems").glob("*.yaml")):
        old_text = at_revision(args.base, f"systems/{path.name}")
        if old_text is None:
            continue
        old, new = stored(old_text), stored(path.read_text(encoding="utf-8"))
        combined = float(np.hypot(old["se"], new["se"]))
        rows.append({"system": path.stem, "old": old, "new": new,
                     "z": (new["lam"] - old["lam"]) / combined if combined > 0 else 0.0,
                     "rel": (new["lam"] - old["lam"]) / abs(old["lam"]) if old["lam"] else 0.0})
    if not rows:
        raise SystemExit(f"no system files at {args.base}")

    rows.sort(key=lambda r: -abs(r["z"]))
    print(f"Largest exponent, {args.base} -> working tree ({len(rows)} systems), largest moves "
          "in combined standard errors first:\n")
    print("| system | before +- s.e. (blocks) | after +- s.e. (blocks) | change | in s.e. | "
          "KY dim. before -> after |")
    print("|---|---|---|---|---|---|")
    for r in rows[:args.top]:
        o, n = r["old"], r["new"]
        ky = (f"{o['ky']:.3f} -> {n['ky']:.3f}" if o["ky"] is not None and n["ky"] is not None
              else "")
        print(f"| {r['system']} | {o['lam']:.4g} +- {o['se']:.2g} ({o['blocks']}) | "
              f"{n['lam']:.4g} +- {n['se']:.2g} ({n['blocks']}) | {100 * r['rel']:+.1f}% | "
              f"{r['z']:+.1f} | {ky} |")
    z = np.array([abs(r["z"]) for r in rows])
    rel = np.array([abs(r["rel"]) for r in rows])
    se_ratio = np.array([r["new"]["se"] / r["old"]["se"] for r in rows if r["old"]["se"] > 0])
    met_old = sum(target_met(r["old"]) for r in rows)
    met_new = sum(target_met(r["new"]) for r in rows)
    first_old = sum(r["old"]["se"] <= 0.01 * abs(r["old"]["lam"]) for r in rows)
    first_new = sum(r["new"]["se"] <= 0.01 * abs(r["new"]["lam"]) for r in rows)
    wall_old = np.nansum([r["old"]["wall"] for r in rows])
    wall_new = np.nansum([r["new"]["wall"] for r in rows])
    print(f"\nmedian |relative change| of the largest exponent: {100 * np.median(rel):.2f}% "
          f"(90th percentile {100 * np.percentile(rel, 90):.1f}%)")
    print(f"moved by more than 2 combined s.e.: {int((z > 2).sum())}; more than 3: "
          f"{int((z > 3).sum())} of {len(rows)}")
    print(f"median standard error of the largest exponent, after / before: "
          f"{np.median(se_ratio):.2f}")
    print(f"largest exponent at <= 1% relative s.e.: {first_old} -> {first_new}; every exponent "
          f"within 1% + 0.002 / period: {met_old} -> {met_new} of {len(rows)}")
    print(f"sum of per-system compute times: {wall_old:.0f} s -> {wall_new:.0f} s")


if __name__ == "__main__":
    main()
