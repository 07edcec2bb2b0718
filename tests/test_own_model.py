"""Benchmark your own model: the README's example run as written, plus the other two ways in
(register from Python, a package entry point) and their one-line errors."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import chaosbench
from chaosbench import forecasters
from chaosbench.cli import UsageError, preflight
from chaosbench.forecasters.checks import check_forecaster
from chaosbench.results import read_sweep

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch):
    """Models registered here stay here: later tests see only the shipped forecasters."""
    monkeypatch.setattr(forecasters, "_REGISTERED", {})


def _example() -> tuple[str, str, list[str]]:
    section = README.split("<!-- own-model:begin -->")[1].split("<!-- own-model:end -->")[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    code = next(text for lang, text in blocks if lang == "python")
    config = next(text for lang, text in blocks if lang == "yaml")
    commands = [line for lang, text in blocks if lang == "bash" for line in text.splitlines()
                if line.strip()]
    return code, config, commands


@pytest.mark.integration
def test_the_readme_example_runs_as_written(tmp_path):
    code, config, commands = _example()
    (tmp_path / "mymodels.py").write_text(code)
    (tmp_path / "my_conf" / "forecaster").mkdir(parents=True)
    (tmp_path / "my_conf" / "forecaster" / "damped.yaml").write_text(config)
    assert len(commands) == 4
    for command in commands:
        argv = command.split(" ", 1)
        program = sys.executable if argv[0] == "python" else str(BIN / argv[0])
        rest = argv[1]
        if argv[0] == "python":  # python -c "..."
            args = ["-c", rest.split('"', 2)[1]]
        else:
            args = rest.split()
        out = subprocess.run([program, *args], cwd=tmp_path, capture_output=True, text=True,
                             timeout=900)
        assert out.returncode == 0, f"{command}\n{out.stderr[-2000:]}"
    rows = read_sweep(tmp_path / "results", "mine")
    assert set(rows.label) == {"damped", "naive", "nvar", "damped[decay=0.9]",
                               "damped[decay=0.999]"}
    assert set(rows.status) == {"ok"}
    board = (tmp_path / "results" / "mine" / "leaderboard.csv").read_text()
    assert "damped[decay=0.9]" in board and "damped" in board


class Persistence:
    """A duck-typed model: no base class, just fit and predict."""

    def __init__(self, seed=0, offset=0.0):
        self.offset = offset

    def fit(self, train, dt):
        self.last = train[-1].copy()
        return self

    def predict(self, horizon):
        import numpy as np

        return np.repeat(self.last[None, :] + self.offset, horizon, axis=0)


def test_register_from_python_and_benchmark(tmp_path):
    rows = chaosbench.benchmark([Persistence, "naive"], systems=["Lorenz"], seeds=[0, 1],
                                results_dir=str(tmp_path), sweep="py",
                                overrides=["protocol.n_test=60", "protocol.n_train=200"])
    jobs = rows.drop_duplicates("job_id")
    assert sorted(jobs.label) == ["Persistence", "Persistence", "naive", "naive"]
    assert set(jobs.status) == {"ok"}
    # A model identical to persistence scores exactly what naive scores.
    smape = rows[rows.metric == "smape"].groupby("label").value.apply(sorted)
    assert smape["Persistence"] == smape["naive"]
    assert "Persistence" in forecasters.names()
    assert forecasters._REGISTERED  # (emptied again after the test by _fresh_registry)


def test_entry_point_plugs_a_model_in(tmp_path, monkeypatch):
    pkg = tmp_path / "site"
    (pkg / "plugmodels.py").parent.mkdir(parents=True)
    (pkg / "plugmodels.py").write_text("from test_own_model import Persistence as Plugged\n")
    dist = pkg / "plugmodels-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plugmodels\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[chaosbench.forecasters]\nplugged = plugmodels:Plugged\nbroken = nothere.mod:Cls\n")
    monkeypatch.syspath_prepend(str(pkg))
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    assert {"plugged", "broken"} <= set(forecasters.names())
    assert forecasters.load_config("plugged")["_target_"] == "plugmodels.Plugged"
    assert preflight(["x", "forecaster=plugged"])[1] == "forecaster=plugged"
    with pytest.raises(UsageError, match="cannot import 'nothere.mod'"):
        preflight(["x", "forecaster=broken"])


def test_user_config_dir_errors_are_one_line(tmp_path):
    conf = tmp_path / "conf" / "forecaster"
    conf.mkdir(parents=True)
    (conf / "notmodel.yaml").write_text("_target_: builtins.dict\n")
    (conf / "missing.yaml").write_text("_target_: nosuchpkg.Model\n")
    dirs = ["--config-dir", str(tmp_path / "conf")]
    with pytest.raises(UsageError, match="Did you mean 'missing'"):
        preflight(["x", *dirs, "forecaster=misssing"])
    with pytest.raises(UsageError, match="not a forecaster"):
        preflight(["x", *dirs, "forecaster=notmodel"])
    with pytest.raises(UsageError, match="cannot import 'nosuchpkg'"):
        preflight(["x", *dirs, "forecaster=missing"])


def test_check_forecaster_passes_good_models_and_names_the_failed_check():
    from chaosbench.forecasters.baselines import Naive

    assert "determinism" in check_forecaster(Naive)
    check_forecaster(Persistence)

    class UsesGlobalRng(Persistence):
        def predict(self, horizon):
            import numpy as np

            return super().predict(horizon) + np.random.standard_normal((horizon, 1))

    with pytest.raises(AssertionError, match="fails check '(horizon|determinism)'"):
        check_forecaster(UsesGlobalRng)

    class WritesItsInput(Persistence):
        def fit(self, train, dt):
            train -= train.mean(axis=0)
            return super().fit(train, dt)

    with pytest.raises(AssertionError, match="'read_only_input'"):
        check_forecaster(WritesItsInput)
