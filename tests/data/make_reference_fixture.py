"""Regenerate tests/data/reference_vector_fields.json from the reference implementation.

The fixture holds, for every system, vector-field values computed by the public `dysts` package
(v0.96) at random states, so the conformance suite can check our equations against an independent
implementation without depending on it. Run it once, in a scratch environment that has dysts
(it pulls gluonts, which needs pandas < 3, so it cannot share chaosbench's environment):

    python -m venv /tmp/dysts-venv && /tmp/dysts-venv/bin/pip install dysts==0.96 pyyaml
    /tmp/dysts-venv/bin/python tests/data/make_reference_fixture.py

States: 8 per system, mean + 0.5 * std * N(0, 1) around the stored attractor statistics, times
uniform in [0, 10), from numpy.random.default_rng(seed derived from the system name). Delay systems
store the pair (x, x(t - tau)) and the scalar derivative.
"""

import json
import zlib
from pathlib import Path

import numpy as np
import yaml

import dysts.flows as flows

HERE = Path(__file__).resolve().parent
SYSTEMS = HERE.parents[1] / "systems"
N_STATES = 8


def main() -> None:
    fixture = {"source": "dysts 0.96 (pip), rhs(X, t) / _rhs(x, xt, t, *params)", "systems": {}}
    for path in sorted(SYSTEMS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        name = spec["name"]
        ref = getattr(flows, name)()
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        mean = np.array(spec["statistics"]["mean"])
        std = np.array(spec["statistics"]["std"])
        rows = []
        for _ in range(N_STATES):
            t = float(rng.uniform(0, 10))
            if spec["flags"]["delay"]:
                x, xt = (mean[0] + std[0] * rng.normal(size=2)).tolist()
                dx = np.atleast_1d(ref._rhs(x, xt, t, *ref.param_list)).astype(float)
                rows.append({"state": [x, xt], "t": t, "rhs": dx.tolist()})
            else:
                X = mean + 0.5 * std * rng.normal(size=len(mean))
                dx = np.asarray(ref.rhs(X, t), dtype=float)
                rows.append({"state": X.tolist(), "t": t, "rhs": dx.tolist()})
        fixture["systems"][name] = rows
    out = HERE / "reference_vector_fields.json"
    out.write_text(json.dumps(fixture, indent=0) + "\n")
    print(f"wrote {out} ({len(fixture['systems'])} systems)")


if __name__ == "__main__":
    main()
