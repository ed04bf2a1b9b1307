"""Storages for the report tests (memory, SQLite, and PostgreSQL when
SERVICECORE_TEST_POSTGRES_URL is set), each with a fresh tenant, and the hand-built data set."""

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from servicecore.adapters.memory import MemoryStorage
from servicecore.adapters.memory_reporting import reporting_for
from servicecore.ports import Storage
from servicecore.reports import ReportingBackend
from servicecore.testing import factories as f
from servicecore.testing.reporting import store_known_data

BACKENDS = ["memory", "sqlite"] + (
    ["postgres"] if os.environ.get("SERVICECORE_TEST_POSTGRES_URL") else []
)
NOW = f.NOW  # Monday 2026-03-02 09:00 UTC
H = timedelta(hours=1)
D = timedelta(days=1)
AS_OF = NOW + 2 * D


@pytest.fixture(scope="session")
def report_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from servicecore.adapters.sqlalchemy import upgrade
    from servicecore.adapters.sqlalchemy.engine import make_engine

    engine = make_engine(str(tmp_path_factory.mktemp("reports") / "reports.db"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def report_postgres() -> Iterator[object]:
    url = os.environ.get("SERVICECORE_TEST_POSTGRES_URL")
    if not url:
        yield None
        return
    import sqlalchemy as sa

    from servicecore.adapters.sqlalchemy import upgrade

    schema = f"sc_reports_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema},public"})
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest, report_sqlite: object, report_postgres: object
) -> Storage:
    if request.param == "memory":
        return MemoryStorage()
    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

    engine = report_sqlite if request.param == "sqlite" else report_postgres
    return SQLAlchemyStorage(engine)  # type: ignore[arg-type]


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def backend(storage: Storage) -> ReportingBackend:
    return reporting_for(storage)


@pytest.fixture
def data(storage: Storage, tenant: str) -> None:
    """The hand-built data set the tests' known answers are counted from."""
    store_known_data(storage, tenant)
