"""Databases for the SQLAlchemy adapter's tests: one SQLite file and one PostgreSQL schema per run.

PostgreSQL tests run only when SERVICECORE_TEST_POSTGRES_URL is set; each run works in a schema of
its own with a random name, dropped at the end.
"""

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import upgrade
from servicecore.adapters.sqlalchemy.engine import make_engine

POSTGRES_ENV = "SERVICECORE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    path = tmp_path_factory.mktemp("sqlite") / "servicecore.db"
    engine = make_engine(str(path))
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


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_engine(
    request: pytest.FixtureRequest, fresh_sqlite: Callable[[], sa.Engine]
) -> sa.Engine:
    """An engine on an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return fresh_sqlite()
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    return schemas.new(migrate=False)


@pytest.fixture(params=BACKENDS)
def shared_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """The session's migrated database of each backend (tests work in random tenants)."""
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    engine: sa.Engine = request.getfixturevalue(name)
    return engine
