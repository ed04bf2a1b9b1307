"""The ERP's accounts receivable for tests, and the contract a host's adapter must keep.

:class:`InMemoryReceivables` stands in for the host's ERP in tests and demos. A host proves its
own :class:`~servicecore.ports.Receivables` adapter keeps the same promises by subclassing
:class:`ReceivablesContract` and loading :data:`KNOWN_RECEIVABLES` into its test ERP::

    import pytest
    from servicecore.testing.erp_finance import KNOWN_RECEIVABLES, ReceivablesContract

    class TestMyReceivables(ReceivablesContract):
        @pytest.fixture
        def receivables(self):
            erp = MyErpTestDatabase()
            for customer_id, items in KNOWN_RECEIVABLES.items():
                for item in items:
                    erp.post_invoice(customer_id, item.document, item.amount, item.due_on)
            return MyReceivablesAdapter(erp)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import pytest

from servicecore.adapters.erp_memory import InMemoryReceivables
from servicecore.model.common import Money
from servicecore.ports import Receivable, Receivables

__all__ = ["KNOWN_RECEIVABLES", "InMemoryReceivables", "ReceivablesContract"]

KNOWN_RECEIVABLES: Mapping[str, tuple[Receivable, ...]] = {
    "C-1": (
        Receivable(document="INV-1001", amount=Money("1250000.00", "IDR"), due_on=date(2026, 2, 1)),
        Receivable(document="INV-1002", amount=Money("99.99", "IDR"), due_on=date(2026, 4, 15)),
        Receivable(document="INV-1003", amount=Money("310.50", "USD"), due_on=date(2026, 3, 31)),
    ),
    "C-2": (
        Receivable(document="INV-2001", amount=Money("0.01", "IDR"), due_on=date(2025, 12, 31)),
    ),
}
"""The data a host loads into its test ERP for :class:`ReceivablesContract`: customer ``C-1`` owes
three items in two currencies, ``C-2`` one cent, ``C-3`` nothing."""


class ReceivablesContract:
    """What every :class:`~servicecore.ports.Receivables` adapter promises.

    Subclass it and provide a ``receivables`` fixture holding exactly :data:`KNOWN_RECEIVABLES`.
    """

    @pytest.fixture
    def receivables(self) -> Receivables:
        """The adapter under test, loaded with :data:`KNOWN_RECEIVABLES` (subclasses provide it)."""
        raise NotImplementedError("provide a receivables fixture loaded with KNOWN_RECEIVABLES")

    def test_open_items_are_exactly_the_known_ones(self, receivables: Receivables) -> None:
        """Each customer's open items come back whole, in any order."""
        for customer_id, known in KNOWN_RECEIVABLES.items():
            found = receivables.open_items(customer_id)
            assert sorted(found, key=lambda x: x.document) == sorted(
                known, key=lambda x: x.document
            )

    def test_a_customer_without_items_owes_nothing(self, receivables: Receivables) -> None:
        """A customer the ERP knows nothing about has no open items; that is not an error."""
        assert list(receivables.open_items("C-3")) == []

    def test_amounts_are_exact_money(self, receivables: Receivables) -> None:
        """Amounts are exact Decimals with their currency (no float on the way)."""
        items = receivables.open_items("C-1")
        assert all(isinstance(x.amount, Money) for x in items)
        assert all(isinstance(x.amount.amount, Decimal) for x in items)
        by_doc = {x.document: x.amount for x in items}
        assert by_doc["INV-1002"] == Money("99.99", "IDR")
        assert by_doc["INV-1003"] == Money("310.50", "USD")
        assert [x.amount for x in receivables.open_items("C-2")] == [Money("0.01", "IDR")]

    def test_due_dates_are_dates(self, receivables: Receivables) -> None:
        """Due dates are calendar dates, as posted."""
        items = {x.document: x for x in receivables.open_items("C-1")}
        assert items["INV-1001"].due_on == date(2026, 2, 1)
        assert all(type(x.due_on) is date for x in items.values())

    def test_asking_again_gives_the_same(self, receivables: Receivables) -> None:
        """Reading does not consume or change anything."""
        first = sorted(receivables.open_items("C-1"), key=lambda x: x.document)
        assert sorted(receivables.open_items("C-1"), key=lambda x: x.document) == first
