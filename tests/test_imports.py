"""The library's modules import each other without cycles (a module-level or a deferred import,
inside a function, counts alike): each layer can be read, tested and replaced on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chaosbench"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the chaosbench modules it imports (a package import counts as its __init__)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                    + ([base] if base else []))
                for alias in node.names:  # a submodule, else a name from the module itself
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_every_subpackage_ships_in_the_wheel():
    """pyproject.toml lists packages explicitly: a new subpackage missing there would import in
    a checkout and be absent from an installed wheel."""
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}
    # chaosbench/hydra_plugin ships as hydra_plugins.chaosbench_ray (pyproject's package-dir)
    found = {"hydra_plugins.chaosbench_ray" if m == "chaosbench.hydra_plugin" else m for m in found}
    assert found <= listed, sorted(found - listed)


def test_numpy_model_configs_load_without_torch():
    """The class is the source of a config's defaults: loading a numpy model's config imports its
    module, which must not pull in torch (or darts)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from chaosbench.forecasters import load_config, make\n"
            "for name in ('naive', 'mean', 'linear', 'esn', 'nvar', 'nvar1', 'sindy',\n"
            "             'sindy_ensemble', 'edmd', 'dmd', 'hodmd', 'external', 'paper/esn'):\n"
            "    load_config(name)\n"
            "make('esn')\n"
            "print(sorted({'torch', 'darts'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


#: What a job whose data come from the data cache must not load: the deep-learning stack, the
#: symbolic compiler and the integrator (only needed to make a trajectory), scipy.stats.
HEAVY = ("torch", "darts", "sympy", "numba", "scipy.stats")
TINY = ["protocol.n_train=200", "protocol.n_test=60", "protocol.pts_per_period=50"]


def test_a_warm_naive_job_imports_no_heavy_library(tmp_path, monkeypatch):
    """``chaosbench bench system=Lorenz forecaster=naive`` with its data cached (the second job
    of a sweep on those data, or a rerun) loads none of :data:`HEAVY`, in a fresh process."""
    import subprocess
    import sys

    from chaosbench.cli import main

    monkeypatch.setattr(sys, "argv", list(sys.argv))
    args = ["bench", "system=Lorenz", "forecaster=naive", f"results_dir={tmp_path}", *TINY]
    assert main(args) == 0  # writes the data cache
    code = ("import sys\n"
            "from chaosbench.cli import main\n"
            f"assert main({[*args, 'force=true']!r}) == 0\n"
            f"print(sorted(set({HEAVY!r}) & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "[ok]" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.integration
def test_a_first_darts_fit_imports_nothing_inside_its_timed_fit(tmp_path):
    """The first darts job of a fresh process: darts, Lightning and the model's own module are
    imported before the runner times fit (Forecaster.preload), so its ``fit_seconds`` hold no
    import. The child fails the job if fit loads a module of theirs."""
    import subprocess
    import sys

    code = f"""
import sys
from chaosbench.forecasters.darts_regression import LinearRegression
from chaosbench.runner import Job, run_job

fit = LinearRegression.fit

def checked_fit(self, train, dt):  # the timed region starts here
    before = set(sys.modules)
    out = fit(self, train, dt)
    new = sorted(m for m in set(sys.modules) - before
                 if m.split(".")[0] in ("darts", "pytorch_lightning", "lightning", "torch"))
    if new:
        raise RuntimeError(f"imported inside the timed fit: {{new[:5]}}")
    return out

LinearRegression.fit = checked_fit
protocol = {{"name": "tiny", "pts_per_period": 50, "n_train": 200, "n_test": 60,
            "univariate": False, "noise": 0.0}}
job = Job("Lorenz", "linear_regression", {{"_target_": "chaosbench.forecasters.darts_regression."
          "LinearRegression", "lags": 5}}, protocol, results_dir={str(tmp_path)!r})
print("darts" in sys.modules, run_job(job))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("False ") and "status='ok'" in last, last
