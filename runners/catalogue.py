"""Thin wrapper kept for checkouts: the same as `chaosbench catalogue ...` (see chaosbench.commands.catalogue)."""

import sys

from chaosbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["catalogue", *sys.argv[1:]]))
