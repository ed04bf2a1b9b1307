"""Set up and run servicecore on a fresh machine: ``python3 dev.py demo`` / ``python3 dev.py test``.

Needs only Python 3.11+ and network access to PyPI. The first run creates ``.venv/`` beside this
file and installs servicecore into it (editable, with the extras the command needs); later runs
reuse it and reinstall only when ``pyproject.toml`` changed.

Commands:
    demo [ARGS...]   run the servicecore demo (embedded SQLite); ARGS go to ``servicecore demo``
    test [PYTEST_ARGS...]
                     the whole check: ruff lint, ruff format, mypy --strict, pytest (PostgreSQL
                     tests too when SERVICECORE_TEST_POSTGRES_URL is set), the Sphinx docs with
                     -W (which runs every notebook under examples/ and renders it with its
                     outputs), and every example script under examples/
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    done = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        sys.exit(done.returncode)


def _ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs under any python3 the user has
        sys.exit(f"servicecore needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / f".servicecore-{extras}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and PY.exists():
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
    stamp.write_text(wanted)


def demo(args: list[str]) -> None:
    """Run the demo scenario on embedded SQLite."""
    _ensure_venv("demo")
    _run(BIN / "servicecore", "demo", *args)


def test(args: list[str]) -> None:
    """Run every check CI runs, in the order that fails fastest."""
    _ensure_venv("dev")
    env = dict(os.environ)
    _run(BIN / "ruff", "check", ".")
    _run(BIN / "ruff", "format", "--check", ".")
    _run(BIN / "mypy", "src")
    _run(PY, "-m", "pytest", *args, env=env)
    _run(PY, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", "docs/_build/html")
    env.setdefault("MPLBACKEND", "Agg")
    for example in sorted((ROOT / "examples").glob("*.py")):
        _run(PY, example, env=env)


def main() -> None:
    """Dispatch ``demo`` or ``test``."""
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        sys.exit(__doc__)
    {"demo": demo, "test": test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
