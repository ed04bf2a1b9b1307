"""The reporting port: a small query core that every storage implements once.

A backend answers five questions about the stored aggregates: grouped counts
(:meth:`~ReportingBackend.count_by`), grouped sums of a number
(:meth:`~ReportingBackend.sum_by`), of the items of a stored list
(:meth:`~ReportingBackend.sum_items`) and of money, exactly
(:meth:`~ReportingBackend.sum_money`), and the records matching filters
(:meth:`~ReportingBackend.list_records`). Queries name aggregates by their repository name
(``"requests"``) and address values through a small expression language:

* an indexed field's name (:mod:`servicecore.catalog`) or ``"id"``;
* :class:`Stored`: a value inside the stored record that is not indexed;
* :class:`Related`: a value of another record this one points to (an outer join);
* :class:`Bucket`: the day, week or month a date falls in (UTC);
* :class:`Case`: the label of the first branch whose filters hold;

and filters: :class:`Condition` (a value compared with a constant, or with another value of the
same record through :class:`Other`), :class:`AnyOf` (alternatives), :class:`Audited` (the
record's audit trail has an entry with a trigger) and :class:`Another` (another record of the
same aggregate shares a value, optionally within a time window before this one).

The named reports (:mod:`servicecore.reports.queries`) are built from these once, for every
backend; on SQL storage each core query is one statement, so the counting happens in the
database and only the groups travel back.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs

from servicecore.catalog import spec_for
from servicecore.errors import ValidationError

__all__ = [
    "MONEY_LIMIT",
    "MONEY_PLACES",
    "Another",
    "AnyOf",
    "Audited",
    "Bucket",
    "Case",
    "Condition",
    "CountRow",
    "Filter",
    "GroupKey",
    "ItemSumRow",
    "MoneySumRow",
    "Op",
    "Other",
    "Related",
    "ReportingBackend",
    "Seconds",
    "Stored",
    "SumRow",
    "TimeUnit",
    "ValueRef",
    "bucket_start",
    "check_as_of",
    "check_item_query",
    "check_path",
    "check_query",
    "check_range",
    "check_window",
    "money_refused",
    "ref_type",
]

MONEY_PLACES = 4
"""Amounts summed by :meth:`ReportingBackend.sum_money` may have at most this many decimals."""

MONEY_LIMIT = Decimal(10) ** 11
"""Amounts summed by :meth:`ReportingBackend.sum_money` must be below this in absolute value.

