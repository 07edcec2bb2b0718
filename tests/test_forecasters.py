"""Conformance suite over the forecaster registry, plus the quality floors on Lorenz.

Fast part: every configured forecaster (the whole zoo: ``names()``), with a tiny training budget
(constructor overrides in ``TINY``), passes every check of the public conformance suite
(``chaosbench.forecasters.checks.CHECKS``, what ``check_forecaster`` runs on a user's model):
shapes (univariate and multivariate), finite forecasts, determinism under a seed, horizon and
context handling, no state leaking out of a job (global numpy / random / torch generators, torch
and BLAS / OpenMP thread counts, working directory and files in it), and clear errors on bad
input; its YAML names the class, which holds the defaults; paper profiles change their defaults;
univariate-only darts models run per dimension and the runner's rows say so. Pretrained models
run on tiny random weights saved by their own libraries (``tiny_pretrained``; skipped without the
foundation extra), ``external`` on a script in a second process.

Slow part (``-m slow``): default configurations on Lorenz at 100 points per period, 1,000 training
points, 5 seeds, 1,000-step horizon; median valid prediction time (Lyapunov times) must clear the
floors (nvar, sindy, sindy_ensemble, esn), and node / transformer / nbeats must beat the naive
forecast on sMAPE over the first Lyapunov time. Run ``-s`` to print the figures.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import tiny_pretrained  # first: sets HF_HUB_OFFLINE before any hub library is imported
from quality import LORENZ, LORENZ_DT, PTS_PER_PERIOD, lorenz_quality
from tiers import FORECASTERS, sample

import numpy as np
import pytest
import torch

import chaosbench.forecasters as forecasters
from chaosbench.forecasters import Forecaster, make, names
from chaosbench.forecasters.base import nan_padded
from chaosbench.forecasters.checks import CHECKS
from chaosbench.forecasters.baselines import LinearAR
from chaosbench.forecasters.darts_models import DartsForecaster

# ------------------------------------------------------------------------------------------------
# Data: Lorenz from the catalogue.
# ------------------------------------------------------------------------------------------------


def lorenz_trajectory(n: int, pts_per_period: int = PTS_PER_PERIOD, seed: int = 0) -> np.ndarray:
    """(n, 3) Lorenz trajectory from a point on the attractor drawn from ``seed``."""
    return LORENZ.trajectory(n, pts_per_period=pts_per_period, seed=seed)


# ------------------------------------------------------------------------------------------------
# Conformance suite
# ------------------------------------------------------------------------------------------------
#: Tiny budgets so the whole suite runs in a few minutes on two cores.
_TINY_NET = {"n_epochs": 1, "input_chunk_length": 10, "output_chunk_length": 3}
TINY: dict[str, dict] = {
    "naive": {},
    "mean": {},
    "linear": {"lags": 3},
    "esn": {"units": 50, "warmup": 10},
    "nvar": {},
    "nvar1": {},
    "node": {"iterations": 5, "width": 8, "window": 5},
    "sindy": {},
    "sindy_ensemble": {"n_models": 5},
    "transformer": {**_TINY_NET, "d_model": 8, "nhead": 2, "num_encoder_layers": 1,
                    "num_decoder_layers": 1, "dim_feedforward": 8},
    "nbeats": {**_TINY_NET, "num_stacks": 2, "layer_widths": 16},
    "nhits": {**_TINY_NET, "num_stacks": 1, "layer_widths": 16},
    "tcn": {**_TINY_NET, "num_filters": 4},
    "lstm": {"n_epochs": 1, "input_chunk_length": 5, "training_length": 10, "hidden_dim": 8,
             "n_rnn_layers": 1},
    "gru": {"n_epochs": 1, "input_chunk_length": 5, "training_length": 10, "hidden_dim": 8,
            "n_rnn_layers": 1},
    "blockrnn": {**_TINY_NET, "hidden_dim": 8},
    "nlinear": _TINY_NET,
    "dlinear": {**_TINY_NET, "kernel_size": 5},
    "tide": {**_TINY_NET, "hidden_size": 16, "decoder_output_dim": 4,
             "temporal_decoder_hidden": 8},
    "tsmixer": {**_TINY_NET, "hidden_size": 8, "ff_size": 8, "num_blocks": 1},
    "linear_regression": {"lags": 5},
    "random_forest": {"lags": 5, "n_estimators": 5},
    "lightgbm": {"lags": 5, "n_estimators": 5},
    "xgboost": {"lags": 5, "n_estimators": 5},
    "kalman": {},
    "arima": {"p": 3},
    "autoarima": {"max_p": 2, "max_q": 2},
    "exponential_smoothing": {},
    "theta": {},
    "four_theta": {},
    "fft": {},
    "naive_mean": {},
    "naive_seasonal": {},
    "naive_drift": {},
    # Pretrained: built on first use (a callable), skipped when the foundation extra is missing.
    "chronos": lambda: {"weights": tiny_pretrained.weights("chronos"), "context_length": 64,
                        "num_samples": 4},
    "chronos_bolt": lambda: {"weights": tiny_pretrained.weights("chronos_bolt"),
                             "context_length": 64},
    "chronos2": lambda: {"weights": tiny_pretrained.weights("chronos2"), "context_length": 64,
                         "channels": "multivariate"},
    "timesfm": lambda: {"weights": tiny_pretrained.weights("timesfm"), "context_length": 64,
                        "channels": "multivariate"},
    "fracast": lambda: {"weights": tiny_pretrained.weights("fracast"), "context_length": 64},
    "external": {"command": f"{sys.executable} {Path(__file__).with_name('external_drift.py')} "
                            "{context} {output} {horizon}"},
    "gtf_plrnn": {"iterations": 3, "sequence_length": 10, "hidden_dim": 8},
    "alrnn": {"iterations": 3, "sequence_length": 10, "latent_dim": 6},
    "ltc": {"iterations": 2, "units": 4, "ode_unfolds": 2, "sequence_length": 8, "batch_size": 4},
    "cfc": {"iterations": 2, "units": 4, "backbone_units": 4, "sequence_length": 8,
            "batch_size": 4},
    "mamba": {"iterations": 2, "d_model": 8, "n_layers": 1, "sequence_length": 8,
              "batch_size": 4},
    "edmd": {},
    "dmd": {"delays": 10},
    "hodmd": {"delays": 10},
}
#: The published benchmark's methods (Gilpin 2023) and the families added next to them.
ZOO = {
    "nbeats", "nhits", "transformer", "tcn", "lstm", "gru", "blockrnn", "nlinear", "dlinear",
    "tide", "tsmixer", "linear_regression", "random_forest", "lightgbm", "xgboost", "kalman",
    "arima", "autoarima", "exponential_smoothing", "theta", "four_theta", "fft", "naive_mean",
    "naive_seasonal", "naive_drift", "esn", "nvar", "nvar1", "node", "sindy", "sindy_ensemble",
    "naive", "mean", "linear",
}
FAMILIES = {"baseline", "statistical", "regression", "reservoir", "neural_ode", "deep_learning",
            "symbolic", "pretrained", "reconstruction", "koopman"}
NAMES = names()
N_TRAIN = 300
HORIZON = 13


@functools.lru_cache(maxsize=None)
def _data(kind: str) -> np.ndarray:
    x = lorenz_trajectory(N_TRAIN + 100, pts_per_period=PTS_PER_PERIOD, seed=0)
    return x[:, :1].copy() if kind == "uni" else x


def _build(name: str, seed: int = 0, **extra) -> Forecaster:
    budget = TINY[name]() if callable(TINY[name]) else TINY[name]
    return make(name, seed=seed, **{**budget, **extra})


@functools.lru_cache(maxsize=None)
def _fitted(name: str, kind: str = "multi", seed: int = 0) -> Forecaster:
    return _build(name, seed).fit(_data(kind)[:N_TRAIN], LORENZ_DT)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Time and run on one thread, as the runner will (the library never sets thread counts)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_registry_lists_the_benchmark_models():
    assert ZOO <= set(NAMES), f"missing: {sorted(ZOO - set(NAMES))}"
    assert NAMES == sorted(NAMES)


def test_every_forecaster_has_a_tiny_budget():
    missing = sorted(set(NAMES) - set(TINY))
    assert not missing, f"add tiny conformance budgets for {missing} to TINY"


def test_unknown_name_lists_valid_and_nearest():
    with pytest.raises(ValueError) as err:
        make("esm")
    assert "'esn'" in str(err.value) and "nbeats" in str(err.value)


def test_unknown_hyperparameter_lists_valid_ones():
    with pytest.raises(ValueError) as err:
        make("esn", unitz=10)
    assert "unitz" in str(err.value) and "units" in str(err.value)


def test_ill_typed_hyperparameter_and_seed_rejected():
    with pytest.raises(ValueError, match="units"):
        make("esn", units=10.5)
    with pytest.raises(ValueError, match="standardize"):
        make("esn", standardize="yes")
    with pytest.raises(ValueError, match="seed"):
        make("naive", seed=-1)
    with pytest.raises(ValueError, match="leak_rate"):
        make("esn", leak_rate=0.0)


def test_out_of_range_hyperparameter_names_the_constraint():
    with pytest.raises(ValueError, match=r"^ESN: leak_rate must be in \(0, 2\), got 2\.0$"):
        make("esn", leak_rate=2.0)
    with pytest.raises(ValueError, match=r"^RandomForest: max_depth must be null or an int >= 1"):
        make("random_forest", max_depth=0)
    with pytest.raises(ValueError, match=r"^FFT: trend must be one of null, 'poly', 'exp'"):
        make("fft", trend="linear")
    with pytest.raises(ValueError, match="relu_units must be in \\[0, latent_dim\\]"):
        make("alrnn", relu_units=21)  # a rule across two hyperparameters: the class's hook


def test_constraint_types():
    from chaosbench.forecasters.constraints import Interval, Options, OrNone, Pattern

    at_least_one, positive, fraction = Interval(1), Interval(0, closed="neither"), \
        Interval(0, 1, closed="right")
    assert (str(at_least_one), str(positive), str(fraction)) == (">= 1", "> 0", "in (0, 1]")
    assert at_least_one.holds(1) and not at_least_one.holds(0)
    assert not at_least_one.holds(True) and not at_least_one.holds("2")
    assert positive.holds(1e-9) and not positive.holds(0.0)
    assert fraction.holds(1) and not fraction.holds(0) and not fraction.holds(1.5)
    assert str(Interval(None, 3, closed="neither")) == "< 3" and str(Interval(-1)) == ">= -1"
    season = OrNone(Interval(2, integer=True))
    assert str(season) == "null or an int >= 2"
    assert season.holds(None) and season.holds(2) and not season.holds(2.0)
    assert not season.holds(1)
    options = Options(None, "poly")
    assert str(options) == "one of null, 'poly'" and options.holds(None)
    assert not options.holds("exp") and not Options(1).holds(True)
    device = Pattern(r"cpu|cuda(:\d+)?", "cpu or cuda[:N]")
    assert device.holds("cuda:1") and not device.holds("cuda:") and not device.holds(1)
    with pytest.raises(ValueError, match="closed must be one of"):
        Interval(0, closed="open")


def test_constraints_must_name_hyperparameters():
    from chaosbench.forecasters.constraints import Interval

    with pytest.raises(TypeError, match=r"constraints name no hyperparameter: \['unitz'\]"):
        type("Bad", (LinearAR,), {"defaults": {"lags": 2}, "constraints": {"unitz": Interval(1)}})
    # A subclass that drops a hyperparameter drops its inherited constraint.
    fewer = type("Fewer", (LinearAR,), {"defaults": {"lags": 2}})
    assert set(fewer.constraints) == {"lags"} and fewer(lags=2).hyperparameters == {"lags": 2}


@pytest.mark.parametrize("name", NAMES)
def test_defaults_satisfy_their_constraints(name):
    cls = type(make(name))
    assert set(cls.constraints) <= set(cls.defaults)
    for key, constraint in cls.constraints.items():
        assert constraint.holds(cls.defaults[key]), f"default {key} is not {constraint}"


def test_conf_dir_is_the_repository_conf():
    assert forecasters.conf_dir() == Path(__file__).resolve().parents[1] / "conf"


@pytest.mark.parametrize("name", NAMES)
def test_config_names_the_class_which_holds_the_defaults(name):
    """The class is the one source of every default: the YAML file holds ``_target_`` (and
    comments) only, and the loaded config is the class's defaults."""
    from omegaconf import OmegaConf

    if name in forecasters.registered():
        pytest.skip("registered from Python: no YAML file")
    raw = OmegaConf.to_container(OmegaConf.load(forecasters.conf_dir() / "forecaster"
                                                / f"{name}.yaml"))
    cfg = forecasters.load_config(name)
    model = make(name)
    cls = type(model)
    assert list(raw) == ["_target_"], "hyperparameters and defaults belong in the class"
    assert cfg.pop("_target_") == raw["_target_"] == f"{cls.__module__}.{cls.__qualname__}"
    assert cls.name == name
    assert cfg == dict(cls.defaults)
    assert model.hyperparameters == cfg and model.seed == 0
    assert isinstance(cls.family, str) and isinstance(cls.library, str)
    assert cls.family in FAMILIES


