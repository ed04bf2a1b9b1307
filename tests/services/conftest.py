"""The service tests run on every storage of the suite's matrix (``tests/conftest.py``)."""

import pytest

from servicecore.basics import FixedClock
from servicecore.testing import factories as f


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(f.NOW)
