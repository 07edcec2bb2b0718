"""The command line: bad input is one line and exit status 2 with nothing written; Hydra's own
flags work; a console script and ``python -m chaosbench`` dispatch to the commands."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaosbench.cli import UsageError, main, preflight, split_argv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# (arguments, words the one-line message must contain). The first 41 are the cases the fault
# injection tried (issue 17), the rest are ours.
BAD = [
    (["seed=abc"], "seed must be an integer >= 0"),
    (["seed=1.5"], "seed must be an integer"),
    (["seed=-1"], "seed must be an integer >= 0"),
    (["seed=true"], "seed must be an integer"),
    (["seed="], "seed is empty"),
    (["timeout_s=abc"], "timeout_s must be a number"),
    (["timeout_s=-1"], "timeout_s must be a number of seconds > 0"),
    (["timeout_s=0"], "> 0"),
    (["timeout_s=inf"], "timeout_s"),
    (["timeout_s=nan"], "timeout_s"),
    (["timeout_s="], "timeout_s is empty"),
    (["threads=0"], "threads must be an integer >= 1"),
    (["threads=-2"], "threads"),
    (["threads=1.5"], "threads must be an integer"),
    (["threads=abc"], "threads"),
    (["force=no"], "force must be true or false"),
    (["force=maybe"], "force must be true or false"),
    (["force=1"], "force must be true or false"),
    (["force=yes"], "force"),
    (["save_forecast=no"], "save_forecast must be true or false"),
    (["retry=sometimes"], "retry must be one of none, failed, all"),
    (["retry="], "retry is empty"),
    (["results_dir="], "results_dir is empty"),
    (["sweep_name="], "sweep_name is empty"),
    (["sweep_name=a/b"], "sweep_name"),
    (["protocol.n_train=1"], "n_train must be an integer >= 2"),
    (["protocol.n_train=0"], "n_train"),
    (["protocol.n_train=1.5"], "n_train must be an integer"),
    (["protocol.n_train=abc"], "n_train"),
    (["protocol.n_test=-5"], "n_test must be an integer >= 2"),
    (["protocol.n_test=abc"], "n_test"),
    (["protocol.pts_per_period=0"], "pts_per_period must be a number > 0"),
    (["protocol.pts_per_period=-10"], "pts_per_period"),
    (["protocol.pts_per_period=abc"], "pts_per_period"),
    (["protocol.noise=-0.1"], "noise must be a number >= 0"),
    (["protocol.univariate=maybe"], "univariate must be true or false"),
    (["protocol.nonsense=3"], "unknown protocol setting 'nonsense'"),
    (["system=Lorenzz"], "Did you mean 'Lorenz'"),
    (["system=Lorenz,Nope"], "unknown system 'Nope'"),
    (["forecaster=esnn"], "Did you mean 'esn'"),
    (["protocol=standrd"], "Did you mean 'standard'"),
    # ours
    (["sweep=nope"], "unknown sweep 'nope'"),
    (["forecaster=paper/nope"], "unknown forecaster 'paper/nope'"),
    (["forecaster="], "unknown forecaster ''"),
    (["system="], "unknown system ''"),
    (["system=lorenz"], "Did you mean 'Lorenz'"),
    (["protocol=nope"], "unknown protocol"),
    (["forecaster=esn", "forecaster.units=-5"], "forecaster.units=-5"),
    (["forecaster=esn", "forecaster.unitz=100"], "Did you mean 'units'"),
    (["forecaster=esn", "forecaster.spectral_radius=abc"], "forecaster.spectral_radius='abc'"),
    (["forecaster=nvar", "forecaster.ridge=-1"], "forecaster.ridge=-1"),
    (["forecaster=naive", "forecaster.units=10"], "has no hyperparameter 'units'"),
    (["forecaster._target_=os.getcwd"], "not a forecaster"),
    (["forecaster._target_=nonexistent.module.Cls"], "cannot import 'nonexistent.module'"),
    (["forecaster._target_=faulty.NotAModel"], "not a forecaster"),
    (["forecaster._target_=builtins.nope"], "has no 'nope'"),
    (["forecaster._target_=Naive"], "not a 'package.module.Class' path"),
    (["timeout_s=1e400"], "timeout_s"),
    (["threads=1e3"], "threads must be an integer"),
    (["seed=0,abc"], "seed must be an integer"),
    (["seed=0,1.5"], "seed must be an integer"),
    (["protocol.n_train=100,1"], "n_train must be an integer >= 2"),
    (["force=true,maybe"], "force must be true or false"),
    (["save_forecast=2"], "save_forecast"),
    (["retry=true"], "retry must be one of"),
    (["sweep_name=.."], "sweep_name"),
    (["label="], "label is empty"),
    (["protocol.n_test=1"], "n_test must be an integer >= 2"),
    (["protocol.pts_per_period=inf"], "pts_per_period"),
    (["protocol.noise=abc"], "noise"),
    (["protocol.noise=nan"], "noise"),
    (["protocol.univariate=1"], "univariate must be true or false"),
    (["protocol.name="], "name must be a non-empty name"),
    (["sed=3"], "unknown setting 'sed'. Did you mean 'seed'"),
    (["timeout=3"], "Did you mean 'timeout_s'"),
    (["include_nonchaotic=maybe"], "include_nonchaotic must be true or false"),
    (["tuned=maybe"], "tuned must be true, false or published"),
    (["hydra/launcher=nope"], "unknown launcher 'nope'"),
    (["hydra/launcher=jblib"], "Did you mean 'joblib'"),
    (["hydra.launcher.n_jobs=0"], "n_jobs must be an integer >= 1"),
    (["system=[Lorenz"], "malformed override"),
    (["seed=0,,1"], "malformed override"),
    (["=3"], "unknown setting ''"),
    (["--config-dir", "/nonexistent/folder"], "no such folder"),
    (["--cfg"], "--cfg needs a value"),
]


@pytest.mark.parametrize("args,words", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_clear_line(args, words):
    with pytest.raises(UsageError) as info:
        preflight(["chaosbench bench", *args])
    message = info.value.message
    assert "\n" not in message and words in message, message
    assert info.value.code == 2


def test_there_are_more_than_80_bad_inputs_and_all_give_clear_errors():
    assert len(BAD) >= 81


@pytest.mark.integration
def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    for args in (["seed=abc"], ["forecaster=esnn"], ["protocol.n_train=1"], ["force=no"]):
        out = subprocess.run([sys.executable, "-m", "chaosbench", "bench", *args,
                              f"results_dir={tmp_path / 'r'}"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=120)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_good_values_pass_and_all_expands():
    args = preflight(["x", "system=all", "forecaster=naive,mean", "seed=0,1", "force=false",
                      "timeout_s=10", "protocol.n_train=100,200", "retry=none", "threads=2"])
    assert args[1] == "-m"
    systems = args[2].split("=", 1)[1].split(",")
    from chaosbench.catalogue import load_spec

    assert "PanXuZhou" not in systems and "Lorenz" in systems  # not chaotic: left out
    assert all(load_spec(s)["flags"]["chaotic"] for s in systems)
    everything = preflight(["x", "system=all", "include_nonchaotic=true"])[2]
    assert "PanXuZhou" in everything


@pytest.mark.integration
@pytest.mark.parametrize("flags", [["--cfg", "job"], ["-c", "job"], ["--cfg=job"],
                                   ["--info", "searchpath"], ["--help"]])
def test_hydra_flags_pass_through(flags, tmp_path):
    out = subprocess.run([sys.executable, "-m", "chaosbench", "bench", *flags, "forecaster=esn",
                          "forecaster.units=50"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-1500:]
    if "job" in " ".join(flags):
        assert "units: 50" in out.stdout and "_target_: chaosbench.forecasters.reservoir.ESN" in out.stdout
    assert not (tmp_path / "results").exists()


def test_split_argv_keeps_flag_values_apart():
    flags, overrides, dirs = split_argv(["--config-dir", "d", "-c", "job", "--info", "seed=1",
                                         "-m", "--cfg=hydra"])
    assert flags == ["--config-dir", "d", "-c", "job", "--info", "-m", "--cfg=hydra"]
    assert overrides == ["seed=1"] and dirs == ["d"]


def test_console_script_lists_commands_and_suggests(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "bench" in text and "leaderboard" in text and "forecaster:" in text
    assert main(["bnch"]) == 2
    assert "Did you mean 'bench'" in capsys.readouterr().err


def test_no_config_group_shadows_a_setting():
    """A folder of conf/ is a Hydra config group, and Hydra reads `key=value` as a group override
    whenever a group named `key` exists: `tuned=true` then failed with "Config group override
    must be a string or a list" while the tuned values lived in conf/tuned/. So no folder of
    conf/ may share its name with a plain setting of bench.yaml, the Hydra-composed config (a
    group that is chosen, like forecaster, is in its defaults list instead)."""
    import yaml

    from chaosbench.paths import data_dir

    conf = data_dir("conf")
    bench = yaml.safe_load((conf / "bench.yaml").read_text())
    chosen = {key for entry in bench["defaults"] if isinstance(entry, dict) for key in entry}
    groups = {p.name for p in conf.iterdir() if p.is_dir()} - chosen - {"hydra"}
    assert not groups & set(bench), f"conf/ folders shadow settings: {sorted(groups & set(bench))}"


@pytest.mark.integration
@pytest.mark.parametrize("tuned, recorded", [("true", "tuned:gilpin2023/linear.yaml"),
                                             ("published", "published:dysts@cc777ed")])
def test_tuned_switch_on_one_job_from_the_command_line(tuned, recorded, tmp_path):
    """`tuned=true` / `tuned=published` on a single job, as the README has it, from a folder
    outside the repository; the row records where its values came from."""
    from chaosbench.results import read_sweep

    forecaster = "linear" if tuned == "true" else "paper/linear_regression"
    out = subprocess.run([sys.executable, "-m", "chaosbench", "bench", "system=Lorenz",
                          f"forecaster={forecaster}", "protocol=gilpin2023", f"tuned={tuned}",
                          f"results_dir={tmp_path / 'results'}"], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-1500:]
    rows = read_sweep(tmp_path / "results", "adhoc")
    assert set(rows.tuned_values.astype(str)) == {recorded}
