"""chaosbench: a benchmark harness for forecasting chaotic dynamical systems.

    >>> import chaosbench
    >>> chaosbench.systems()[:3]
    ['Aizawa', 'AnishchenkoAstakhov', 'Arneodo']
    >>> x = chaosbench.system("Lorenz").trajectory(1000, pts_per_period=100, seed=0)
"""

from chaosbench.api import benchmark
from chaosbench.catalogue import system, systems
from chaosbench.dynamics import IntegrationError, System

from chaosbench._version import __version__

__all__ = ["system", "systems", "System", "IntegrationError", "benchmark", "__version__"]
