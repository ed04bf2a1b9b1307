"""The ports: what servicecore needs from the host, as ``typing.Protocol`` s.

Storage is reached through a :class:`Storage` that opens a :class:`UnitOfWork` for one tenant; the
unit of work holds one :class:`Repository` per aggregate (named as in
:data:`servicecore.catalog.AGGREGATES`: ``uow.requests``, ``uow.dispatches``...), the audit trail
and the outbox. Every promise stated here is checked by the contract suites in
:mod:`servicecore.testing.contract`, which servicecore's own adapters pass too.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import attrs

from servicecore.catalog import AggregateSpec, index_value
from servicecore.errors import ValidationError
from servicecore.events import DEFAULT_RETRY, DomainEvent, ParkedEvent, RetryPolicy
from servicecore.model import _validate as v
from servicecore.model.archive import ProductArchive
from servicecore.model.audit import AuditEntry
from servicecore.model.booking import Booking
from servicecore.model.care import CarePlan
from servicecore.model.claims import SupplierClaim
from servicecore.model.common import Money
from servicecore.model.contract import ServiceContract
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.documents import TechnicalDocument
from servicecore.model.evidence import Evidence
from servicecore.model.knowledge import KnowledgeArticle
from servicecore.model.parts import PartsRequisition, SparePartPlan, TransferRequest
from servicecore.model.processing import ProcessingOrder
from servicecore.model.quote import Quote
from servicecore.model.request import ServiceRequest
from servicecore.model.survey import SurveyResult
from servicecore.model.technician import Technician

__all__ = [
    "AuditRepository",
    "BillOfMaterials",
    "BomLine",
    "Clock",
    "Cursor",
    "CustomerContact",
    "CustomerDirectory",
    "EvidenceStore",
    "IdGenerator",
    "Inventory",
    "Notification",
    "NotificationChannel",
    "Notifier",
    "Page",
    "Publisher",
    "Query",
    "Receivable",
    "Receivables",
    "Repository",
    "Shipment",
    "ShipmentHistory",
    "Site",
    "SiteDirectory",
    "StaffDirectory",
    "StockMovement",
    "Storage",
    "StoredContent",
    "UnitOfWork",
]

E = TypeVar("E")
Cursor = tuple[Any, str]
"""Where a page ended: the last item's order value and id (pass it as ``Query.after``)."""

_SCALAR = (str, bool, datetime, date)


def _check_value(path: str, value: object, ftype: type, allow_many: bool) -> None:
    if allow_many and isinstance(value, tuple | list | set | frozenset):
        if not value:
            raise ValidationError.single(path, value, "needs at least one value")
        for item in value:
            _check_value(path, item, ftype, allow_many=False)
        return
    value = index_value(value)
    if value is None and allow_many:
        return
    if isinstance(value, str):
        v.storable_text(path, value)
    if ftype is datetime:
        ok = isinstance(value, datetime) and value.tzinfo is not None
    elif ftype is date:
        ok = isinstance(value, date) and not isinstance(value, datetime)
    else:
        ok = isinstance(value, ftype)
    if not ok:
        raise ValidationError.single(path, value, f"must be a {ftype.__name__} for this field")


_MAX_LIMIT = 2**31 - 1
"""The largest page a query may ask for: what every database can take as a row count."""


