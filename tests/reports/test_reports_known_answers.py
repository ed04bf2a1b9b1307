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
    def storage(self, report_sqlite):
        from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

        return SQLAlchemyStorage(report_sqlite)


@pytest.mark.postgres
class TestPostgresReporting(ReportingContract):
    @pytest.fixture
    def storage(self, report_postgres):
        if report_postgres is None:
            pytest.skip("SERVICECORE_TEST_POSTGRES_URL is not set")
        from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

        return SQLAlchemyStorage(report_postgres)


class _CountsOneShort(PythonReporting):
    """A broken backend: every group counts one record too few."""

    def count_by(self, tenant, aggregate, group_by, where=()):
        rows = super().count_by(tenant, aggregate, group_by, where)
        return [CountRow(r.key, r.count - 1) for r in rows]


def test_the_contract_catches_a_backend_that_counts_wrong():
    storage = MemoryStorage()
    store_known_data(storage, "t-broken")
    with pytest.raises(AssertionError):
        ReportingContract().test_booking_report_by_day(_CountsOneShort(storage), "t-broken")
