"""The ERP's stock for tests, and the contract a host's :class:`~servicecore.ports.Inventory` keeps.

:class:`InMemoryInventory` stands in for the host's ERP in tests and demos. A host proves its own
adapter keeps the same promises by subclassing :class:`InventoryContract` and loading
:data:`KNOWN_STOCK` into a fresh test ERP for each test::

    import pytest
    from servicecore.testing.erp_stock import KNOWN_STOCK, InventoryContract

    class TestMyInventory(InventoryContract):
        @pytest.fixture
        def inventory(self):
            erp = MyErpTestDatabase.fresh()
            for warehouse_id, parts in KNOWN_STOCK.items():
                erp.create_warehouse(warehouse_id)
                for part_code, quantity in parts.items():
                    erp.post_opening_stock(warehouse_id, part_code, quantity)
            return MyInventoryAdapter(erp)

The movements servicecore asks for (:class:`~servicecore.ports.StockMovement`):

============== ================ ============== ===========================================
kind           from_warehouse   to_warehouse   meaning
============== ================ ============== ===========================================
sales_outbound the warehouse    ``None``       charged parts leave for the customer (销售出库)
other_outbound the warehouse    ``None``       free parts leave for the customer (其他出库)
return         ``None``         the warehouse  parts come back from the field (返回件)
transfer       source           destination    a one-step transfer between warehouses
transfer       source           ``None``       a two-step transfer leaves (调拨出库)
transfer       ``None``         destination    a two-step transfer arrives (调拨入库)
============== ================ ============== ===========================================

Servicecore uses the two-step form for transfer requests (dispatched, then received), so stock in
transit is on hand nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

from servicecore.adapters.erp_memory import MOVEMENT_KINDS, InMemoryInventory
from servicecore.errors import ValidationError
from servicecore.ports import Inventory, StockMovement

__all__ = ["KNOWN_STOCK", "MOVEMENT_KINDS", "InMemoryInventory", "InventoryContract"]

"""The kinds of :class:`~servicecore.ports.StockMovement` servicecore asks for."""

KNOWN_STOCK: Mapping[str, Mapping[str, int]] = {
    "W-MAIN": {"RELAY-7": 50, "FUSE-2": 100},
    "W-SVC": {"RELAY-7": 2},
    "W-EMPTY": {},
}
"""The stock a host loads into its test ERP for :class:`InventoryContract`: a main warehouse, a
service warehouse holding two relays and an empty warehouse."""


def _mv(
    kind: str, part: str, qty: int, source: str | None, dest: str | None, ref: str = "PR-1"
) -> StockMovement:
    return StockMovement(
        kind=kind,
        reference=ref,
        part_code=part,
        quantity=qty,
        from_warehouse=source,
        to_warehouse=dest,
    )


_KEYED_OUT = attrs.evolve(_mv("sales_outbound", "RELAY-7", 3, "W-MAIN", None), key="PR-1:issue:0")
"""Three relays out of the main warehouse, keyed as a requisition's first issued line."""


def _levels(inventory: Inventory, pairs: Iterable[tuple[str, str]]) -> list[int]:
    return [inventory.on_hand(w, p) for w, p in pairs]


_ALL = [(w, p) for w in KNOWN_STOCK for p in ("RELAY-7", "FUSE-2", "NO-SUCH-PART")]


