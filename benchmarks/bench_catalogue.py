"""Catalogue speed and accuracy, side by side with the reference package (dysts), in one run.

    .venv/bin/python benchmarks/bench_catalogue.py [--dysts-python PATH] [--runs 3]

Measures, for every system, 1,200 points at 100 points per period from the default initial
condition, as CPU seconds (the machine may be shared; the load average is printed), each figure the
median of ``--runs`` runs:
  * warm to warm: both packages compiled, the whole catalogue in a process that already ran it;
  * cold to cold: a fresh process with an empty Numba cache, from before the import to the end of
    the whole catalogue (chaosbench: SymPy lowering and its kernels' compilation; the reference:
    its own uncached JIT compilation); chaosbench also with its Numba cache warm;
  * 64 initial conditions per system against one;
  * the reference's default integrator (Radau, 1e-12) on a sample of systems, once (the whole
    catalogue takes ~25-45 minutes);
  * accuracy: the error over the first period against SciPy's DOP853 at rtol = atol = 1e-12 on the
    same vector field, in units of the attractor's std, for both packages.
The reference runs in its own virtual environment (it needs pandas < 3; it is never a dependency),
through subprocesses: DOP853 at rtol = atol = 1e-9. The script still runs (and says so) when that
environment is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    import time
    start = time.process_time()
    import json, sys, warnings
    warnings.filterwarnings("ignore")
    import numpy as np
    from scipy.integrate import solve_ivp
    import dysts.flows as flows
    names, sample, accuracy = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3] == "1"
    out = {"dop853": {}, "default": {}, "error": {}}
    for name in names:
        sys_ = getattr(flows, name)()
        t0 = time.process_time()
        x = sys_.make_trajectory(%(n)d, pts_per_period=%(ppp)d, method="DOP853", rtol=1e-9, atol=1e-9)
        out["dop853"][name] = time.process_time() - t0
    out["cold"] = time.process_time() - start
    t0 = time.process_time()
    for name in names:
        getattr(flows, name)().make_trajectory(%(n)d, pts_per_period=%(ppp)d, method="DOP853",
                                               rtol=1e-9, atol=1e-9)
    out["warm"] = time.process_time() - t0
    for name in names if accuracy else []:
        sys_ = getattr(flows, name)()
        if name in sample:
            t0 = time.process_time()
            sys_.make_trajectory(%(n)d, pts_per_period=%(ppp)d)
            out["default"][name] = time.process_time() - t0
        if getattr(sys_, "tau", None) is None and not hasattr(sys_, "_postprocessing"):
            # accuracy over the first period against DOP853 at 1e-12 on its own field
            t, x = sys_.make_trajectory(%(ppp)d + 1, pts_per_period=%(ppp)d, method="DOP853",
                                        rtol=1e-9, atol=1e-9, return_times=True)
            if x is None:
                continue
            ref = solve_ivp(lambda s, y: np.asarray(sys_.rhs(y, s)), (0, t[-1]), sys_.ic,
                            method="DOP853", rtol=1e-12, atol=1e-12, t_eval=t).y.T
            out["error"][name] = float(np.max(np.abs(x - ref).max(axis=0) / np.asarray(sys_.std)))
    print(json.dumps(out))
''') % {"n": N, "ppp": PPP}

FIRST_CALL_SCRIPT = textwrap.dedent('''
    import time
    start = time.process_time()
    import chaosbench
    for name in chaosbench.systems():
        chaosbench.system(name).trajectory(%(n)d, pts_per_period=%(ppp)d)
    print(time.process_time() - start)
''') % {"n": N, "ppp": PPP}


def child_cpu(cmd: list[str], env: dict) -> tuple[float, str]:
    """Run ``cmd``; its CPU seconds (user + system, as the OS counts them) and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.stdout


def first_call_seconds(empty_cache: bool) -> float:
    """CPU seconds of import + the whole catalogue in a fresh process."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if empty_cache:
            env["NUMBA_CACHE_DIR"] = tmp
            env.pop("CHAOSBENCH_CACHE_DIR", None)
        seconds, _ = child_cpu([sys.executable, "-c", FIRST_CALL_SCRIPT], env)
    return seconds


def reference_run(python: str, names: list[str], sample: list[str], accuracy: bool) -> dict:
    """One fresh reference process with an empty Numba cache: cold pass, warm pass, extras."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=tmp)
        seconds, out = child_cpu([python, "-c", REFERENCE_SCRIPT, json.dumps(names),
                                  json.dumps(sample), "1" if accuracy else "0"], env)
    result = json.loads(out.strip().splitlines()[-1])
    result["process_cpu"] = seconds
    return result