SQLite sums text decimals through floats; the SQLite backend sums integers of 1/10,000 units
instead, converted from a double: ``ROUND(amount * 10000)`` is exact while the product stays
below 10^15 (the double's rounding error there is under 0.25), hence 10^11 at 4 decimals."""


class TimeUnit(enum.Enum):
    """The length of a time bucket (in UTC)."""

    DAY = "day"
    WEEK = "week"
    """ISO weeks: a bucket starts on Monday."""
    MONTH = "month"


class Op(enum.Enum):
    """How a :class:`Condition` compares a value with its operand.

    Every comparison but the null tests is false when the record's value is absent (``None``),
    as in SQL.
    """

    EQ = "eq"
    NE = "ne"
    IN = "in"
    GE = "ge"
    GT = "gt"
    LE = "le"
    LT = "lt"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"


@attrs.frozen
class Stored:
    """A value stored in the record but not indexed, e.g. ``Stored(("fault_cause",))``.

    On SQL storage it is read from the JSON ``data`` column in the database.

    Attributes:
        path: Attribute names from the record down to the value.
        type: ``str`` (text and enum values) or ``datetime`` (compared and bucketed as an
            instant).
    """

    path: tuple[str, ...]
    type: type = str


@attrs.frozen
class Related:
    """A value of another record that this record points to through an indexed field.

    For example ``Related("archives", "archive_id", "product_code")`` is the product code of a
    service request's product archive (``None`` when there is none). ``field`` may itself be a
    :class:`Stored` value of the other record or another :class:`Related` hop. On SQL storage
    this is an outer join in the database.

    Attributes:
        aggregate: The other aggregate's repository name.
        via: The indexed field of this record that holds the other record's id.
        field: What to read off the other record.
    """

    aggregate: str
    via: str
    field: str | Stored | Related


ValueRef = str | Stored | Related
"""A value of a record: an indexed field's name (or ``"id"``), a stored value or a related
record's value."""


@attrs.frozen
class Bucket:
    """A group key: the start (a :class:`~datetime.date`) of the time bucket a value falls in.

    Attributes:
        field: A ``datetime`` or ``date`` value (an indexed field, or a related one).
        unit: Day, week (starting Monday) or month, in UTC.
    """

    field: ValueRef
    unit: TimeUnit


@attrs.frozen
class Other:
    """A :class:`Condition` operand: another value of the same record.

    Attributes:
        field: The value compared with.
    """

    field: ValueRef


@attrs.frozen
class Condition:
    """A filter: one value of the record compared with an operand.

    Attributes:
        field: The value tested.
        op: The comparison.
        value: A constant (enums are compared by value; a tuple for :attr:`Op.IN`; ignored by
            the null tests) or :class:`Other`.
    """

    field: ValueRef
    op: Op
    value: object = None


@attrs.frozen
class AnyOf:
    """A filter that holds when every filter of at least one alternative holds.

    Attributes:
        alternatives: Tuples of filters.
    """

    alternatives: tuple[tuple[Filter, ...], ...]


@attrs.frozen
class Audited:
    """A filter: the record's audit trail holds an entry with this trigger.

    Attributes:
        trigger: The lifecycle trigger, e.g. ``"reopen"``.
    """

    trigger: str


@attrs.frozen
class Another:
    """A filter: another record of the same aggregate has the same ``key`` value.

    With ``at`` and ``within``, the other record's ``at`` must also lie in
    ``(this.at - within, this.at]``. With ``present=False`` the filter holds when no such
    record exists. A record whose ``key`` is ``None`` has no other record.

    Attributes:
        key: The indexed field both records share.
        where: Conditions (on indexed fields) the other record must meet.
        at: An indexed datetime field for the window.
        within: The window's length (a positive timedelta).
        present: Whether such a record must exist (``True``) or must not (``False``).
    """

    key: str
    where: tuple[Condition, ...] = ()
    at: str | None = None
    within: timedelta | None = None
    present: bool = True


Filter = Condition | AnyOf | Audited | Another
"""A filter of a query."""


@attrs.frozen
class Case:
    """A group key: the label of the first branch whose filters all hold, else ``default``.

    Attributes:
        branches: ``(filters, label)`` pairs, tried in order.
        default: The label when no branch holds.
    """

    branches: tuple[tuple[tuple[Filter, ...], str], ...]
    default: str


GroupKey = str | Bucket | Stored | Related | Case
"""What a query may group by."""


@attrs.frozen
class Seconds:
    """A :meth:`ReportingBackend.sum_by` value: the seconds from one datetime field to another.

    Attributes:
        start: An indexed datetime field.
        end: An indexed datetime field.
    """

    start: str
    end: str


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
class MoneySumRow:
    """One group of :meth:`ReportingBackend.sum_money`.

    Attributes:
        key: The group's values, in the order of ``group_by``.
        lines: How many items are in the group.
        total: The exact sum of the amounts not refused (times their quantity).
        refused: How many amounts could not be summed exactly (:func:`money_refused`).
    """

    key: tuple[object, ...]
    lines: int
    total: Decimal
    refused: int


@attrs.frozen
class CountRow:
    """One group of :meth:`ReportingBackend.count_by`.

    Attributes:
        key: The group's values, in the order of ``group_by`` (``None`` for an absent value).
        count: How many records (or distinct values) are in the group.
    """

    key: tuple[object, ...]
    count: int


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


class ReportingBackend(Protocol):
    """The query core of reports; one implementation per storage.

    Every storage returns one from ``storage.reporting()``:
    ``servicecore.reports.python.PythonReporting`` (evaluates the queries in Python over any
    storage's records) and ``servicecore.adapters.sqlalchemy.reporting.SqlReporting`` (compiles
    each query to one SQL statement). :class:`servicecore.testing.reporting.ReportingContract`
    checks an implementation with known answers.
    """

    def count_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        where: Sequence[Filter] = (),
        distinct: ValueRef | None = None,
    ) -> list[CountRow]:
        """Count ``aggregate``'s records matching every filter, grouped by the keys.

        Args:
            tenant: Whose records.
            aggregate: The repository name, e.g. ``"bookings"``.
            group_by: :data:`GroupKey` s; may be empty (one row, the total).
            where: Filters, all of which must hold.
            distinct: Count the distinct non-``None`` values of this instead of records.

        Returns:
            One row per non-empty group, in no particular order (no row at all when nothing
            matches).

        Raises:
            ValidationError: An unknown aggregate or field, a bucket over a value that is not
                a date or datetime, or a bad filter.
        """
        ...

    def sum_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        value: Sequence[str] | Seconds,
        where: Sequence[Filter] = (),
    ) -> list[SumRow]:
        """Like :meth:`count_by`, and also sum a number, a boolean or a duration.

        Args:
            tenant: Whose records.
            aggregate: The repository name, e.g. ``"surveys"``.
            group_by: The group keys.
            value: The path of a number or boolean in the stored record, e.g. ``("score",)``
                (on SQL storage read from the JSON ``data`` column in the database), or
                :class:`Seconds` between two indexed datetimes.
            where: Filters.

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
        group_by: Sequence[GroupKey],
        item_keys: Sequence[str],
        value: str,
        where: Sequence[Filter] = (),
    ) -> list[ItemSumRow]:
        """Count and sum the items of a list stored in each record, grouped.

        For example the lines of parts requisitions by status and part code, summing their
        quantities. On SQL storage the list is unnested in the database (``json_each`` on
        SQLite, ``jsonb_array_elements`` on PostgreSQL).

        Args:
            tenant: Whose records.
            aggregate: The repository name, e.g. ``"requisitions"``.
            items: The list attribute of the record, e.g. ``"lines"``.
            group_by: Group keys of the record.
            item_keys: Attributes of the items to group by, e.g. ``("part_code",)``.
            value: The numeric attribute of the items to sum, e.g. ``"quantity"``.
            where: Filters on the record.

        Returns:
            :class:`ItemSumRow` s, one per non-empty group, in no particular order.

        Raises:
            ValidationError: As for :meth:`count_by`, or ``items``, an item key or ``value``
                that is not an identifier.
        """
        ...

    def sum_money(
        self,
        tenant: str,
        aggregate: str,
        items: str,
        amount: Sequence[str],
        group_by: Sequence[GroupKey],
        where: Sequence[Filter] = (),
        times: str | None = None,
        only: str | None = None,
    ) -> list[MoneySumRow]:
        """Sum a money amount of the items of a stored list exactly, grouped.

        On SQL storage the list is unnested and summed in the database: PostgreSQL sums
        ``NUMERIC``, SQLite sums integers of 1/10,000 units (see :data:`MONEY_LIMIT`); amounts
        :func:`money_refused` refuses are counted in :attr:`MoneySumRow.refused`, not summed.

        Args:
            tenant: Whose records.
            aggregate: The repository name, e.g. ``"processing"``.
            items: The list attribute of the record, e.g. ``"income_lines"``.
            amount: The path from an item to its :class:`~servicecore.model.common.Money`,
                e.g. ``("amount",)``.
            group_by: Group keys of the record.
            where: Filters on the record.
            times: An integer attribute of the items each amount is multiplied by.
            only: A boolean attribute of the items: only items where it is true count.

        Returns:
            One row per non-empty group, in no particular order.

        Raises:
            ValidationError: As for :meth:`count_by`, or an attribute name that is not an
                identifier.
        """
        ...

    def list_records(self, tenant: str, aggregate: str, where: Sequence[Filter] = ()) -> list[Any]:
        """Return the records of ``aggregate`` matching every filter.

        Returns:
            The records (entities), in no particular order.

        Raises:
            ValidationError: An unknown aggregate or field, or a bad filter.
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


