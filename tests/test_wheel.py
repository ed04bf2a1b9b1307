"""The built wheel, installed with no extras into a fresh virtual environment, as a new user would.

Building and installing takes about a minute (the dependencies come from the package index), so
this runs in CI only (``CI=true``); run it by hand with ``CI=true pytest tests/test_wheel.py``.
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("CI") != "true", reason="builds and installs the wheel: CI only"
    ),
]


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", where / "dist", ROOT],
        check=True,
    )
    (wheel,) = (where / "dist").glob("servicecore-*.whl")
    venv.EnvBuilder(with_pip=True).create(where / "venv")
    python = where / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", wheel], check=True)
    return python


def run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "servicecore", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_python_m_servicecore_help_runs_without_extras(fresh_python, tmp_path):
    done = run(fresh_python, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "demo" in done.stdout


def test_the_demo_without_its_extra_says_which_in_one_line(fresh_python, tmp_path):
    done = run(fresh_python, "demo", "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert 'pip install "servicecore[demo]"' in lines[0]
