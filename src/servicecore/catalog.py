"""The catalog of stored aggregates: their kinds, their queryable fields and their slot claims.

Every storage adapter reads this one table, so that a query means the same on memory, SQLite,
PostgreSQL and an integrator's own adapter: a query may filter and order on the *indexed fields*
listed here (each with the function that reads it off the entity), and nothing else.

Slot claims implement "no double booking": a booking or dispatch order that holds a technician's
time returns its claim from :func:`slot_claim`; two claims of one technician whose ranges overlap
must never both be committed.

Unique keys (:class:`UniqueKey`) implement "one live record per key": a live product archive
(draft or registered) is the only live archive of its tenant, product code and serial number.
The storage kernel checks them at commit and SQL storage enforces them with partial unique
indexes, so two concurrent units of work can never both commit one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import attrs

from servicecore.errors import ValidationError
from servicecore.model.archive import ArchiveStatus, ProductArchive
from servicecore.model.booking import Booking
from servicecore.model.care import CarePlan
from servicecore.model.claims import SupplierClaim
from servicecore.model.common import TimeRange
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
    "AGGREGATES",
    "LIVE_SERIAL",
    "AggregateSpec",
    "IndexField",
    "SlotClaim",
    "UniqueKey",
    "index_value",
    "slot_claim",
    "spec_for",
    "unique_values",
]


@attrs.frozen
class IndexField:
    """A field that queries may filter and order on.

    Attributes:
        name: The field's name in queries.
        type: ``str``, ``datetime``, ``date`` or ``bool`` (enums are stored as their values).
        read: Reads the value off an entity (``None`` when absent).
    """

    name: str
    type: type
    read: Callable[[Any], object]


@attrs.frozen
class UniqueKey:
    """Indexed fields whose values at most one live entity of an aggregate holds, per tenant.

    An entity holds the key while its ``status`` is one of :attr:`statuses` and none of the
    key's fields is ``None`` (as in SQL, where a unique index ignores rows with a ``NULL``).

    Attributes:
        name: The key's name; SQL storage names its index ``uq_<table>_<name>``.
        fields: The indexed fields that together must be unique, e.g.
            ``("product_code", "serial_number")``.
        statuses: The ``status`` values (enum values) of the entities that hold the key.
        named: The field a refusal names (the one a caller got wrong), e.g. ``"serial_number"``.
    """

    name: str
    fields: tuple[str, ...]
    statuses: tuple[str, ...]
    named: str


@attrs.frozen
class AggregateSpec:
    """How one aggregate is stored.

    Attributes:
        kind: The aggregate's name, e.g. ``"ServiceRequest"`` (the audit trail's ``entity_kind``).
        name: The repository attribute on a unit of work, e.g. ``"requests"``.
        cls: The entity class.
        fields: The indexed fields, by name.
        unique: The unique keys of its live entities (most aggregates have none).
    """

    kind: str
    name: str
    cls: type
    fields: Mapping[str, IndexField]
    unique: tuple[UniqueKey, ...] = ()


def _attr(name: str, type_: type = str) -> IndexField:
    def read(entity: Any) -> object:
        value = getattr(entity, name)
        return value.value if isinstance(value, Enum) else value

    return IndexField(name, type_, read)


def _via(name: str, type_: type, read: Callable[[Any], object]) -> IndexField:
    return IndexField(name, type_, read)


def _spec(
    kind: str, name: str, cls: type, *fields: IndexField, unique: tuple[UniqueKey, ...] = ()
) -> AggregateSpec:
    return AggregateSpec(kind, name, cls, {f.name: f for f in fields}, unique)


LIVE_SERIAL = UniqueKey(
    name="live_serial",
    fields=("product_code", "serial_number"),
    statuses=tuple(s.value for s in ArchiveStatus.live()),
    named="serial_number",
)
"""One live archive (draft or registered) per product code and serial number; an invalidated
archive frees its serial for a new one."""


AGGREGATES: tuple[AggregateSpec, ...] = (
    _spec(
        "ProductArchive",
        "archives",
        ProductArchive,
        _attr("status"),
        _attr("customer_id"),
        _attr("serial_number"),
        _attr("product_code"),
        _attr("site_id"),
        _attr("warranty_end", date),
        _attr("service_expiry", date),
        unique=(LIVE_SERIAL,),
    ),
    _spec(
        "ServiceContract",
        "contracts",
        ServiceContract,
        _attr("status"),
        _attr("customer_id"),
        _attr("start", date),
        _attr("end", date),
    ),
    _spec(
        "Booking",
        "bookings",
        Booking,
        _attr("status"),
        _via("customer_id", str, lambda b: b.customer.customer_id),
        _attr("technician_id"),
        _attr("reference"),
        _attr("service_type"),
        _attr("channel"),
        _via("slot_start", datetime, lambda b: b.slot.start),
        _via("slot_end", datetime, lambda b: b.slot.end),
        _attr("booked_at", datetime),
    ),
    _spec(
        "ServiceRequest",
        "requests",
        ServiceRequest,
        _attr("status"),
        _attr("customer_id"),
        _attr("archive_id"),
        _attr("contract_id"),
        _attr("booking_id"),
        _attr("service_type"),
        _attr("priority"),
        _attr("reported_at", datetime),
        _attr("response_due", datetime),
        _attr("resolution_due", datetime),
    ),
    _spec(
        "DispatchOrder",
        "dispatches",
        DispatchOrder,
        _attr("status"),
        _attr("request_id"),
        _attr("technician_id"),
        _via("planned_start", datetime, lambda d: d.planned.start),
        _via("planned_end", datetime, lambda d: d.planned.end),
    ),
    _spec(
        "ProcessingOrder",
        "processing",
        ProcessingOrder,
        _attr("status"),
        _attr("request_id"),
        _attr("dispatch_id"),
    ),
    _spec(
        "Quote",
        "quotes",
        Quote,
        _attr("status"),
        _attr("customer_id"),
        _attr("request_id"),
        _attr("valid_until", datetime),
    ),
    _spec(
        "CarePlan",
        "care_plans",
        CarePlan,
        _attr("status"),
        _attr("customer_category"),
        _attr("method"),
        _via("schedule_start", datetime, lambda c: c.schedule.start),
    ),
    _spec("Technician", "technicians", Technician, _attr("active", bool)),
    _spec(
        "KnowledgeArticle",
        "knowledge",
        KnowledgeArticle,
        _attr("product_code"),
        _attr("source_request_id"),
        _attr("created_at", datetime),
    ),
    _spec(
        "Evidence",
        "evidence",
        Evidence,
        _attr("request_id"),
        _attr("kind"),
        _attr("taken_at", datetime),
    ),
    _spec(
        "SparePartPlan",
        "spare_part_plans",
        SparePartPlan,
        _attr("status"),
        _attr("period_start", date),
    ),
    _spec(
        "TransferRequest",
        "transfers",
        TransferRequest,
        _attr("status"),
        _attr("from_warehouse"),
        _attr("to_warehouse"),
        _attr("requested_at", datetime),
    ),
    _spec(
        "PartsRequisition",
        "requisitions",
        PartsRequisition,
        _attr("status"),
        _attr("request_id"),
    ),
    _spec(
        "SurveyResult",
        "surveys",
        SurveyResult,
        _attr("request_id"),
        _attr("technician_id"),
        _attr("answered_at", datetime),
    ),
    _spec(
        "SupplierClaim",
        "claims",
        SupplierClaim,
        _attr("status"),
        _attr("supplier_id"),
        _attr("created_at", datetime),
    ),
    _spec(
        "TechnicalDocument",
        "documents",
        TechnicalDocument,
        _attr("kind"),
        _attr("product_code"),
        _attr("archive_id"),
        _attr("added_at", datetime),
    ),
)
"""Every stored aggregate."""

_BY_CLASS = {spec.cls: spec for spec in AGGREGATES}
_BY_NAME = {spec.name: spec for spec in AGGREGATES} | {spec.kind: spec for spec in AGGREGATES}


def spec_for(what: type | str) -> AggregateSpec:
    """Return the spec of an entity class, a kind (``"ServiceRequest"``) or a name (``"requests"``).

    Raises:
        ValidationError: Nothing by that class or name is stored.
    """
    found = _BY_CLASS.get(what) if isinstance(what, type) else _BY_NAME.get(what)
    if found is None:
        label = what.__name__ if isinstance(what, type) else what
        raise ValidationError.single("aggregate", label, "is not a stored aggregate")
    return found


def unique_values(spec: AggregateSpec, key: UniqueKey, entity: object) -> tuple[object, ...] | None:
    """Return the values of ``key``'s fields ``entity`` holds, or ``None`` if it holds none.

    ``None`` when the entity's status is not one of the key's statuses or a field is ``None``.
    """
    if spec.fields["status"].read(entity) not in key.statuses:
        return None
    values = tuple(spec.fields[name].read(entity) for name in key.fields)
    return None if any(v is None for v in values) else values


def index_value(value: object) -> object:
    """Normalise a query value the way index fields are stored (enums by value)."""
    return value.value if isinstance(value, Enum) else value


@attrs.frozen
class SlotClaim:
    """A technician's time held by a booking or a dispatch order.

    Attributes:
        technician_id: Whose time.
        period: Which time (half-open, so back-to-back claims do not overlap).
        owner_kind: ``"Booking"`` or ``"DispatchOrder"``.
        owner_id: The booking's or dispatch order's id.
    """

    technician_id: str
    period: TimeRange
    owner_kind: str
    owner_id: str


def slot_claim(entity: object) -> SlotClaim | None:
    """Return the technician time ``entity`` holds, or ``None``.

    A booking holds its slot while requested, confirmed or checked in, if it names a technician;
    a dispatch order holds its planned range while assigned, accepted or in progress. Cancelled,
    no-show, rejected, revoked and completed ones release it.
    """
    if isinstance(entity, Booking):
        if entity.technician_id is None or not entity.status.is_live:
            return None
        if entity.dispatch_id is not None:
            return None  # the dispatch order of the booking's own request holds the time
        return SlotClaim(entity.technician_id, entity.slot, "Booking", entity.id)
    if isinstance(entity, DispatchOrder):
        if not entity.status.is_live:
            return None
        return SlotClaim(entity.technician_id, entity.planned, "DispatchOrder", entity.id)
    return None
