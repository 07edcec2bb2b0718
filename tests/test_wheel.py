"""The package as a pip user gets it: a wheel built from this checkout, installed into a fresh
virtual environment outside the repository, used from another directory.

The fresh environment sees the dependencies through a ``.pth`` line naming this interpreter's
site-packages (installing torch and darts again would take minutes and gigabytes); chaosbench
itself comes only from the wheel: the checkout's editable hook is not loaded there, which the
test asserts.
"""

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

# Builds and installs a wheel (make test TIER=all). One xdist worker runs the whole module: two
# wheel builds of one source tree at once race on its build/ folder.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("wheel")]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # Build from a copy of the working tree: other tests running at the same time write caches
    # inside the checkout, and setuptools' build/ folder there would be shared.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "results", "__pycache__", "*.egg-info", "*.lock"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(dist), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("chaosbench-*.whl"))
    import zipfile

    shipped = set(zipfile.ZipFile(wheel).namelist())
    plugin = "chaosbench/hydra_plugin/"  # ships as hydra_plugins/chaosbench_ray (package-dir)
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "chaosbench").rglob("*.py")}
    modules = {m.replace(plugin, "hydra_plugins/chaosbench_ray/") for m in modules}
    assert not modules - shipped, f"modules missing from the wheel: {sorted(modules - shipped)}"
    env = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                              "--target", site, str(wheel)], capture_output=True, text=True,
                             timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    # pip --target does not write console scripts: write the one the wheel declares.
    entry = next(Path(site).glob("chaosbench-*.dist-info")) / "entry_points.txt"
    assert "chaosbench = chaosbench.cli:main" in entry.read_text()
    script = env / "bin" / "chaosbench"
    script.write_text(f"#!{python}\nimport sys\nfrom chaosbench.cli import main\n"
                      f"sys.exit(main())\n")
    script.chmod(0o755)
    work = base / "elsewhere"
    work.mkdir()
    return python, script, work, Path(site)


def test_installed_package_finds_its_systems_and_configs(installed):
    python, _, work, site = installed
    code = ("import json, chaosbench\n"
            "from chaosbench import forecasters\n"
            "x = chaosbench.system('Lorenz').trajectory(50, seed=0)\n"
            "print(json.dumps({'file': chaosbench.__file__, 'systems': len(chaosbench.systems()),"
            " 'forecasters': len(forecasters.names()), 'shape': list(x.shape)}))")
    out = subprocess.run([str(python), "-c", code], cwd=work, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["file"].startswith(str(site)), "chaosbench must come from the wheel"
    assert info["systems"] == len(list((ROOT / "systems").glob("*.yaml")))
    assert info["forecasters"] >= len(list((ROOT / "conf" / "forecaster").glob("*.yaml")))
    assert info["shape"] == [50, 3]


def test_installed_console_script_runs_a_job_and_a_leaderboard(installed):
    python, script, work, _ = installed
    assert subprocess.run([str(script), "--help"], cwd=work, capture_output=True, text=True,
                          timeout=300).stdout.count("bench") >= 1
    out = subprocess.run([str(script), "bench", "system=Lorenz", "forecaster=naive",
                          "protocol.n_test=60"], cwd=work, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0 and "[ok]" in out.stdout, out.stderr[-2000:]
    assert len(list((work / "results" / "adhoc").glob("*.parquet"))) == 1
    board = subprocess.run([str(python), "-m", "chaosbench", "leaderboard", "sweep_name=adhoc"],
                           cwd=work, capture_output=True, text=True, timeout=600)
    assert board.returncode == 0, board.stderr[-2000:]
    assert (work / "results" / "adhoc" / "leaderboard.csv").exists()
    bad = subprocess.run([str(script), "bench", "forecaster=esnn"], cwd=work,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Did you mean 'esn'" in bad.stderr