@attrs.frozen(kw_only=True)
class Query:
    """Which entities to return, in which order, how many.

    Every condition must hold. Fields are the aggregate's indexed fields
    (:data:`servicecore.catalog.AGGREGATES`); enum values may be given as members.

    Attributes:
        equals: ``field -> value``; a list, tuple or set means "any of these"; ``None`` means
            "is absent".
        at_least: ``field -> value``: the field is ``>=`` value (absent fields never match).
        later_than: ``field -> value``: ``>`` value.
        before: ``field -> value``: ``<`` value.
        order_by: The field to order by (ties broken by id); default the id.
        descending: Newest / largest first.
        limit: At most this many items (``None``: all).
        after: Continue after this cursor (from :attr:`Page.next`).
    """

    equals: Mapping[str, object] = attrs.field(factory=dict)
    at_least: Mapping[str, object] = attrs.field(factory=dict)
    later_than: Mapping[str, object] = attrs.field(factory=dict)
    before: Mapping[str, object] = attrs.field(factory=dict)
    order_by: str | None = None
    descending: bool = False
    limit: int | None = None
    after: Cursor | None = None

    def check(self, spec: AggregateSpec) -> None:
        """Check the query against ``spec``.

        Raises:
            ValidationError: Listing every unknown field, every value of the wrong type and
                every text holding a NUL or a lone surrogate (no database stores them).
        """
        problems: list[ValidationError] = []
        groups = {
            "equals": self.equals,
            "at_least": self.at_least,
            "later_than": self.later_than,
            "before": self.before,
        }
        for group, conditions in groups.items():
            for name, value in conditions.items():
                path = f"{group}.{name}"
                field = spec.fields.get(name)
                try:
                    if field is None:
                        known = ", ".join(sorted(spec.fields))
                        raise ValidationError.single(
                            path, value, f"{spec.kind} can be queried on: {known}"
                        )
                    _check_value(path, value, field.type, allow_many=group == "equals")
                except ValidationError as exc:
                    problems.append(exc)
        if self.order_by is not None and self.order_by not in spec.fields:
            problems.append(
                ValidationError.single("order_by", self.order_by, f"not a field of {spec.kind}")
            )
        limit: object = self.limit
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _MAX_LIMIT
        ):
            problems.append(
                ValidationError.single("limit", limit, f"must be an int from 1 to {_MAX_LIMIT}")
            )
        after: object = self.after
        if after is not None and (
            not isinstance(after, tuple) or len(after) != 2 or not isinstance(after[1], str)
        ):
            problems.append(ValidationError.single("after", after, "must be a Page.next"))
        elif after is not None:
            problems.extend(self._check_cursor(spec, after))
        if problems:
            raise ValidationError.merge(problems)

    def _check_cursor(self, spec: AggregateSpec, after: Cursor) -> list[ValidationError]:
        """Check that the cursor's order value has the order field's type (the id's without one).

        A cursor from another query's order could not be compared with the records.
        """
        if self.order_by is None:
            ftype: type = str
        elif self.order_by in spec.fields:
            ftype = spec.fields[self.order_by].type
        else:
            return []  # the unknown order field is reported already
        try:
            _check_value("after", after[0], ftype, allow_many=False)
        except ValidationError as exc:
            reason = f"is not a cursor of this order: its value {exc.errors[0].message}"
            return [ValidationError.single("after", after, reason)]
        try:
            v.storable_text("after", after[1])
        except ValidationError as exc:
            return [ValidationError.single("after", after, f"its id {exc.errors[0].message}")]
        return []


@attrs.frozen
class Page(Sequence[E]):
    """One page of query results.

    Attributes:
        items: The entities, in query order.
        next: Cursor to pass as ``Query.after`` for the next page; ``None`` on the last page.
    """

    items: tuple[E, ...]
    next: Cursor | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __iter__(self) -> Iterator[E]:
        return iter(self.items)


