"""In-memory ERP sales ports for tests, and the contract suites a host's adapters must pass.

:class:`InMemoryShipmentHistory` and :class:`InMemoryBillOfMaterials` implement
:class:`~servicecore.ports.ShipmentHistory` and :class:`~servicecore.ports.BillOfMaterials` over
lists given at construction; both are thread-safe.

A host proves its own adapters keep the ports' promises by subclassing the suites and giving a
fixture that builds its adapter *loaded with the data set the suite passes in*::

    import pytest
    from servicecore.testing.erp_sales import BillOfMaterialsContract, ShipmentHistoryContract

    class TestErpShipments(ShipmentHistoryContract):
        @pytest.fixture
        def make_history(self, erp_test_db):
            def make(shipments):
                erp_test_db.load_deliveries(shipments)  # the host's own loader
                return ErpShipmentHistory(erp_test_db)
            return make

    class TestErpBom(BillOfMaterialsContract):
        @pytest.fixture
        def make_bom(self, erp_test_db):
            def make(entries):
                erp_test_db.load_bom(entries)
                return ErpBillOfMaterials(erp_test_db)
            return make

``make_history`` takes a list of :class:`~servicecore.ports.Shipment`; ``make_bom`` a list of
:class:`BomEntry` (a product's standard BOM line, or with ``serial_number`` a line of one unit as
built). Each test calls the factory once with its own data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pytest

from servicecore.adapters.erp_memory import (
    BomEntry,
    InMemoryBillOfMaterials,
    InMemoryShipmentHistory,
)
from servicecore.errors import NotFound
from servicecore.ports import BillOfMaterials, BomLine, Shipment, ShipmentHistory

__all__ = [
    "BOM",
    "SHIPMENTS",
    "BillOfMaterialsContract",
    "BomEntry",
    "InMemoryBillOfMaterials",
    "InMemoryShipmentHistory",
    "ShipmentHistoryContract",
]


def _shipment(doc: str, customer: str, product: str, serial: str | None, day: date) -> Shipment:
    return Shipment(
        document=doc,
        customer_id=customer,
        product_code=product,
        serial_number=serial,
        batch=f"B-{day:%Y%m}",
        shipped_on=day,
    )


SHIPMENTS = [
    _shipment("DN-3", "C-1", "AC-9000", "SN-2", date(2025, 6, 1)),
    _shipment("DN-1", "C-1", "AC-9000", "SN-1", date(2024, 1, 10)),
    _shipment("DN-2", "C-2", "HEATER-5", "SN-9", date(2024, 3, 5)),
    _shipment("DN-4", "C-1", "FILTER-1", None, date(2025, 2, 1)),
    # SN-9 came back and went to another customer
    _shipment("DN-5", "C-3", "HEATER-5", "SN-9", date(2025, 9, 9)),
]
"""The data set :class:`ShipmentHistoryContract` loads (in this order, not by date)."""


class ShipmentHistoryContract:
    """What every :class:`~servicecore.ports.ShipmentHistory` adapter must do.

    Subclass it and override the ``make_history`` fixture: a callable that takes a list of
    :class:`~servicecore.ports.Shipment` and returns the adapter holding exactly those.
    """

    @pytest.fixture
    def make_history(self) -> Callable[[Sequence[Shipment]], ShipmentHistory]:
        """Return the factory of the adapter under test (override it)."""
        raise NotImplementedError("override make_history in your subclass")

    def test_a_serial_returns_its_shipments_oldest_first(
        self, make_history: Callable[[Sequence[Shipment]], ShipmentHistory]
    ) -> None:
        """A serial's shipments come oldest first, as recorded."""
        history = make_history(SHIPMENTS)
        assert [s.document for s in history.by_serial("SN-9")] == ["DN-2", "DN-5"]
        one = history.by_serial("SN-1")
        assert len(one) == 1
        assert one[0] == SHIPMENTS[1]

    def test_an_unknown_serial_has_no_shipments(
        self, make_history: Callable[[Sequence[Shipment]], ShipmentHistory]
    ) -> None:
        """An unknown serial, or an empty history, gives an empty list."""
        assert list(make_history(SHIPMENTS).by_serial("SN-404")) == []
        assert list(make_history([]).by_serial("SN-1")) == []

    def test_a_customer_gets_everything_shipped_to_them_oldest_first(
        self, make_history: Callable[[Sequence[Shipment]], ShipmentHistory]
    ) -> None:
        """A customer's shipments come oldest first; others' never."""
        history = make_history(SHIPMENTS)
        assert [s.document for s in history.for_customer("C-1")] == ["DN-1", "DN-4", "DN-3"]
        assert [s.document for s in history.for_customer("C-3")] == ["DN-5"]
        assert list(history.for_customer("C-404")) == []

    def test_a_customer_can_be_asked_about_one_product(
        self, make_history: Callable[[Sequence[Shipment]], ShipmentHistory]
    ) -> None:
        """The product filter keeps that product's lines only."""
        history = make_history(SHIPMENTS)
        assert [s.document for s in history.for_customer("C-1", "AC-9000")] == ["DN-1", "DN-3"]
        assert list(history.for_customer("C-1", "HEATER-5")) == []


