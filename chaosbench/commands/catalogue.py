"""The catalogue's command line: list the systems, write the README's system table, or recompute
every system's dynamical invariants.

    chaosbench catalogue                 # print the table (Markdown)
    chaosbench catalogue --readme        # rewrite the table in README.md in place
    chaosbench catalogue recompute [--systems A B] [--jobs 2] [--force] [--dry-run]
    chaosbench catalogue add MySystem.yaml [--replace]   # a new system from one file
    chaosbench catalogue gallery [--systems A B] [--out results/gallery]

``recompute`` runs :func:`chaosbench.invariants.compute_invariants` for every system (in
parallel, one process per job), writes each result into the system's ``invariants:`` block as
soon as it arrives (so an interrupted run resumes where it stopped: systems whose block already
carries a chaosbench source with the same settings are skipped unless ``--force``), flags
systems found not chaotic (``chaotic: false`` plus a caveat with the evidence), and prints the
table of changes against the reference catalogue's values. ``gallery`` draws each system's
attractor as PNG and SVG (:func:`chaosbench.plots.write_gallery`).
"""

from __future__ import annotations

# One BLAS thread per worker: the jobs already use the cores, and a multithreaded BLAS that
# shares them spends its time waiting (see chaosbench.lyapunov.lyapunov_spectrum).
from chaosbench.threads import limit_env

limit_env(1)

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from chaosbench.catalogue import load_spec, markdown_table, systems  # noqa: E402
from chaosbench.suggest import suggest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- systems-table:begin -->", "<!-- systems-table:end -->"


def write_readme(table: str, readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        sys.exit(f"{readme} has no {BEGIN} ... {END} markers")
    block = f"{BEGIN}\n{table}\n{END}"
    readme.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text,
                             flags=re.S), encoding="utf-8")


# ----------------------------------------------------------------------------- recompute


def up_to_date(name: str, settings) -> bool:
    """Whether ``systems/<name>.yaml`` already holds invariants computed with ``settings``."""
    from chaosbench.invariants import SOURCE_PREFIX

    inv = load_spec(name)["invariants"]
    stored = inv.get("settings")
    return (str(inv.get("source", "")).startswith(SOURCE_PREFIX) and isinstance(stored, dict)
            and settings.matches(stored))


