"""System files are data: their expressions are read without eval, reproduce the old parse on
the whole catalogue, and every escape from the expression grammar is refused in one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import yaml

import chaosbench
from chaosbench import catalogue, equations
from chaosbench.catalogue import load_spec
from chaosbench.dynamics import System, _equation_key, _parse
from chaosbench.equations import EquationError
from chaosbench.expressions import MAX_DEPTH, MAX_LENGTH

from legacy_parser import legacy_parse

DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(DATA))
from make_equation_fixture import fingerprint  # noqa: E402


def _legacy_differences(names: list[str]) -> list[str]:
    """Systems whose safe parse differs from the old ``parse_expr`` one (equal ``srepr``: same
    tree, number types and precisions, symbols). The old reader runs here only, on shipped
    files, which are trusted."""
    specs = [load_spec(name) for name in names]
    new = [equations.parse_equations(spec) for spec in specs]
    original = equations._parse
    equations._parse = legacy_parse
    try:
        old = [equations.parse_equations(spec) for spec in specs]
    finally:
        equations._parse = original
    return [spec["name"] for spec, a, b in zip(specs, new, old)
            if sp.srepr((a.rhs, a.outputs, a.inputs)) != sp.srepr((b.rhs, b.outputs, b.inputs))]


def test_every_shipped_system_parses_exactly_as_before():
    """The safe reader builds, for every equation, definition and postprocessing entry of the
    shipped systems, the very SymPy expressions the old ``parse_expr`` reader built, recorded as
    SHA-256 fingerprints of their ``srepr`` by ``tests/data/make_equation_fixture.py``. Compiled
    programs are a function of these expressions and the input order alone, so every system
    compiles to an identical program. Systems added after the fixture have no fingerprint and
    are not compared; under another SymPy version (whose ``srepr`` may differ) the comparison
    runs against the old reader live."""
    fixture = json.loads((DATA / "equation_fingerprints.json").read_text())
    shipped = sorted(fixture["systems"])
    assert set(shipped) <= set(chaosbench.systems())
    if fixture["sympy"] != sp.__version__:
        assert _legacy_differences(shipped) == []
        return
    differ = [name for name in shipped
              if fingerprint(_parse(_equation_key(load_spec(name)))) != fixture["systems"][name]]
    assert differ == []


@pytest.mark.slow
def test_every_shipped_system_parses_as_the_old_reader_live():
    assert _legacy_differences(chaosbench.systems()) == []


def _lorenz(x: str = "sigma * (y - x)", **extra) -> dict:
    spec = dict(load_spec("Lorenz"))
    spec["name"] = "Evil"
    spec["equations"] = dict(spec["equations"], x=x)
    spec.update(extra)
    return spec


PAYLOADS = [
    # (expression for x, a fragment of the offending token the message must quote)
    ("().__class__.__base__.__subclasses__()", "__subclasses__"),
    ("__import__('os').system('touch {marker}')", "__import__"),
    ("sigma.__class__", "sigma.__class__"),
    ("x.real", "x.real"),
    ("(lambda: 1)()", "lambda"),
    ("[c for c in (x, y)][0]", "for c in"),
    ("sin(*(x for x in (1,)))", "*(x for x in"),
    ("f'{x}'", "f'{x}'"),
    ("(q := 2) * x", "q := 2"),
    ("x[0]", "x[0]"),
    ("sigma[0]", "sigma[0]"),
    ("eval('1')", "eval"),
    ("open('/etc/passwd')", "open"),
    ("getattr(x, 'real')", "getattr"),
    ("Symbol('q')", "Symbol"),
    ("Float('1.5') * x", "Float"),
    ("'text'", "'text'"),
    ("x if y > 0 else z", "x if y > 0 else z"),
    ("2j * x", "2j"),
    ("True * x", "True"),
    ("x % 2", "x % 2"),
    ("x // 2", "x // 2"),
    ("x @ y", "x @ y"),
    ("x is y", "x is y"),
    ("sin(x, y)", "sin(x, y)"),
    ("sin(x=1)", "sin(x=1)"),
    ("sin", "sin"),
    ("x__y", "x__y"),
    ("gamma * x", "gamma"),
    ("10 ** 10 ** 10", "10 ** 10 ** 10"),
    ("x; import os", "x; import os"),
]


@pytest.mark.parametrize("payload, token", PAYLOADS, ids=[p for p, _ in PAYLOADS])
def test_escape_payloads_are_refused_from_a_spec(payload, token, tmp_path):
    """Building the System refuses the file at once, in one line naming the system, the
    equation and the offending token, and nothing runs (the shell payload leaves no file)."""
    marker = tmp_path / "PWNED"
    with pytest.raises(EquationError) as caught:
        System(_lorenz(payload.replace("{marker}", str(marker))))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Evil: equation for 'x': ")
    assert token in message or "unknown name" in message
    assert not marker.exists()


@pytest.mark.parametrize("entry", ["definitions", "postprocessing"])
def test_payloads_in_definitions_and_postprocessing_are_refused(entry, tmp_path):
    marker = tmp_path / "PWNED"
    payload = f"__import__('os').system('touch {marker}')"
    spec = _lorenz(**({"definitions": {"r": payload}} if entry == "definitions"
                      else {"postprocessing": ["x", "y", payload]}))
    with pytest.raises(EquationError, match="Evil: (definition 'r'|postprocessing entry 2): "
                                            "call of .__import__"):
        System(spec)
    assert not marker.exists()


def test_a_payload_in_a_catalogue_file_is_refused_by_chaosbench_system(tmp_path, monkeypatch):
    """The same through the catalogue: a copied Lorenz file in a catalogue folder, loaded by
    name as a sweep would."""
    marker = tmp_path / "PWNED"
    folder = tmp_path / "systems"
    folder.mkdir()
    spec = yaml.safe_load((catalogue._directory() / "Lorenz.yaml").read_text())
    spec["name"] = "Evil"
    spec["equations"]["x"] = f"().__class__.__base__.__subclasses__()[0]('touch {marker}')"
    (folder / "Evil.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    monkeypatch.setattr(catalogue, "_directory", lambda: folder)
    catalogue.systems.cache_clear()
    catalogue.load_spec.cache_clear()
    try:
        assert catalogue.systems() == ["Evil"]
        with pytest.raises(EquationError, match=r"^Evil: equation for 'x': .*__subclasses__"):
            chaosbench.system("Evil")
    finally:
        catalogue.systems.cache_clear()
        catalogue.load_spec.cache_clear()
    assert not marker.exists()


@pytest.mark.parametrize("text, problem", [
    ("+".join(["x"] * (MAX_LENGTH // 2 + 1)), "longer than"),
    ("sin(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH, "nested deeper"),
    ("-" * 5000 + "x", "(nested deeper|cannot parse)"),
    ("(" * 300 + "x" + ")" * 300, "cannot parse"),
])
def test_very_long_or_deep_expressions_are_refused(text, problem):
    """Resource limits: the input is refused before SymPy (or a recursive walk) sees it."""
    with pytest.raises(EquationError, match=f"^Evil: equation for 'x': .*{problem}"):
        System(_lorenz(text))


def test_the_grammar_evaluates_as_written():
    """Everything the grammar allows, checked numerically at one state: comparisons (chained
    ones as 'and'), and/or/not inside where(), array elements, pi, min/max, heaviside."""
    spec = dict(load_spec("Lorenz"), name="Grammar",
                parameters={"sigma": 10, "rho": 28, "beta": 2.667, "w": [[1.0, 2.0], [3.0, 4.0]]})
    spec["definitions"] = {"r": "w[1, 0] * x + w[0,1]"}
    spec["equations"] = {
        "x": "where(0 < x < 2 and not y > 5, r, -r) + heaviside(x - 1)",
        "y": "where(x == 1 or z != 3, pi, 0) + min(x, y, z) - max(x, 0.5)",
        "z": "x ** 2 / 4 - -y + 1.5e-1",
    }
    system = System(spec)
    x, y, z = 1.0, 2.0, 3.0
    np.testing.assert_allclose(system.rhs([x, y, z]), [
        (3 * x + 2) + 0.0, np.pi + 1.0 - 1.0, x ** 2 / 4 + y + 0.15], rtol=1e-15)
    np.testing.assert_allclose(system.rhs([3.0, 2.0, 3.0])[0], -(3 * 3.0 + 2) + 1.0)


@pytest.mark.parametrize("index, problem", [("w[2, 0]", "index out of range"),
                                            ("w[0]", "index out of range"),
                                            ("w[-1, 0]", "subscript"),
                                            ("sigma[0]", "not an array parameter")])
def test_array_elements_out_of_range_are_named(index, problem):
    spec = _lorenz(f"{index} * x", parameters={"sigma": 10, "rho": 28, "beta": 2.667,
                                               "w": [[1.0, 2.0], [3.0, 4.0]]})
    with pytest.raises(EquationError, match=problem):
        System(spec)


def _shifted_lorenz(shift: float) -> dict:
    """Lorenz in the coordinate u = x + shift: the same attractor, moved along x."""
    spec = dict(load_spec("Lorenz"))
    spec["definitions"] = {"xs": f"x - {shift}"}
    spec["equations"] = {"x": "sigma * (y - xs)", "y": "xs * (rho - z) - y",
                         "z": "xs * y - beta * z"}
    spec["initial_conditions"] = [spec["initial_conditions"][0] + shift,
                                  *spec["initial_conditions"][1:]]
    spec["statistics"] = dict(spec["statistics"], mean=[spec["statistics"]["mean"][0] + shift,
                                                        *spec["statistics"]["mean"][1:]])
    return spec


def test_seeded_starts_of_a_custom_system_lie_on_its_own_attractor():
    """The attractor pool is keyed by equations and parameters, not by the name: a Lorenz moved
    by +100 along x (same name as the catalogue's) draws its seeded starts around x = 100, and
    so does a parameter variant of it. Lorenz's x stays within +-25 of 0 on its attractor."""
    shifted = System(_shifted_lorenz(100.0))
    lorenz = chaosbench.system("Lorenz")
    for system in (shifted, shifted.with_parameters(rho=30.0)):
        starts = system.trajectory(1, n_ic=16, seed=0, postprocess=False)[:, 0]
        assert np.all(np.abs(starts[:, 0] - 100.0) < 25.0), starts[:, 0]
    base = lorenz.trajectory(1, n_ic=16, seed=0)[:, 0]
    assert np.all(np.abs(base[:, 0]) < 25.0)