class Repository(Protocol[E]):
    """The stored entities of one aggregate, for the unit of work's tenant.

    Entities handed out are the caller's own copies: changing one changes nothing stored until it
    is passed to :meth:`update` and the unit of work commits.
    """

    def get(self, id: str) -> E:
        """Return the entity with ``id``.

        Raises:
            NotFound: No such entity for this tenant.
            ValidationError: ``id`` is not a string, or holds a NUL or a lone surrogate (text
                no database stores).
        """
        ...

    def find(self, id: str) -> E | None:
        """Return the entity with ``id``, or ``None``.

        Raises:
            ValidationError: As for :meth:`get`.
        """
        ...

    def add(self, entity: E) -> None:
        """Store a new entity (``version`` must be 0); sets its ``version`` to 1.

        Raises:
            DuplicateId: An entity with this id exists for this tenant (now or at commit).
            DoubleBooking: It holds technician time that another booking or dispatch holds.
            ValidationError: ``entity`` is not of this repository's type or has a version.
        """
        ...

    def update(self, entity: E) -> None:
        """Store a changed entity loaded at ``entity.version``; increments ``version``.

        Raises:
            NotFound: The entity was never stored.
            ConcurrencyError: Someone committed a newer version first (now or at commit).
            DoubleBooking: It now holds technician time another booking or dispatch holds.
        """
        ...

    def query(self, query: Query | None = None) -> Page[E]:
        """Return the entities matching ``query`` (all, by id, without one).

        Raises:
            ValidationError: The query names a field that is not indexed, or a bad value.
        """
        ...

    def count(self, query: Query | None = None) -> int:
        """Return how many entities match (``limit`` and ``after`` are ignored).

        Raises:
            ValidationError: As for :meth:`query`.
        """
        ...

    def iterate(self, query: Query | None = None, page_size: int = 1000) -> Iterator[E]:
        """Yield every matching entity, fetching ``page_size`` at a time (for large sets).

        Raises:
            ValidationError: As for :meth:`query`, or ``page_size`` < 1.
        """
        ...


class AuditRepository(Protocol):
    """The audit trail of the unit of work's tenant: append-only (an AuditSink)."""

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        """Return the entity's newest entry (this unit of work's included), or ``None``.

        Raises:
            ValidationError: ``entity_kind`` or ``entity_id`` is not a string, or holds a NUL
                or a lone surrogate.
        """
        ...

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Append ``entry`` after the entity's current head.

        Returns:
            The entry as it will be stored, sealed for the tenant (and with the storage's
            audit key, if any): its ``hash`` is what the entity's ``audit_head`` names.

        Raises:
            DuplicateId: It starts a trail (``seq`` 1) and the entity has one; a storage that
                does not read the trail to start it raises this from ``commit``.
            AuditChainError: It does not follow the head.
        """
        ...

    def entries(self, entity_kind: str, entity_id: str) -> tuple[AuditEntry, ...]:
        """Return the entity's entries, oldest first.

        Raises:
            ValidationError: As for :meth:`head`.
        """
        ...


class UnitOfWork(Protocol):
    """One atomic piece of work for one tenant: all of it commits, or none of it.

    Use as a context manager; leaving the block without :meth:`commit` (or with an exception)
    rolls back. Repositories are attributes named after the aggregates (``requests``,
    ``dispatches``, ``bookings``...; see :data:`servicecore.catalog.AGGREGATES`).
    """

    @property
    def tenant(self) -> str:
        """The tenant this unit of work reads and changes."""
        ...

    @property
    def audit(self) -> AuditRepository:
        """The tenant's audit trail (an append-only sink the lifecycles write to)."""
        ...

    @property
    def archives(self) -> Repository[ProductArchive]:
        """The ProductArchive repository."""
        ...

    @property
    def contracts(self) -> Repository[ServiceContract]:
        """The ServiceContract repository."""
        ...

    @property
    def bookings(self) -> Repository[Booking]:
        """The Booking repository."""
        ...

    @property
    def requests(self) -> Repository[ServiceRequest]:
        """The ServiceRequest repository."""
        ...

    @property
    def dispatches(self) -> Repository[DispatchOrder]:
        """The DispatchOrder repository."""
        ...

    @property
    def processing(self) -> Repository[ProcessingOrder]:
        """The ProcessingOrder repository."""
        ...

    @property
    def quotes(self) -> Repository[Quote]:
        """The Quote repository."""
        ...

    @property
    def care_plans(self) -> Repository[CarePlan]:
        """The CarePlan repository."""
        ...

    @property
    def technicians(self) -> Repository[Technician]:
        """The Technician repository."""
        ...

    @property
    def knowledge(self) -> Repository[KnowledgeArticle]:
        """The KnowledgeArticle repository."""
        ...

    @property
    def evidence(self) -> Repository[Evidence]:
        """The Evidence repository."""
        ...

    @property
    def spare_part_plans(self) -> Repository[SparePartPlan]:
        """The SparePartPlan repository."""
        ...

    @property
    def transfers(self) -> Repository[TransferRequest]:
        """The TransferRequest repository."""
        ...

    @property
    def requisitions(self) -> Repository[PartsRequisition]:
        """The PartsRequisition repository."""
        ...

    @property
    def surveys(self) -> Repository[SurveyResult]:
        """The SurveyResult repository."""
        ...

    @property
    def claims(self) -> Repository[SupplierClaim]:
        """The SupplierClaim repository."""
        ...

    @property
    def documents(self) -> Repository[TechnicalDocument]:
        """The TechnicalDocument repository."""
        ...

    def repository(self, name: str) -> Repository[Any]:
        """Return the repository of aggregate ``name`` (``"requests"`` or ``"ServiceRequest"``).

        Raises:
            ValidationError: No such aggregate.
        """
        ...

    def collect(self, event: DomainEvent) -> None:
        """Queue ``event``; it is written to the outbox with the change, at commit."""
        ...

    def commit(self) -> Sequence[DomainEvent]:
        """Make every change of this unit of work durable at once, with its outbox events.

        Returns:
            The events committed (also handed to the storage's publisher).

        Raises:
            ConcurrencyError: An updated entity changed since it was loaded; nothing committed.
            DuplicateId: An added id exists; nothing committed.
            DoubleBooking: Two claims on a technician's time overlap; nothing committed.
            StorageError: The backend failed; nothing committed.
        """
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """Return a block that, if it raises, undoes what was staged inside it.

        What was staged before the block stays either way; every command runs in one, so a
        command that fails leaves nothing for its caller's next commit.
        """
        ...

    def rollback(self) -> None:
        """Drop every change and event of this unit of work."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


Publisher = Callable[[str, Sequence[DomainEvent]], None]
"""The host's event handler: ``publisher(tenant, events)``; raising leaves them pending."""


