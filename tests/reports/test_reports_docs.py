"""The Python snippets of the reports guide run as written."""

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "reports.rst"
BLOCKS = [
    re.sub(r"^    ", "", b, flags=re.M)
    for b in re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", GUIDE.read_text())
]


def test_there_are_snippets():
    assert BLOCKS


def test_snippets_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    for i, code in enumerate(BLOCKS):
        exec(compile(code, f"{GUIDE.name}[{i}]", "exec"), scope)
    assert (tmp_path / "sla.csv").read_text().startswith("priority,target,met")
    assert "<h2>Bookings</h2>" in (tmp_path / "report.html").read_text()
