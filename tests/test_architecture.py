"""DESIGN.md's layering, checked on the source: imports flow downward only."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "servicecore"

# What each layer may import from servicecore ("errors" is the shared root of every layer).
ALLOWED = {
    "model": {"model", "errors"},
    "lifecycle": {"lifecycle", "model", "errors"},
    "scheduling": {"scheduling", "errors"},
    "serialization": {"serialization", "errors"},
    "events": {"events", "model", "errors"},
    "basics": {"basics", "errors"},
    "knowledge": {"knowledge", "model", "errors"},
    "services": {
        "services",
        "lifecycle",
        "model",
        "ports",
        "catalog",
        "events",
        "scheduling",
        "serialization",
        "basics",
        "knowledge",
        "queries",
        "errors",
    },
    "queries": {"queries", "model", "errors", "ports", "catalog", "events"},
    "catalog": {"catalog", "model", "errors"},
    "ports": {"ports", "catalog", "events", "model", "errors"},
    "storage": {"storage", "ports", "catalog", "events", "model", "errors", "reports"},
    "adapters": {
        "adapters",
        "storage",
        "ports",
        "catalog",
        "events",
        "model",
        "errors",
        "serialization",
        "basics",
        "reports",
    },
    "reports": {"reports", "ports", "model", "catalog", "errors", "events"},
    "testing": {
        "testing",
        "storage",
        "services",
        "basics",
        "adapters",
        "model",
        "errors",
        "lifecycle",
        "serialization",
        "ports",
        "catalog",
        "events",
        "reports",
    },
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def layer_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


SOURCES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_downward_only(path):
    layer = layer_of(path)
    if layer not in ALLOWED:
        return
    ours = {m.split(".")[1] for m in imports_of(path) if m.startswith("servicecore.")}
    assert ours <= ALLOWED[layer], f"{layer} imports {sorted(ours - ALLOWED[layer])}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_only_adapters_import_sqlalchemy_and_only_scheduling_imports_ortools(path):
    modules = {m.split(".")[0] for m in imports_of(path)}
    layer = layer_of(path)
    if layer != "adapters":
        assert not modules & {"sqlalchemy", "alembic", "psycopg"}
    if layer != "scheduling":
        assert "ortools" not in modules


def test_the_rule_is_checked_on_real_files():
    assert len(SOURCES) > 20
    assert imports_of(SRC / "lifecycle" / "engine.py") >= {"transitions", "servicecore.model.audit"}


def test_the_library_and_the_demo_need_no_test_tools():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ('pytest', '_pytest', 'hypothesis'): sys.modules[m] = None\n"
        "import servicecore, servicecore.cli, servicecore.demo, servicecore.adapters\n"
        "import servicecore.services.desk, servicecore.reports.html\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
