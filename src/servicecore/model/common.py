"""Value objects shared by every aggregate: typed ids, money, time ranges, locations.

Ids are :class:`typing.NewType` over ``str``: free at run time, distinct for the type checker, and
validated on every entity field by :func:`~servicecore.model._validate.identifier`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import NewType

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v

__all__ = [
    "ArchiveId",
    "BookingId",
    "CarePlanId",
    "ClaimId",
    "ContractId",
    "CustomerId",
    "DispatchId",
    "DocumentId",
    "EvidenceId",
    "GeoPoint",
    "KnowledgeId",
    "Money",
    "PartCode",
    "ProcessingId",
    "QuoteId",
    "RequestId",
    "RequisitionId",
    "SiteId",
    "SparePartPlanId",
    "SurveyId",
    "TechnicianId",
    "TimeRange",
    "TransferId",
    "WarehouseId",
    "utc",
]

CustomerId = NewType("CustomerId", str)
SiteId = NewType("SiteId", str)
ArchiveId = NewType("ArchiveId", str)
ContractId = NewType("ContractId", str)
BookingId = NewType("BookingId", str)
RequestId = NewType("RequestId", str)
DispatchId = NewType("DispatchId", str)
ProcessingId = NewType("ProcessingId", str)
QuoteId = NewType("QuoteId", str)
CarePlanId = NewType("CarePlanId", str)
TechnicianId = NewType("TechnicianId", str)
KnowledgeId = NewType("KnowledgeId", str)
EvidenceId = NewType("EvidenceId", str)
SparePartPlanId = NewType("SparePartPlanId", str)
TransferId = NewType("TransferId", str)
RequisitionId = NewType("RequisitionId", str)
SurveyId = NewType("SurveyId", str)
ClaimId = NewType("ClaimId", str)
DocumentId = NewType("DocumentId", str)
WarehouseId = NewType("WarehouseId", str)
PartCode = NewType("PartCode", str)


def utc(value: datetime) -> datetime:
    """Return ``value`` converted to UTC.

    Raises:
        ValidationError: ``value`` is naive (has no timezone).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.single("datetime", value, "must be timezone-aware")
    return value.astimezone(UTC)


def _to_decimal(value: Decimal | int | str) -> Decimal:
    # Floats are refused on purpose: 0.1 has no exact Decimal and money must not drift.
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except ArithmeticError:
            pass
    raise ValidationError.single("amount", value, "must be a Decimal, an int or a numeric string")


MONEY_CONTEXT = Context(
    prec=v.DECIMAL_DIGITS,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
"""The one decimal context of servicecore's money arithmetic, whatever the thread's context.

Exact: a result that would need rounding (more than 28 significant digits) raises instead of
being rounded silently; only :meth:`Money.rounded` rounds, on purpose.
"""


def exact(operation: str, *operands: Decimal, field: str = "amount") -> Decimal:
    """Return ``MONEY_CONTEXT.<operation>(*operands)`` (``"add"``, ``"multiply"``...), exactly.

    Raises:
        ValidationError: The exact result has more digits than storage holds (naming
            ``field``).
    """
    try:
        result: Decimal = getattr(MONEY_CONTEXT, operation)(*operands)
    except ArithmeticError as exc:
        raise ValidationError.single(
            field,
            operands,
            f"the exact result of {operation} has more than {v.DECIMAL_DIGITS} digits",
        ) from exc
    return result


def rounded_quotient(numerator: Decimal, denominator: Decimal, places: int, field: str) -> Decimal:
    """Return ``numerator / denominator`` rounded half-even to ``places`` decimals.

    Computed in a context of its own (wide enough for any two storable decimals), so the
    thread's decimal context never changes the result.

    Raises:
        ValidationError: ``denominator`` is zero, or the rounded result is not storable
            (naming ``field``).
    """
    wide = MONEY_CONTEXT.copy()
    wide.prec = 4 * v.DECIMAL_DIGITS + places
    wide.traps[Inexact] = False
    try:
        result = wide.divide(numerator, denominator).quantize(
            Decimal(1).scaleb(-places), context=wide
        )
    except ArithmeticError as exc:
        raise ValidationError.single(
            field, (numerator, denominator), "cannot be computed exactly enough"
        ) from exc
    if not v.storable(result):
        raise ValidationError.single(field, result, "is too large to store")
    return result


@attrs.frozen
class Money:
    """An exact amount of one currency.

    Arithmetic keeps full precision (``Decimal``) and refuses to mix currencies; round only when
    presenting or invoicing, with :meth:`rounded`.

    Attributes:
        amount: The amount (``Decimal``; ints and numeric strings are converted, floats refused).
        currency: ISO 4217 code, e.g. ``"EUR"``.

    Raises:
        ValidationError: ``amount`` is not finite or is a float, or ``currency`` is not a code.
    """

    amount: Decimal = attrs.field(converter=_to_decimal, validator=v.decimal())
    currency: str = attrs.field(validator=v.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in ``currency``."""
        return cls(Decimal(0), currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """Sum ``amounts`` exactly; an empty iterable gives zero in ``currency``.

        Raises:
            ValidationError: An amount is in another currency.
        """
        result = cls.zero(currency)
        for m in amounts:
            result = result + m
        return result

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise ValidationError.single("other", other, "must be Money")
        if other.currency != self.currency:
            raise ValidationError.single(
                "currency", other.currency, f"cannot combine with {self.currency}"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(exact("add", self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(exact("subtract", self.amount, other.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(exact("multiply", self.amount, _to_decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(exact("minus", self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def rounded(self, places: int = 2) -> Money:
        """Return the amount rounded half-even to ``places`` decimals (for display or invoices)."""
        target = Decimal(1).scaleb(-places)
        with localcontext(MONEY_CONTEXT) as rounding:
            rounding.traps[Inexact] = False
            try:
                return Money(self.amount.quantize(target), self.currency)
            except ArithmeticError as exc:
                raise ValidationError.single(
                    "places", places, f"{self.amount} has too many digits for {places} places"
                ) from exc

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@attrs.frozen
class TimeRange:
    """A half-open interval ``[start, end)`` of aware datetimes.

    Raises:
        ValidationError: A bound is naive, or ``end`` is not after ``start``.
    """

    start: datetime = attrs.field(validator=v.aware_datetime)
    end: datetime = attrs.field(validator=v.aware_datetime)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError.single("end", self.end, f"must be after start {self.start}")

    @property
    def duration(self) -> timedelta:
        """Length of the range."""
        return self.end - self.start

    def overlaps(self, other: TimeRange) -> bool:
        """Whether the two ranges share any instant (touching ends do not overlap)."""
        return self.start < other.end and other.start < self.end

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in ``[start, end)``."""
        return self.start <= moment < self.end


@attrs.frozen
class GeoPoint:
    """A place on Earth, WGS84 degrees, with an optional free-text address.

    Raises:
        ValidationError: Latitude outside [-90, 90] or longitude outside [-180, 180].
    """

    lat: float = attrs.field()
    lon: float = attrs.field()
    address: str = attrs.field(default="", validator=v.text(500, allow_empty=True))

    @lat.validator
    def _lat(self, attribute: attrs.Attribute[float], value: float) -> None:
        if not isinstance(value, int | float) or isinstance(value, bool) or not -90 <= value <= 90:
            raise v.fail(attribute, value, "must be a number in [-90, 90]")

    @lon.validator
    def _lon(self, attribute: attrs.Attribute[float], value: float) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not -180 <= value <= 180:
            raise v.fail(attribute, value, "must be a number in [-180, 180]")
