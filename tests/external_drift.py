"""A stand-in for a model living in another environment: naive drift, per channel.

Run as ``python external_drift.py CONTEXT OUTPUT HORIZON``: reads the (T, d) context, writes the
(HORIZON, d) forecast x[T-1] + k (x[T-1] - x[0]) / (T - 1), k = 1..HORIZON. ``--fail`` exits with
status 1 and a message; ``--wrong-shape`` writes one step too few.
"""

import sys

import numpy as np

args = [a for a in sys.argv[1:] if not a.startswith("--")]
if "--fail" in sys.argv:
    sys.exit("the model could not run")
context, output, horizon = np.load(args[0]), args[1], int(args[2])
slope = (context[-1] - context[0]) / max(len(context) - 1, 1)
steps = np.arange(1, horizon + 1 - ("--wrong-shape" in sys.argv))[:, None]
np.save(output, context[-1] + steps * slope)
