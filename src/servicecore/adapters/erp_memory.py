"""In-memory stand-ins for the host ERP's ports: shipments, BOMs, receivables, stock, customers.

For tests, demos and notebooks: each is thread-safe and keeps its data in memory. The contract
suites in :mod:`servicecore.testing` (``erp_sales``, ``erp_finance``, ``erp_stock``, ``erp_crm``)
state what a host's real implementation must do; these pass them.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from servicecore.errors import NotFound, ValidationError
from servicecore.ports import (
    BomLine,
    CustomerContact,
    Receivable,
    Shipment,
    StockMovement,
)

__all__ = [
    "MOVEMENT_KINDS",
    "BomEntry",
    "InMemoryBillOfMaterials",
    "InMemoryCustomerDirectory",
    "InMemoryInventory",
    "InMemoryReceivables",
    "InMemoryShipmentHistory",
]


class InMemoryShipmentHistory:
    """The ERP's outbound history held in a list.

    Args:
        shipments: The delivery lines, in any order.
    """

    def __init__(self, shipments: Iterable[Shipment] = ()) -> None:
        self._lock = threading.Lock()
        self._shipments = list(shipments)

    def add(self, shipment: Shipment) -> None:
        """Record one more delivery line (as the ERP would after a sale)."""
        with self._lock:
            self._shipments.append(shipment)

    def _sorted(self, keep: Callable[[Shipment], bool]) -> list[Shipment]:
        with self._lock:
            found = [s for s in self._shipments if keep(s)]
        # Stable: lines shipped the same day keep the order they were recorded in.
        return sorted(found, key=lambda s: s.shipped_on)

    def by_serial(self, serial_number: str) -> Sequence[Shipment]:
        """Return the shipments of ``serial_number``, oldest first (empty if unknown)."""
        return self._sorted(lambda s: s.serial_number == serial_number)

    def for_customer(self, customer_id: str, product_code: str | None = None) -> Sequence[Shipment]:
        """Return what went to ``customer_id`` (only ``product_code`` if given), oldest first."""
        return self._sorted(
            lambda s: (
                s.customer_id == customer_id
                and (product_code is None or s.product_code == product_code)
            )
        )


@attrs.frozen(kw_only=True)
class BomEntry:
    """One row of BOM data: a product's standard line, or a line of one unit as built.

    Attributes:
        product_code: The product.
        line: The component line.
        serial_number: The unit the line belongs to; ``None`` for the product's standard BOM.
    """

    product_code: str
    line: BomLine
    serial_number: str | None = None


class InMemoryBillOfMaterials:
    """Bills of materials and per-unit production records held in a list.

    ``parts_of(product, serial)`` returns the unit's own lines when production recorded any,
    else the product's standard lines.

    Args:
        entries: The BOM rows, in the order lines are returned.
    """

    def __init__(self, entries: Iterable[BomEntry] = ()) -> None:
        self._lock = threading.Lock()
        self._entries = list(entries)

    def add(self, entry: BomEntry) -> None:
        """Record one more BOM row."""
        with self._lock:
            self._entries.append(entry)

    def parts_of(self, product_code: str, serial_number: str | None = None) -> Sequence[BomLine]:
        """Return the parts of a product; of the very unit when its serial is known.

        Raises:
            NotFound: The product is unknown (kind ``"Product"``).
        """
        with self._lock:
            rows = [e for e in self._entries if e.product_code == product_code]
        if not rows:
            raise NotFound("Product", product_code)
        if serial_number is not None:
            unit = [e.line for e in rows if e.serial_number == serial_number]
            if unit:
                return unit
        return [e.line for e in rows if e.serial_number is None]


class InMemoryReceivables:
    """Open items per customer, kept in memory.

    Args:
        items: Open items per customer id, loaded at start.

    Raises:
        ValidationError: An item is not a :class:`~servicecore.ports.Receivable`, or a document
            number repeats for a customer.
    """

    def __init__(self, items: Mapping[str, Iterable[Receivable]] | None = None) -> None:
        self._items: dict[str, list[Receivable]] = {}
        for customer_id, found in (items or {}).items():
            for item in found:
                self.post(customer_id, item)

    def post(self, customer_id: str, item: Receivable) -> None:
        """Record an open item of ``customer_id`` (an invoice the ERP posted).

        Raises:
            ValidationError: ``item`` is not a Receivable, or its document is already open.
        """
        if not isinstance(item, Receivable):
            raise ValidationError.single("item", item, "must be a Receivable")
        held = self._items.setdefault(customer_id, [])
        if any(x.document == item.document for x in held):
            raise ValidationError.single("document", item.document, "is already open")
        held.append(item)

    def settle(self, customer_id: str, document: str) -> None:
        """Remove a paid item.

        Raises:
            ValidationError: The customer has no open item with that document number.
        """
        held = self._items.get(customer_id, [])
        kept = [x for x in held if x.document != document]
        if len(kept) == len(held):
            raise ValidationError.single("document", document, f"is not open for {customer_id}")
        self._items[customer_id] = kept

    def open_items(self, customer_id: str) -> Sequence[Receivable]:
        """Return the customer's unpaid items, in the order posted (empty if none)."""
        return tuple(self._items.get(customer_id, ()))


MOVEMENT_KINDS = ("sales_outbound", "other_outbound", "return", "transfer")


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
        self._keys: dict[str, str] = {}
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

        A keyed movement made before moves nothing and returns its first document; a movement
        that ``undoes`` a key frees it.

        Raises:
            ValidationError: A malformed movement (unknown kind, quantity below 1, ends that do
                not fit the kind), an unknown warehouse, or more than is on hand at the source.
                Nothing moves then.
        """
        found = _check(movement)
        source, dest = found.from_warehouse, found.to_warehouse
        with self._lock:
            if found.key is not None and found.key in self._keys:
                return self._keys[found.key]
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
            if found.key is not None:
                self._keys[found.key] = document
            if found.undoes is not None:
                self._keys.pop(found.undoes, None)
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


class InMemoryCustomerDirectory:
    """A :class:`~servicecore.ports.CustomerDirectory` over contacts held in memory.

    Args:
        contacts: The customers.

    Raises:
        ValidationError: A contact is not a ``CustomerContact``, or two share a customer id.
    """

    def __init__(self, contacts: Iterable[CustomerContact] = ()) -> None:
        self._by_id: dict[str, CustomerContact] = {}
        for contact in contacts:
            self.add(contact)

    def add(self, contact: CustomerContact) -> None:
        """Add one customer.

        Raises:
            ValidationError: ``contact`` is not a ``CustomerContact`` or its id is taken.
        """
        if not isinstance(contact, CustomerContact):
            raise ValidationError.single("contact", contact, "must be a CustomerContact")
        if contact.customer_id in self._by_id:
            raise ValidationError.single(
                "contact.customer_id", contact.customer_id, "is already in the directory"
            )
        self._by_id[contact.customer_id] = contact

    def in_category(self, category: str) -> Sequence[CustomerContact]:
        """Return the customers of ``category`` (empty if none), by id."""
        return [c for _, c in sorted(self._by_id.items()) if c.category == category]

    def get(self, customer_id: str) -> CustomerContact:
        """Return one customer.

        Raises:
            NotFound: No such customer (kind ``"Customer"``).
        """
        try:
            return self._by_id[customer_id]
        except KeyError:
            raise NotFound("Customer", customer_id) from None