BOM = [
    BomEntry(product_code="AC-9000", line=BomLine(part_code="COMP-1", quantity=1)),
    BomEntry(product_code="AC-9000", line=BomLine(part_code="FILTER-1", quantity=2)),
    BomEntry(
        product_code="AC-9000",
        serial_number="SN-1",
        line=BomLine(part_code="COMP-1", quantity=1, serial="CMP-77"),
    ),
    BomEntry(
        product_code="AC-9000",
        serial_number="SN-1",
        line=BomLine(part_code="FILTER-1", quantity=2),
    ),
    BomEntry(product_code="HEATER-5", line=BomLine(part_code="COIL-3", quantity=4)),
]
"""The data set :class:`BillOfMaterialsContract` loads."""


class BillOfMaterialsContract:
    """What every :class:`~servicecore.ports.BillOfMaterials` adapter must do.

    Subclass it and override the ``make_bom`` fixture: a callable that takes a list of
    :class:`BomEntry` and returns the adapter holding exactly those.
    """

    @pytest.fixture
    def make_bom(self) -> Callable[[Sequence[BomEntry]], BillOfMaterials]:
        """Return the factory of the adapter under test (override it)."""
        raise NotImplementedError("override make_bom in your subclass")

    def test_a_product_without_serial_gives_its_standard_bom(
        self, make_bom: Callable[[Sequence[BomEntry]], BillOfMaterials]
    ) -> None:
        """Without a serial, the product's standard lines, in order."""
        bom = make_bom(BOM)
        assert list(bom.parts_of("AC-9000")) == [BOM[0].line, BOM[1].line]
        assert list(bom.parts_of("HEATER-5")) == [BOM[4].line]

    def test_a_recorded_unit_gives_its_parts_as_built(
        self, make_bom: Callable[[Sequence[BomEntry]], BillOfMaterials]
    ) -> None:
        """A unit production recorded gives its own lines, serials kept."""
        bom = make_bom(BOM)
        lines = list(bom.parts_of("AC-9000", "SN-1"))
        assert lines == [BOM[2].line, BOM[3].line]
        assert lines[0].serial == "CMP-77"

    def test_an_unrecorded_unit_gives_the_standard_bom(
        self, make_bom: Callable[[Sequence[BomEntry]], BillOfMaterials]
    ) -> None:
        """A unit without records falls back to the standard lines."""
        assert list(make_bom(BOM).parts_of("AC-9000", "SN-2")) == [BOM[0].line, BOM[1].line]

    def test_an_unknown_product_is_not_found(
        self, make_bom: Callable[[Sequence[BomEntry]], BillOfMaterials]
    ) -> None:
        """An unknown product raises NotFound, with or without serial."""
        with pytest.raises(NotFound):
            make_bom(BOM).parts_of("NOPE-1")
        with pytest.raises(NotFound):
            make_bom([]).parts_of("AC-9000", "SN-1")
