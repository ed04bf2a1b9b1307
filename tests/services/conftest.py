"""Storages for the service tests: every test runs on memory and on SQLite (PostgreSQL too when
SERVICECORE_TEST_POSTGRES_URL is set), each in a fresh tenant."""

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.model.actor import Actor, Role
from servicecore.ports import Publisher, Storage
from servicecore.testing import factories as f

BACKENDS = ["memory", "sqlite"] + (
    ["postgres"] if os.environ.get("SERVICECORE_TEST_POSTGRES_URL") else []
)


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from servicecore.adapters.sqlalchemy import upgrade
    from servicecore.adapters.sqlalchemy.engine import make_engine

    engine = make_engine(str(tmp_path_factory.mktemp("services") / "services.db"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    url = os.environ.get("SERVICECORE_TEST_POSTGRES_URL")
    if not url:
        yield None
        return
    import sqlalchemy as sa

    from servicecore.adapters.sqlalchemy import upgrade

    schema = f"sc_services_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema},public"})
    upgrade(engine)
    try:
        yield schema
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def open_storage(
    request: pytest.FixtureRequest, sqlite_path: object, postgres_url: str | None
) -> Iterator[Callable[..., Storage]]:
    """``open_storage(publisher=None)``: a storage over this backend's shared data."""
    if request.param == "memory":
        shared = MemoryStorage()

        def memory(publisher: Publisher | None = None) -> Storage:
            view = MemoryStorage(publisher=publisher)
            view._tenants = shared._tenants
            view._lock = shared._lock
            return view

        yield memory
        return
    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

    if request.param == "sqlite":
        yield lambda publisher=None: SQLAlchemyStorage(sqlite_path, publisher=publisher)  # type: ignore[arg-type]
        return
    import sqlalchemy as sa

    url = os.environ["SERVICECORE_TEST_POSTGRES_URL"]
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={postgres_url},public"})
    yield lambda publisher=None: SQLAlchemyStorage(engine, publisher=publisher)
    engine.dispose()


@pytest.fixture
def storage(open_storage: Callable[..., Storage]) -> Storage:
    return open_storage()


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(f.NOW)


CS = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})
SUP = Actor(id="sup-1", roles={Role.SUPERVISOR})
TECH = Actor(id="u-7", roles={Role.TECHNICIAN}, technician_id="T-7")
TECH8 = Actor(id="u-8", roles={Role.TECHNICIAN}, technician_id="T-8")
CUSTOMER = Actor(id="C-1", roles={Role.CUSTOMER})
HOUR = timedelta(hours=1)