@pytest.mark.parametrize("name", NAMES)
def test_hydra_instantiates_the_config(name):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(forecasters.conf_dir() / "forecaster" / f"{name}.yaml")
    model = instantiate(cfg, seed=2)
    assert type(model) is type(make(name)) and model.seed == 2
    assert model.hyperparameters == make(name).hyperparameters


PAPER = forecasters.paper_names()


def test_paper_profiles_exist_for_reduced_deep_models():
    assert {"paper/nbeats", "paper/nhits", "paper/transformer", "paper/tcn", "paper/lstm",
            "paper/gru", "paper/blockrnn", "paper/nlinear", "paper/dlinear", "paper/tide",
            "paper/tsmixer"} <= set(PAPER)
    assert not set(PAPER) & set(NAMES), "paper profiles are not default configurations"


@pytest.mark.parametrize("name", sample(PAPER, FORECASTERS))
def test_paper_profile_mirrors_the_default(name):
    """Same class and the same (complete) set of hyperparameters as the default config, a
    heavier budget, and a comment saying where the numbers come from."""
    from omegaconf import OmegaConf

    base = name.split("/", 1)[1]
    cfg, default = forecasters.load_config(name), forecasters.load_config(base)
    assert cfg["_target_"] == default["_target_"] and set(cfg) == set(default)
    assert cfg != default
    # The file inherits its base and holds only what it changes.
    raw = OmegaConf.to_container(OmegaConf.load(forecasters.conf_dir() / "forecaster"
                                                / f"{name}.yaml"))
    assert raw.pop("defaults") == [f"/forecaster/{base}@_here_", "_self_"]
    assert raw and set(raw) < set(default) - {"_target_"}
    unchanged = [k for k, v in raw.items() if v == default[k] and type(v) is type(default[k])]
    assert not unchanged, f"the profile restates the base's {unchanged}"
    assert cfg.get("n_epochs", 0) >= default.get("n_epochs", 0)
    text = (forecasters.conf_dir() / "forecaster" / f"{name}.yaml").read_text()
    assert "Source:" in text
    model = make(name, seed=1)
    assert model.seed == 1 and type(model) is type(make(base))
    if isinstance(model, DartsForecaster):
        model._build()  # darts accepts every argument


