"""The service quote (服务报价): priced service and part lines, versioned, with estimated profit."""

from __future__ import annotations

import enum
import itertools
from datetime import datetime
from decimal import Decimal

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import CustomerId, Money, PartCode, QuoteId, RequestId
from servicecore.model.lines import check_currency

__all__ = ["PartLine", "Quote", "QuoteRevision", "QuoteStatus", "ServiceLine"]


class QuoteStatus(enum.Enum):
    """Lifecycle of a quote."""

    DRAFT = "draft"
    ISSUED = "issued"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    VOIDED = "voided"
    EXPIRED = "expired"


def _same_currency(price: Money, cost: Money) -> None:
    if cost.currency != price.currency:
        raise ValidationError.single("unit_cost", cost, f"must be in {price.currency}")


@attrs.frozen(kw_only=True)
class ServiceLine:
    """A priced service (labour, call-out, inspection, ...).

    Attributes:
        description: The service.
        quantity: How much (hours, visits; > 0).
        unit_price: Price per unit to the customer.
        unit_cost: Estimated cost per unit to us (for the estimated profit).

    Raises:
        ValidationError: A bad field, or price and cost in different currencies.
    """

    description: str = attrs.field(validator=v.text(500))
    quantity: Decimal = attrs.field(validator=v.decimal(positive=True))
    unit_price: Money = attrs.field(validator=v.instance(Money))
    unit_cost: Money = attrs.field(validator=v.instance(Money))

    def __attrs_post_init__(self) -> None:
        _same_currency(self.unit_price, self.unit_cost)

    @property
    def price(self) -> Money:
        """Quantity x unit price."""
        return self.unit_price * self.quantity

    @property
    def cost(self) -> Money:
        """Quantity x unit cost."""
        return self.unit_cost * self.quantity


