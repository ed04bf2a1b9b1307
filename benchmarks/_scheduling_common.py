"""Shared helpers for the scheduling benchmarks: data paths, the reference checker, output."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "bench"


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA,
        help="benchmark data directory (default: ../shared/bench from the repo root)",
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")


def load_fsm_checker(data_dir: Path) -> ModuleType:
    """Import the reference checker fsm_check.py from the data directory by path."""
    spec = importlib.util.spec_from_file_location("fsm_check", data_dir / "fsm_check.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {data_dir / 'fsm_check.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in cells:
        print(" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def emit_json(figures: dict[str, Any]) -> None:
    print(json.dumps(figures))
