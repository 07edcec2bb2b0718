"""Every config in conf/ composes through Hydra and makes a valid job: each protocol and sweep
runs a tiny job, each forecaster and paper profile builds its model, each launcher composes."""

from pathlib import Path

import pytest

from chaosbench.cli import choices, launchers, preflight
from chaosbench.forecasters import build
from chaosbench.runner import run_job
from chaosbench.sweep import compose_base, expand
from tiers import FORECASTERS, sample

CONF = Path(__file__).resolve().parents[1] / "conf"


@pytest.mark.parametrize("protocol", choices("protocol"))
def test_every_protocol_runs_a_job(protocol, tmp_path):
    (job,) = expand([f"protocol={protocol}", "forecaster=naive", f"results_dir={tmp_path}"])
    result = run_job(job)
    assert result.status == "ok", result.reason
    assert result.scores["smape"] >= 0


@pytest.mark.parametrize("sweep", choices("sweep"))
def test_every_sweep_expands_and_its_first_job_runs(sweep, tmp_path):
    jobs = expand([f"sweep={sweep}", f"results_dir={tmp_path}"])
    assert jobs and all(j.sweep == (sweep if sweep != "adhoc" else "adhoc") for j in jobs)
    first = expand([f"sweep={sweep}", "forecaster=naive", f"system={jobs[0].system}",
                    f"seed={jobs[0].seed}", "protocol.n_test=50", f"results_dir={tmp_path}"])
    assert run_job(first[0]).status == "ok"


@pytest.mark.parametrize("forecaster", sample(choices("forecaster"), FORECASTERS))
def test_every_forecaster_config_composes_into_a_model(forecaster, tmp_path):
    preflight(["x", f"forecaster={forecaster}"])
    (job,) = expand([f"forecaster={forecaster}", f"results_dir={tmp_path}"])
    params = dict(job.forecaster_config)
    model = build(params, seed=0)
    params.pop("_target_")
    assert job.label == forecaster
    assert getattr(model, "hyperparameters", params) == params or not hasattr(model, "defaults")


def test_a_job_holds_every_hyperparameter_of_its_class(tmp_path):
    """The YAML names the class; a plain override (and a sweep over it) sets a hyperparameter
    whose default only the class holds, and the label names only what was changed."""
    from chaosbench.forecasters.reservoir import ESN

    jobs = expand(["forecaster=esn", "forecaster.units=7,8", f"results_dir={tmp_path}"])
    assert [j.label for j in jobs] == ["esn[units=7]", "esn[units=8]"]
    assert [j.forecaster_config for j in jobs] == [
        {"_target_": "chaosbench.forecasters.reservoir.ESN", **ESN.defaults, "units": n}
        for n in (7, 8)]
    (profile,) = expand(["forecaster=paper/esn", f"results_dir={tmp_path}"])
    assert profile.label == "paper/esn" and profile.forecaster_config["units"] == 500
    args = preflight(["x", "forecaster=esn", "forecaster.units=7"])
    assert args[-1] == "++forecaster.units=7"  # Hydra adds the key the YAML does not hold


@pytest.mark.parametrize("launcher", [n for n in launchers() if (CONF / "hydra" / "launcher" /
                                                                  f"{n}.yaml").exists()])
def test_every_launcher_config_composes(launcher):
    cfg = compose_base([f"hydra/launcher={launcher}"])
    assert cfg.hydra.launcher.get("_target_")
