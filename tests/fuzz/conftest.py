"""Storages for the fuzz tests (memory, SQLite; PostgreSQL when SERVICECORE_TEST_POSTGRES_URL is
set, with fewer examples) and the count of inputs tried, printed at the end of the run."""

import os
import uuid
from collections.abc import Iterator

import pytest
from hostile import TRIED

from servicecore.adapters.memory import MemoryStorage
from servicecore.ports import Storage

BACKENDS = ["memory", "sqlite"] + (
    ["postgres"] if os.environ.get("SERVICECORE_TEST_POSTGRES_URL") else []
)


def _sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Storage]:
    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade
    from servicecore.adapters.sqlalchemy.engine import make_engine

    engine = make_engine(str(tmp_path_factory.mktemp("fuzz") / "fuzz.db"))
    upgrade(engine)
    yield SQLAlchemyStorage(engine)
    engine.dispose()


def _postgres() -> Iterator[Storage]:
    import sqlalchemy as sa

    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade

    url = os.environ["SERVICECORE_TEST_POSTGRES_URL"]
    schema = f"sc_fuzz_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema},public"})
    upgrade(engine)
    try:
        yield SQLAlchemyStorage(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Storage]]:
    """``(name, storage)``: one storage per backend, shared by a module's fuzz tests."""
    if request.param == "memory":
        yield "memory", MemoryStorage()
    elif request.param == "sqlite":
        yield from (("sqlite", s) for s in _sqlite(tmp_path_factory))
    else:
        yield from (("postgres", s) for s in _postgres())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TRIED:
        shown = ", ".join(f"{name} {count}" for name, count in sorted(TRIED.items()))
        terminalreporter.write_line(f"fuzz inputs tried: {sum(TRIED.values())} ({shown})")
