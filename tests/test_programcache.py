"""Programs cached on disk (chaosbench.programcache): the same program back, a bad file rebuilt."""

import numpy as np
import pytest

import chaosbench
from chaosbench.compile import compile_program, jacobian_expressions
from chaosbench.jit import CACHE_ENV
from chaosbench.programcache import cached_program, program_cache_dir


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    return tmp_path / "programs"


def _lorenz_jacobian():
    eq = chaosbench.system("Lorenz").equations
    return compile_program(jacobian_expressions(eq.rhs, eq.variables), eq.inputs)


def _same(a, b):
    return (np.array_equal(a.code, b.code) and np.array_equal(a.constants, b.constants)
            and a.n_inputs == b.n_inputs and a.n_registers == b.n_registers
            and np.array_equal(a.outputs, b.outputs))


def test_a_stored_program_comes_back_without_rebuilding(cache):
    built = cached_program("jacobian", "lorenz", _lorenz_jacobian)
    assert program_cache_dir() == cache and len(list(cache.glob("jacobian-*.npz"))) == 1

    def fail():
        raise AssertionError("rebuilt although cached")

    again = cached_program("jacobian", "lorenz", fail)
    assert _same(built, again) and again.code.dtype == np.int64
    # another key is another entry
    cached_program("jacobian", "other", _lorenz_jacobian)
    assert len(list(cache.glob("jacobian-*.npz"))) == 2


@pytest.mark.parametrize("content", [b"", b"not an npz file"])
def test_an_unreadable_file_is_rebuilt(cache, content):
    cached_program("jacobian", "lorenz", _lorenz_jacobian)
    (path,) = cache.glob("jacobian-*.npz")
    path.write_bytes(content)
    calls = []

    def build():
        calls.append(1)
        return _lorenz_jacobian()

    assert _same(cached_program("jacobian", "lorenz", build), _lorenz_jacobian())
    assert calls == [1] and _read_ok(path)


def _read_ok(path):
    with np.load(path) as data:
        return set(data.files) == {"code", "constants", "n_inputs", "n_registers", "outputs"}


def test_system_jacobian_is_the_same_from_the_cache(cache):
    state = np.array([1.0, -2.0, 20.0])
    fresh = chaosbench.system("Lorenz").jacobian(state)       # builds and stores
    assert len(list(cache.glob("jacobian-*.npz"))) == 1
    cached = chaosbench.system("Lorenz").jacobian(state)      # a new System reads the file
    np.testing.assert_array_equal(fresh, cached)
    sigma, rho, beta = (chaosbench.system("Lorenz").parameters[k] for k in ("sigma", "rho", "beta"))
    exact = [[-sigma, sigma, 0.0], [rho - 20.0, -1.0, -1.0], [-2.0, 1.0, -beta]]
    np.testing.assert_allclose(cached, exact, rtol=1e-14)