@pytest.mark.parametrize("name", [n for n in NAMES if n in TINY])
def test_univariate_flag_matches_darts(name):
    """Models darts runs on one series only are fitted per dimension (and the runner's
    ``per_dimension`` column says so); multivariate darts models see all dimensions."""
    model = make(name)
    if not isinstance(model, DartsForecaster):
        pytest.skip("not a darts model")
    assert type(model).multivariate == model._build().supports_multivariate


def _params(name: str) -> tuple[type, dict]:
    """The class of configuration ``name`` and its hyperparameters, with the tiny budget."""
    config = forecasters.load_config(name)
    budget = TINY[name]() if callable(TINY[name]) else TINY[name]
    return forecasters.resolve(config.pop("_target_")), {**config, **budget}


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("name", sample(NAMES, FORECASTERS))
def test_conformance(name, check):
    """Every configuration passes every check of the public suite that users run on their own
    models (``chaosbench.forecasters.checks``): shapes on multivariate and univariate data,
    horizon prefixes, determinism under a seed (and stochasticity as declared), no global state
    touched, context handling and clear errors on bad input."""
    cls, params = _params(name)
    CHECKS[check](cls, params)


@pytest.mark.parametrize("name", sample(NAMES, FORECASTERS))
def test_a_new_context_moves_the_forecast(name):
    model = _fitted(name)
    window = _data("multi")[N_TRAIN + 40 : N_TRAIN + 100]
    out = model.predict(HORIZON, context=window)
    if name != "mean":  # the mean model forecasts the training mean, whatever the context
        assert not np.allclose(out, model.predict(HORIZON))
    if name == "naive":
        np.testing.assert_array_equal(out, np.repeat(window[-1:], HORIZON, axis=0))