def _names(path: object) -> bool:
    return (
        isinstance(path, tuple)
        and bool(path)
        and all(isinstance(p, str) and p.isidentifier() for p in path)
    )


def ref_type(aggregate: str, ref: object, where: str) -> type:
    """Return the type of a :data:`ValueRef` of ``aggregate``'s records, checking it.

    Args:
        aggregate: The repository name of the records.
        ref: The reference.
        where: The reference's place in the query, named in errors (e.g. ``"group_by[0]"``).

    Raises:
        ValidationError: An unknown aggregate or field, or a malformed reference.
    """
    spec = spec_for(aggregate)
    if isinstance(ref, str):
        if ref == "id":
            return str
        field = spec.fields.get(ref)
        if field is None:
            raise ValidationError.single(where, ref, f"is not an indexed field of {spec.name}")
        return field.type
    if isinstance(ref, Stored):
        if not _names(ref.path):
            raise ValidationError.single(
                f"{where}.path", ref.path, "must be a non-empty path of field names"
            )
        if ref.type not in (str, datetime):
            raise ValidationError.single(f"{where}.type", ref.type, "must be str or datetime")
        return ref.type
    if isinstance(ref, Related):
        other = spec_for(ref.aggregate)
        if ref.via not in spec.fields:
            raise ValidationError.single(
                f"{where}.via", ref.via, f"is not an indexed field of {spec.name}"
            )
        return ref_type(other.name, ref.field, f"{where}.field")
    raise ValidationError.single(where, ref, "must be a field name, Stored or Related")


