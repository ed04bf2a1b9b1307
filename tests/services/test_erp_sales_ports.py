"""The in-memory ERP sales ports pass the contract suites hosts run against their own adapters."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date

import pytest

from servicecore.ports import BillOfMaterials, BomLine, Shipment, ShipmentHistory
from servicecore.testing.erp_sales import (
    BillOfMaterialsContract,
    BomEntry,
    InMemoryBillOfMaterials,
    InMemoryShipmentHistory,
    ShipmentHistoryContract,
)


class TestInMemoryShipmentHistory(ShipmentHistoryContract):
    @pytest.fixture
    def make_history(self) -> Callable[[Sequence[Shipment]], ShipmentHistory]:
        return InMemoryShipmentHistory


class TestInMemoryBillOfMaterials(BillOfMaterialsContract):
    @pytest.fixture
    def make_bom(self) -> Callable[[Sequence[BomEntry]], BillOfMaterials]:
        return InMemoryBillOfMaterials


class _Broken:
    """Returns shipments newest first: the suite must catch it."""

    def __init__(self, shipments: Sequence[Shipment]) -> None:
        self._inner = InMemoryShipmentHistory(shipments)

    def by_serial(self, serial_number: str) -> Sequence[Shipment]:
        return list(reversed(self._inner.by_serial(serial_number)))

    def for_customer(self, customer_id: str, product_code: str | None = None) -> Sequence[Shipment]:
        return list(reversed(self._inner.for_customer(customer_id, product_code)))


def test_the_suite_fails_an_adapter_that_breaks_the_order() -> None:
    suite = ShipmentHistoryContract()
    with pytest.raises(AssertionError):
        suite.test_a_serial_returns_its_shipments_oldest_first(_Broken)
    with pytest.raises(AssertionError):
        suite.test_a_customer_gets_everything_shipped_to_them_oldest_first(_Broken)


def test_the_in_memory_ports_take_additions_from_many_threads() -> None:
    history = InMemoryShipmentHistory()
    bom = InMemoryBillOfMaterials()

    def work(n: int) -> None:
        for i in range(50):
            history.add(
                Shipment(
                    document=f"DN-{n}-{i}",
                    customer_id="C-1",
                    product_code="AC-9000",
                    serial_number=f"SN-{n}-{i}",
                    batch=None,
                    shipped_on=date(2025, 1, 1 + i % 28),
                )
            )
            bom.add(BomEntry(product_code="AC-9000", line=BomLine(part_code=f"P-{n}", quantity=1)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shipped = history.for_customer("C-1")
    assert len(shipped) == 200
    assert [s.shipped_on for s in shipped] == sorted(s.shipped_on for s in shipped)
    assert len(bom.parts_of("AC-9000")) == 200
