"""The reporting port: a few aggregate queries over the stored aggregates' indexed fields.

Reports are built from these queries only, so that on SQL storage the counting happens in the
database (``GROUP BY`` / ``COUNT`` on the indexed columns) and only the groups travel back. The
queries name aggregates by their repository name (``"requests"``) and fields by their indexed
name in :mod:`servicecore.catalog`; time buckets are computed in UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

import attrs

from servicecore.catalog import spec_for
from servicecore.errors import ValidationError
from servicecore.model.audit import AuditEntry
from servicecore.model.booking import Booking
from servicecore.model.contract import ServiceContract
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Priority
from servicecore.model.request import ServiceRequest
from servicecore.model.technician import Technician

__all__ = [
    "MONEY_LIMIT",
    "MONEY_PLACES",
    "VISIT_STATUSES",
    "BookedRequest",
    "Bucket",
    "Condition",
    "CountRow",
    "FixRow",
    "GroupKey",
    "ItemSumRow",
    "MoneyKind",
    "MoneyRow",
    "Op",
    "PlannedRow",
    "QualityCountRow",
    "Related",
    "ReportingBackend",
    "SlaContractRow",
    "SlaCountRow",
    "SlaTargetStatus",
    "Stored",
    "SumRow",
    "TimeUnit",
    "bucket_start",
    "check_as_of",
    "check_item_query",
    "check_path",
    "check_query",
    "check_range",
    "check_window",
    "classify_target",
    "money_refused",
]

MONEY_PLACES = 4
"""Amounts summed by :meth:`ReportingBackend.money_totals` may have at most this many decimals."""

MONEY_LIMIT = Decimal(10) ** 11
"""Amounts summed by :meth:`ReportingBackend.money_totals` must be below this in absolute value.