def _check_filter(aggregate: str, f: object, where: str) -> None:
    if isinstance(f, Condition):
        ref_type(aggregate, f.field, f"{where}.field")
        if not isinstance(f.op, Op):
            raise ValidationError.single(f"{where}.op", f.op, "must be an Op")
        if f.op is Op.IN and not isinstance(f.value, tuple):
            raise ValidationError.single(f"{where}.value", f.value, "must be a tuple")
        if isinstance(f.value, Other):
            if f.op in (Op.IN, Op.IS_NULL, Op.NOT_NULL):
                raise ValidationError.single(f"{where}.op", f.op, "cannot compare with Other")
            ref_type(aggregate, f.value.field, f"{where}.value.field")
        return
    if isinstance(f, AnyOf):
        if not isinstance(f.alternatives, tuple) or not f.alternatives:
            raise ValidationError.single(
                f"{where}.alternatives", f.alternatives, "must be a non-empty tuple"
            )
        for i, alternative in enumerate(f.alternatives):
            if not isinstance(alternative, tuple):
                raise ValidationError.single(
                    f"{where}.alternatives[{i}]", alternative, "must be a tuple of filters"
                )
            for j, inner in enumerate(alternative):
                _check_filter(aggregate, inner, f"{where}.alternatives[{i}][{j}]")
        return
    if isinstance(f, Audited):
        if not isinstance(f.trigger, str) or not f.trigger.isidentifier():
            raise ValidationError.single(f"{where}.trigger", f.trigger, "must be a trigger name")
        return
    if isinstance(f, Another):
        if ref_type(aggregate, f.key, f"{where}.key") is not str:
            raise ValidationError.single(f"{where}.key", f.key, "must be a text field")
        for j, inner in enumerate(f.where):
            if not isinstance(inner, Condition) or not isinstance(inner.field, str):
                raise ValidationError.single(
                    f"{where}.where[{j}]", inner, "must be a Condition on an indexed field"
                )
            _check_filter(aggregate, inner, f"{where}.where[{j}]")
        if (f.at is None) != (f.within is None):
            raise ValidationError.single(f"{where}.within", f.within, "needs at, and at within")
        if f.at is not None:
            if ref_type(aggregate, f.at, f"{where}.at") is not datetime:
                raise ValidationError.single(f"{where}.at", f.at, "is not a datetime field")
            check_window(f.within, f"{where}.within")
        return
    raise ValidationError.single(where, f, "must be a Condition, AnyOf, Audited or Another")


