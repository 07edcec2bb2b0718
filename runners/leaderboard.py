"""Thin wrapper kept for checkouts: the same as `chaosbench leaderboard ...` (see chaosbench.commands.leaderboard)."""

import sys

from chaosbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["leaderboard", *sys.argv[1:]]))
