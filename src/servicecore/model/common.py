"""Value objects shared by every aggregate: typed ids, money, time ranges, locations.

Ids are :class:`typing.NewType` over ``str``: free at run time, distinct for the type checker, and
validated on every entity field by :func:`~servicecore.model._validate.identifier`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
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
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * _to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def rounded(self, places: int = 2) -> Money:
        """Return the amount rounded half-even to ``places`` decimals (for display or invoices)."""
        return Money(self.amount.quantize(Decimal(1).scaleb(-places)), self.currency)

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
