"""``check_forecaster``: the conformance suite, for your own model before you benchmark it.

    from chaosbench.forecasters.checks import check_forecaster
    check_forecaster(MyModel, units=50)        # raises AssertionError naming the failed check

Modelled on scikit-learn's ``check_estimator``; the benchmark's own models are held to the same
``CHECKS`` (``tests/test_forecasters.py``). Each check fits the model on a short Lorenz series
(seeded) and asserts one property the harness relies on:

* ``read_only_input`` -- the model fits on a read-only training array (the runner passes one);
* ``shapes`` -- ``predict(h)`` is a finite real ``(h, d)`` array, for ``d = 3`` and ``d = 1``
  (float64 from a :class:`~chaosbench.forecasters.Forecaster`);
* ``horizon`` -- a shorter horizon is a prefix of a longer one (closed-loop recursion);
* ``determinism`` -- the same seed gives the same forecast whatever the global random state, and
  a model that says whether it is ``stochastic`` is (another seed, another forecast) or is not;
* ``global_state`` -- building, fitting and forecasting leave the global numpy / ``random`` /
  torch generators, the torch thread count, the BLAS / OpenMP pool sizes, the thread
  environment variables, the working directory and its contents as they found them;
* ``context`` -- for models that take ``context=``, ``predict(h, context=train)`` is
  ``predict(h)`` and a new window gives a finite forecast of the same shape;
* ``bad_inputs`` -- for :class:`~chaosbench.forecasters.Forecaster` subclasses, bad calls raise
  one clear error: predict before fit, a 1-D, non-finite or too short series, a bad ``dt`` or
  ``horizon``, a context with NaN, the wrong width or too few rows.

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

from chaosbench.threads import ENV_VARS

__all__ = ["check_forecaster", "CHECKS"]

N_TRAIN, HORIZON = 300, 13


@functools.lru_cache(maxsize=2)
def _data(dim: int) -> tuple[np.ndarray, float]:
    from chaosbench.catalogue import system

    lorenz = system("Lorenz")
    x = lorenz.trajectory(N_TRAIN + 100, pts_per_period=100, seed=0)
    return (x if dim == 3 else x[:, :1].copy()), lorenz.period / 100


def _fit(model, dim=3):
    x, dt = _data(dim)
    train = x[:N_TRAIN].copy()
    train.flags.writeable = False
    model.fit(train, dt)
    return model


def _model(cls, params, seed=0, dim=3):
    return _fit(cls(seed=seed, **params), dim)


def _is_forecaster(model) -> bool:
    from chaosbench.forecasters.base import Forecaster

    return isinstance(model, Forecaster)


def _takes_context(model) -> bool:
    return "context" in inspect.signature(model.predict).parameters


def check_shapes(cls, params) -> None:
    for dim in (3, 1):
        model = _model(cls, params, dim=dim)
        out = np.asarray(model.predict(HORIZON))
        assert out.shape == (HORIZON, dim), f"predict({HORIZON}) has shape {out.shape}, " \
                                            f"expected {(HORIZON, dim)} for {dim}-D training data"
        assert out.dtype.kind == "f", f"forecast dtype is {out.dtype}; expected a real float array"
        if _is_forecaster(model):
            assert out.dtype == np.float64, f"forecast dtype is {out.dtype}, expected float64"
        assert np.all(np.isfinite(out)), "forecast has NaN or inf on 300 points of Lorenz"


def check_horizon(cls, params) -> None:
    model = _model(cls, params)
    one, short, long = (np.asarray(model.predict(h)) for h in (1, 5, HORIZON))
    assert one.shape[0] == 1 and short.shape[0] == 5, "predict(h) must return h rows"
    # float32 models (darts) and adaptive solvers differ in the last digits
    np.testing.assert_allclose(long[:5], short, rtol=1e-5, atol=1e-4,
                               err_msg=f"predict(5) is not a prefix of predict({HORIZON})")
    np.testing.assert_allclose(long[:1], one, rtol=1e-5, atol=1e-4,
                               err_msg=f"predict(1) is not a prefix of predict({HORIZON})")


def _seed_globals(seed: int) -> None:
    np.random.seed(seed)
    random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def check_determinism(cls, params) -> None:
    _seed_globals(99)
    model = _model(cls, params, seed=0)
    a = np.asarray(model.predict(HORIZON))
    _seed_globals(7)
    b = np.asarray(_model(cls, params, seed=0).predict(HORIZON))
    np.testing.assert_array_equal(a, b, err_msg="same seed, different forecasts: the model "
                                  "uses global random state instead of its own seed")
    np.testing.assert_array_equal(np.asarray(model.predict(HORIZON)), a,
                                  err_msg="a second predict() gave another forecast")
    stochastic = getattr(cls, "stochastic", None)
    if stochastic is None:
        return
    other = np.asarray(_model(cls, params, seed=1).predict(HORIZON))
    if stochastic:
        assert not np.array_equal(other, a), "stochastic = True, but seed 1 gives seed 0's " \
                                             "forecast"
    else:
        np.testing.assert_array_equal(other, a, err_msg="stochastic = False, but the seed "
                                      "changes the forecast")


def _pools() -> list:
    """Thread-pool sizes of every loaded BLAS / OpenMP runtime (threadpoolctl, if installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return sorted((i["user_api"], i["internal_api"], i["num_threads"]) for i in threadpool_info())


def _rng_state() -> tuple:
    torch = sys.modules.get("torch")
    return (np.random.get_state(), random.getstate(),
            torch.get_rng_state().clone() if torch is not None else None)


def _same_rng_state(a: tuple, b: tuple) -> bool:
    same_np = a[0][0] == b[0][0] and np.array_equal(a[0][1], b[0][1]) and a[0][2:] == b[0][2:]
    torch = sys.modules.get("torch")
    same_torch = a[2] is None or torch.equal(a[2], b[2])
    return same_np and a[1] == b[1] and same_torch


def check_global_state(cls, params) -> None:
    _seed_globals(1234)
    before = _rng_state()
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    env = {k: os.environ.get(k) for k in ENV_VARS}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            model = cls(seed=3, **params)  # the model's libraries are imported from here on
            pools = _pools()
            _fit(model)
            model.predict(HORIZON)
            if _takes_context(model):
                model.predict(HORIZON, context=_data(3)[0][-60:])
            written = os.listdir(folder)
        finally:
            os.chdir(cwd)
    assert _same_rng_state(before, _rng_state()), \
        "a global random generator (numpy, random or torch) moved"
    if threads is not None:
        assert torch.get_num_threads() == threads, "the torch thread count changed"
    assert {k: os.environ.get(k) for k in ENV_VARS} == env, "a thread variable changed"
    loaded = {p[:2] for p in pools}
    assert [p for p in _pools() if p[:2] in loaded] == pools, "a BLAS / OpenMP pool was resized"
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
    if not _takes_context(model):
        return
    x, _ = _data(3)
    np.testing.assert_allclose(model.predict(HORIZON, context=x[:N_TRAIN]),
                               model.predict(HORIZON), rtol=1e-9, atol=1e-9,
                               err_msg="predict(h) must equal predict(h, context=train)")
    out = np.asarray(model.predict(HORIZON, context=x[N_TRAIN + 40:]))
    assert out.shape == (HORIZON, 3), f"predict(context=...) has shape {out.shape}"
    assert np.all(np.isfinite(out)), "the forecast from a new context has NaN or inf"


def _raises(error: type, words: str, call: Callable[[], Any], what: str) -> None:
    try:
        call()
    except error as raised:
        assert words in str(raised), f"{what}: the {error.__name__} does not say {words!r}: " \
                                     f"{raised}"
    else:
        raise AssertionError(f"{what}: no {error.__name__}")


def check_bad_inputs(cls, params) -> None:
    from chaosbench.forecasters.base import NotFittedError

    model = cls(seed=0, **params)
    if not _is_forecaster(model):
        return
    x, dt = _data(3)
    x = x[:N_TRAIN]
    _raises(NotFittedError, "fit", lambda: model.predict(5), "predict before fit")
    _raises(ValueError, "2-D", lambda: model.fit(x[:, 0], dt), "a 1-D series")
    bad = x.copy()
    bad[7, 1] = np.nan
    _raises(ValueError, "NaN", lambda: model.fit(bad, dt), "a series with NaN")
    _raises(ValueError, "at least", lambda: model.fit(x[: model.min_train_points - 1], dt),
            "a series shorter than min_train_points")
    for bad_dt in (0.0, -1.0, float("nan")):
        _raises(ValueError, "dt", lambda: model.fit(x, bad_dt), f"dt={bad_dt}")
    fitted = _fit(model)
    for horizon in (0, -3, 2.5, True, "5"):
        _raises(ValueError, "horizon", lambda: fitted.predict(horizon), f"horizon={horizon!r}")
    window = x[-60:].copy()
    _raises(ValueError, "dimension", lambda: fitted.predict(HORIZON, context=window[:, :2]),
            "a context of the wrong width")
    if fitted.min_context_points > 1:
        _raises(ValueError, "at least",
                lambda: fitted.predict(HORIZON, context=window[: fitted.min_context_points - 1]),
                "a context shorter than min_context_points")
    window[-1, 0] = np.inf
    _raises(ValueError, "NaN or inf", lambda: fitted.predict(5, context=window),
            "a context with inf")


CHECKS: dict[str, Callable[[type, dict], None]] = {
    "read_only_input": check_read_only_input, "shapes": check_shapes, "horizon": check_horizon,
    "determinism": check_determinism, "global_state": check_global_state,
    "context": check_context, "bad_inputs": check_bad_inputs,
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
