"""Pretrained (zero-shot) forecasters: loading, clear errors, channel handling, leakage, and the
subprocess adapter. Shapes, determinism, context handling and global state are the conformance
suite's (tests/test_forecasters.py), which runs these adapters too.

Models are tiny random ones saved by their own libraries (``tiny_pretrained``); tests that need a
library of the foundation extra skip without it. The hub is never reached (HF_HUB_OFFLINE).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import tiny_pretrained  # first: sets HF_HUB_OFFLINE before any hub library is imported

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from chaosbench.forecasters import make
from chaosbench.forecasters.pretrained import FoundationExtraMissing
from chaosbench.forecasters.pretrained import leakage

RNG = np.random.default_rng(0)
#: A random walk in 3 channels: any forecast of it is data-dependent.
WALK = np.cumsum(RNG.standard_normal((200, 3)), axis=0)
DRIFT_SCRIPT = Path(__file__).with_name("external_drift.py")


def _tiny(kind: str, **overrides):
    settings = {"weights": tiny_pretrained.weights(kind), "context_length": 64, **overrides}
    return make(kind, **settings)


# ------------------------------------------------------------------------------------------------
# Clear one-line errors
# ------------------------------------------------------------------------------------------------
def test_missing_extra_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "chronos", None)  # import chronos now raises ImportError
    with pytest.raises(FoundationExtraMissing) as err:
        make("chronos_bolt").fit(WALK, 0.1)
    message = str(err.value)
    assert message.startswith("the foundation extra is not installed: "
                              "pip install 'chaosbench[foundation]'")
    assert "\n" not in message


def test_missing_weights_path(tmp_path):
    pytest.importorskip("chronos", reason="the foundation extra is not installed")
    absent = tmp_path / "no-weights-here"
    with pytest.raises(ValueError, match="weights path .* does not exist") as err:
        make("chronos_bolt", weights=str(absent)).fit(WALK, 0.1)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name, module", [("chronos_bolt", "chronos"), ("timesfm", "timesfm3"),
                                          ("fracast", "fracast")])
def test_hub_id_without_network(name, module, monkeypatch):
    pytest.importorskip(module, reason="the foundation extra is not installed")
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ValueError) as err:
        make(name, weights="chaosbench-tests/no-such-model").fit(WALK, 0.1)
    message = str(err.value)
    assert message.startswith("cannot reach the model hub: download the weights and pass "
                              "weights=/path")
    assert "\n" not in message


def test_context_longer_than_the_model_takes():
    with pytest.raises(ValueError, match=r"context_length=65 .*valid: 1\.\.64"):
        _tiny("chronos_bolt", context_length=65).fit(WALK, 0.1)


def test_weights_of_another_generation_are_refused():
    with pytest.raises(ValueError, match="ChronosPipeline weights, not ChronosBoltPipeline "
                                         r"\(use forecaster=chronos\)"):
        make("chronos_bolt", weights=tiny_pretrained.weights("chronos")).fit(WALK, 0.1)


@pytest.mark.parametrize("name", ["chronos", "chronos_bolt", "fracast"])
def test_univariate_models_refuse_joint_channels(name):
    with pytest.raises(ValueError, match="channels=univariate"):
        make(name, channels="multivariate")


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="device"):
        make("chronos2", device="gpu")
    with pytest.raises(ValueError, match="dtype"):
        make("timesfm", dtype="bfloat16")
    with pytest.raises(ValueError, match="context_length"):
        make("chronos2", context_length=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_requested_without_a_device():
    with pytest.raises(ValueError, match="no CUDA device"):
        _tiny("chronos_bolt", device="cuda").fit(WALK, 0.1)


# ------------------------------------------------------------------------------------------------
# Loading and forecasting
# ------------------------------------------------------------------------------------------------
def test_adapter_forecast_is_the_library_median():
    """Through the adapter: the library's own pipeline, its 0.5 quantile, channel by channel
    (float32 model, so agreement to float32 rounding)."""
    model = _tiny("chronos_bolt").fit(WALK, 0.1)  # skips without the extra
    import chronos

    pipe = chronos.BaseChronosPipeline.from_pretrained(tiny_pretrained.weights("chronos_bolt"))
    quantiles = pipe.predict(torch.tensor(WALK[-64:].T.copy(), dtype=torch.float32),
                             prediction_length=8)
    direct = quantiles[:, pipe.quantiles.index(0.5), :].numpy().T
    np.testing.assert_allclose(model.predict(8), direct, rtol=1e-5, atol=1e-5)


def test_bfloat16_weights_forecast_close_to_float32():
    """bfloat16 keeps 8 bits of mantissa: forecasts agree to a few percent of the series' scale."""
    full = _tiny("chronos2").fit(WALK, 0.1).predict(16)
    half = _tiny("chronos2", dtype="bfloat16").fit(WALK, 0.1).predict(16)
    assert np.all(np.isfinite(half))
    assert np.max(np.abs(half - full)) < 0.05 * np.ptp(WALK[-64:])


