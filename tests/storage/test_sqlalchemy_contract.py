"""The SQLAlchemy adapter passes every storage contract suite, on SQLite and on PostgreSQL."""

import pytest

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.testing.contract import StorageContract


class TestSQLiteStorage(StorageContract):
    @pytest.fixture
    def storage_factory(self, sqlite_engine):
        return lambda publisher=None: SQLAlchemyStorage(sqlite_engine, publisher=publisher)


@pytest.mark.postgres
class TestPostgresStorage(StorageContract):
    @pytest.fixture
    def storage_factory(self, postgres_engine):
        return lambda publisher=None: SQLAlchemyStorage(postgres_engine, publisher=publisher)
