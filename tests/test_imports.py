"""The library's modules import each other without cycles (a module-level or a deferred import,
inside a function, counts alike): each layer can be read, tested and replaced on its own."""

from __future__ import annotations

import ast
from pathlib import Path

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