@pytest.mark.parametrize("name", ["chronos2", "timesfm"])
def test_joint_channels_see_each_other(name):
    """multivariate: channel 0's forecast depends on channel 1; univariate: it does not."""
    other = WALK.copy()
    other[:, 1] = WALK[::-1, 1]
    for channels, coupled in (("multivariate", True), ("univariate", False)):
        model = _tiny(name, channels=channels).fit(WALK, 0.1)
        a, b = model.predict(8)[:, 0], model.predict(8, context=other)[:, 0]
        assert (not np.allclose(a, b, rtol=0, atol=1e-6)) is coupled, channels


def test_fracast_bundled_weights_beat_persistence_on_a_sine():
    """The real Fracast-0 weights: over one native block (48 steps) of a period-40 sine, its
    error is a small fraction of persistence's (which misses a whole swing)."""
    pytest.importorskip("fracast", reason="the foundation extra is not installed")
    t = np.arange(560)
    x = np.sin(2 * np.pi * t / 40)[:, None]
    pred = make("fracast").fit(x[:512], 1.0).predict(48)
    rmse = np.sqrt(np.mean((pred - x[512:]) ** 2))
    naive = np.sqrt(np.mean((x[511] - x[512:]) ** 2))
    assert rmse < 0.25 * naive, (rmse, naive)


# ------------------------------------------------------------------------------------------------
# The subprocess adapter
# ------------------------------------------------------------------------------------------------
def _external(*flags: str, **overrides):
    command = " ".join([sys.executable, str(DRIFT_SCRIPT), "{context} {output} {horizon}", *flags])
    return make("external", command=command, **overrides)


def test_external_runs_a_second_process():
    model = _external(context_length=50).fit(WALK, 0.1)
    window = WALK[-50:]
    expected = window[-1] + np.arange(1, 6)[:, None] * (window[-1] - window[0]) / 49
    np.testing.assert_allclose(model.predict(5), expected, rtol=1e-12)


def test_external_failures_are_one_line():
    with pytest.raises(RuntimeError, match="exited with status 1: the model could not run"):
        _external("--fail").fit(WALK, 0.1).predict(3)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\), expected \(3, 3\)"):
        _external("--wrong-shape").fit(WALK, 0.1).predict(3)
    with pytest.raises(ValueError, match=r"must use \{context\} and \{output\}"):
        make("external", command="python forecast.py {context}")
    with pytest.raises(ValueError, match=r"unknown placeholder\(s\) \['steps'\]"):
        make("external", command="python f.py {context} {output} {steps}")
    with pytest.raises(ValueError, match="set command="):
        make("external").fit(WALK, 0.1)


