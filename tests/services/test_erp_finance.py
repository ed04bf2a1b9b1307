"""The in-memory ERP receivables keep the contract every host adapter must keep."""

from datetime import date

import pytest

from servicecore.errors import ValidationError
from servicecore.model.common import Money
from servicecore.ports import Receivable
from servicecore.testing.erp_finance import (
    KNOWN_RECEIVABLES,
    InMemoryReceivables,
    ReceivablesContract,
)


class TestInMemoryReceivables(ReceivablesContract):
    @pytest.fixture
    def receivables(self):
        return InMemoryReceivables(KNOWN_RECEIVABLES)


class TestAnEmptyErpBreaksTheContract:
    """The contract can fail: an adapter that lost its data does not pass it."""

    def test_missing_items_are_caught(self):
        with pytest.raises(AssertionError):
            ReceivablesContract().test_open_items_are_exactly_the_known_ones(InMemoryReceivables())


def test_post_and_settle():
    erp = InMemoryReceivables()
    item = Receivable(document="INV-9", amount=Money("5.00", "EUR"), due_on=date(2026, 1, 1))
    erp.post("C-9", item)
    assert erp.open_items("C-9") == (item,)
    with pytest.raises(ValidationError) as raised:
        erp.post("C-9", item)
    assert raised.value.errors[0].path == "document"
    erp.settle("C-9", "INV-9")
    assert erp.open_items("C-9") == ()
    with pytest.raises(ValidationError):
        erp.settle("C-9", "INV-9")
    with pytest.raises(ValidationError):
        erp.post("C-9", "INV-10")