@attrs.frozen(kw_only=True)
class PartLine:
    """A priced part.

    Attributes:
        part_code: The part's material code.
        description: The part, in words.
        quantity: How many (> 0; a Decimal so that metres of cable can be quoted).
        unit_price: Price per unit to the customer.
        unit_cost: Estimated cost per unit to us.

    Raises:
        ValidationError: A bad field, or price and cost in different currencies.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    description: str = attrs.field(validator=v.text(500))
    quantity: Decimal = attrs.field(validator=v.decimal(positive=True))
    unit_price: Money = attrs.field(validator=v.instance(Money))
    unit_cost: Money = attrs.field(validator=v.instance(Money))

    def __attrs_post_init__(self) -> None:
        _same_currency(self.unit_price, self.unit_cost)

    @property
    def price(self) -> Money:
        """Quantity x unit price."""
        return self.unit_price * self.quantity

    @property
    def cost(self) -> Money:
        """Quantity x unit cost."""
        return self.unit_cost * self.quantity


@attrs.frozen(kw_only=True)
class QuoteRevision:
    """A frozen copy of a quote's priced content, taken when it was changed (查询变更历史).

    Attributes:
        quote_version: The quote version this copy holds.
        service_lines: The service lines of that version.
        part_lines: The part lines of that version.
        valid_until: Its validity.
        changed_at: When that version was superseded.
        changed_by: Id of the actor who changed it.
        reason: Why it was changed.

    Raises:
        ValidationError: A bad field.
    """

    quote_version: int = attrs.field(validator=v.integer(min_value=1))
    service_lines: tuple[ServiceLine, ...] = attrs.field(validator=v.items(v.instance(ServiceLine)))
    part_lines: tuple[PartLine, ...] = attrs.field(validator=v.items(v.instance(PartLine)))
    valid_until: datetime = attrs.field(validator=v.aware_datetime)
    changed_at: datetime = attrs.field(validator=v.aware_datetime)
    changed_by: str = attrs.field(validator=v.identifier)
    reason: str = attrs.field(validator=v.text(1000))


@attrs.define(eq=False, kw_only=True)
class Quote:
    """A quote for services and parts, with its version history and estimated profit.

    Attributes:
        id: The quote's id.
        customer_id: The customer.
        currency: Every amount on the quote is in this currency.
        valid_until: The quote expires after this moment.
        request_id: The request it prices, if any.
        quote_version: The current version (>= 1), raised by each change; not the
            optimistic-locking :attr:`version`.
        service_lines: Priced services.
        part_lines: Priced parts.
        revisions: Earlier versions, oldest first, each with a lower ``quote_version``.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the quote's last audit entry.

    Raises:
        ValidationError: A bad field; a line amount in another currency (naming e.g.
            ``part_lines[0]``); revisions not in increasing ``quote_version`` below the current.
    """

    id: QuoteId = attrs.field(validator=v.identifier)
    customer_id: CustomerId = attrs.field(validator=v.identifier)
    currency: str = attrs.field(validator=v.currency)
    valid_until: datetime = attrs.field(validator=v.aware_datetime)
    request_id: RequestId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    quote_version: int = attrs.field(default=1, validator=v.integer(min_value=1))
    service_lines: tuple[ServiceLine, ...] = attrs.field(
        default=(), validator=v.items(v.instance(ServiceLine))
    )
    part_lines: tuple[PartLine, ...] = attrs.field(
        default=(), validator=v.items(v.instance(PartLine))
    )
    revisions: tuple[QuoteRevision, ...] = attrs.field(
        default=(), validator=v.items(v.instance(QuoteRevision))
    )
    status: QuoteStatus = attrs.field(default=QuoteStatus.DRAFT, validator=v.member(QuoteStatus))
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        # Price and cost of a line share a currency (checked by the line), so the price suffices.
        check_currency(
            "service_lines",
            ((i, x.unit_price) for i, x in enumerate(self.service_lines)),
            self.currency,
        )
        check_currency(
            "part_lines", ((i, x.unit_price) for i, x in enumerate(self.part_lines)), self.currency
        )
        for i, rev in enumerate(self.revisions):
            check_currency(
                f"revisions[{i}].service_lines",
                ((j, x.unit_price) for j, x in enumerate(rev.service_lines)),
                self.currency,
            )
            check_currency(
                f"revisions[{i}].part_lines",
                ((j, x.unit_price) for j, x in enumerate(rev.part_lines)),
                self.currency,
            )
        for i, (a, b) in enumerate(itertools.pairwise(self.revisions), start=1):
            if b.quote_version <= a.quote_version:
                raise ValidationError.single(
                    f"revisions[{i}].quote_version",
                    b.quote_version,
                    f"must be above the previous revision's {a.quote_version}",
                )
        if self.revisions and self.revisions[-1].quote_version >= self.quote_version:
            raise ValidationError.single(
                "quote_version",
                self.quote_version,
                f"must be above the last revision's {self.revisions[-1].quote_version}",
            )

    def total_price(self) -> Money:
        """Sum of every line's price, exact.

        Raises:
            ValidationError: A line is in another currency (possible after a field was replaced).
        """
        lines: list[ServiceLine | PartLine] = [*self.service_lines, *self.part_lines]
        return Money.total((x.price for x in lines), self.currency)

    def total_cost(self) -> Money:
        """Sum of every line's estimated cost, exact.

        Raises:
            ValidationError: A line is in another currency.
        """
        lines: list[ServiceLine | PartLine] = [*self.service_lines, *self.part_lines]
        return Money.total((x.cost for x in lines), self.currency)

    def estimated_profit(self) -> Money:
        """Total price minus total cost (预估利润); negative for a loss-making quote.

        Raises:
            ValidationError: A line is in another currency.
        """
        return self.total_price() - self.total_cost()

    def margin(self) -> Decimal | None:
        """Estimated profit as a fraction of the total price (0.25 is 25 %), or ``None`` at price 0.

        Raises:
            ValidationError: A line is in another currency.
        """
        price = self.total_price()
        if price.amount == 0:
            return None
        return self.estimated_profit().amount / price.amount

    def snapshot(self, at: datetime, by: str, reason: str) -> QuoteRevision:
        """Return a frozen copy of the current version, to keep before changing the quote.

        Raises:
            ValidationError: ``at`` is naive, ``by`` is not an id or ``reason`` is blank.
        """
        return QuoteRevision(
            quote_version=self.quote_version,
            service_lines=self.service_lines,
            part_lines=self.part_lines,
            valid_until=self.valid_until,
            changed_at=at,
            changed_by=by,
            reason=reason,
        )
