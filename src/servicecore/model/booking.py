"""The booking (reservasi, SBOOK): a customer's reserved slot for a service, before any request."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import (
    BookingId,
    CustomerId,
    DispatchId,
    GeoPoint,
    Money,
    TechnicianId,
    TimeRange,
)
from servicecore.model.enums import Channel, ServiceType

__all__ = [
    "Booking",
    "BookingPolicy",
    "BookingStatus",
    "CustomerIdentity",
    "PaymentMethod",
    "Refund",
]

_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s.]+"
_PHONE = r"\+?[0-9(][0-9 ()./-]{4,30}[0-9]"


class PaymentMethod(enum.Enum):
    """How a booking was paid."""

    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    E_WALLET = "e_wallet"
    INVOICE = "invoice"
    OTHER = "other"


@attrs.frozen(kw_only=True)
class Refund:
    """Money given back on a paid booking (seed 003: the refund policy).

    Attributes:
        reference: The refund's reference (the payment provider's or the host's).
        amount: How much was given back (positive).
        refunded_at: When.
        reason: Why, e.g. ``"cancelled before the cut-off"``.

    Raises:
        ValidationError: A bad field, or an amount that is not positive.
    """

    reference: str = attrs.field(validator=v.text(128))
    amount: Money = attrs.field(validator=v.instance(Money))
    refunded_at: datetime = attrs.field(validator=v.aware_datetime)
    reason: str = attrs.field(validator=v.text(1000))

    def __attrs_post_init__(self) -> None:
        if self.amount.amount <= 0:
            raise ValidationError.single("amount", self.amount, "must be positive")


class BookingStatus(enum.Enum):
    """Lifecycle of a booking."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def is_live(self) -> bool:
        """Whether a booking in this status still holds its slot (requested, confirmed, in)."""
        return self in _LIVE_BOOKING

    @classmethod
    def live(cls) -> tuple[BookingStatus, ...]:
        """The live statuses, e.g. for a storage query."""
        return tuple(s for s in cls if s.is_live)


_LIVE_BOOKING = frozenset(
    {BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN}
)


@attrs.frozen(kw_only=True)
class CustomerIdentity:
    """Who booked, and how to reach them (identitas pelanggan).

    Attributes:
        customer_id: The host's id for the customer.
        name: The customer's name.
        phone: A phone number (digits, spaces, ``+ ( ) . / -``), or ``None``.
        email: An e-mail address, or ``None``.

    Raises:
        ValidationError: A bad field, or neither phone nor e-mail given (``phone`` is named).
    """

    customer_id: CustomerId = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.text(200))
    phone: str | None = attrs.field(
        default=None, validator=v.optional(v.matches(_PHONE, "a phone number", max_len=32))
    )
    email: str | None = attrs.field(
        default=None, validator=v.optional(v.matches(_EMAIL, "an e-mail address", max_len=254))
    )

    def __attrs_post_init__(self) -> None:
        if self.phone is None and self.email is None:
            raise ValidationError.single("phone", None, "give a phone number or an e-mail address")


@attrs.frozen(kw_only=True)
class BookingPolicy:
    """The change and cancellation rules a booking was made under.

    Attributes:
        change_cutoff: Changes are allowed until this long before the slot starts.
        cancellation_cutoff: Cancelling is free until this long before the slot starts; later,
            ``cancellation_fee`` is charged.
        cancellation_fee: The fee for a late cancellation (may be zero).
        no_show_grace: How long after the slot starts the customer may still check in.
        max_reschedules: How many times the slot may be moved.

    Raises:
        ValidationError: A bad field, or a negative fee.
    """

    change_cutoff: timedelta = attrs.field(validator=v.duration())
    cancellation_cutoff: timedelta = attrs.field(validator=v.duration())
    cancellation_fee: Money = attrs.field(validator=v.instance(Money))
    no_show_grace: timedelta = attrs.field(validator=v.duration())
    max_reschedules: int = attrs.field(validator=v.integer(min_value=0))

    def __attrs_post_init__(self) -> None:
        if self.cancellation_fee.amount < 0:
            raise ValidationError.single(
                "cancellation_fee", self.cancellation_fee, "must not be negative"
            )


