"""Per-system tuning (chaosbench.tuning, chaosbench tune): search spaces, tuning data kept apart
from test data, the choice of the best setting, tuned values as data and their lookup, bad input,
and a study that resumes after its process is killed (a real SQLite storage)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import chaosbench
from chaosbench.protocol import Protocol, make_split
from chaosbench.tuning import (SEARCH_SPACES, TunedValuesError, score, search_space,
                               tune_system, tuned_config, tuned_path, tuning_split,
                               write_tuned)

ROOT = Path(__file__).resolve().parents[1]
#: A short protocol so a trial of the numpy linear AR takes milliseconds.
SHORT = {"name": "short", "pts_per_period": 30, "n_train": 150, "n_test": 30}
LINEAR = {"_target_": "chaosbench.forecasters.baselines.LinearAR", "lags": 10, "ridge": 1e-8}


def test_search_space_defaults_to_the_published_grid_and_checks_keys():
    assert search_space("paper/nvar1", {"delay": 2, "ridge": 1.0})["delay"] == [2, 5, 15, 30, 60,
                                                                                  120]
    assert search_space("esn", {"leak_rate": 0.5}) == {"leak_rate": SEARCH_SPACES["esn"]
                                                       ["leak_rate"]}
    assert search_space("linear", LINEAR, {"lags": [1, 2]}) == {"lags": [1, 2]}
    with pytest.raises(ValueError, match=r"unknown hyperparameter 'lag'.*'lags'"):
        search_space("linear", LINEAR, {"lag": [1, 2]})
    with pytest.raises(ValueError, match="range"):
        search_space("linear", LINEAR, {"ridge": {"low": 0.1}})


def test_tuning_data_come_from_another_initial_condition():
    lorenz = chaosbench.system("Lorenz")
    tune, test = tuning_split("Lorenz", SHORT, 0), make_split(lorenz, Protocol(**SHORT), 0)
    assert tune.train.shape == test.train.shape and tune.test.shape == test.test.shape
    # Different trajectories (not merely shifted): no point of the benchmark's data recurs.
    bench = np.vstack([test.train, test.test])
    gaps = np.abs(np.vstack([tune.train, tune.test])[:, None, :] - bench[None]).max(-1)
    assert gaps.min() > 1e-6
    again = tuning_split("Lorenz", SHORT, 0)
    np.testing.assert_array_equal(again.train, tune.train)


def test_a_study_picks_the_best_setting_and_resumes_from_its_storage(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    space = {"lags": [1, 2, 4]}
    result = tune_system("linear", LINEAR, SHORT, "Lorenz", space=space, storage=storage)
    split = tuning_split("Lorenz", SHORT, 0)
    expected = {lags: score({**LINEAR, "lags": lags}, split) for lags in space["lags"]}
    assert result.params == {"lags": min(expected, key=expected.get)}
    assert result.value == pytest.approx(min(expected.values()), rel=1e-12)
    assert result.n_complete == 3
    # Asking again runs nothing new: every grid point is already in the storage.
    assert tune_system("linear", LINEAR, SHORT, "Lorenz", space=space,
                       storage=storage).n_complete == 3


def test_tuned_values_are_data_and_tuned_config_applies_them(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    result = tune_system("linear", LINEAR, SHORT, "Lorenz", space={"lags": [2, 3]},
                         storage=storage)
    path = tuned_path("linear", "short", tmp_path / "tuned")
    write_tuned(path, forecaster="linear", protocol="short", results=[result],
                space={"lags": [2, 3]}, sampler="grid", n_trials=None, seed=0, metric="smape",
                storage=storage)
    data = yaml.safe_load(path.read_text())
    assert {"search_space", "budget", "objective", "seed", "catalogue_version"} <= set(data)
    assert data["systems"]["Lorenz"]["values"] == result.params
    config, source = tuned_config("linear", "short", "Lorenz", LINEAR, root=tmp_path / "tuned")
    assert config == {**LINEAR, **result.params} and source == "tuned:short/linear.yaml"
    with pytest.raises(TunedValuesError, match="no tuned values for Rossler"):
        tuned_config("linear", "short", "Rossler", LINEAR, root=tmp_path / "tuned")
    # A file made for other data of the system (another catalogue version) is refused.
    data["systems"]["Lorenz"]["data_hash"] = "0" * 12
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(TunedValuesError, match="tuned on other data of Lorenz"):
        tuned_config("linear", "short", "Lorenz", LINEAR, root=tmp_path / "tuned")


def test_published_values_apply_per_system():
    from chaosbench import published
    from chaosbench.forecasters import load_config

    base = load_config("paper/nvar1")
    for system in ("Lorenz", "Rossler"):
        config, source = tuned_config("paper/nvar1", "gilpin2023", system, base,
                                      source="published")
        assert config["delay"] == published.tuned_values("NVAR")[system]["delay"]
        assert source.startswith("published:")
    lstm, _ = tuned_config("paper/lstm", "gilpin2023", "Lorenz", load_config("paper/lstm"),
                           source="published")
    # the published chunk is applied; the published 24-step training windows are kept
    assert lstm["input_chunk_length"] == published.tuned_values("RNNModel")["Lorenz"][
        "input_chunk_length"]
    assert lstm["training_length"] == 24


@pytest.mark.parametrize("args, message", [
    (["forecaster=paper/esm"], "unknown forecaster 'paper/esm'"),
    (["protocol=gilpin2024"], "unknown protocol 'gilpin2024'"),
    (["space.leak=[0.1]"], "unknown hyperparameter 'leak'"),
    (["sampler=tpe"], "n_trials"),
    (["systems=Lorenzz"], "unknown system 'Lorenzz'"),
])
def test_tune_rejects_bad_input_with_one_line_and_status_2(tmp_path, capsys, args, message):
    from chaosbench.commands import tune

    out = tmp_path / "tuned"
    assert tune.main([*args, f"out={out}", f"storage=sqlite:///{tmp_path / 'o.db'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "o.db").exists()


@pytest.mark.slow
def test_a_killed_study_resumes_without_losing_a_trial(tmp_path):
    """A worker is killed (SIGKILL) while a trial runs; a new worker fails the stale trial after
    its heartbeat stops (1 s, grace 2 s), re-runs it, and keeps every finished trial."""
    import optuna

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    block = tmp_path / "block"
    block.touch()
    config = {"_target_": "faulty.BlockingAR", "lags": 1, "ridge": 1e-8, "block_lags": 3,
              "block_file": str(block)}
    space = {"lags": [1, 2, 3, 4, 5]}
    script = (f"from chaosbench.tuning import tune_system; tune_system('blocking_ar', "
              f"{config!r}, {SHORT!r}, 'Lorenz', space={space!r}, storage={storage!r}, "
              f"heartbeat_s=1)")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    worker = subprocess.Popen([sys.executable, "-c", script], env=env)
    study_name = "short/blocking_ar/Lorenz"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                trials = optuna.load_study(study_name=study_name, storage=storage).trials
            except KeyError:
                continue
            running = [t for t in trials if t.state.name == "RUNNING"]
            if running and running[0].params.get("lags") == 3:
                break
        else:
            pytest.fail("the worker never reached the blocking trial")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    before = {t.number: (t.params["lags"], t.value) for t in trials if t.state.name == "COMPLETE"}
    block.unlink()
    time.sleep(2.5)  # past the grace period: the killed trial's heartbeat is stale
    result = tune_system("blocking_ar", config, SHORT, "Lorenz", space=space, storage=storage,
                         heartbeat_s=1)
    study = optuna.load_study(study_name=study_name, storage=storage)
    after = {t.number: (t.params["lags"], t.value) for t in study.trials
             if t.state.name == "COMPLETE"}
    assert before.items() <= after.items()  # no finished trial lost or redone
    assert sorted(lags for lags, _ in after.values()) == [1, 2, 3, 4, 5]
    assert [t.params["lags"] for t in study.trials if t.state.name == "FAIL"] == [3]
    assert result.n_complete == 5
