"""The catalogue's command line: list the systems, or write the README's system table.

    python runners/catalogue.py                 # print the table (Markdown)
    python runners/catalogue.py --readme        # rewrite the table in README.md in place
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from chaosbench.catalogue import markdown_table

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- systems-table:begin -->", "<!-- systems-table:end -->"


def write_readme(table: str, readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        sys.exit(f"{readme} has no {BEGIN} ... {END} markers")
    block = f"{BEGIN}\n{table}\n{END}"
    readme.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text,
                             flags=re.S), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's system table")
    args = parser.parse_args(argv)
    table = markdown_table()
    if args.readme:
        write_readme(table)
        print(f"README.md: system table rewritten ({table.count(chr(10)) - 1} systems)")
    else:
        print(table)


if __name__ == "__main__":
    main()
