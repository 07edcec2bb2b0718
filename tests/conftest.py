"""Shared test fixtures.

Tests run single-threaded numerics so timings and results do not depend on what else the machine
is doing; the first test that integrates pays Numba's one-off compilation (cached on disk after).
"""

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def reference_fields():
    """Vector-field values from the reference implementation (see data/make_reference_fixture.py)."""
    return json.loads((DATA / "reference_vector_fields.json").read_text())["systems"]
