"""The published benchmark as data (chaosbench.published), the paper profiles, the comparison
(chaosbench.reproduce) and ``chaosbench reproduce``'s handling of bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chaosbench import published
from chaosbench.forecasters import load_config, make, with_defaults
from chaosbench.reproduce import (CHEAP, DEEP, compare, halves, published_systems,
                                  rank_correlation, relative_interval, row_table, subset)

ROWS = sorted(published.PROFILES)


def test_published_table_is_tidy_with_provenance():
    table = published.results(None, None)
    assert list(table.columns) == ["system", "model", "protocol", "metric", "value", "n_train",
                                   "source_file", "commit"]
    assert set(table["commit"]) == {published.COMMIT}
    smape = published.results("gilpin2023", "smape")
    # Every published multivariate row, on (nearly) every system of the 2023 catalogue.
    counts = smape.dropna(subset=["value"]).groupby("model")["system"].nunique()
    assert set(counts.index) == set(ROWS) and counts.min() >= 129
    assert smape["value"].between(0, 200).all()  # sMAPE on the 0-200 scale
    limited = published.results("gilpin2023_data_limited", "smape")
    assert limited["n_train"].max() == 1000 and limited["n_train"].nunique() == 25


def test_the_sources_say_which_files_the_mirror_lacks():
    status = {s["file"].rsplit("/", 1)[-1]: s["status"] for s in published.sources()}
    assert status["results_test_multivariate__pts_per_period_100__periods_12.json.gz"] == \
        "missing"
    assert status["results_esn_multivariate.json.gz"] == "used"
    assert {"used", "missing", "skipped"} == set(status.values())


@pytest.mark.parametrize("model", ROWS)
def test_every_published_row_has_a_paper_profile_on_raw_data(model):
    profile = published.PROFILES[model]
    config = load_config(profile)
    assert config["standardize"] is False  # the paper fed raw coordinates
    assert profile in CHEAP + DEEP
    make(profile)  # builds: every key is a hyperparameter of the model


def test_a_profile_inherits_its_base_as_hydra_composes_it():
    import hydra
    from omegaconf import OmegaConf

    from chaosbench.forecasters import conf_dir

    with hydra.initialize_config_dir(version_base="1.3", config_dir=str(conf_dir())):
        cfg = hydra.compose("bench", overrides=["forecaster=paper/esn"])
    composed = OmegaConf.to_container(cfg.forecaster, resolve=True)  # the files: what they set
    assert with_defaults(composed) == load_config("paper/esn")  # ... over the class's defaults
    assert composed["spectral_radius"] == 0.99 and "units" not in composed
    esn = load_config("paper/esn")
    assert (esn["units"], esn["spectral_radius"], esn["ridge"], esn["input_connectivity"]) == \
        (500, 0.99, 1e-4, 0.2)
    assert esn["predict_increment"] is False and esn["input_to_readout"] is False


def test_published_hyperparameters_cover_the_tuned_rows():
    esn = published.tuned_values("ESN")
    assert len(esn) >= 130 and {v["leak_rate"] for v in esn.values()} <= \
        {round(0.1 * k, 1) for k in range(1, 12)}
    assert {v["delay"] for v in published.tuned_values("NVAR").values()} <= \
        {2, 5, 15, 30, 60, 120}
    assert published.tuned_values("NBEATSModel")["Lorenz"]["input_chunk_length"] == 25


def test_subset_is_fixed_and_published():
    assert len(published_systems()) == 133 and subset() == published_systems()[::11]
    assert subset()[0] == "Aizawa" and len(subset()) == 13


def test_halves_partition_the_published_systems_and_resolve_by_name():
    from chaosbench.commands.tune import system_names

    half, rest = halves()
    assert (len(half), len(rest)) == (67, 66) and half[:2] == ["Aizawa", "Arneodo"]
    assert sorted(half + rest) == sorted(published_systems()) and not set(half) & set(rest)
    assert system_names("half") == half and system_names("half_rest") == rest


def _ours(rows: dict[str, list[float]], systems: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{"row": row, "system": s, "smape": v, "status": "ok"}
                         for row, values in rows.items() for s, v in zip(systems, values)])


def test_comparison_of_medians_and_rankings():
    systems = ["Lorenz", "Rossler", "Aizawa"]
    pub = published.results("gilpin2023", "smape").set_index(["model", "system"])["value"]
    rows = {profile: [pub[model, s] * 1.1 for s in systems]
            for model, profile in published.PROFILES.items()
            if all((model, s) in pub.index for s in systems)}
    table = row_table(compare(_ours(rows, systems)))
    # 10% above the published value on every system: the medians differ by exactly 10%, the
    # rankings of rows and of systems agree perfectly.
    assert np.allclose(table["relative"], 0.1) and table["within_15pct"].all()
    assert rank_correlation(table) == pytest.approx(1.0)
    assert (table["system_spearman"] == 1.0).all()
    # Reversing our ranking of the rows gives rho = -1.
    flipped = table.assign(ours=-table["ours"])
    assert rank_correlation(flipped) == pytest.approx(-1.0)


def test_relative_interval_is_a_paired_bootstrap_over_systems():
    # The same 10% excess on every system: every resample gives exactly +10%.
    pub = np.linspace(20.0, 180.0, 30)
    assert relative_interval(pub * 1.1, pub) == pytest.approx((0.1, 0.1))
    # Per-system scatter: the interval holds the point estimate, is the same on a second call
    # (a fixed local generator) and narrows with 4x the systems (about 2x: 1/sqrt(n)).
    rng = np.random.default_rng(5)
    pub = rng.uniform(20.0, 180.0, 400)
    ours = pub * rng.lognormal(0.0, 0.4, 400)
    few, many = relative_interval(ours[:25], pub[:25]), relative_interval(ours, pub)
    point = np.median(ours[:25]) / np.median(pub[:25]) - 1
    assert few[0] < point < few[1] and few == relative_interval(ours[:25], pub[:25])
    assert 1.4 < (few[1] - few[0]) / (many[1] - many[0]) < 6.0
    assert all(math.isnan(v) for v in relative_interval([50.0], [40.0]))


def test_a_failed_job_is_counted_not_compared():
    ours = _ours({"paper/esn": [50.0, math.nan, 70.0]}, ["Lorenz", "Rossler", "Aizawa"])
    ours.loc[1, "status"] = "diverged"
    row = row_table(compare(ours)).iloc[0]
    assert row["systems"] == 3 and row["compared"] == 2 and row["not_ok"] == 1


@pytest.mark.parametrize("args, message", [
    (["rows=paper/esm"], "unknown row 'paper/esm'"),
    (["protocol=gilpin2024"], "unknown protocol 'gilpin2024'"),
    (["tuned=maybe"], "unknown tuned='maybe'"),
    (["rows=paper/esn", "systems=Lorenz", "tuned=tuned", "tuned_dir=/nonexistent"],
     "no tuned values at /nonexistent"),
])
def test_reproduce_rejects_bad_input_with_one_line_and_status_2(tmp_path, capsys, args, message):
    from chaosbench.commands import reproduce

    out = tmp_path / "out"
    assert reproduce.main([*args, f"out={out}", f"results_dir={tmp_path / 'res'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "res").exists()


def test_reproduce_refuses_tuned_values_of_another_catalogue(tmp_path, capsys):
    import yaml

    from chaosbench.commands import reproduce

    path = tmp_path / "tuned" / "gilpin2023" / "paper" / "nvar1.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"catalogue_version": "0.0.1+000000000000", "systems": {
        "Lorenz": {"values": {"delay": 5}, "data_hash": "000000000000"}}}))
    code = reproduce.main(["rows=paper/nvar1", "systems=Lorenz", f"tuned_dir={tmp_path / 'tuned'}",
                           f"out={tmp_path / 'out'}", f"results_dir={tmp_path / 'res'}"])
    err = capsys.readouterr().err
    assert code == 2 and "tuned on other data of Lorenz" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_reproduce_runs_jobs_and_writes_the_comparison(tmp_path, capsys):
    from chaosbench.commands import reproduce

    out = tmp_path / "out"
    assert reproduce.main(["rows=paper/linear_regression,paper/kalman", "systems=Lorenz,Rossler",
                           "tuned=published", f"out={out}",
                           f"results_dir={tmp_path / 'res'}"]) == 0
    rows = pd.read_csv(out / "rows.csv")
    assert set(rows["row"]) == {"paper/linear_regression", "paper/kalman"}
    assert (rows["compared"] == 2).all() and rows["ours"].between(0, 200).all()
    systems = pd.read_csv(out / "systems.csv")
    lorenz = systems[(systems["row"] == "paper/linear_regression") & (systems["system"] == "Lorenz")]
    assert lorenz["values"].iloc[0].startswith("published:")
    assert "Spearman" in capsys.readouterr().out


def test_lyapunov_timescale_gives_every_system_the_same_horizon_in_lyapunov_times():
    import yaml

    import chaosbench
    from chaosbench.forecasters import conf_dir
    from chaosbench.protocol import Protocol, make_split
    from chaosbench.timescale import lyapunov_settings

    cfg = yaml.safe_load((conf_dir() / "protocol" / "lyapunov.yaml").read_text())
    for name in ("Lorenz", "Rossler"):
        system = chaosbench.system(name)
        settings = lyapunov_settings(system, cfg)
        assert (settings["n_train"], settings["n_test"]) == (1000, 500)
        split = make_split(system, Protocol.from_config(settings), seed=0)
        # dt x lambda = 1 / pts_per_lyapunov, so the horizon is test_lyapunov on both systems.
        assert split.horizon_lyapunov == pytest.approx(cfg["test_lyapunov"], rel=1e-12)
    with pytest.raises(ValueError, match="Torus has max_lyapunov"):
        lyapunov_settings(chaosbench.system("Torus"), cfg)
    with pytest.raises(ValueError, match="SprottA would be sampled"):
        lyapunov_settings(chaosbench.system("SprottA"), cfg)


#: The published fixed settings (Gilpin 2023, as run in dysts benchmarks/ at cc777ed; see each
#: profile's Source comment). Profiles hold only what differs from the class defaults, so a
#: changed class default would silently change a published row: this table pins the facts.
PUBLISHED_FIXED = {
    "paper/esn": {"units": 500, "spectral_radius": 0.99, "rc_connectivity": 0.1,
                  "input_connectivity": 0.2, "input_scaling": 1.0, "ridge": 1e-4,
                  "input_to_readout": False, "predict_increment": False},
    "paper/nvar1": {"order": 1, "ridge": 1e-4, "predict_increment": False},
    "paper/node": {"width": 30, "depth": 2, "batch_size": 128, "iterations": 500,
                   "learning_rate": 0.01},
    "paper/nbeats": {"num_stacks": 30, "num_layers": 4, "layer_widths": 256, "n_epochs": 100,
                     "output_chunk_length": 1},
    "paper/random_forest": {"n_estimators": 100, "max_depth": None, "max_features": 1.0,
                            "output_chunk_length": 1},
    "paper/xgboost": {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3,
                      "output_chunk_length": 1},
    "paper/kalman": {"dim_x": 1},
    # darts' NLinearModel defaulted to normalize=False then (0.48: True)
    "paper/nlinear": {"normalize": False, "output_chunk_length": 1, "n_epochs": 100},
    # darts' RNNModel trained on training_length (default 24) windows, whatever the chunk
    "paper/lstm": {"model": "LSTM", "n_rnn_layers": 2, "n_epochs": 200, "training_length": 24,
                   "cap_input_chunk": True},
}


def test_published_rnn_chunks_above_the_training_length_are_capped_not_refused():
    """paper/lstm with a tuned input chunk of 100 (four subset systems) keeps the published
    24-step training windows: darts is given a chunk of 24; the default lstm still refuses the
    pair, and tuning's coupling raises its training_length instead."""
    from chaosbench import forecasters
    from chaosbench.tuning import consistent

    paper = {**forecasters.load_config("paper/lstm"), "input_chunk_length": 100}
    assert consistent(dict(paper))["training_length"] == 24
    kwargs = forecasters.build(paper, seed=0).darts_kwargs()
    assert (kwargs["input_chunk_length"], kwargs["training_length"]) == (24, 24)
    assert "cap_input_chunk" not in kwargs
    with pytest.raises(ValueError, match="training_length must be >= input_chunk_length"):
        forecasters.make("lstm", input_chunk_length=100, training_length=24)
    assert consistent({"input_chunk_length": 100, "training_length": 24})["training_length"] == 100