# ------------------------------------------------------------------------------------------------
# Leakage
# ------------------------------------------------------------------------------------------------
def test_every_adapter_has_a_leakage_entry():
    from chaosbench.forecasters import names

    keys = {getattr(type(make(n)), "model_key", None) for n in names()
            if type(make(n)).family == "pretrained"} - {None}
    assert keys <= set(leakage.models())
    assert {"panda", "dynamix"} <= set(leakage.models())


def test_shipped_names_without_pretrained_leave_out_exactly_the_pretrained_family():
    """What a sweep can train here (benchmarks' full sweep): every shipped configuration whose
    model is not of the pretrained family, and all the pretrained adapters left out."""
    from chaosbench.forecasters import shipped_names

    everything, trainable = shipped_names(), shipped_names(include_pretrained=False)
    pretrained = {n for n in everything if type(make(n)).family == "pretrained"}
    assert {"chronos", "timesfm", "external"} <= pretrained
    assert trainable == sorted(set(everything) - pretrained)


def test_seen_in_pretraining():
    assert leakage.seen_in_pretraining("panda", "Lorenz") == "derived"
    assert leakage.is_leaked("dynamix", "Rossler")
    assert not leakage.is_leaked("chronos", "Lorenz")
    assert not leakage.is_leaked("timesfm", "Lorenz")
    assert leakage.is_leaked("timesfm", "Lorenz", strict=True)
    with pytest.raises(ValueError, match="Did you mean 'panda'"):
        leakage.seen_in_pretraining("pandas", "Lorenz")
    with pytest.raises(ValueError, match="Did you mean 'Lorenz'"):
        leakage.seen_in_pretraining("panda", "Lornez")


def test_exclude_leaked_drops_only_leaked_cells():
    def config(model: str) -> str:
        return json.dumps({"forecaster": {"_target_": "x", "model": model}})

    rows = pd.DataFrame({
        "system": ["Lorenz"] * 5,
        "forecaster": ["naive", "chronos", "timesfm", "external", "external"],
        "config": [None, None, None, config("panda"), config("my-own-model")],
        "metric": ["smape"] * 5, "value": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    tagged = leakage.with_leakage(rows)
    assert tagged[leakage.COLUMN].tolist() == ["not_pretrained", "unseen", "unknown", "derived",
                                               "unknown"]
    assert leakage.exclude_leaked(rows)["value"].tolist() == [1.0, 2.0, 3.0, 5.0]
    assert leakage.exclude_leaked(rows, strict=True)["value"].tolist() == [1.0, 2.0]


@pytest.mark.slow
def test_fracast_beats_persistence_on_lorenz_zero_shot():
    """The README's measurement, on 5 of its 20 initial conditions: under the zero_shot protocol
    the geometric mean of Fracast-0's MASE relative to persistence's, IC by IC (the fev
    convention), is below 1 (it was lower on 18 of 20 ICs; 0.88 on these 5), while neither keeps
    a valid prediction for a Lyapunov time."""
    pytest.importorskip("fracast", reason="the foundation extra is not installed")
    import chaosbench
    import chaosbench.metrics
    from chaosbench.forecasters import conf_dir
    from chaosbench.protocol import Protocol, make_split

    spec = yaml.safe_load((conf_dir() / "protocol" / "zero_shot.yaml").read_text())
    protocol = Protocol.from_config(spec)
    lorenz = chaosbench.system("Lorenz")
    scores = {"fracast": [], "naive": []}
    vpt = []
    for seed in range(5):
        split = make_split(lorenz, protocol, seed)
        for name in scores:
            pred = make(name, seed=seed).fit(split.train, split.dt).predict(len(split.test))
            got = chaosbench.metrics.compute(split.test, pred, y_train=split.train, dt=split.dt,
                                             max_lyapunov=split.max_lyapunov,
                                             include=["mase", "vpt"])
            scores[name].append(got["mase"])
            vpt.append(got["vpt"])
    ratios = np.array(scores["fracast"]) / np.array(scores["naive"])
    assert np.exp(np.mean(np.log(ratios))) < 1.0
    assert max(vpt) < 1.0
