"""``python -m chaosbench`` is the ``chaosbench`` command."""

from chaosbench.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