def test_univariate_models_fit_one_model_per_dimension():
    class PerChannelAR(LinearAR):
        name = "per_channel_ar"
        multivariate = False

    x = _data("multi")[:N_TRAIN]
    joint = PerChannelAR(lags=3).fit(x, LORENZ_DT)
    out = joint.predict(HORIZON)
    for i in range(3):
        alone = LinearAR(lags=3, seed=joint._channel_seed(i)).fit(x[:, i : i + 1], LORENZ_DT)
        np.testing.assert_allclose(out[:, i : i + 1], alone.predict(HORIZON), rtol=1e-12)
    window = _data("multi")[-50:]
    assert joint.predict(4, context=window).shape == (4, 3)


def test_generic_darts_adapter_takes_any_darts_model():
    """A one-class adapter for a local (non-torch) darts model: drift, refitted on a context."""

    class Drift(DartsForecaster):
        name = "drift"
        global_model = False
        darts_class = "NaiveDrift"
        defaults = {"standardize": False}

    x = np.linspace(0.0, 9.0, 10)[:, None] * np.array([[1.0, -2.0]])
    model = Drift().fit(x, 0.1)
    np.testing.assert_allclose(model.predict(3), [[10, -20], [11, -22], [12, -24]], rtol=1e-6)
    np.testing.assert_allclose(model.predict(2, context=x[:5] + 100.0),
                               [[105, 90], [106, 88]], rtol=1e-6)


