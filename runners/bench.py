"""Thin wrapper kept for checkouts: the same as `chaosbench bench ...` (see chaosbench.commands.bench)."""

import sys

from chaosbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
