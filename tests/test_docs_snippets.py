"""The Python snippets in the README and the getting-started page run as written."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(path: Path) -> list[str]:
    text = path.read_text()
    if path.suffix == ".md":
        return re.findall(r"```python\n(.*?)```", text, flags=re.S)
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text)
    return [re.sub(r"^   ", "", b, flags=re.M) for b in blocks]


CASES = [
    (path, i, block)
    for path in (
        ROOT / "README.md",
        ROOT / "docs" / "getting-started.rst",
        ROOT / "docs" / "storage" / "index.rst",
        ROOT / "docs" / "tutorials" / "planning-in-a-notebook.rst",
    )
    for i, block in enumerate(python_blocks(path))
]


@pytest.mark.parametrize(("path", "index", "code"), CASES, ids=lambda v: str(v)[-30:])
def test_snippet_runs(path, index, code, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets may create files such as service.db
    exec(compile(code, f"{path.name}[{index}]", "exec"), {})


def test_there_are_snippets_to_check():
    assert len(CASES) >= 2