def test_sindy_identifies_lorenz():
    model = make("sindy").fit(lorenz_trajectory(1000, seed=0), LORENZ_DT)
    coef = dict(zip(model._model.get_feature_names(), model._coef[1]))  # dy/dt
    # Lorenz: dy/dt = 28 x - y - x z; finite differences of order 4 at 100 points per period
    # recover the coefficients to well under 1 %.
    assert coef["x0"] == pytest.approx(28.0, rel=0.01)
    assert coef["x1"] == pytest.approx(-1.0, rel=0.01)
    assert coef["x0 x2"] == pytest.approx(-1.0, rel=0.01)


def test_blow_up_is_nan_padded_not_raised():
    # dx/dt = x^2 has x(t) = x0 / (1 - x0 t): SINDy identifies it and its forecast blows up at
    # t = 1/x0, after which the forecast must be NaN.
    t = np.arange(200) * 0.002
    x = (1.0 / (1.0 - t))[:, None]
    model = make("sindy", include_bias=False).fit(x, 0.002)
    out = model.predict(400)
    assert out.shape == (400, 1)
    assert np.all(np.isfinite(out[:100])) and np.all(np.isnan(out[-50:]))
    finite = np.isfinite(out[:, 0])
    assert not np.any(finite[np.argmin(finite):]), "NaN must run to the end"


