"""The report tests run on every storage of the suite's matrix (``tests/conftest.py``), each with
the hand-built data set of the reporting contract."""

import pytest

from servicecore.adapters.memory_reporting import reporting_for
from servicecore.ports import Storage
from servicecore.reports import ReportingBackend
from servicecore.testing.reporting import store_known_data


@pytest.fixture
def backend(storage: Storage) -> ReportingBackend:
    return reporting_for(storage)


@pytest.fixture
def data(storage: Storage, tenant: str) -> None:
    """The hand-built data set the tests' known answers are counted from."""
    store_known_data(storage, tenant)
