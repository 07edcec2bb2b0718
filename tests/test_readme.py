"""The README's generated parts stay true."""

from pathlib import Path

from chaosbench.catalogue import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_system_table_matches_the_catalogue():
    """Regenerate with `python runners/catalogue.py --readme` after editing systems/."""
    assert markdown_table() in README.read_text(encoding="utf-8")


def test_readme_shows_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "make test" in text and "make bench" in text
