"""Integrator outputs, saved at one revision and compared bit for bit at another.

    .venv/bin/python benchmarks/integrator_identity.py save /tmp/ref.npz       # e.g. on main
    .venv/bin/python benchmarks/integrator_identity.py compare /tmp/ref.npz    # after a change

To run an older revision with this venv: ``git archive REV | tar -x -C /tmp/rev`` and prefix the
``save`` command with ``PYTHONPATH=/tmp/rev`` (give each revision its own ``NUMBA_CACHE_DIR``).
Covers DOP853 (Lorenz, a forced system, 10-D MacArthur, piecewise-smooth Colpitts, DoublePendulum;
one trajectory and a batch), the method of steps (MackeyGlass, IkedaDelay, PiecewiseCircuit),
stochastic Heun (``dynamical_noise``) and the VM run from Python (``rhs``, ``jacobian``). Arrays
are compared with ``np.array_equal`` (NaN equal to NaN); exit status 1 if any differs. Bit
equality is only expected on one machine: libm and the CPU enter the results.
"""

from __future__ import annotations

import sys

import numpy as np

import chaosbench

SYSTEMS = ("Lorenz", "ArnoldWeb", "MacArthur", "Colpitts", "DoublePendulum",
           "MackeyGlass", "IkedaDelay", "PiecewiseCircuit")


def outputs() -> dict[str, np.ndarray]:
    out = {}
    for name in SYSTEMS:
        s = chaosbench.system(name)
        out[f"{name}/one"] = s.trajectory(600)
        out[f"{name}/batch"] = s.trajectory(300, n_ic=5, seed=1)
        if s.delay:
            continue
        out[f"{name}/sde"] = s.trajectory(300, n_ic=3, seed=2, dynamical_noise=0.05)
        x = s.trajectory(7, postprocess=False)
        out[f"{name}/rhs"] = np.asarray(s.rhs(x))
        out[f"{name}/jacobian"] = np.asarray(s.jacobian(x))
    return out


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "compare"):
        sys.exit(__doc__)
    mode, path = sys.argv[1:]
    out = outputs()
    if mode == "save":
        np.savez(path, **out)
        print(f"saved {len(out)} arrays to {path}")
        return
    ref = np.load(path)
    differ = [k for k in ref.files
              if k not in out or not np.array_equal(ref[k], out[k], equal_nan=True)]
    verdict = f"differ: {differ}" if differ else "all identical"
    print(f"compared {len(ref.files)} arrays: {verdict}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
