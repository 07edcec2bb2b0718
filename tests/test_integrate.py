"""The numerical engine's own contracts: tableau, kernels compiled once, the delay integrator's
accuracy target and memory, the slow-compilation notice, and the warmup command."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import numba
import numpy as np
import pytest

import chaosbench
from chaosbench import dop853, dynamics, integrate, jit, vm

DELAY = [n for n in chaosbench.systems() if chaosbench.system(n).delay]


def test_dop853_tableau_is_scipys():
    from scipy.integrate._ivp import dop853_coefficients as ref

    for name in ("A", "B", "C", "E3", "E5", "D"):
        np.testing.assert_array_equal(getattr(dop853, name), getattr(ref, name), err_msg=name)


def test_every_kernel_is_compiled_for_one_signature():
    """Single and batched trajectories, ODE, delay and SDE, and direct field evaluations all
    call each kernel with the same argument types, so each is compiled (or loaded) once."""
    lorenz, mg = chaosbench.system("Lorenz"), chaosbench.system("MackeyGlass")
    lorenz.trajectory(5)
    lorenz.trajectory(5, n_ic=3, seed=0)
    lorenz.trajectory(5, dynamical_noise=0.1, seed=0)
    chaosbench.system("Duffing").trajectory(5, ic=[0.1, 0.2, 0.0])
    mg.trajectory(5, n_ic=2, seed=0)
    lorenz.rhs([1.0, 2.0, 3.0])
    kernels = [getattr(m, k) for m in (integrate, vm) for k in dir(m)
               if isinstance(getattr(m, k), numba.core.registry.CPUDispatcher)]
    assert len(kernels) >= 10
    for k in kernels:
        assert len(k.signatures) <= 1, (k.py_func.__name__, k.signatures)


@pytest.mark.parametrize("name", DELAY)
def test_delay_default_step_meets_its_accuracy_target(name):
    """Over the first period, the default (controlled) step agrees with the same scheme at an
    eighth of that step to DELAY_TOLERANCE of the attractor's std, within a factor 2: the
    reference's own error is 8^-4 = 1/4096 of the default's, so the difference is the default's
    error, and the controller's Richardson estimate is exact only where the error is in its
    asymptotic h^4 regime (piecewise-smooth fields converge less regularly)."""
    system = chaosbench.system(name)
    m = system._delay_steps()
    assert m % (system.dim - 1) == 0
    x = system.trajectory(101)
    ref = system.trajectory(101, delay_step=system.tau / (8 * m))
    assert np.abs(x - ref).max() / system.std.max() <= 2 * dynamics.DELAY_TOLERANCE


def test_delay_memory_is_one_delay_plus_the_output():
    """The grid solution lives in a ring buffer of one delay: 64 x 2000 MackeyGlass samples
    (10 MB) peak below 1.5x their size (the full grid would be ~10x)."""
    mg = chaosbench.system("MackeyGlass")
    mg.trajectory(10, n_ic=64, seed=0)  # compiled, attractor pool and step cached
    tracemalloc.start()
    try:
        x = mg.trajectory(2000, n_ic=64, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.shape == (64, 2000, mg.dim)
    assert peak < 1.5 * x.nbytes, (peak, x.nbytes)


def test_delay_samples_continue_across_calls():
    """Integrating further returns the same leading samples (the ring buffer forgets nothing
    the output needs): the first 100 samples of a 300-sample run equal a 100-sample run."""
    mg = chaosbench.system("MackeyGlass")
    np.testing.assert_array_equal(mg.trajectory(300)[:100], mg.trajectory(100))


def test_slow_compilation_prints_one_line(monkeypatch, capsys):
    monkeypatch.setattr(jit, "SLOW_COMPILE_SECONDS", 0.0)

    def probe(x):
        return x + 1.0

    probe.__module__ = "chaosbench.probe"
    jit.kernel(probe, cache=False)(1.0)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "compiled chaosbench.probe.probe in" in lines[0]
    assert "chaosbench warmup" in lines[0]


@pytest.mark.slow
def test_warmup_fills_a_cache_that_later_processes_load(tmp_path):
    """`chaosbench warmup --cache-dir D` compiles every kernel into D; a process pointed at D
    then integrates without compiling (no notice) and adds no cache entries."""
    run = [sys.executable, "-m", "chaosbench", "warmup", "--cache-dir", str(tmp_path)]
    subprocess.run(run, check=True, capture_output=True)
    entries = sorted(p.name for p in tmp_path.rglob("*.nbi"))
    assert any("solve_ode" in e for e in entries) and any("solve_dde" in e for e in entries)
    code = ("import chaosbench; chaosbench.system('Lorenz').trajectory(100); "
            "chaosbench.system('MackeyGlass').trajectory(100)")
    env = os.environ | {"CHAOSBENCH_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True)
    assert "compiled" not in out.stderr
    assert sorted(p.name for p in tmp_path.rglob("*.nbi")) == entries