@attrs.define(eq=False, kw_only=True)
class Booking:
    """A reserved slot for a service, made through a channel (online, call centre, walk-in).

    Attributes:
        id: The booking's id.
        customer: Who booked.
        service_type: The service asked for.
        channel: How the booking came in.
        slot: The reserved time.
        location: Where the service happens.
        booked_at: When the booking was made.
        reference: The reference number given to the customer.
        policy: The change and cancellation rules.
        technician_id: The technician assigned, once known.
        dispatch_id: The dispatch order that took over the booked time: the booking's own
            request dispatched to its technician within the slot. The booking then no longer
            holds the technician's time; the dispatch order does.
        check_in_token: The token (e.g. QR code content) the customer shows at check-in.
        payment_reference: The payment's reference, for paid services.
        payment_method: How it was paid, when recorded.
        paid: How much was paid, when recorded.
        refunds: Money given back, oldest first (never more than paid, less the fee charged).
        reschedule_count: How many times the slot was moved (at most ``policy.max_reschedules``).
        cancellation_reason: Why it was cancelled, once cancelled.
        cancellation_fee: The fee actually charged on cancellation, once cancelled.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the booking's last audit entry.

    Raises:
        ValidationError: A bad field, more reschedules than the policy allows, a fee charged
            in another currency than the policy's, a negative amount paid, or refunds in
            another currency than the payment or beyond it.
    """

    id: BookingId = attrs.field(validator=v.identifier)
    customer: CustomerIdentity = attrs.field(validator=v.instance(CustomerIdentity))
    service_type: ServiceType = attrs.field(validator=v.member(ServiceType))
    channel: Channel = attrs.field(validator=v.member(Channel))
    slot: TimeRange = attrs.field(validator=v.instance(TimeRange))
    location: GeoPoint = attrs.field(validator=v.instance(GeoPoint))
    booked_at: datetime = attrs.field(validator=v.aware_datetime)
    reference: str = attrs.field(validator=v.identifier)
    policy: BookingPolicy = attrs.field(validator=v.instance(BookingPolicy))
    technician_id: TechnicianId | None = attrs.field(
        default=None, validator=v.optional(v.identifier)
    )
    dispatch_id: DispatchId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    check_in_token: str | None = attrs.field(default=None, validator=v.optional(v.text(256)))
    payment_reference: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))
    payment_method: PaymentMethod | None = attrs.field(
        default=None, validator=v.optional(v.member(PaymentMethod))
    )
    paid: Money | None = attrs.field(default=None, validator=v.optional(v.instance(Money)))
    refunds: tuple[Refund, ...] = attrs.field(default=(), validator=v.items(v.instance(Refund)))
    reschedule_count: int = attrs.field(default=0, validator=v.integer(min_value=0))
    cancellation_reason: str | None = attrs.field(default=None, validator=v.optional(v.text(1000)))
    cancellation_fee: Money | None = attrs.field(
        default=None, validator=v.optional(v.instance(Money))
    )
    status: BookingStatus = attrs.field(
        default=BookingStatus.REQUESTED, validator=v.member(BookingStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        if self.reschedule_count > self.policy.max_reschedules:
            raise ValidationError.single(
                "reschedule_count",
                self.reschedule_count,
                f"must be at most policy.max_reschedules {self.policy.max_reschedules}",
            )
        fee = self.cancellation_fee
        if fee is not None and fee.currency != self.policy.cancellation_fee.currency:
            raise ValidationError.single(
                "cancellation_fee", fee, f"must be in {self.policy.cancellation_fee.currency}"
            )
        if self.paid is not None and self.paid.amount < 0:
            raise ValidationError.single("paid", self.paid, "must not be negative")
        for i, refund in enumerate(self.refunds):
            if self.paid is None or refund.amount.currency != self.paid.currency:
                raise ValidationError.single(
                    f"refunds[{i}].amount", refund.amount, "must be in the currency paid"
                )
        refunded = sum((r.amount.amount for r in self.refunds), start=Decimal(0))
        if self.paid is not None and refunded > self.paid.amount:
            raise ValidationError.single(
                "refunds", [str(r.amount) for r in self.refunds], f"exceed the {self.paid} paid"
            )

    def refundable(self) -> Money:
        """What may still be given back: paid, less the cancellation fee charged, less refunds.

        Raises:
            ValidationError: No amount paid is recorded (``paid``).
        """
        if self.paid is None:
            raise ValidationError.single("paid", None, "no amount paid is recorded")
        left = self.paid.amount
        if (
            self.cancellation_fee is not None
            and self.cancellation_fee.currency == self.paid.currency
        ):
            left -= self.cancellation_fee.amount
        left -= sum((r.amount.amount for r in self.refunds), start=Decimal(0))
        return Money(max(left, Decimal(0)), self.paid.currency)

    def can_change(self, at: datetime) -> bool:
        """Whether the slot may still be moved at ``at``: before the cut-off, reschedules left."""
        return (
            at <= self.slot.start - self.policy.change_cutoff
            and self.reschedule_count < self.policy.max_reschedules
        )

    def cancellation_fee_at(self, at: datetime) -> Money:
        """The fee a cancellation at ``at`` costs: zero up to the cut-off, the policy fee after."""
        if at <= self.slot.start - self.policy.cancellation_cutoff:
            return Money.zero(self.policy.cancellation_fee.currency)
        return self.policy.cancellation_fee

    @property
    def no_show_at(self) -> datetime:
        """The moment after which a customer who has not checked in is a no-show."""
        return self.slot.start + self.policy.no_show_grace
