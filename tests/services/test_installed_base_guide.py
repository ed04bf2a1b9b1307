"""The example of the installed-base and contracts guide runs as written."""

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "installed-base-and-contracts.rst"


def test_the_guide_example_runs() -> None:
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", GUIDE.read_text())
    assert len(blocks) == 1
    code = re.sub(r"^   ", "", blocks[0], flags=re.M)
    exec(compile(code, GUIDE.name, "exec"), {})
