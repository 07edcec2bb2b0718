"""``check_forecaster``: the conformance suite, for your own model before you benchmark it.

    from chaosbench.forecasters.checks import check_forecaster
    check_forecaster(MyModel, units=50)        # raises AssertionError naming the failed check

Modelled on scikit-learn's ``check_estimator``. Each check fits the model on a short Lorenz
series (seeded) and asserts one property the harness relies on:

* ``read_only_input`` -- the model fits on a read-only training array (the runner passes one);
* ``shapes`` -- ``predict(h)`` is a finite real ``(h, d)`` array, for ``d = 3`` and ``d = 1``;
* ``horizon`` -- a shorter horizon is a prefix of a longer one (closed-loop recursion);
* ``determinism`` -- the same seed gives the same forecast whatever the global random state;
* ``global_state`` -- fit and predict leave the global numpy / ``random`` / torch generators,
  the torch thread count, the working directory and its contents as they found them;
* ``context`` -- for models that take ``context=``, the forecast continues from that window.

Returns the names of the checks that ran; the runner applies the divergence guard and the
timeout to every model anyway.
"""

from __future__ import annotations

import functools
import inspect
import os
import random
import sys
import tempfile
from typing import Any, Callable

import numpy as np

__all__ = ["check_forecaster", "CHECKS"]

N_TRAIN, HORIZON = 300, 13


@functools.lru_cache(maxsize=2)
def _data(dim: int) -> tuple[np.ndarray, float]:
    from chaosbench.catalogue import system

    lorenz = system("Lorenz")
    x = lorenz.trajectory(N_TRAIN + 100, pts_per_period=100, seed=0)
    return (x if dim == 3 else x[:, :1].copy()), lorenz.period / 100


def _model(cls, params, seed=0, dim=3):
    x, dt = _data(dim)
    train = x[:N_TRAIN].copy()
    train.flags.writeable = False
    model = cls(seed=seed, **params)
    model.fit(train, dt)
    return model


def check_shapes(cls, params) -> None:
    for dim in (3, 1):
        out = np.asarray(_model(cls, params, dim=dim).predict(HORIZON))
        assert out.shape == (HORIZON, dim), f"predict({HORIZON}) has shape {out.shape}, " \
                                            f"expected {(HORIZON, dim)} for {dim}-D training data"
        assert out.dtype.kind == "f", f"forecast dtype is {out.dtype}; expected a real float array"
        assert np.all(np.isfinite(out)), "forecast has NaN or inf on 300 points of Lorenz"


def check_horizon(cls, params) -> None:
    model = _model(cls, params)
    short, long = np.asarray(model.predict(5)), np.asarray(model.predict(HORIZON))
    # float32 models (darts) and adaptive solvers differ in the last digits
    np.testing.assert_allclose(long[:5], short, rtol=1e-5, atol=1e-4,
                               err_msg="predict(5) is not a prefix of predict(13)")


def check_determinism(cls, params) -> None:
    np.random.seed(99)
    random.seed(99)
    a = np.asarray(_model(cls, params, seed=0).predict(HORIZON))
    np.random.seed(7)
    random.seed(7)
    b = np.asarray(_model(cls, params, seed=0).predict(HORIZON))
    np.testing.assert_array_equal(a, b, err_msg="same seed, different forecasts: the model "
                                  "uses global random state instead of its own seed")


def check_global_state(cls, params) -> None:
    torch = sys.modules.get("torch")
    np.random.seed(1234)
    random.seed(1234)
    before = (np.random.get_state()[1].copy(), random.getstate(),
              torch.get_rng_state().clone() if torch else None,
              torch.get_num_threads() if torch else None)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            _model(cls, params).predict(HORIZON)
            written = os.listdir(folder)
        finally:
            os.chdir(cwd)
    torch = sys.modules.get("torch")
    assert np.array_equal(np.random.get_state()[1], before[0]), "the global numpy RNG moved"
    assert random.getstate() == before[1], "the global random RNG moved"
    if torch is not None and before[2] is not None:
        assert torch.equal(torch.get_rng_state(), before[2]), "the global torch RNG moved"
        assert torch.get_num_threads() == before[3], "the torch thread count changed"
    assert os.getcwd() == cwd, "the working directory changed"
    assert written == [], f"files written into the working directory: {written}"


def check_read_only_input(cls, params) -> None:
    try:
        _model(cls, params)
    except ValueError as error:
        if "read-only" in str(error) or "not writeable" in str(error):
            raise AssertionError("fit writes into its training array; copy it first") from None
        raise


def check_context(cls, params) -> None:
    model = _model(cls, params)
    if "context" not in inspect.signature(model.predict).parameters:
        return
    x, _ = _data(3)
    window = x[N_TRAIN + 40:]
    out = np.asarray(model.predict(HORIZON, context=window))
    assert out.shape == (HORIZON, 3), f"predict(context=...) has shape {out.shape}"
    np.testing.assert_allclose(model.predict(HORIZON, context=x[:N_TRAIN]),
                               model.predict(HORIZON), rtol=1e-9, atol=1e-9,
                               err_msg="predict(h) must equal predict(h, context=train)")


CHECKS: dict[str, Callable[[type, dict], None]] = {
    "read_only_input": check_read_only_input, "shapes": check_shapes, "horizon": check_horizon,
    "determinism": check_determinism, "global_state": check_global_state,
    "context": check_context,
}


def check_forecaster(cls: type, **params: Any) -> list[str]:
    """Run every check on ``cls`` built with ``params`` (plus ``seed``); raise AssertionError
    naming the first check that fails. Returns the names of the checks run."""
    from chaosbench.forecasters import _check_model_class

    _check_model_class(cls, getattr(cls, "__qualname__", repr(cls)))
    for name, check in CHECKS.items():
        try:
            check(cls, params)
        except AssertionError as error:
            raise AssertionError(f"{cls.__qualname__} fails check {name!r}: {error}") from None
        except Exception as error:
            raise AssertionError(f"{cls.__qualname__} fails check {name!r}: it raised "
                                 f"{type(error).__name__}: {error}") from error
    return list(CHECKS)