def _check_key(aggregate: str, key: object, where: str) -> None:
    if isinstance(key, Bucket):
        if not isinstance(key.unit, TimeUnit):
            raise ValidationError.single(f"{where}.unit", key.unit, "must be a TimeUnit")
        found = ref_type(aggregate, key.field, where)
        if found not in (date, datetime):
            raise ValidationError.single(where, key.field, "is not a date or datetime")
        return
    if isinstance(key, Case):
        if not isinstance(key.branches, tuple):
            raise ValidationError.single(f"{where}.branches", key.branches, "must be a tuple")
        for i, branch in enumerate(key.branches):
            if not (
                isinstance(branch, tuple) and len(branch) == 2 and isinstance(branch[0], tuple)
            ):
                raise ValidationError.single(
                    f"{where}.branches[{i}]", branch, "must be a (filters, label) pair"
                )
            for j, f in enumerate(branch[0]):
                _check_filter(aggregate, f, f"{where}.branches[{i}][{j}]")
        return
    ref_type(aggregate, key, where)


def check_query(aggregate: str, group_by: Sequence[GroupKey], where: Sequence[Filter]) -> None:
    """Check that a query names real fields and is well formed.

    Raises:
        ValidationError: An unknown aggregate or field, a bucket over a value that is not a date
            or datetime, a condition whose op is not an :class:`Op`, an ``in`` condition whose
            value is not a tuple, or another malformed key or filter (the error names where).
    """
    spec_for(aggregate)
    for i, key in enumerate(group_by):
        _check_key(aggregate, key, f"group_by[{i}]")
    for i, f in enumerate(where):
        _check_filter(aggregate, f, f"where[{i}]")


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


def check_window(repeat_within: object, name: str = "repeat_within") -> timedelta:
    """Return ``repeat_within`` if it is a positive :class:`~datetime.timedelta`.

    Raises:
        ValidationError: It is not (the error names ``name``).
    """
    if not isinstance(repeat_within, timedelta) or repeat_within <= timedelta(0):
        raise ValidationError.single(name, repeat_within, "must be a positive timedelta")
    return repeat_within


def check_path(value: Sequence[str] | Seconds, aggregate: str | None = None) -> tuple[str, ...]:
    """Return a :meth:`ReportingBackend.sum_by` value path as a tuple, checked.

    A :class:`Seconds` value is checked against ``aggregate`` and gives an empty path.

    Raises:
        ValidationError: The path is empty or a name in it is not an identifier, or a
            :class:`Seconds` field is not a datetime field.
    """
    if isinstance(value, Seconds):
        for name in ("start", "end"):
            field = getattr(value, name)
            if aggregate is None or ref_type(aggregate, field, f"value.{name}") is not datetime:
                raise ValidationError.single(f"value.{name}", field, "is not a datetime field")
        return ()
    path = tuple(value) if not isinstance(value, str) else (value,)
    if not _names(path):
        raise ValidationError.single("value", value, "must be a non-empty path of field names")
    return path


def check_item_query(items: str, item_keys: Sequence[str], value: str | Sequence[str]) -> None:
    """Check the list and item attribute names of an items query.

    Raises:
        ValidationError: ``items``, an item key or a ``value`` name is not an identifier.
    """
    values: list[object] = [value] if isinstance(value, str) else list(value)
    names: list[tuple[str, object]] = [("items", items)]
    names += [("value", v) for v in values] or [("value", value)]
    names += [(f"item_keys[{i}]", k) for i, k in enumerate(item_keys)]
    for path, name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValidationError.single(path, name, "must be an attribute name")