class Storage(Protocol):
    """A place where servicecore records live; opens units of work per tenant."""

    def unit_of_work(self, tenant: str) -> UnitOfWork:
        """Open a unit of work for ``tenant``; it sees and changes that tenant's records only.

        Raises:
            ValidationError: ``tenant`` is not an id.
        """
        ...

    def pending_events(
        self, tenant: str, limit: int = 100, *, due: datetime | None = None
    ) -> Sequence[DomainEvent]:
        """Return committed events not yet acknowledged nor parked, oldest first.

        With ``due``, events whose failed delivery set a retry time after it are left out.
        """
        ...

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        """Mark events as handled; unknown ids are ignored (acknowledging is idempotent).

        Raises:
            ValidationError: ``event_ids`` is not a list of strings, or one holds a NUL or a
                lone surrogate.
        """
        ...

    def record_delivery_failure(
        self,
        tenant: str,
        event_id: str,
        error: BaseException,
        at: datetime,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> datetime | None:
        """Count a failed delivery; return when the event is due again (``None``: parked).

        Raises:
            ValidationError: ``event_id`` is not a string, or holds a NUL or a lone surrogate.
        """
        ...

    def parked_events(self, tenant: str, limit: int = 100) -> Sequence[ParkedEvent]:
        """Return events parked after their last failed delivery, oldest first."""
        ...

    def retry_parked(self, tenant: str, event_ids: Sequence[str]) -> int:
        """Make parked events pending and due again; return how many were parked.

        Raises:
            ValidationError: As for :meth:`acknowledge`.
        """
        ...


class Clock(Protocol):
    """Where "now" comes from (a fixed clock in tests, the system clock in production)."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        ...


class IdGenerator(Protocol):
    """Where new record ids come from."""

    def new_id(self, kind: str) -> str:
        """Return a new id, unique across the tenant, for a record of ``kind``."""
        ...


class NotificationChannel(enum.Enum):
    """How a notification travels."""

    EMAIL = "email"
    SMS = "sms"
    IM = "im"


@attrs.frozen(kw_only=True)
class Notification:
    """A message for a person: a confirmation, a reminder, an alert.

    Attributes:
        channel: E-mail, SMS or instant message.
        to: The address or number, as the channel needs it.
        subject: One line (used as the e-mail subject; SMS adapters may drop it).
        body: The text.
        key: What makes it unique (e.g. ``"alert:response-due:R-7"``): senders may use it to
            drop duplicates.

    Raises:
        ValidationError: A field is empty or of the wrong type.
    """

    channel: NotificationChannel = attrs.field(validator=v.member(NotificationChannel))
    to: str = attrs.field(validator=v.text(320))
    subject: str = attrs.field(validator=v.text(200))
    body: str = attrs.field(validator=v.text(20_000))
    key: str = attrs.field(validator=v.text(200))


class Notifier(Protocol):
    """Delivers notifications (SMTP, an SMS gateway, the host's message bus, a log)."""

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` or raise.

        Raises:
            ServicecoreError: Delivery failed (a subclass the adapter documents); the caller may
                retry later.
        """
        ...


class StaffDirectory(Protocol):
    """How to reach the people responsible for records (the host's HR or user directory)."""

    def reach(self, person_id: str) -> Sequence[tuple[NotificationChannel, str]]:
        """Return the channels and addresses of ``person_id`` (empty when unknown).

        ``person_id`` is a staff actor's id or a technician's id.
        """
        ...


@attrs.frozen
class StoredContent:
    """Where a stored piece of evidence is and what it hashed to.

    Attributes:
        uri: Where it can be fetched again.
        content_hash: SHA-256 of the bytes, hex.
        size: Bytes stored.
    """

    uri: str
    content_hash: str
    size: int


class EvidenceStore(Protocol):
    """Keeps photos, signatures and documents; servicecore records only their uri and hash."""

    def put(self, tenant: str, request_id: str, name: str, content: bytes) -> StoredContent:
        """Store ``content`` and return where it is and its SHA-256.

        Raises:
            ValidationError: ``content`` is empty or ``name`` unusable.
            StorageError: The store failed.
        """
        ...

    def get(self, uri: str) -> bytes:
        """Return the bytes stored at ``uri``.

        Raises:
            NotFound: Nothing is stored there.
        """
        ...


# -- host ERP ports (the ERP holds these records; servicecore reads or asks) -----------------


@attrs.frozen(kw_only=True)
class Shipment:
    """One outbound delivery line from the ERP (出库): what went to whom, with which serial.

    Attributes:
        document: The ERP's delivery document number.
        customer_id: Who received it.
        product_code: What was shipped.
        serial_number: The unit's serial, if serialised.
        batch: The batch, if any.
        shipped_on: When it left.
        quantity: How many.
    """

    document: str
    customer_id: str
    product_code: str
    serial_number: str | None
    batch: str | None
    shipped_on: date
    quantity: int = 1


class ShipmentHistory(Protocol):
    """The ERP's outbound history: where each product and serial went (出库查询, S/N 查询)."""

    def by_serial(self, serial_number: str) -> Sequence[Shipment]:
        """Return the shipments of ``serial_number``, oldest first (empty if unknown)."""
        ...

    def for_customer(self, customer_id: str, product_code: str | None = None) -> Sequence[Shipment]:
        """Return what went to ``customer_id`` (only ``product_code`` if given), oldest first."""
        ...


@attrs.frozen(kw_only=True)
class BomLine:
    """One component of a product as built (生成配件, 查看BOM).

    Attributes:
        part_code: The component.
        quantity: How many per unit.
        serial: The component's serial in this unit, if production recorded one.
    """

    part_code: str
    quantity: int
    serial: str | None = None


class BillOfMaterials(Protocol):
    """The ERP's bill of materials and production records."""

    def parts_of(self, product_code: str, serial_number: str | None = None) -> Sequence[BomLine]:
        """Return the parts of a product; of the very unit when its serial is known.

        Raises:
            NotFound: The product is unknown.
        """
        ...


@attrs.frozen(kw_only=True)
class Receivable:
    """An open item the customer owes (客户应收账款).

    Attributes:
        document: The invoice number.
        amount: What is still owed.
        due_on: When it is due.
    """

    document: str
    amount: Money
    due_on: date


class Receivables(Protocol):
    """The ERP's accounts receivable."""

    def open_items(self, customer_id: str) -> Sequence[Receivable]:
        """Return the customer's unpaid items (empty if none)."""
        ...


@attrs.frozen(kw_only=True)
class StockMovement:
    """A request to the ERP to move stock (transfer, sales outbound, other outbound, return).

    Attributes:
        kind: ``"transfer"``, ``"sales_outbound"``, ``"other_outbound"`` or ``"return"``.
        reference: The servicecore record it comes from (requisition or transfer id).
        part_code: The part.
        quantity: How many.
        from_warehouse: Where from (``None`` for a return from the field).
        to_warehouse: Where to (``None`` for an outbound to the customer).
        key: Makes the movement idempotent: the ERP carries out a keyed movement once and
            answers a repeat with the first movement's document, moving nothing (two clerks
            issuing one requisition at once move the stock once).
        undoes: The key of a movement this one reverses; the ERP then frees that key, so that
            the movement may be made again later.
    """

    kind: str
    reference: str
    part_code: str
    quantity: int
    from_warehouse: str | None
    to_warehouse: str | None
    key: str | None = None
    undoes: str | None = None


class Inventory(Protocol):
    """The ERP's stock: levels, and the movements servicecore asks for."""

    def on_hand(self, warehouse_id: str, part_code: str) -> int:
        """Return the quantity of ``part_code`` on hand in ``warehouse_id`` (0 if none)."""
        ...

    def move(self, movement: StockMovement) -> str:
        """Carry out ``movement``; return the ERP's document number.

        A movement whose ``key`` was carried out before moves nothing and returns that first
        movement's document; one that ``undoes`` a key frees it.

        Raises:
            ValidationError: Not enough stock, or an unknown warehouse or part.
        """
        ...


@attrs.frozen(kw_only=True)
class CustomerContact:
    """How to reach a customer, from the host's CRM.

    Attributes:
        customer_id: The host's id.
        name: Display name.
        category: The customer category care plans target (e.g. ``"gold"``).
        email: E-mail address, if any.
        phone: Phone number (SMS, calls), if any.
        postal_address: Where letters go, if any.
    """

    customer_id: str
    name: str
    category: str
    email: str | None = None
    phone: str | None = None
    postal_address: str | None = None


class CustomerDirectory(Protocol):
    """The host's customers, as customer care needs them."""

    def in_category(self, category: str) -> Sequence[CustomerContact]:
        """Return the customers of ``category`` (empty if none), by id."""
        ...

    def get(self, customer_id: str) -> CustomerContact:
        """Return one customer.

        Raises:
            NotFound: No such customer.
        """
        ...


@attrs.frozen(kw_only=True)
class Site:
    """A place where products are installed, in the host's location hierarchy.

    Attributes:
        id: The host's id (what :attr:`ProductArchive.site_id` holds).
        name: Display name, e.g. ``"Plant 2, hall B"``.
        parent_id: The site it lies in (a hall in a plant, a plant in a region), if any.
    """

    id: str
    name: str
    parent_id: str | None = None


class SiteDirectory(Protocol):
    """The host's sites and their hierarchy (region > plant > hall, say)."""

    def get(self, site_id: str) -> Site:
        """Return one site.

        Raises:
            NotFound: No such site.
        """
        ...

    def children(self, site_id: str) -> Sequence[Site]:
        """Return the sites lying directly in ``site_id`` (empty if none), by id."""
        ...
