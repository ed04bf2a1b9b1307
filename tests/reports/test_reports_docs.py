"""The Python snippets of the reports guide run as written."""

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "reports.rst"
BLOCKS = [
    re.sub(r"^    ", "", b, flags=re.M)
    for b in re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", GUIDE.read_text())
]


def test_there_are_snippets():
    assert BLOCKS


@pytest.mark.parametrize("code", BLOCKS)
def test_snippet_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, GUIDE.name, "exec"), {})
    assert (tmp_path / "sla.csv").read_text().startswith("priority,target,met")