def test_sindy_ensemble_is_more_robust_to_noise():
    """At 5 % observation noise E-SINDy recovers Lorenz's dy/dt = 28 x - y - x z markedly better
    than plain SINDy (median relative coefficient error over three trajectories)."""

    def error(model):
        coef = dict(zip(model._model.get_feature_names(), model._coef[1]))
        return (abs(coef.get("x0", 0.0) / 28 - 1) + abs(coef.get("x1", 0.0) + 1)
                + abs(coef.get("x0 x2", 0.0) + 1))

    errors = {"sindy": [], "sindy_ensemble": []}
    for seed in range(3):
        x = lorenz_trajectory(1000, seed=seed)
        noisy = x + 0.05 * x.std(axis=0) * np.random.default_rng(seed).standard_normal(x.shape)
        for name in errors:
            errors[name].append(error(make(name, seed=seed).fit(noisy, LORENZ_DT)))
    assert np.median(errors["sindy_ensemble"]) < 0.5 * np.median(errors["sindy"])


def test_runner_rows_say_per_dimension(tmp_path):
    """A univariate-only model runs one copy per dimension and its result rows say so."""
    from chaosbench.results import read_sweep
    from chaosbench.runner import Job, run_job

    protocol = {"name": "tiny", "pts_per_period": 50, "n_train": 120, "n_test": 20,
                "univariate": False, "noise": 0.0}
    for name in ("fft", "naive_drift"):
        cfg = forecasters.load_config(name)
        assert run_job(Job("Lorenz", name, cfg, protocol, results_dir=str(tmp_path))).status == "ok"
    rows = read_sweep(tmp_path, "adhoc").drop_duplicates("forecaster").set_index("forecaster")
    assert bool(rows.loc["fft", "per_dimension"]) is True
    assert bool(rows.loc["naive_drift", "per_dimension"]) is False


def test_nan_padded():
    vals = np.array([[1.0, 2.0], [3.0, np.inf], [5.0, 6.0]])
    np.testing.assert_array_equal(nan_padded(vals, 4, 2),
                                  [[1, 2], [np.nan, np.nan], [np.nan, np.nan], [np.nan, np.nan]])


# ------------------------------------------------------------------------------------------------
# Quality floors (slow)
# ------------------------------------------------------------------------------------------------
QUALITY_SEEDS = range(5)
QUALITY_TRAIN = 1000
QUALITY_HORIZON = 1000  # ~13.6 Lyapunov times
VPT_FLOORS = {"nvar": 5.0, "sindy": 3.0, "sindy_ensemble": 2.0, "esn": 1.5}
BEAT_NAIVE = ("node", "transformer", "nbeats")
REPORTED = ("naive", "mean", "linear", "nvar1")


@pytest.fixture(scope="module")
def quality():
    """{name: {"vpt": [...], "smape_1lt": [...], "fit_s": [...]}} over the seeds."""
    return lorenz_quality((*VPT_FLOORS, *BEAT_NAIVE, *REPORTED), QUALITY_SEEDS, QUALITY_TRAIN,
                          QUALITY_HORIZON)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VPT_FLOORS))
def test_quality_floor_vpt(name, quality):
    assert np.median(quality[name]["vpt"]) >= VPT_FLOORS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", BEAT_NAIVE)
def test_quality_beats_naive(name, quality):
    assert np.median(quality[name]["smape_1lt"]) < np.median(quality["naive"]["smape_1lt"])
