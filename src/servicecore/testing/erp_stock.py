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

import itertools
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest

from servicecore.errors import ValidationError
from servicecore.ports import Inventory, StockMovement

__all__ = ["KNOWN_STOCK", "MOVEMENT_KINDS", "InMemoryInventory", "InventoryContract"]

MOVEMENT_KINDS = ("sales_outbound", "other_outbound", "return", "transfer")
"""The kinds of :class:`~servicecore.ports.StockMovement` servicecore asks for."""

KNOWN_STOCK: Mapping[str, Mapping[str, int]] = {
    "W-MAIN": {"RELAY-7": 50, "FUSE-2": 100},
    "W-SVC": {"RELAY-7": 2},
    "W-EMPTY": {},
}
"""The stock a host loads into its test ERP for :class:`InventoryContract`: a main warehouse, a
service warehouse holding two relays and an empty warehouse."""

_PREFIX = {"sales_outbound": "SO", "other_outbound": "OO", "return": "RT", "transfer": "TF"}


def _check(movement: object) -> StockMovement:
    if not isinstance(movement, StockMovement):
        raise ValidationError.single("movement", movement, "must be a StockMovement")
    if movement.kind not in MOVEMENT_KINDS:
        raise ValidationError.single("kind", movement.kind, f"must be one of {MOVEMENT_KINDS}")
    for name in ("reference", "part_code"):
        value = getattr(movement, name)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError.single(name, value, "must be a non-empty string")
    qty = movement.quantity
    if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
        raise ValidationError.single("quantity", qty, "must be a whole number of at least 1")
    source, dest = movement.from_warehouse, movement.to_warehouse
    if movement.kind in ("sales_outbound", "other_outbound"):
        if source is None or dest is not None:
            raise ValidationError.single(
                "from_warehouse", source, f"a {movement.kind} leaves a warehouse for the customer"
            )
    elif movement.kind == "return":
        if dest is None or source is not None:
            raise ValidationError.single(
                "to_warehouse", dest, "a return comes from the field into a warehouse"
            )
    elif source is None and dest is None:
        raise ValidationError.single("from_warehouse", None, "a transfer needs at least one end")
    elif source == dest:
        raise ValidationError.single("to_warehouse", dest, "must differ from from_warehouse")
    return movement


class InMemoryInventory:
    """Stock per warehouse and part, kept in memory and safe to use from several threads.

    Only the warehouses given at start (or added with :meth:`add_warehouse`) exist. Each accepted
    movement is recorded with the document number it returned.

    Args:
        stock: Opening quantities per warehouse id and part code.

    Raises:
        ValidationError: An opening quantity is negative or not a whole number.
    """

    def __init__(self, stock: Mapping[str, Mapping[str, int]] | None = None) -> None:
        self._lock = threading.Lock()
        self._stock: dict[str, dict[str, int]] = {}
        self._moves: list[tuple[str, StockMovement]] = []
        self._numbers = itertools.count(1)
        for warehouse_id, parts in (stock or {}).items():
            self.add_warehouse(warehouse_id, parts)

    def add_warehouse(self, warehouse_id: str, parts: Mapping[str, int] | None = None) -> None:
        """Create a warehouse (if new) and add opening quantities to it.

        Raises:
            ValidationError: A quantity is negative or not a whole number (nothing is added).
        """
        for code, qty in (parts or {}).items():
            if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
                raise ValidationError.single(f"stock.{warehouse_id}.{code}", qty, "must be >= 0")
        with self._lock:
            held = self._stock.setdefault(warehouse_id, {})
            for code, qty in (parts or {}).items():
                held[code] = held.get(code, 0) + qty

    def on_hand(self, warehouse_id: str, part_code: str) -> int:
        """Return the quantity of ``part_code`` on hand in ``warehouse_id`` (0 if none)."""
        with self._lock:
            return self._stock.get(warehouse_id, {}).get(part_code, 0)

    def move(self, movement: StockMovement) -> str:
        """Carry out ``movement`` all at once and return its document number (e.g. ``SO-000001``).

        Raises:
            ValidationError: A malformed movement (unknown kind, quantity below 1, ends that do
                not fit the kind), an unknown warehouse, or more than is on hand at the source.
                Nothing moves then.
        """
        found = _check(movement)
        source, dest = found.from_warehouse, found.to_warehouse
        with self._lock:
            for name, warehouse in (("from_warehouse", source), ("to_warehouse", dest)):
                if warehouse is not None and warehouse not in self._stock:
                    raise ValidationError.single(name, warehouse, "is not a known warehouse")
            if source is not None:
                have = self._stock[source].get(found.part_code, 0)
                if have < found.quantity:
                    raise ValidationError.single(
                        "quantity",
                        found.quantity,
                        f"only {have} of {found.part_code} on hand in {source}",
                    )
                self._stock[source][found.part_code] = have - found.quantity
            if dest is not None:
                held = self._stock[dest]
                held[found.part_code] = held.get(found.part_code, 0) + found.quantity
            document = f"{_PREFIX[found.kind]}-{next(self._numbers):06d}"
            self._moves.append((document, found))
            return document

    def movements(self, reference: str | None = None) -> tuple[tuple[str, StockMovement], ...]:
        """Return ``(document, movement)`` for every accepted movement, oldest first.

        Args:
            reference: Only the movements of this servicecore record, if given.
        """
        with self._lock:
            return tuple(
                (doc, m) for doc, m in self._moves if reference is None or m.reference == reference
            )

    def totals(self) -> dict[str, int]:
        """Return the quantity on hand per part over every warehouse."""
        totals: dict[str, int] = {}
        with self._lock:
            for parts in self._stock.values():
                for code, qty in parts.items():
                    totals[code] = totals.get(code, 0) + qty
        return totals


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
