"""Every report on the hand-built data set, with answers counted by hand: the reporting contract
run against memory, SQLite and PostgreSQL (and the contract's proof that it catches a backend
that counts wrong)."""

import pytest

from servicecore.adapters.memory import MemoryStorage
from servicecore.reports import CountRow
from servicecore.reports.python import PythonReporting
from servicecore.testing.reporting import ReportingContract, store_known_data


class TestMemoryReporting(ReportingContract):
    @pytest.fixture
    def storage(self):
        return MemoryStorage()


class TestSQLiteReporting(ReportingContract):
    @pytest.fixture
    def storage(self, sqlite_engine):
        from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

        return SQLAlchemyStorage(sqlite_engine)


@pytest.mark.postgres
class TestPostgresReporting(ReportingContract):
    @pytest.fixture
    def storage(self, postgres_engine):
        from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

        return SQLAlchemyStorage(postgres_engine)


class _CountsOneShort(PythonReporting):
    """A broken backend: every group counts one record too few."""

    def count_by(self, tenant, aggregate, group_by, where=(), distinct=None):
        rows = super().count_by(tenant, aggregate, group_by, where, distinct)
        return [CountRow(r.key, r.count - 1) for r in rows]


def test_the_contract_catches_a_backend_that_counts_wrong():
    storage = MemoryStorage()
    store_known_data(storage, "t-broken")
    with pytest.raises(AssertionError):
        ReportingContract().test_booking_report_by_day(_CountsOneShort(storage), "t-broken")