def timed(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dysts-python", default=os.environ.get(
        "DYSTS_PYTHON", "/tmp/dysts-venv/bin/python"),
        help="python of a scratch venv with dysts installed")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported)")
    parser.add_argument("--default-sample", type=int, default=len(DEFAULT_SAMPLE),
                        help="how many systems to time with the reference's default integrator")
    args = parser.parse_args()
    load = os.getloadavg()

    import chaosbench
    from scipy.integrate import solve_ivp

    names = chaosbench.systems()
    systems = {n: chaosbench.system(n) for n in names}
    for s in systems.values():  # compile everything once: the warm timings exclude compilation
        s.trajectory(2, pts_per_period=PPP)

    def catalogue():
        for s in systems.values():
            s.trajectory(N, pts_per_period=PPP)

    warm = [timed(catalogue) for _ in range(args.runs)]
    ours = {}
    for name, s in systems.items():
        ours[name] = timed(lambda: s.trajectory(N, pts_per_period=PPP))
    ratios64, one, many = [], [], []
    for _ in range(args.runs):
        t1 = t64 = 0.0
        for name, s in systems.items():
            pool = s.attractor_pool()
            ics = pool[np.random.default_rng(0).choice(len(pool), 64, replace=False)]
            t1 += timed(lambda: s.trajectory(N, pts_per_period=PPP, ic=ics[0]))
            t64 += timed(lambda: s.trajectory(N, pts_per_period=PPP, ic=ics))
        one.append(t1)
        many.append(t64)
        ratios64.append(t64 / t1)

    errors = {}
    for name, s in systems.items():
        if s.delay:
            continue
        t, x = s.trajectory(PPP + 1, pts_per_period=PPP, postprocess=False, return_times=True)
        ref = solve_ivp(lambda u, y: s.rhs(y, u), (0, t[-1]), s.initial_conditions,
                        method="DOP853", rtol=1e-12, atol=1e-12, t_eval=t).y.T
        scale = s.std if not s.postprocessing else np.maximum(ref.std(axis=0), 1e-12)
        errors[name] = float(np.max(np.abs(x - ref).max(axis=0) / scale))

    cold = [first_call_seconds(empty_cache=True) for _ in range(args.runs)]
    cached = [first_call_seconds(empty_cache=False) for _ in range(args.runs)]

    references = []
    if Path(args.dysts_python).exists():
        sample = DEFAULT_SAMPLE[: args.default_sample]
        for r in range(args.runs):
            try:
                references.append(reference_run(args.dysts_python, names, sample, r == 0))
            except RuntimeError as e:
                print(f"reference run failed:\n{e}")
                break
    med = np.median
    print(f"\nchaosbench catalogue benchmark: {len(names)} systems, {N} points at {PPP} points per "
          f"period; CPU seconds, median of {args.runs} runs; load average at the start "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, at the end "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"  chaosbench, warm, one IC each        {med(warm):8.2f} s  (runs: "
          + ", ".join(f"{w:.2f}" for w in warm) + ")")
    print(f"  chaosbench, 64 ICs vs 1 (all systems) {med(many):8.2f} s vs {med(one):.2f} s -> "
          f"{med(ratios64):.1f}x (target < 10x; runs: " + ", ".join(f"{r:.1f}" for r in ratios64)
          + ")")
    print(f"  fresh process, import + whole catalogue: Numba cache empty {med(cold):.2f} s, "
          f"warm {med(cached):.2f} s")
    print(f"  accuracy over one period vs DOP853 1e-12 (x attractor std): "
          f"median {np.median(list(errors.values())):.1e}, max {max(errors.values()):.1e} "
          f"({len(errors)} ODE systems)")
    if not references:
        print(f"  reference package: not found at {args.dysts_python} (pip install dysts==0.96 in a "
              "scratch venv, pass --dysts-python); ratios skipped")
        return
    ref_warm = med([r["warm"] for r in references])
    ref_cold = med([r["process_cpu"] for r in references])
    print(f"  reference DOP853 1e-9, whole catalogue, warm {ref_warm:8.2f} s -> chaosbench takes "
          f"{med(warm) / ref_warm:.3f} of it (target <= 0.25)")
    print(f"  reference, fresh process, empty Numba cache {ref_cold:8.2f} s -> chaosbench (cache "
          f"empty) takes {med(cold) / ref_cold:.3f} of it")
    first = references[0]
    sample = list(first["default"])
    if sample:
        ref_default = sum(first["default"].values())
        ours_sample = sum(ours[n] for n in sample)
        print(f"  reference default (Radau 1e-12) on {len(sample)} systems {ref_default:8.2f} s vs "
              f"chaosbench {ours_sample:.3f} s -> {ours_sample / ref_default:.4f} (target <= 0.01)")
    common = [n for n in first["error"] if n in errors]
    print(f"  accuracy, same {len(common)} systems: reference DOP853 1e-9 median "
          f"{np.median([first['error'][n] for n in common]):.1e} max "
          f"{max(first['error'][n] for n in common):.1e}; chaosbench median "
          f"{np.median([errors[n] for n in common]):.1e} max {max(errors[n] for n in common):.1e}")
    slow = sorted(names, key=lambda n: -ours[n])[:5]
    print("  slowest systems here: " + ", ".join(f"{n} {ours[n] * 1e3:.0f} ms" for n in slow))


if __name__ == "__main__":
    main()
