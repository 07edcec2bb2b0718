"""Catalogue speed and accuracy, side by side with the reference package (dysts), in one run.

    python benchmarks/bench_catalogue.py [--dysts-python PATH] [--default-sample N]

Measures, for every system, 1,200 points at 100 points per period from the default initial
condition:
  * chaosbench, warm (compiled) -- and the first-call cost (SymPy lowering for 135 systems plus
    Numba JIT) in a fresh process, separately, with and without Numba's on-disk cache;
  * 64 initial conditions per system against one;
  * the reference package in its own virtual environment (it needs pandas < 3), through a
    subprocess: DOP853 at rtol = atol = 1e-9 for the whole catalogue, and its default (Radau,
    1e-12) on a sample of systems (the whole catalogue takes ~25-45 minutes);
  * accuracy: the error over the first period against SciPy's DOP853 at rtol = atol = 1e-12 on the
    same vector field, in units of the attractor's std, for both packages.
The script still runs (and says so) when the reference environment is absent. Ratios are measured
in the same run, so machine load affects both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

N, PPP = 1200, 100
DEFAULT_SAMPLE = ["Lorenz", "Rossler", "Chua", "Duffing", "HyperRossler", "Thomas"]

REFERENCE_SCRIPT = textwrap.dedent('''
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    import numpy as np
    from scipy.integrate import solve_ivp
    import dysts.flows as flows
    names, sample = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    out = {"dop853": {}, "default": {}, "error": {}}
    for name in names:
        sys_ = getattr(flows, name)()
        t0 = time.perf_counter()
        x = sys_.make_trajectory(%(n)d, pts_per_period=%(ppp)d, method="DOP853", rtol=1e-9, atol=1e-9)
        out["dop853"][name] = time.perf_counter() - t0
        if name in sample:
            t0 = time.perf_counter()
            sys_.make_trajectory(%(n)d, pts_per_period=%(ppp)d)
            out["default"][name] = time.perf_counter() - t0
        if getattr(sys_, "tau", None) is None and x is not None and not hasattr(sys_, "_postprocessing"):
            # accuracy over the first period against DOP853 at 1e-12 on its own field
            t, x = sys_.make_trajectory(%(ppp)d + 1, pts_per_period=%(ppp)d, method="DOP853",
                                        rtol=1e-9, atol=1e-9, return_times=True)
            ref = solve_ivp(lambda s, y: np.asarray(sys_.rhs(y, s)), (0, t[-1]), sys_.ic,
                            method="DOP853", rtol=1e-12, atol=1e-12, t_eval=t).y.T
            out["error"][name] = float(np.max(np.abs(x - ref).max(axis=0) / np.asarray(sys_.std)))
    print(json.dumps(out))
''') % {"n": N, "ppp": PPP}

FIRST_CALL_SCRIPT = textwrap.dedent('''
    import time
    t0 = time.perf_counter()
    import chaosbench
    for name in chaosbench.systems():
        chaosbench.system(name).trajectory(%(n)d, pts_per_period=%(ppp)d)
    print(time.perf_counter() - t0)
''') % {"n": N, "ppp": PPP}


def first_call_seconds(cache_dir: str | None) -> float:
    env = dict(os.environ)
    if cache_dir:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", FIRST_CALL_SCRIPT], env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dysts-python", default=os.environ.get(
        "DYSTS_PYTHON", "/work/scratch/dysts-venv/bin/python"),
        help="python of a scratch venv with dysts installed")
    parser.add_argument("--default-sample", type=int, default=len(DEFAULT_SAMPLE),
                        help="how many systems to time with the reference's default integrator")
    args = parser.parse_args()

    import chaosbench
    from scipy.integrate import solve_ivp

    names = chaosbench.systems()
    systems = {n: chaosbench.system(n) for n in names}
    for s in systems.values():  # compile everything once: the warm timings exclude compilation
        s.trajectory(2, pts_per_period=PPP)

    ours, ours64, ours1 = {}, {}, {}
    for name, s in systems.items():
        t0 = time.perf_counter()
        s.trajectory(N, pts_per_period=PPP)
        ours[name] = time.perf_counter() - t0
        pool = s.attractor_pool()
        ics = pool[np.random.default_rng(0).choice(len(pool), 64, replace=False)]
        t0 = time.perf_counter()
        s.trajectory(N, pts_per_period=PPP, ic=ics[0])
        ours1[name] = time.perf_counter() - t0
        t0 = time.perf_counter()
        s.trajectory(N, pts_per_period=PPP, ic=ics)
        ours64[name] = time.perf_counter() - t0

    errors = {}
    for name, s in systems.items():
        if s.delay:
            continue
        t, x = s.trajectory(PPP + 1, pts_per_period=PPP, postprocess=False, return_times=True)
        ref = solve_ivp(lambda u, y: s.rhs(y, u), (0, t[-1]), s.initial_conditions,
                        method="DOP853", rtol=1e-12, atol=1e-12, t_eval=t).y.T
        scale = s.std if not s.postprocessing else np.maximum(ref.std(axis=0), 1e-12)
        errors[name] = float(np.max(np.abs(x - ref).max(axis=0) / scale))

    with tempfile.TemporaryDirectory() as empty_cache:
        cold = first_call_seconds(empty_cache)
    cached = first_call_seconds(None)

    reference = None
    if Path(args.dysts_python).exists():
        sample = DEFAULT_SAMPLE[: args.default_sample]
        proc = subprocess.run([args.dysts_python, "-c", REFERENCE_SCRIPT, json.dumps(names),
                               json.dumps(sample)], capture_output=True, text=True)
        if proc.returncode == 0:
            reference = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            print("reference run failed:\n" + proc.stderr[-2000:])

    total = sum(ours.values())
    print(f"\nchaosbench catalogue benchmark: {len(names)} systems, {N} points at {PPP} points per period")
    print(f"  chaosbench, warm, one IC each        {total:8.2f} s")
    print(f"  chaosbench, 64 ICs vs 1 (all systems) {sum(ours64.values()):8.2f} s vs "
          f"{sum(ours1.values()):.2f} s  -> {sum(ours64.values()) / sum(ours1.values()):.1f}x "
          f"(target < 10x; per-system median {np.median([ours64[n] / ours1[n] for n in names]):.1f}x)")
    print(f"  first call in a fresh process (import, SymPy lowering of 135 systems, first runs):")
    print(f"      Numba cache empty {cold:8.2f} s   Numba cache warm {cached:8.2f} s")
    print(f"  accuracy over one period vs DOP853 1e-12 (x attractor std): "
          f"median {np.median(list(errors.values())):.1e}, max {max(errors.values()):.1e} "
          f"({len(errors)} ODE systems)")
    if reference is None:
        print(f"  reference package: not found at {args.dysts_python} (pip install dysts==0.96 in a "
              "scratch venv, pass --dysts-python); ratios skipped")
        return
    ref_total = sum(reference["dop853"].values())
    print(f"  reference DOP853 1e-9, whole catalogue {ref_total:8.2f} s  -> chaosbench takes "
          f"{total / ref_total:.3f} of it (target <= 0.25)")
    sample = list(reference["default"])
    ref_default = sum(reference["default"].values())
    ours_sample = sum(ours[n] for n in sample)
    print(f"  reference default (Radau 1e-12) on {len(sample)} systems {ref_default:8.2f} s vs "
          f"chaosbench {ours_sample:.3f} s -> {ours_sample / ref_default:.4f} (target <= 0.01)")
    common = [n for n in reference["error"] if n in errors]
    print(f"  accuracy, same {len(common)} systems: reference DOP853 1e-9 median "
          f"{np.median([reference['error'][n] for n in common]):.1e} max "
          f"{max(reference['error'][n] for n in common):.1e}; chaosbench median "
          f"{np.median([errors[n] for n in common]):.1e} max {max(errors[n] for n in common):.1e}")
    slow = sorted(names, key=lambda n: -ours[n])[:5]
    print("  slowest systems here: " + ", ".join(f"{n} {ours[n] * 1e3:.0f} ms" for n in slow))


if __name__ == "__main__":
    main()