def test_darts_torch_precision_sets_the_training_precision_and_refuses_others():
    """precision=64 hands darts float64 series, so the network trains in float64 as darts did on
    the paper's float64 series; the default trains in float32; precision is the adapter's, not
    a darts argument; 16 is refused with the valid values."""
    import torch

    x = np.cumsum(np.random.default_rng(0).normal(size=(60, 2)), axis=0)
    dtypes = {}
    for precision in (32, 64):
        model = make("nlinear", seed=0, precision=precision, n_epochs=1, input_chunk_length=5,
                     output_chunk_length=1).fit(x, 0.1)
        assert "precision" not in model.darts_kwargs()
        dtypes[precision] = next(model._model.model.parameters()).dtype
        assert np.isfinite(model.predict(3)).all()
    assert dtypes == {32: torch.float32, 64: torch.float64}
    with pytest.raises(ValueError, match="precision.*one of 32, 64"):
        make("nlinear", precision=16)


@pytest.mark.parametrize("name", sorted(PUBLISHED_FIXED))
def test_paper_profiles_resolve_to_the_published_settings(name):
    from chaosbench import forecasters

    config = forecasters.load_config(name)
    assert config["standardize"] is False, "the paper fed raw coordinates"
    assert {k: config[k] for k in PUBLISHED_FIXED[name]} == PUBLISHED_FIXED[name]
