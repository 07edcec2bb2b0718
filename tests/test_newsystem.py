"""Adding a system by one file: ``chaosbench catalogue add`` on the README's example, the
conformance checks on the result, and bad files refused with nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import chaosbench
from chaosbench import catalogue
from chaosbench.commands.catalogue import main

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- add-system-example:begin -->\s*```yaml\n(.*?)```", text, re.S)
    assert block, "README.md lost its add-system example"
    return block.group(1)


@pytest.fixture
def empty_catalogue(tmp_path, monkeypatch):
    """An empty catalogue folder in place of systems/ (restored, caches cleared, after)."""
    folder = tmp_path / "systems"
    folder.mkdir()
    monkeypatch.setattr(catalogue, "_directory", lambda: folder)
    catalogue.systems.cache_clear()
    catalogue.load_spec.cache_clear()
    yield folder
    catalogue.systems.cache_clear()
    catalogue.load_spec.cache_clear()


def _add(file: Path, capsys, *extra: str) -> tuple[int, str, str]:
    status = main(["add", str(file), *extra])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_readme_example_is_added_and_passes_the_conformance_checks(
        empty_catalogue, tmp_path, capsys, reference_fields):
    """``add`` on the README's Lorenz63 writes a complete catalogue file: statistics, invariants
    with today's settings, no reference values. Its largest exponent matches Sprott (2003)
    A.5.1, 0.9056 for beta = 8/3 (3 standard errors + 3%, the literature test's tolerance),
    and the per-system tests of the conformance suite pass on it, or skip where they compare
    against the reference catalogue, which does not have it."""
    import test_catalogue
    import test_invariants

    source = tmp_path / "Lorenz63.yaml"
    source.write_text(readme_example())
    readme = README.read_text(encoding="utf-8")
    status, out, err = _add(source, capsys)
    assert status == 0, err
    assert README.read_text(encoding="utf-8") == readme  # not the checkout's catalogue
    assert catalogue.systems() == ["Lorenz63"]
    written = (empty_catalogue / "Lorenz63.yaml").read_text()
    assert written.startswith(readme_example())  # the author's text is kept as written
    spec = catalogue.load_spec("Lorenz63")
    inv = spec["invariants"]
    assert "reference" not in inv and spec["flags"]["chaotic"] is True
    assert abs(inv["max_lyapunov"] - 0.9056) <= 3 * inv["max_lyapunov_stderr"] + 0.03 * 0.9056
    # Statistics over 500 periods: the symmetry (x, y) -> (-x, -y) puts the x and y means near
    # 0 (the catalogue Lorenz: 0.05, 0.6% of the std); z averages 23.55 there (beta = 2.667).
    system = chaosbench.system("Lorenz63")
    assert np.all(np.abs(system.mean[:2]) < 0.1 * system.std[:2])
    assert system.mean[2] == pytest.approx(23.55, rel=0.02)

    checks = [
        (test_catalogue.test_vector_field_matches_reference, (reference_fields,)),
        (test_catalogue.test_jacobian_matches_finite_differences, (reference_fields,)),
        (test_catalogue.test_default_trajectory_stays_on_a_chaotic_attractor, ()),
        (test_invariants.test_every_system_recomputed_with_standard_errors, (reference_fields,)),
        (test_invariants.test_spectrum_sums_to_mean_jacobian_trace, ()),
        (test_invariants.test_autonomous_flow_has_one_exponent_near_zero, ()),
        (test_invariants.test_chaotic_flag_agrees_with_the_largest_exponent, ()),
    ]
    skipped = []
    for check, args in checks:
        try:
            check("Lorenz63", *args)
        except pytest.skip.Exception:
            skipped.append(check.__name__)
    assert skipped == ["test_vector_field_matches_reference"]


def _write(tmp_path: Path, name: str, **changes) -> Path:
    spec = yaml.safe_load(readme_example())
    spec["name"] = name
    for key, value in changes.items():
        if value is None:
            spec.pop(key)
        else:
            spec[key] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.mark.parametrize("changes, message", [
    ({"description": None, "citation": None}, r"missing required entries \['description', "
                                               r"'citation'\]"),
    ({"equations": {"x": "sigma * (y - x)", "y": "x * (rho - z) - y",
                    "z": "__import__('os').system('true')"}},
     r"equation for 'z': call of .__import__"),
    ({"equations": {"x": "sigma * (y - x)", "y": "x * (rho - z) - y", "z": "x * y - gamma"}},
     r"unknown name 'gamma'"),
    ({"period": -1}, r"period must be a positive number"),
    ({"initial_conditions": [1.0, 2.0]}, r"2 initial conditions for 3 variables"),
    ({"equations": {"x": "sigma * (y - x)", "y": "x * (rho - z) - y", "z": "z ** 2"}},
     r"integration stopped at t = 0.04"),
    ({"parameters": {"sigma": 10, "rho": 0.5, "beta": 2.667}}, r"comes to rest"),
])
def test_bad_files_get_one_line_and_nothing_is_written(changes, message, empty_catalogue,
                                                       tmp_path, capsys):
    status, out, err = _add(_write(tmp_path, "Broken", **changes), capsys)
    assert status == 2
    assert err.count("\n") == 1 and re.search(message, err), err
    assert list(empty_catalogue.iterdir()) == []


def test_a_name_already_in_the_catalogue_is_refused_unless_replaced(empty_catalogue, tmp_path,
                                                                    capsys):
    (empty_catalogue / "Lorenz63.yaml").write_text("name: Lorenz63\n")
    catalogue.systems.cache_clear()
    status, _, err = _add(_write(tmp_path, "Lorenz63"), capsys)
    assert status == 2 and "already in the catalogue" in err
    assert (empty_catalogue / "Lorenz63.yaml").read_text() == "name: Lorenz63\n"


def test_add_needs_a_file_and_only_add_takes_one(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["add"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        main(["table", "x.yaml"])
    capsys.readouterr()


def test_invariants_writer_keeps_the_rest_of_the_file(tmp_path):
    """The one YAML writer: blocks replaced in place, the author's lines untouched, nested
    values in flow style read back equal, floats exact."""
    from chaosbench.systemfile import mark_not_chaotic, render, replace_block

    lines = ["name: A", "flags:", "  delay: false", "stats:", "  old: 1", "tail: [1, 2]"]
    values = {"mean": [0.1, 1e-09, float("inf")], "nested": {"a": "b: c", "n": np.float64(2.5)}}
    out = replace_block(lines, "stats", values)
    assert out[:3] == lines[:3] and out[-1] == "tail: [1, 2]"
    back = yaml.safe_load("\n".join(mark_not_chaotic(out, "Because.")))
    assert back["stats"] == {"mean": [0.1, 1e-09, float("inf")], "nested": {"a": "b: c", "n": 2.5}}
    assert back["flags"] == {"chaotic": False, "delay": False} and back["caveats"] == ["Because."]
    assert render(1e-09) == "1.0e-09" and yaml.safe_load(render(0.1 + 0.2)) == 0.1 + 0.2