def _work(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Worker: every invariant of one system (errors are returned, not raised)."""
    import chaosbench
    from chaosbench.invariants import compute_invariants
    from chaosbench.lyapunov import LyapunovSettings

    start = time.perf_counter()
    try:
        out = compute_invariants(chaosbench.system(name), LyapunovSettings(**settings))
    except Exception as error:  # reported per system, the run goes on
        return {"name": name, "error": f"{type(error).__name__}: {error}",
                "wall_seconds": time.perf_counter() - start}
    out["name"] = name
    out["wall_seconds"] = time.perf_counter() - start
    return out


def _expected_cost(name: str) -> float:
    """Seconds the last recompute took (largest first balances the jobs), else a guess."""
    spec = load_spec(name)
    stored = spec["invariants"].get("settings")
    if isinstance(stored, dict) and "wall_seconds" in stored:
        return float(stored["wall_seconds"])
    return 10.0 * len(spec["variables"]) + (30.0 if spec["flags"]["delay"] else 0.0)


# Further evidence for systems found not chaotic, from checks run by hand when the invariants
# were first recomputed (the commands are in the invariants section of the README); appended to
# the automatic evidence in the caveat.
NOTES = {
    "DoublePendulum": "The catalogued equations (the reference catalogue's) are not Hamilton's "
    "equations: the h2 term has -p1 p2 cos(th1 - th2) where they give -2 p1 p2 cos(th1 - th2) "
    "(unit masses and lengths), so tr J ranges over about [-1.4, 2.6] along the orbit and the "
    "energy is not conserved (-6.4 at t = 0, about -14.8 after 2000 time units); the motion is "
    "chaotic at first and regular later, and the exponent estimate falls as the averaging time "
    "grows.",
    "StickSlipOscillator": "Sampled once per forcing period (pi), the orbit settles on three "
    "points: a period-3 orbit (the same at integrator tolerances 1e-7 and 1e-8).",
    "MackeyGlass": "At tau = 16 the solution settles on a periodic orbit whose maxima repeat "
    "with 7 distinct values; at tau = 17, the classic chaotic setting (Farmer 1982), the maxima "
    "do not repeat.",
    "SprottA": "The default initial condition lies on an invariant torus of this flow, which "
    "has KAM tori and a chaotic sea; from Sprott's initial condition (0, 5, 0) the largest "
    "exponent is 0.012 +- 0.001 (Sprott 2003, A.6.3: 0.0138).",
    "DequanLi": "Two orbits started 1e-9 apart stay within 2e-7 of each other over 4000 periods "
    "(DOP853 at rtol = atol = 1e-12).",
    "Tsucs2": "Two orbits started 1e-9 apart stay within 5e-9 of each other over 4000 periods "
    "(DOP853 at rtol = atol = 1e-12).",
    "LiuChen": "On-off intermittency: the orbit spends about 57% of the time within 1e-3 of the "
    "invariant plane y = z = 0 and comes within 1e-12 of it, below the integrator's absolute "
    "tolerance, so finite-time exponents converge slowly and depend on the tolerances; the "
    "estimate over 50 blocks (0.06) is not confirmed by longer runs.",
}


def caveat_text(name: str, evidence: str) -> str:
    note = f" {NOTES[name]}" if name in NOTES else ""
    return (f"Not chaotic at these parameters and this initial condition (recomputed "
            f"invariants): {evidence}.{note} Parameters kept for comparability with the "
            f"reference catalogue.")


def recompute(names: list[str], *, jobs: int = 2, force: bool = False, write: bool = True,
              settings=None, progress: bool = True) -> list[dict[str, Any]]:
    """Recompute the invariants of ``names``; returns one result per computed system."""
    from tqdm import tqdm

    from chaosbench.invariants import flag_not_chaotic, write_invariants
    from chaosbench.lyapunov import LyapunovSettings

    settings = settings or LyapunovSettings()
    todo = [n for n in names if force or not up_to_date(n, settings)]
    if len(todo) < len(names):
        print(f"{len(names) - len(todo)} system(s) already up to date (use --force to redo)")
    todo.sort(key=_expected_cost, reverse=True)
    results: list[dict[str, Any]] = []

    def record(out: dict[str, Any]) -> None:
        results.append(out)
        if "error" in out:
            tqdm.write(f"{out['name']}: FAILED: {out['error']}")
            return
        if write:
            write_invariants(out["name"], out["block"])
            if not out["chaotic"] and flag_not_chaotic(out["name"],
                                                       caveat_text(out["name"], out["evidence"])):
                tqdm.write(f"{out['name']}: flagged not chaotic: {out['evidence']}")

    bar = tqdm(total=len(todo), disable=not progress, unit="system")
    if jobs <= 1:
        for name in todo:
            bar.set_postfix_str(name)
            record(_work(name, settings.to_dict()))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_work, name, settings.to_dict()) for name in todo]
            for future in as_completed(futures):
                out = future.result()
                bar.set_postfix_str(out["name"])
                record(out)
                bar.update()
    bar.close()
    return results


def change_table(results: list[dict[str, Any]], top: int | None = None) -> str:
    """Markdown table: reference vs recomputed largest exponent, sorted by |log ratio|."""
    rows = []
    for out in results:
        if "error" in out:
            continue
        block = out["block"]
        ref = (load_spec(out["name"])["invariants"].get("reference") or {}).get("max_lyapunov")
        if ref is None:  # not written (dry run): the reference is the current block
            ref = load_spec(out["name"])["invariants"].get("max_lyapunov")
        new, se = block["max_lyapunov"], block["max_lyapunov_stderr"]
        ratio = new / ref if ref else float("nan")
        rows.append((abs(math.log(abs(ratio))) if ratio and math.isfinite(ratio) and ratio != 0
                     else float("inf"), out["name"], ref, new, se,
                     block["max_lyapunov_two_trajectory"], ratio, out["chaotic"]))
    rows.sort(key=lambda r: -r[0])
    lines = ["| system | reference | recomputed ± s.e. | two-trajectory | ratio | |",
             "|---|---|---|---|---|---|"]
    for _, name, ref, new, se, two, ratio, chaotic in rows[:top]:
        lines.append(f"| {name} | {ref:.4g} | {new:.4g} ± {se:.2g} | {two:.4g} | {ratio:.3g} | "
                     f"{'' if chaotic else 'not chaotic'} |")
    return "\n".join(lines)


def add(file: Path, *, replace: bool = False) -> int:
    """``catalogue add FILE``: :func:`chaosbench.newsystem.add_system`, then, in a source
    checkout whose catalogue it is, the README's system table. Bad input: one line, status 2,
    nothing written."""
    from chaosbench.catalogue import _directory
    from chaosbench.newsystem import AddError, add_system

    try:
        out = add_system(file, replace=replace)
    except AddError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    inv = out["invariants"]
    print(f"{out['path']}: written; largest Lyapunov exponent {inv['max_lyapunov']:.4g} +- "
          f"{inv['max_lyapunov_stderr']:.2g}, Kaplan-Yorke dimension "
          f"{inv['kaplan_yorke_dimension']}, {'chaotic' if out['chaotic'] else 'NOT chaotic'}")
    readme = ROOT / "README.md"
    if _directory() == ROOT / "systems" and readme.is_file() \
            and BEGIN in readme.read_text(encoding="utf-8"):
        write_readme(markdown_table(), readme)
        print(f"{readme.name}: system table rewritten")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chaosbench catalogue",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["table", "recompute", "add", "gallery"],
                        default="table",
                        help="table (default): print the system table; recompute: the "
                             "invariants; add FILE: validate a new system file, compute its "
                             "statistics and invariants, and write it into the catalogue; "
                             "gallery: one attractor figure per system")
    parser.add_argument("file", nargs="?", type=Path, help="add: the new system's YAML file")
    parser.add_argument("--replace", action="store_true",
                        help="add: replace a system of the same name")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's system table")
    parser.add_argument("--systems", nargs="+", metavar="NAME", help="recompute only these")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    parser.add_argument("--force", action="store_true", help="recompute up-to-date systems too")
    parser.add_argument("--dry-run", action="store_true", help="compute, write nothing")
    parser.add_argument("--json", type=Path, help="also save the results as JSON")
    parser.add_argument("--top", type=int, default=None, help="rows of the change table")
    parser.add_argument("--out", type=Path, default=Path("results/gallery"),
                        help="gallery folder (default: results/gallery)")
    args = parser.parse_args(argv)
    if (args.file is not None) != (args.command == "add"):
        parser.error("a FILE goes with 'add' (chaosbench catalogue add MySystem.yaml), and only "
                     "with it")
    if args.command == "add":
        return add(args.file, replace=args.replace)
    if args.command == "table":
        table = markdown_table()
        if args.readme:
            write_readme(table)
            print(f"README.md: system table rewritten ({table.count(chr(10)) - 1} systems)")
        else:
            print(table)
        return 0

    names = args.systems or systems()
    for name in names:
        if name not in systems():
            print(f"error: {suggest(name, systems(), 'system')}", file=sys.stderr)
            return 2
    if args.command == "gallery":
        from chaosbench.plots import write_gallery

        paths = write_gallery(args.out, names)
        print(f"wrote {len(paths)} attractor figure(s) (PNG and SVG) to {args.out}")
        return 0
    start = time.perf_counter()
    results = recompute(names, jobs=args.jobs, force=args.force, write=not args.dry_run)
    wall = time.perf_counter() - start
    failed = [r for r in results if "error" in r]
    print(f"\n{len(results) - len(failed)} system(s) recomputed in {wall:.0f} s "
          f"({args.jobs} job(s)); {len(failed)} failed")
    if results:
        print("\nLargest Lyapunov exponent, reference catalogue vs recomputed "
              "(largest changes first):\n")
        print(change_table(results, args.top))
    if args.json:
        args.json.write_text(json.dumps({"wall_seconds": wall, "results": results}, indent=1,
                                        default=float))
    if args.readme:
        write_readme(markdown_table())
    return 1 if failed else 0