class InventoryContract:
    """What every :class:`~servicecore.ports.Inventory` adapter promises.

    Subclass it and provide an ``inventory`` fixture: a fresh ERP holding exactly
    :data:`KNOWN_STOCK` for each test (the tests move stock).
    """

    @pytest.fixture
    def inventory(self) -> Inventory:
        """The adapter under test, loaded with :data:`KNOWN_STOCK` (subclasses provide it)."""
        raise NotImplementedError("provide an inventory fixture loaded with KNOWN_STOCK")

    def test_on_hand_is_the_known_stock(self, inventory: Inventory) -> None:
        """Levels are as loaded; an unknown part or warehouse has none, which is not an error."""
        for warehouse_id, parts in KNOWN_STOCK.items():
            for part_code, quantity in parts.items():
                assert inventory.on_hand(warehouse_id, part_code) == quantity
        assert inventory.on_hand("W-SVC", "FUSE-2") == 0
        assert inventory.on_hand("W-MAIN", "NO-SUCH-PART") == 0
        assert inventory.on_hand("W-NOWHERE", "RELAY-7") == 0

    @pytest.mark.parametrize("kind", ["sales_outbound", "other_outbound"])
    def test_an_outbound_takes_stock_and_returns_a_document(
        self, inventory: Inventory, kind: str
    ) -> None:
        """An outbound lowers the source by exactly its quantity and names the ERP document."""
        document = inventory.move(_mv(kind, "RELAY-7", 3, "W-MAIN", None))
        assert isinstance(document, str)
        assert document.strip()
        assert inventory.on_hand("W-MAIN", "RELAY-7") == 47
        assert inventory.on_hand("W-MAIN", "FUSE-2") == 100

    def test_a_keyed_movement_is_made_once(self, inventory: Inventory) -> None:
        """A repeat of a keyed movement moves nothing and answers with the first document."""
        keyed = _KEYED_OUT
        first = inventory.move(keyed)
        assert inventory.move(keyed) == first
        assert inventory.on_hand("W-MAIN", "RELAY-7") == 47

    def test_undoing_a_keyed_movement_frees_its_key(self, inventory: Inventory) -> None:
        """After a reversal that names the key, the keyed movement may be made again."""
        keyed = _KEYED_OUT
        inventory.move(keyed)
        back = attrs.evolve(
            _mv("return", "RELAY-7", 3, None, "W-MAIN"),
            key="PR-1:issue:0:reversal",
            undoes="PR-1:issue:0",
        )
        inventory.move(back)
        assert inventory.on_hand("W-MAIN", "RELAY-7") == 50
        inventory.move(keyed)
        assert inventory.on_hand("W-MAIN", "RELAY-7") == 47

    def test_every_movement_has_its_own_document(self, inventory: Inventory) -> None:
        """Document numbers are never reused, whatever the kind."""
        documents = [
            inventory.move(_mv("sales_outbound", "FUSE-2", 1, "W-MAIN", None)),
            inventory.move(_mv("sales_outbound", "FUSE-2", 1, "W-MAIN", None)),
            inventory.move(_mv("other_outbound", "FUSE-2", 1, "W-MAIN", None)),
            inventory.move(_mv("return", "FUSE-2", 1, None, "W-MAIN")),
        ]
        assert len(set(documents)) == len(documents)

    def test_a_return_adds_stock_even_of_a_part_not_held(self, inventory: Inventory) -> None:
        """Parts coming back from the field are added to the warehouse they go to."""
        inventory.move(_mv("return", "RELAY-7", 2, None, "W-SVC"))
        inventory.move(_mv("return", "FUSE-2", 1, None, "W-EMPTY"))
        assert inventory.on_hand("W-SVC", "RELAY-7") == 4
        assert inventory.on_hand("W-EMPTY", "FUSE-2") == 1

    def test_a_one_step_transfer_keeps_the_total(self, inventory: Inventory) -> None:
        """A transfer with both ends moves stock without creating or losing any."""
        inventory.move(_mv("transfer", "RELAY-7", 5, "W-MAIN", "W-SVC", ref="TR-1"))
        assert inventory.on_hand("W-MAIN", "RELAY-7") == 45
        assert inventory.on_hand("W-SVC", "RELAY-7") == 7

    def test_a_two_step_transfer_is_on_hand_nowhere_in_transit(self, inventory: Inventory) -> None:
        """Leaving lowers the source; arriving raises the destination; in between neither has it."""
        inventory.move(_mv("transfer", "FUSE-2", 10, "W-MAIN", None, ref="TR-1"))
        assert inventory.on_hand("W-MAIN", "FUSE-2") == 90
        assert inventory.on_hand("W-SVC", "FUSE-2") == 0
        inventory.move(_mv("transfer", "FUSE-2", 10, None, "W-SVC", ref="TR-1"))
        assert inventory.on_hand("W-SVC", "FUSE-2") == 10

    @pytest.mark.parametrize("kind", ["sales_outbound", "other_outbound", "transfer"])
    def test_moving_more_than_on_hand_is_refused_and_moves_nothing(
        self, inventory: Inventory, kind: str
    ) -> None:
        """Asking for more than the source holds raises ValidationError; no level changes."""
        before = _levels(inventory, _ALL)
        dest = "W-MAIN" if kind == "transfer" else None
        with pytest.raises(ValidationError):
            inventory.move(_mv(kind, "RELAY-7", 3, "W-SVC", dest))
        with pytest.raises(ValidationError):
            inventory.move(_mv(kind, "FUSE-2", 1, "W-EMPTY", dest))
        assert _levels(inventory, _ALL) == before

    @pytest.mark.parametrize(
        "movement",
        [
            _mv("sales_outbound", "RELAY-7", 1, "W-NOWHERE", None),
            _mv("return", "RELAY-7", 1, None, "W-NOWHERE"),
            _mv("transfer", "RELAY-7", 1, "W-MAIN", "W-NOWHERE"),
            _mv("scrap", "RELAY-7", 1, "W-MAIN", None),
            _mv("sales_outbound", "RELAY-7", 0, "W-MAIN", None),
            _mv("sales_outbound", "RELAY-7", -1, "W-MAIN", None),
            _mv("sales_outbound", "RELAY-7", 1, "W-MAIN", "W-SVC"),
            _mv("return", "RELAY-7", 1, "W-MAIN", None),
            _mv("transfer", "RELAY-7", 1, None, None),
        ],
        ids=[
            "unknown-source",
            "unknown-destination",
            "unknown-transfer-destination",
            "unknown-kind",
            "zero",
            "negative",
            "outbound-with-destination",
            "return-without-destination",
            "transfer-without-ends",
        ],
    )
    def test_a_malformed_movement_is_refused_and_moves_nothing(
        self, inventory: Inventory, movement: StockMovement
    ) -> None:
        """Unknown warehouses and kinds, quantities below 1 and ends that do not fit are refused."""
        before = _levels(inventory, _ALL)
        with pytest.raises(ValidationError):
            inventory.move(movement)
        assert _levels(inventory, _ALL) == before

    def test_concurrent_outbounds_never_take_more_than_on_hand(self, inventory: Inventory) -> None:
        """Eight clerks racing for two relays: exactly two succeed and none goes below zero."""

        def take(n: int) -> str | None:
            try:
                return inventory.move(
                    _mv("other_outbound", "RELAY-7", 1, "W-SVC", None, ref=f"PR-{n}")
                )
            except ValidationError:
                return None

        with ThreadPoolExecutor(max_workers=8) as pool:
            documents = [d for d in pool.map(take, range(8)) if d is not None]
        assert len(documents) == 2
        assert len(set(documents)) == 2
        assert inventory.on_hand("W-SVC", "RELAY-7") == 0
