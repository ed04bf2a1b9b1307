"""Read models of quotes: every version with its totals, earlier prices, what to see before quoting.

The rows are frozen and built from a :class:`~servicecore.model.quote.Quote` without storage;
the reads that gather them (:func:`~servicecore.services.quotes.price_history`,
:func:`~servicecore.services.quotes.quote_context`) are in :mod:`servicecore.services.quotes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from servicecore.model.common import CustomerId, Money, QuoteId, RequestId
from servicecore.model.quote import PartLine, Quote, QuoteRevision, QuoteStatus, ServiceLine
from servicecore.ports import Receivable

__all__ = [
    "PriceRecord",
    "QuoteContext",
    "QuoteSummary",
    "QuoteVersion",
    "quote_summary",
    "quote_versions",
]


@attrs.frozen(kw_only=True)
class QuoteVersion:
    """One version of a quote with its totals, as the customer saw it (or sees it now).

    Attributes:
        quote_id: The quote.
        number: The version number (1, 2, ...).
        current: Whether this is the quote's current version (the last of the list).
        currency: The currency of every amount.
        service_lines: The service lines of this version.
        part_lines: The part lines of this version.
        valid_until: Its validity.
        total_price: Sum of the lines' prices, exact.
        total_cost: Sum of the lines' estimated costs, exact.
        estimated_profit: ``total_price - total_cost``, exact.
        margin: Profit as a fraction of the price, ``None`` at price 0.
        changed_at: When this version was superseded (``None`` for the current one).
        changed_by: Who superseded it (``None`` for the current one).
        reason: Why it was superseded (``None`` for the current one).
    """

    quote_id: QuoteId
    number: int
    current: bool
    currency: str
    service_lines: tuple[ServiceLine, ...]
    part_lines: tuple[PartLine, ...]
    valid_until: datetime
    total_price: Money
    total_cost: Money
    estimated_profit: Money
    margin: Decimal | None
    changed_at: datetime | None
    changed_by: str | None
    reason: str | None


@attrs.frozen(kw_only=True)
class PriceRecord:
    """One line of an earlier quoted version: what was asked for what, and when.

    Attributes:
        quote_id: The quote.
        quote_version: The version the line belongs to.
        customer_id: The customer quoted.
        quoted_at: When that version was issued.
        outcome: ``"superseded"`` for a version replaced by a change, else the quote's state
            (``"issued"``, ``"accepted"``, ``"rejected"``, ``"expired"``).
        part_code: The part, or ``None`` for a service line.
        description: The line's description.
        quantity: The quantity quoted.
        unit_price: The price per unit quoted.
        unit_cost: The estimated cost per unit at the time.
    """

    quote_id: QuoteId
    quote_version: int
    customer_id: CustomerId
    quoted_at: datetime
    outcome: str
    part_code: str | None
    description: str
    quantity: Decimal
    unit_price: Money
    unit_cost: Money


@attrs.frozen(kw_only=True)
class QuoteSummary:
    """An earlier quote of a customer, in one line.

    Attributes:
        quote_id: The quote.
        status: Its state.
        quote_version: Its current version.
        request_id: The request it prices, if any.
        valid_until: Its validity.
        total_price: Its current version's total price.
        estimated_profit: Its current version's estimated profit.
        margin: Its current version's margin (``None`` at price 0).
    """

    quote_id: QuoteId
    status: QuoteStatus
    quote_version: int
    request_id: RequestId | None
    valid_until: datetime
    total_price: Money
    estimated_profit: Money
    margin: Decimal | None


@attrs.frozen(kw_only=True)
class QuoteContext:
    """What the person quoting sees before quoting a customer.

    Attributes:
        customer_id: The customer.
        part_prices: Per part code asked about, earlier quoted lines of that part for any
            customer, newest first.
        customer_prices: Earlier quoted lines for this customer, newest first.
        earlier_quotes: The customer's quotes in any state, newest validity first.
        receivables: The customer's open items in the ERP.
        receivables_total: What the customer owes, per currency.
    """

    customer_id: CustomerId
    part_prices: Mapping[str, tuple[PriceRecord, ...]]
    customer_prices: tuple[PriceRecord, ...]
    earlier_quotes: tuple[QuoteSummary, ...]
    receivables: tuple[Receivable, ...]
    receivables_total: Mapping[str, Money]


def _totals(
    service_lines: Sequence[ServiceLine], part_lines: Sequence[PartLine], currency: str
) -> tuple[Money, Money]:
    lines: list[ServiceLine | PartLine] = [*service_lines, *part_lines]
    return (
        Money.total((x.price for x in lines), currency),
        Money.total((x.cost for x in lines), currency),
    )


def _margin(price: Money, profit: Money) -> Decimal | None:
    return None if price.amount == 0 else profit.amount / price.amount


def quote_versions(quote: Quote) -> list[QuoteVersion]:
    """Return every version of ``quote``, oldest first; the current version is last.

    Raises:
        ValidationError: A line is in another currency than the quote.
    """
    versions = [
        _version(quote, rev, rev.quote_version, rev.changed_at, rev.changed_by, rev.reason)
        for rev in quote.revisions
    ]
    versions.append(_version(quote, quote, quote.quote_version, None, None, None))
    return versions


def _version(
    quote: Quote,
    lines: Quote | QuoteRevision,
    number: int,
    changed_at: datetime | None,
    changed_by: str | None,
    reason: str | None,
) -> QuoteVersion:
    # The current quote and a past revision carry the same lines; only the change record differs.
    price, cost = _totals(lines.service_lines, lines.part_lines, quote.currency)
    return QuoteVersion(
        quote_id=quote.id,
        number=number,
        current=lines is quote,
        currency=quote.currency,
        service_lines=lines.service_lines,
        part_lines=lines.part_lines,
        valid_until=lines.valid_until,
        total_price=price,
        total_cost=cost,
        estimated_profit=price - cost,
        margin=_margin(price, price - cost),
        changed_at=changed_at,
        changed_by=changed_by,
        reason=reason,
    )


def quote_summary(quote: Quote) -> QuoteSummary:
    """Return ``quote`` in one line: its state and its current version's totals.

    Raises:
        ValidationError: A line is in another currency than the quote.
    """
    price, cost = _totals(quote.service_lines, quote.part_lines, quote.currency)
    return QuoteSummary(
        quote_id=quote.id,
        status=quote.status,
        quote_version=quote.quote_version,
        request_id=quote.request_id,
        valid_until=quote.valid_until,
        total_price=price,
        estimated_profit=price - cost,
        margin=_margin(price, price - cost),
    )
