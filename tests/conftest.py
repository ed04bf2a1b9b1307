"""The one backend matrix of the test suite: memory, SQLite and PostgreSQL.

SQLite is one migrated file per run; PostgreSQL runs only when SERVICECORE_TEST_POSTGRES_URL is
set, each run in schemas of its own with random names, dropped at the end. Tests share these
databases and work in fresh random tenants.

- ``storage`` / ``open_storage``: a :class:`~servicecore.ports.Storage` on each backend;
- ``shared_engine`` / ``empty_engine``: a migrated (or empty) SQL database on each SQL backend.
"""

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from servicecore.adapters.memory import MemoryStorage
from servicecore.adapters.sqlalchemy import upgrade
from servicecore.adapters.sqlalchemy.engine import make_engine
from servicecore.ports import Publisher, Storage

POSTGRES_ENV = "SERVICECORE_TEST_POSTGRES_URL"
_POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
STORAGES = ["memory", "sqlite", _POSTGRES]
"""Every storage backend (PostgreSQL is skipped where no server is configured)."""
SQL_BACKENDS = ["sqlite", _POSTGRES]
"""Every SQL backend."""


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """The run's migrated SQLite file."""
    engine = make_engine(str(tmp_path_factory.mktemp("sqlite") / "servicecore.db"))
    upgrade(engine)
    yield engine
    engine.dispose()


class PostgresSchemas:
    """Creates PostgreSQL schemas with random names, and drops them all at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = sa.create_engine(url)
        self.created: list[str] = []
        self.engines: list[sa.Engine] = []
        with self.admin.begin() as conn:
            # In public, so that dropping our schemas never drops it; visible on search_path.
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")

    def new(self, *, migrate: bool = True) -> sa.Engine:
        schema = f"sc_test_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self.created.append(schema)
        engine = sa.create_engine(
            self.url, connect_args={"options": f"-csearch_path={schema},public"}
        )
        self.engines.append(engine)
        if migrate:
            upgrade(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        with self.admin.begin() as conn:
            for schema in self.created:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests need a server to run against")
    schemas = PostgresSchemas(url)
    yield schemas
    schemas.close()


@pytest.fixture(scope="session")
def postgres_engine(postgres_schemas: PostgresSchemas) -> sa.Engine:
    """The run's migrated PostgreSQL schema."""
    return postgres_schemas.new()


@pytest.fixture
def fresh_sqlite(tmp_path: os.PathLike[str]) -> Iterator[Callable[[], sa.Engine]]:
    """Engines on new, empty SQLite files (disposed after the test)."""
    engines: list[sa.Engine] = []

    def make() -> sa.Engine:
        engine = make_engine(os.path.join(tmp_path, f"{uuid.uuid4().hex}.db"))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture(params=SQL_BACKENDS)
def empty_engine(
    request: pytest.FixtureRequest, fresh_sqlite: Callable[[], sa.Engine]
) -> sa.Engine:
    """An engine on an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return fresh_sqlite()
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    return schemas.new(migrate=False)


@pytest.fixture(params=SQL_BACKENDS)
def shared_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """The run's migrated database of each SQL backend (tests work in random tenants)."""
    return engine_for(request, request.param)


def engine_for(request: pytest.FixtureRequest, backend: str) -> sa.Engine:
    """The run's migrated database of a SQL backend, by name."""
    name = "sqlite_engine" if backend == "sqlite" else "postgres_engine"
    engine: sa.Engine = request.getfixturevalue(name)
    return engine


@pytest.fixture(params=STORAGES)
def open_storage(request: pytest.FixtureRequest) -> Callable[..., Storage]:
    """``open_storage(publisher=None)``: a storage over this backend's shared data.

    On memory, every storage opened in one test sees the same records, as two processes on one
    database would.
    """
    if request.param == "memory":
        shared = MemoryStorage()

        def memory(publisher: Publisher | None = None) -> Storage:
            view = MemoryStorage(publisher=publisher)
            view._tenants = shared._tenants
            view._lock = shared._lock
            return view

        return memory
    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

    engine = engine_for(request, request.param)
    return lambda publisher=None: SQLAlchemyStorage(engine, publisher=publisher)


@pytest.fixture
def storage(open_storage: Callable[..., Storage]) -> Storage:
    """A storage on each backend."""
    return open_storage()


@pytest.fixture
def tenant() -> str:
    """A fresh tenant: the shared databases never hold its records yet."""
    return f"t-{uuid.uuid4().hex[:16]}"
