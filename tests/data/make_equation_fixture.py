"""Write ``equation_fingerprints.json``: for every shipped system, the SHA-256 of the SymPy
``srepr`` of its parsed equations (right-hand sides, postprocessing outputs, input order) as the
old ``parse_expr`` reader built them. ``tests/test_equations.py`` checks that the safe reader
builds the same expressions, so every system still compiles to an identical program.

    .venv/bin/python tests/data/make_equation_fixture.py

Run it only on trusted files (the old reader evaluates them).
"""

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def fingerprint(eq) -> str:
    import sympy as sp

    return hashlib.sha256(sp.srepr((eq.rhs, eq.outputs, eq.inputs)).encode()).hexdigest()


def main() -> None:
    import sympy as sp

    import chaosbench
    from chaosbench import equations
    from chaosbench.catalogue import load_spec
    from legacy_parser import legacy_parse

    equations._parse = legacy_parse
    prints = {name: fingerprint(equations.parse_equations(load_spec(name)))
              for name in chaosbench.systems()}
    (HERE / "equation_fingerprints.json").write_text(json.dumps(
        {"made_by": "tests/data/make_equation_fixture.py (sympy parse_expr, the old reader)",
         "sympy": sp.__version__,
         "systems": prints}, indent=1) + "\n")
    print(f"{len(prints)} systems")


if __name__ == "__main__":
    main()