SQLite sums text decimals through floats; the SQLite backend sums integers of 1/10,000 units
instead, converted from a double: ``ROUND(amount * 10000)`` is exact while the product stays
below 10^15 (the double's rounding error there is under 0.25), hence 10^11 at 4 decimals."""


VISIT_STATUSES = (DispatchStatus.IN_PROGRESS, DispatchStatus.COMPLETED)
"""The dispatch orders that are visits, as first-time fixes count them: work on them started.

A rejected order (declined while only assigned) and a revoked one (withdrawn before work
started) never brought anyone to the job, so they are not attempts at fixing it; nor is an
order still assigned or accepted."""


class TimeUnit(enum.Enum):
    """The length of a time bucket (in UTC)."""

    DAY = "day"
    WEEK = "week"
    """ISO weeks: a bucket starts on Monday."""
    MONTH = "month"


class Op(enum.Enum):
    """How a :class:`Condition` compares an indexed field with its value."""

    EQ = "eq"
    IN = "in"
    GE = "ge"
    """Field not ``None`` and ``>=`` the value."""
    LT = "lt"
    """Field not ``None`` and ``<`` the value."""
    IS_NULL = "is_null"
    NOT_NULL = "not_null"


@attrs.frozen
class Bucket:
    """A group key: the start (a :class:`~datetime.date`) of the time bucket a field falls in.

    Attributes:
        field: An indexed ``datetime`` or ``date`` field.
        unit: Day, week (starting Monday) or month, in UTC.
    """

    field: str
    unit: TimeUnit


@attrs.frozen
class Stored:
    """A group key: a text value stored in the record but not indexed, e.g. ``("fault_cause",)``.

    On SQL storage it is read from the JSON ``data`` column in the database. Use it for text
    (and enum) values: other JSON values come back in each database's own text form.

    Attributes:
        path: Attribute names from the record down to the value.
    """

    path: tuple[str, ...]


@attrs.frozen
class Related:
    """A group key: an indexed field of another record that this record points to.

    For example ``Related("archives", "archive_id", "product_code")`` groups service requests
    by the product code of their product archive (``None`` when there is none). On SQL storage
    this is an outer join in the database.

    Attributes:
        aggregate: The other aggregate's repository name.
        via: The indexed field of the record that holds the other record's id.
        field: The indexed field of the other record to group by.
    """

    aggregate: str
    via: str
    field: str


GroupKey = str | Bucket | Stored | Related
"""What :meth:`ReportingBackend.count_by` may group by: an indexed field's name, a time bucket, a
stored value, or a related record's indexed field."""


@attrs.frozen
class Condition:
    """A filter on an indexed field.

    Attributes:
        field: The indexed field.
        op: The comparison.
        value: The value (enums are compared by value; a tuple for :attr:`Op.IN`; ignored by
            the null tests).
    """

    field: str
    op: Op
    value: object = None


@attrs.frozen
class SumRow:
    """One group of :meth:`ReportingBackend.sum_by`.

    Attributes:
        key: The group's values, in the order of ``group_by``.
        count: How many records are in the group.
        valued: How many of them have a value at the summed path.
        total: The sum of those values (``True`` counts 1, ``False`` 0); ``0.0`` when none.
    """

    key: tuple[object, ...]
    count: int
    valued: int
    total: float


@attrs.frozen
class ItemSumRow:
    """One group of :meth:`ReportingBackend.sum_items`.

    Attributes:
        key: The record fields' values, then the item fields' values, in the query's order
            (item values as the JSON holds them: a boolean may come back as ``1`` / ``0``).
        count: How many items are in the group.
        total: The sum of the items' summed field (``0.0`` when none has a number there).
    """

    key: tuple[object, ...]
    count: int
    total: float


@attrs.frozen
class CountRow:
    """One group of :meth:`ReportingBackend.count_by`.

    Attributes:
        key: The group's values, in the order of ``group_by`` (``None`` for an absent value).
        count: How many records are in the group.
    """

    key: tuple[object, ...]
    count: int


class SlaTargetStatus(enum.Enum):
    """Where an SLA target of a request stands, judged on its stored due time."""

    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    CANCELLED = "cancelled"
    UNMEASURED = "unmeasured"
    """The request has no due time for the target (no SLA applied)."""


@attrs.frozen
class SlaCountRow:
    """One group of :meth:`ReportingBackend.sla_counts`.

    Attributes:
        priority: The requests' priority.
        target: ``"response"`` or ``"resolution"``.
        status: Where the target stands.
        count: How many requests.
    """

    priority: Priority
    target: str
    status: SlaTargetStatus
    count: int


@attrs.frozen
class FixRow:
    """One technician's row of :meth:`ReportingBackend.first_time_fixes`.

    Attributes:
        technician_id: The technician.
        fixed: Closed requests on which the technician completed a dispatch order.
        first_time: Those of them with exactly one visit (:data:`VISIT_STATUSES`) in all: the
            completed one.
    """

    technician_id: str
    fixed: int
    first_time: int


@attrs.frozen
class PlannedRow:
    """One group of :meth:`ReportingBackend.planned_time`.

    Attributes:
        technician_id: The technician.
        day: The UTC day the dispatch orders were planned to start on.
        orders: How many dispatch orders.
        seconds: Their planned time in all (``planned_end - planned_start``), in whole seconds.
    """

    technician_id: str
    day: date
    orders: int
    seconds: int


@attrs.frozen
class QualityCountRow:
    """One group of :meth:`ReportingBackend.quality_counts`.

    Attributes:
        product_code: The product code of the requests' product archive (``None`` without one).
        fault_cause: The requests' recorded fault cause (``None`` while none is recorded).
        requests: How many requests.
        reopened: How many of them have a ``reopen`` entry in their audit trail.
        repeats: How many of them are repeat repairs: another request on the same product
            archive was reported less than the window before them (and not after them).
        surveys: How many survey results rate these requests.
        score_total: The sum of those surveys' scores.
    """

    product_code: str | None
    fault_cause: str | None
    requests: int
    reopened: int
    repeats: int
    surveys: int
    score_total: int


class MoneyKind(enum.Enum):
    """Which amounts of a processing order a :class:`MoneyRow` sums."""

    INCOME = "income"
    """The income lines."""
    COST = "cost"
    """The cost lines."""
    PARTS = "parts"
    """The charged parts used: quantity x unit price."""


@attrs.frozen
class MoneyRow:
    """One group of :meth:`ReportingBackend.money_totals`.

    Attributes:
        currency: The processing orders' currency.
        solution_type: The orders' solution type value, ``None`` when not recorded.
        month: First day of the UTC month the orders' dispatch orders were planned to start in.
        kind: Which amounts are summed.
        lines: How many lines (or charged parts) are in the group.
        total: Their exact sum (only of the amounts not refused).
        refused: How many amounts could not be summed exactly: more than
            :data:`MONEY_PLACES` decimals, an exponent in the stored text, or an absolute
            value of :data:`MONEY_LIMIT` or more.
    """

    currency: str
    solution_type: str | None
    month: date
    kind: MoneyKind
    lines: int
    total: Decimal
    refused: int


def money_refused(text: str) -> bool:
    """Return whether a stored decimal amount cannot be summed exactly by every backend.

    Refused: text in exponent form, more than :data:`MONEY_PLACES` decimals, or an absolute
    value of :data:`MONEY_LIMIT` or more.
    """
    if "e" in text.lower():
        return True
    point = text.find(".")
    if point >= 0 and len(text) - point - 1 > MONEY_PLACES:
        return True
    return abs(Decimal(text)) >= MONEY_LIMIT


@attrs.frozen
class SlaContractRow:
    """One group of :meth:`ReportingBackend.sla_contract_counts`.

    As :class:`SlaCountRow`, by contract too.

    Attributes:
        contract_id: The requests' contract.
        priority: The requests' priority.
        target: ``"response"`` or ``"resolution"``.
        status: Where the target stands (judged on the stored due time).
        count: How many requests.
    """

    contract_id: str
    priority: Priority
    target: str
    status: SlaTargetStatus
    count: int


@attrs.frozen
class BookedRequest:
    """One row of :meth:`ReportingBackend.booked_requests`: a booking and a request from it.

    Attributes:
        booking: The booking.
        request: A service request opened from it (``ServiceRequest.booking_id``), ``None``
            when none was.
    """

    booking: Booking
    request: ServiceRequest | None


class ReportingBackend(Protocol):
    """Aggregate queries for reports; one implementation per storage.

    Every storage returns one from ``storage.reporting()``:
    ``servicecore.reports.python.PythonReporting`` (counts in Python over any storage's records)
    and ``servicecore.adapters.sqlalchemy.reporting.SqlReporting`` (counts in the database).
    :class:`servicecore.testing.reporting.ReportingContract` checks an implementation.
    """

    def count_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        where: Sequence[Condition] = (),
    ) -> list[CountRow]:
        """Count ``aggregate``'s records matching every condition, grouped by the keys.

        Args:
            tenant: Whose records.
            aggregate: The repository name, e.g. ``"bookings"``.
            group_by: :data:`GroupKey` s: indexed fields, time buckets, stored values and
                related records' fields; may be empty (one row, the total).
            where: Conditions on indexed fields, all of which must hold.

        Returns:
            One row per non-empty group, in no particular order (no row at all when nothing
            matches).

        Raises:
            ValidationError: An unknown aggregate or field, a bucket over a field that is not a
                date or datetime, or a bad condition value.
        """
        ...

    def sum_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        value: Sequence[str],
        where: Sequence[Condition] = (),
    ) -> list[SumRow]:
        """Like :meth:`count_by`, and also sum a number or boolean stored in the records.

        Args:
            tenant: Whose records.
            aggregate: The repository name, e.g. ``"surveys"``.
            group_by: Indexed fields and time buckets.
            value: The path of the value in the stored record, e.g. ``("score",)``: attribute
                names, as in :mod:`servicecore.serialization`'s JSON (on SQL storage the sum is
                taken in the database from the JSON ``data`` column).
            where: Conditions on indexed fields.

        Returns:
            One row per non-empty group, in no particular order.

        Raises:
            ValidationError: As for :meth:`count_by`, or an empty ``value`` path or one with a
                name that is not an identifier.
        """
        ...

    def sum_items(
        self,
        tenant: str,
        aggregate: str,
        items: str,
        group_by: Sequence[str],
        item_keys: Sequence[str],
        value: str,
        where: Sequence[Condition] = (),
    ) -> list[ItemSumRow]:
        """Count and sum the items of a list stored in each record, grouped.

        For example the lines of parts requisitions by status and part code, summing their
        quantities. On SQL storage the list is unnested in the database (``json_each`` on
        SQLite, ``jsonb_array_elements`` on PostgreSQL).

        Args:
            tenant: Whose records.
            aggregate: The repository name, e.g. ``"requisitions"``.
            items: The list attribute of the record, e.g. ``"lines"``.
            group_by: Indexed fields of the record.
            item_keys: Attributes of the items to group by, e.g. ``("part_code",)``.
            value: The numeric attribute of the items to sum, e.g. ``"quantity"``.
            where: Conditions on the record's indexed fields.

        Returns:
            :class:`ItemSumRow` s, one per non-empty group, in no particular order.

        Raises:
            ValidationError: As for :meth:`count_by`, or ``items``, an item key or ``value``
                that is not an identifier.
        """
        ...

    def first_time_fixes(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[FixRow]:
        """Count, per technician, the closed requests they fixed and those fixed the first time.

        Counts the ``closed`` requests reported in ``[start, end)`` (``None``: no bound). A
        request is *fixed* by each technician who completed one of its dispatch orders, and
        fixed *the first time* when exactly one of its dispatch orders is a visit (in progress
        or completed: :data:`VISIT_STATUSES`) and that one is completed. Rejected, revoked and
        never-started orders are not visits: a job another technician rejected first, or that
        was taken off them before they started, is still a first-time fix for whoever then
        fixed it on one visit. On SQL storage: the visits grouped by request in a subquery,
        joined to the requests and the completed dispatch orders, grouped by technician.

        Returns:
            One row per technician with at least one fix, in no particular order.

        Raises:
            ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not
                after ``start``.
        """
        ...

    def booked_requests(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[BookedRequest]:
        """List the bookings whose slot starts in ``[start, end)``, each with its requests.

        ``None``: no bound. A booking with several requests opened from it gives one row per
        request; one without gives one row with ``request=None``. On SQL storage the bookings
        are filtered and outer-joined to the requests (on ``booking_id``) in the database.

        Returns:
            The rows, in no particular order.

        Raises:
            ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not
                after ``start``.
        """
        ...

    def planned_time(
        self,
        tenant: str,
        statuses: Sequence[str],
        start: datetime | None,
        end: datetime | None,
    ) -> list[PlannedRow]:
        """Sum the planned time of dispatch orders per technician and UTC day of planned start.

        Counts the dispatch orders in one of ``statuses`` (status values) planned to start in
        ``[start, end)`` (``None``: no bound); on SQL storage the differences are summed in the
        database (``strftime('%s', ...)`` on SQLite, ``EXTRACT(EPOCH ...)`` on PostgreSQL).

        Returns:
            One row per technician and day with orders, in no particular order.

        Raises:
            ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not
                after ``start``.
        """
        ...

    def technicians(self, tenant: str, ids: Sequence[str]) -> list[Technician]:
        """Return the technicians with these ids (a handful: those in a report's rows).

        Returns:
            The technicians found, in no particular order; unknown ids are skipped.
        """
        ...

    def quality_counts(
        self,
        tenant: str,
        start: datetime | None,
        end: datetime | None,
        repeat_within: timedelta,
    ) -> list[QualityCountRow]:
        """Count reopened requests, repeat repairs and survey scores by product and fault cause.

        Counts the service requests reported in ``[start, end)`` (``None``: no bound). On SQL
        storage: one grouped query with correlated ``EXISTS`` tests on the audit table and on
        the requests of the same archive (time differences in Julian days on SQLite), and one
        grouped query over the surveys joined to their requests.

        Returns:
            One row per product code and fault cause with requests, in no particular order.

        Raises:
            ValidationError: ``start`` or ``end`` is not an aware datetime, ``end`` is not after
                ``start``, or ``repeat_within`` is not a positive timedelta.
        """
        ...

    def money_totals(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[MoneyRow]:
        """Sum the money of completed processing orders exactly, grouped.

        A processing order is dated by the planned start of its dispatch order (joined in the
        database); orders dated in ``[start, end)`` count (``None``: no bound). Amounts are
        grouped by currency, solution type, month and :class:`MoneyKind`. On SQL storage the
        lines are unnested and summed in the database: PostgreSQL sums ``NUMERIC``, SQLite
        sums integers of 1/10,000 units (see :data:`MONEY_LIMIT`); amounts that could not be
        summed exactly are counted in :attr:`MoneyRow.refused`, not summed.

        Returns:
            One row per non-empty group, in no particular order.

        Raises:
            ValidationError: ``start`` or ``end`` is not an aware datetime.
        """
        ...

    def sla_contract_counts(self, tenant: str, as_of: datetime) -> list[SlaContractRow]:
        """Like :meth:`sla_counts`, for the requests under a contract, grouped by contract too.

        Raises:
            ValidationError: ``as_of`` is not an aware datetime.
        """
        ...

    def sla_breached(self, tenant: str, as_of: datetime) -> list[ServiceRequest]:
        """Return the requests under a contract with a target breached at ``as_of``.

        Breached as :meth:`sla_counts` judges it, on the stored due times; on SQL storage the
        database selects them, so only the (few) breached requests are read.

        Raises:
            ValidationError: ``as_of`` is not an aware datetime.
        """
        ...

    def contracts(self, tenant: str, ids: Sequence[str]) -> list[ServiceContract]:
        """Return the service contracts with these ids (unknown ids are skipped)."""
        ...

    def audit_trails(
        self, tenant: str, entity_kind: str, ids: Sequence[str]
    ) -> dict[str, list[AuditEntry]]:
        """Return the audit trails of a few entities, by id, each in ``seq`` order."""
        ...

    def sla_counts(self, tenant: str, as_of: datetime) -> list[SlaCountRow]:
        """Count service requests by priority, SLA target and target status at ``as_of``.

        A target is *met* when done (response: ``responded_at``; resolution: the closure's
        ``closed_at``; a time after ``as_of`` counts as not done) no later than its stored due
        time (``response_due``, ``resolution_due``), *breached* when done later or not done and
        due before ``as_of``, *cancelled* when not done and the request is cancelled, *pending*
        when not done and not yet due, and *unmeasured* when it has no due time. Requests
        reported after ``as_of`` are not counted.

        Raises:
            ValidationError: ``as_of`` is not an aware datetime.
        """
        ...


def bucket_start(value: date | datetime, unit: TimeUnit) -> date:
    """Return the first day of the ``unit`` bucket ``value`` falls in (datetimes taken in UTC)."""
    day = value.astimezone(UTC).date() if isinstance(value, datetime) else value
    if unit is TimeUnit.DAY:
        return day
    if unit is TimeUnit.WEEK:
        return date.fromordinal(day.toordinal() - day.weekday())
    return day.replace(day=1)


def check_query(aggregate: str, group_by: Sequence[GroupKey], where: Sequence[Condition]) -> None:
    """Check that a :meth:`ReportingBackend.count_by` query names real indexed fields.

    Raises:
        ValidationError: An unknown aggregate or field, a bucket over a field that is not a date
            or datetime, a condition whose op is not an :class:`Op`, or an ``in`` condition
            whose value is not a tuple.
    """
    spec = spec_for(aggregate)
    for i, key in enumerate(group_by):
        if isinstance(key, Stored):
            if not key.path or not all(isinstance(p, str) and p.isidentifier() for p in key.path):
                raise ValidationError.single(
                    f"group_by[{i}].path", key.path, "must be a non-empty path of field names"
                )
            continue
        if isinstance(key, Related):
            other = spec_for(key.aggregate)
            if key.via not in spec.fields:
                raise ValidationError.single(
                    f"group_by[{i}].via", key.via, f"is not an indexed field of {spec.name}"
                )
            if key.field not in other.fields:
                raise ValidationError.single(
                    f"group_by[{i}].field", key.field, f"is not an indexed field of {other.name}"
                )
            continue
        name = key.field if isinstance(key, Bucket) else key
        field = spec.fields.get(name)
        if field is None:
            raise ValidationError.single(
                f"group_by[{i}]", name, f"is not an indexed field of {spec.name}"
            )
        if isinstance(key, Bucket) and field.type not in (date, datetime):
            raise ValidationError.single(f"group_by[{i}]", name, "is not a date or datetime")
    for i, cond in enumerate(where):
        if cond.field not in spec.fields:
            raise ValidationError.single(
                f"where[{i}].field", cond.field, f"is not an indexed field of {spec.name}"
            )
        if not isinstance(cond.op, Op):
            raise ValidationError.single(f"where[{i}].op", cond.op, "must be an Op")
        if cond.op is Op.IN and not isinstance(cond.value, tuple):
            raise ValidationError.single(f"where[{i}].value", cond.value, "must be a tuple")


def check_as_of(as_of: object) -> datetime:
    """Return ``as_of`` if it is an aware datetime.

    Raises:
        ValidationError: It is not.
    """
    if not isinstance(as_of, datetime) or as_of.utcoffset() is None:
        raise ValidationError.single("as_of", as_of, "must be a timezone-aware datetime")
    return as_of


def check_range(start: object, end: object) -> None:
    """Check a ``[start, end)`` range whose bounds may be ``None``.

    Raises:
        ValidationError: A bound is not an aware datetime, or ``end`` is not after ``start``.
    """
    for name, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
            raise ValidationError.single(name, value, "must be a timezone-aware datetime")
    if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
        raise ValidationError.single("end", end, f"must be after start {start}")


def check_window(repeat_within: object) -> timedelta:
    """Return ``repeat_within`` if it is a positive :class:`~datetime.timedelta`.

    Raises:
        ValidationError: It is not.
    """
    if not isinstance(repeat_within, timedelta) or repeat_within <= timedelta(0):
        raise ValidationError.single("repeat_within", repeat_within, "must be a positive timedelta")
    return repeat_within


def classify_target(
    done_at: datetime | None, due: datetime | None, cancelled: bool, as_of: datetime
) -> SlaTargetStatus:
    """Return where one SLA target stands, as :meth:`ReportingBackend.sla_counts` defines it."""
    if due is None:
        return SlaTargetStatus.UNMEASURED
    if done_at is not None:
        return SlaTargetStatus.MET if done_at <= due else SlaTargetStatus.BREACHED
    if cancelled:
        return SlaTargetStatus.CANCELLED
    return SlaTargetStatus.BREACHED if due < as_of else SlaTargetStatus.PENDING


def check_path(value: Sequence[str]) -> tuple[str, ...]:
    """Return a :meth:`ReportingBackend.sum_by` value path as a tuple, checked.

    Raises:
        ValidationError: The path is empty or a name in it is not an identifier.
    """
    path = tuple(value) if not isinstance(value, str) else (value,)
    if not path or not all(isinstance(p, str) and p.isidentifier() for p in path):
        raise ValidationError.single("value", value, "must be a non-empty path of field names")
    return path


def check_item_query(items: str, item_keys: Sequence[str], value: str) -> None:
    """Check the list and item attribute names of a :meth:`ReportingBackend.sum_items` query.

    Raises:
        ValidationError: ``items``, an item key or ``value`` is not an identifier.
    """
    names = [("items", items), ("value", value)]
    names += [(f"item_keys[{i}]", k) for i, k in enumerate(item_keys)]
    for path, name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValidationError.single(path, name, "must be an attribute name")
