"""The in-memory ERP stock passes the Inventory contract hosts run against their own adapter."""

import pytest

from servicecore.errors import ValidationError
from servicecore.ports import StockMovement
from servicecore.testing.erp_stock import KNOWN_STOCK, InMemoryInventory, InventoryContract


class TestInMemoryInventory(InventoryContract):
    @pytest.fixture
    def inventory(self) -> InMemoryInventory:
        return InMemoryInventory(KNOWN_STOCK)


def test_accepted_movements_are_recorded_with_their_documents():
    erp = InMemoryInventory(KNOWN_STOCK)
    out = StockMovement(
        kind="sales_outbound",
        reference="PR-1",
        part_code="RELAY-7",
        quantity=2,
        from_warehouse="W-SVC",
        to_warehouse=None,
    )
    document = erp.move(out)
    with pytest.raises(ValidationError):
        erp.move(out)  # none left
    assert document == "SO-000001"
    assert erp.movements() == ((document, out),)
    assert erp.movements("PR-2") == ()
    assert erp.totals() == {"RELAY-7": 50, "FUSE-2": 100}


def test_opening_stock_must_be_whole_and_not_negative():
    erp = InMemoryInventory()
    with pytest.raises(ValidationError) as caught:
        erp.add_warehouse("W-1", {"RELAY-7": 3, "FUSE-2": -1})
    assert caught.value.errors[0].path == "stock.W-1.FUSE-2"
    assert erp.on_hand("W-1", "RELAY-7") == 0
    erp.add_warehouse("W-1", {"RELAY-7": 3})
    erp.add_warehouse("W-1", {"RELAY-7": 1})
    assert erp.on_hand("W-1", "RELAY-7") == 4


def test_a_movement_must_be_a_stock_movement():
    with pytest.raises(ValidationError):
        InMemoryInventory(KNOWN_STOCK).move("2 relays please")  # type: ignore[arg-type]
