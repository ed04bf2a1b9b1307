"""Service quotes (seed 004, 服务报价): draft, issue, change, accept, reject, void, expire.

Before quoting, the person quoting looks up earlier quotes and prices for the customer and the
parts, and the customer's open receivables in the ERP (:func:`quote_context`); each quote shows
its estimated profit and margin. Changing an issued quote keeps the version the customer saw as a
revision and drafts the next one, so every version stays queryable by number
(:func:`~servicecore.queries.quotes.quote_versions`, :func:`quote_version`). Accepting a quote
that names a request records its lines as income on the request's open processing order, or
hands them to the host in the ``QuoteAccepted`` event when no processing order is open. Issued
quotes past their validity are expired by a clock-driven job (:func:`expire_quotes`).

The rows the reads return are the read models of :mod:`servicecore.queries.quotes`, re-exported
here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from servicecore.errors import NotFound, ValidationError
from servicecore.events import DomainEvent
from servicecore.lifecycle import PROCESSING, QUOTE
from servicecore.lifecycle.facts import Facts
from servicecore.model.common import CustomerId, Money, QuoteId, RequestId
from servicecore.model.lines import MoneyLine
from servicecore.model.processing import ProcessingOrder, ProcessingStatus
from servicecore.model.quote import PartLine, Quote, QuoteStatus, ServiceLine
from servicecore.ports import Query, Receivables, UnitOfWork
from servicecore.queries.quotes import (
    PriceRecord,
    QuoteContext,
    QuoteSummary,
    QuoteVersion,
    quote_summary,
    quote_versions,
)
from servicecore.services.common import event
from servicecore.services.context import CommandContext, ExpiryRun, JobContext, command, job, query

__all__ = [
    "PriceRecord",
    "QuoteAcceptance",
    "QuoteContext",
    "QuoteSummary",
    "QuoteVersion",
    "accept_quote",
    "change_quote",
    "draft_quote",
    "edit_quote",
    "expire_quotes",
    "issue_quote",
    "price_history",
    "quote_context",
    "quote_version",
    "quote_versions",
    "reject_quote",
    "void_quote",
]

_MAX_QUOTE_ID = 50
"""Longest quote id: income lines are categorised ``"quote <id> v<n>"`` in at most 64 characters."""

_QUOTED = frozenset(
    {QuoteStatus.ISSUED, QuoteStatus.ACCEPTED, QuoteStatus.EXPIRED, QuoteStatus.REJECTED}
)
"""States in which the current version is one the customer was quoted and that still counts."""


@attrs.frozen(kw_only=True)
class QuoteAcceptance:
    """What accepting a quote did.

    Attributes:
        quote: The accepted quote.
        income_lines: The quote's lines as income lines (category ``"quote <id> v<n>"``).
        processing_id: The open processing order of the request the lines were recorded on, or
            ``None`` when they were not recorded (no request, or none of its processing orders
            open in the quote's currency): the host then takes them from the event.
        event: The ``QuoteAccepted`` event (payload: request, processing order, lines, totals).
    """

    quote: Quote
    income_lines: tuple[MoneyLine, ...]
    processing_id: str | None
    event: DomainEvent


@query("view_quotes")
def quote_version(cx: CommandContext, /, quote_id: str, number: int) -> QuoteVersion:
    """Return version ``number`` of a quote (查询变更历史 by version number).

    Raises:
        NotFound: No such quote, or the quote has no such version (kind ``"QuoteVersion"``,
            id ``"<quote id> v<number>"``).
    """
    quote = cx.uow.quotes.get(quote_id)
    for found in quote_versions(quote):
        if found.number == number:
            return found
    raise NotFound("QuoteVersion", f"{quote_id} v{number}")


def _issue_times(uow: UnitOfWork, quote: Quote) -> list[datetime]:
    # Each version is issued at most once and in order (a change only follows an issue), so the
    # k-th "issue" entry of the audit trail is the issue of version k.
    return [e.at for e in uow.audit.entries("Quote", quote.id) if e.trigger == "issue"]


def _quoted_versions(uow: UnitOfWork, quote: Quote) -> Iterable[tuple[QuoteVersion, datetime, str]]:
    issued = _issue_times(uow, quote)
    for version in quote_versions(quote):
        if version.current and quote.status not in _QUOTED:
            continue
        if version.number > len(issued):
            continue
        outcome = quote.status.value if version.current else "superseded"
        yield version, issued[version.number - 1], outcome


def _records(uow: UnitOfWork, quote: Quote, part_code: str | None) -> Iterable[PriceRecord]:
    for version, at, outcome in _quoted_versions(uow, quote):
        lines: list[ServiceLine | PartLine] = [*version.service_lines, *version.part_lines]
        for line in lines:
            code = line.part_code if isinstance(line, PartLine) else None
            if part_code is not None and code != part_code:
                continue
            yield PriceRecord(
                quote_id=quote.id,
                quote_version=version.number,
                customer_id=quote.customer_id,
                quoted_at=at,
                outcome=outcome,
                part_code=code,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                unit_cost=line.unit_cost,
            )


@query("view_quotes")
def price_history(
    cx: CommandContext,
    /,
    customer_id: str | None = None,
    part_code: str | None = None,
    *,
    limit: int = 50,
) -> list[PriceRecord]:
    """Return earlier quoted lines for a customer and/or a part, newest first.

    Counted are the versions the customer was quoted: versions superseded by a change, and the
    current version of issued, accepted, rejected and expired quotes (not drafts, not voided).
    With ``part_code`` only part lines of that part are returned.

    Raises:
        ValidationError: Neither a customer nor a part is given, or ``limit`` < 1.
    """
    if customer_id is None and part_code is None:
        raise ValidationError.single("customer_id", None, "give a customer, a part or both")
    if limit < 1:
        raise ValidationError.single("limit", limit, "must be at least 1")
    query = Query(equals={"customer_id": customer_id}) if customer_id is not None else Query()
    found = [r for q in cx.uow.quotes.iterate(query) for r in _records(cx.uow, q, part_code)]
    found.sort(key=lambda r: (r.quoted_at, r.quote_id, r.quote_version), reverse=True)
    return found[:limit]


@query("view_quotes")
def quote_context(
    cx: CommandContext,
    /,
    receivables: Receivables,
    customer_id: str,
    part_codes: Sequence[str] = (),
    *,
    limit: int = 20,
) -> QuoteContext:
    """Return what to look at before quoting ``customer_id`` for ``part_codes``.

    Args:
        cx: Who asks, and where the earlier quotes are read.
        receivables: The ERP's accounts receivable (a host port).
        customer_id: The customer about to be quoted.
        part_codes: The parts about to be quoted.
        limit: At most this many price records per part and for the customer.

    Raises:
        ValidationError: ``limit`` < 1.
        Exception: Whatever the host's receivables port raises passes through unchanged.
    """
    items = tuple(receivables.open_items(customer_id))
    totals: dict[str, Money] = {}
    for item in items:
        cur = item.amount.currency
        totals[cur] = totals.get(cur, Money.zero(cur)) + item.amount
    earlier = sorted(
        (
            quote_summary(q)
            for q in cx.uow.quotes.iterate(Query(equals={"customer_id": customer_id}))
        ),
        key=lambda s: (s.valid_until, s.quote_id),
        reverse=True,
    )
    return QuoteContext(
        customer_id=CustomerId(customer_id),
        part_prices={
            code: tuple(price_history(cx, part_code=code, limit=limit))
            for code in dict.fromkeys(part_codes)
        },
        customer_prices=tuple(price_history(cx, customer_id, limit=limit)),
        earlier_quotes=tuple(earlier),
        receivables=items,
        receivables_total=totals,
    )


def _amounts(quote: Quote) -> dict[str, object]:
    summary = quote_summary(quote)
    return {
        "quote_version": quote.quote_version,
        "customer_id": quote.customer_id,
        "request_id": quote.request_id,
        "total_price": summary.total_price,
        "estimated_profit": summary.estimated_profit,
    }


@command("quote")
def draft_quote(
    cx: CommandContext,
    /,
    *,
    customer_id: str,
    currency: str,
    valid_until: datetime,
    service_lines: Sequence[ServiceLine] = (),
    part_lines: Sequence[PartLine] = (),
    request_id: str | None = None,
    quote_id: str | None = None,
) -> Quote:
    """Draft a quote (version 1) for a customer, optionally for one of their requests.

    Raises:
        PermissionDenied: The actor may not quote.
        NotFound: ``request_id`` names no request.
        ValidationError: A bad field; a line in another currency (naming e.g. ``part_lines[0]``);
            the request is another customer's; ``valid_until`` is not after now; ``quote_id``
            is longer than 50 characters.
        DuplicateId: ``quote_id`` is taken.
    """
    if quote_id is not None and len(quote_id) > _MAX_QUOTE_ID:
        raise ValidationError.single(
            "quote_id",
            quote_id,
            f"must be at most {_MAX_QUOTE_ID} characters (its income lines name it)",
        )
    if request_id is not None:
        request = cx.uow.requests.get(request_id)
        if request.customer_id != customer_id:
            raise ValidationError.single(
                "request_id", request_id, f"is customer {request.customer_id}'s, not {customer_id}"
            )
    quote = Quote(
        id=QuoteId(quote_id or cx.ids.new_id("Quote")),
        customer_id=CustomerId(customer_id),
        currency=currency,
        valid_until=valid_until,
        request_id=RequestId(request_id) if request_id is not None else None,
        service_lines=tuple(service_lines),
        part_lines=tuple(part_lines),
    )
    if valid_until <= cx.now():
        raise ValidationError.single("valid_until", valid_until, "must be after now")
    cx.create(QUOTE, quote, payload=_amounts(quote))
    cx.uow.quotes.add(quote)
    event(cx, "QuoteDrafted", quote, _amounts(quote))
    return quote


def _edits(
    service_lines: Sequence[ServiceLine] | None,
    part_lines: Sequence[PartLine] | None,
    valid_until: datetime | None,
) -> dict[str, Any]:
    edits: dict[str, Any] = {}
    if service_lines is not None:
        edits["service_lines"] = tuple(service_lines)
    if part_lines is not None:
        edits["part_lines"] = tuple(part_lines)
    if valid_until is not None:
        edits["valid_until"] = valid_until
    return edits


def _edited(quote: Quote, edits: Mapping[str, Any], now: datetime) -> Quote:
    # attrs.evolve builds a new Quote, so every field and line currency is validated again.
    edited = attrs.evolve(quote, **edits)
    if "valid_until" in edits and edited.valid_until <= now:
        raise ValidationError.single("valid_until", edited.valid_until, "must be after now")
    return edited


@command("quote")
def edit_quote(
    cx: CommandContext,
    /,
    quote_id: str,
    *,
    service_lines: Sequence[ServiceLine] | None = None,
    part_lines: Sequence[PartLine] | None = None,
    valid_until: datetime | None = None,
) -> Quote:
    """Replace the lines and/or the validity of a draft quote (arguments left ``None`` stay).

    An issued quote is changed with :func:`change_quote` instead, which keeps the issued version.

    Raises:
        NotFound: No such quote.
        PermissionDenied: The actor may not quote.
        ValidationError: The quote is not a draft (path ``status``); nothing to edit; a line in
            another currency (naming e.g. ``service_lines[1]``); ``valid_until`` not after now.
    """
    quote = cx.uow.quotes.get(quote_id)
    cx.check("quote", quote)
    if quote.status is not QuoteStatus.DRAFT:
        raise ValidationError.single(
            "status",
            quote.status.value,
            f"only a draft quote can be edited; quote {quote.id} is {quote.status.value}"
            + (" (change it to draft a new version)" if quote.status is QuoteStatus.ISSUED else ""),
        )
    edits = _edits(service_lines, part_lines, valid_until)
    if not edits:
        raise ValidationError.single("quote_id", quote_id, "nothing to edit")
    edited = _edited(quote, edits, cx.now())
    cx.uow.quotes.update(edited)
    event(cx, "QuoteEdited", edited, {"fields": sorted(edits)})
    return edited


@command("quote")
def issue_quote(
    cx: CommandContext,
    /,
    quote_id: str,
) -> Quote:
    """Send a draft quote's current version to the customer.

    Raises:
        NotFound: No such quote.
        PermissionDenied: The actor may not quote.
        InvalidTransition: The quote is not a draft.
        TransitionRefused: It has no lines, or its validity has passed.
    """
    quote = cx.uow.quotes.get(quote_id)
    cx.check("quote", quote)
    cx.fire(QUOTE, quote, "issue", payload=_amounts(quote))
    cx.uow.quotes.update(quote)
    payload = _amounts(quote) | {"valid_until": quote.valid_until}
    event(cx, "QuoteIssued", quote, payload)
    return quote


@command("quote")
def change_quote(
    cx: CommandContext,
    /,
    quote_id: str,
    reason: str,
    *,
    service_lines: Sequence[ServiceLine] | None = None,
    part_lines: Sequence[PartLine] | None = None,
    valid_until: datetime | None = None,
) -> Quote:
    """Change an issued quote: keep the issued version and draft the next one.

    The new version starts as a copy of the issued one; the lines and validity given replace
    theirs (they can also be edited later with :func:`edit_quote`). Issue it again to send it.

    Raises:
        NotFound: No such quote.
        PermissionDenied: The actor may not quote.
        InvalidTransition: The quote is not issued.
        TransitionRefused: No reason given.
        ValidationError: A line in another currency, or ``valid_until`` not after now (nothing
            is changed).
    """
    quote = cx.uow.quotes.get(quote_id)
    cx.check("quote", quote)
    edits = _edits(service_lines, part_lines, valid_until)
    _edited(quote, edits, cx.now())
    previous = quote.quote_version
    payload = {"from_version": previous} | edits
    cx.fire(QUOTE, quote, "change", reason=reason, payload=payload)
    changed = _edited(quote, edits, cx.now()) if edits else quote
    cx.uow.quotes.update(changed)
    payload = {"from_version": previous, "reason": reason} | _amounts(changed)
    event(cx, "QuoteChanged", changed, payload)
    return changed


def _decide(
    cx: CommandContext,
    quote_id: str,
    trigger: str,
    name: str,
    reason: str,
) -> Quote:
    quote = cx.uow.quotes.get(quote_id)
    cx.check("quote", quote)
    cx.fire(QUOTE, quote, trigger, reason=reason)
    cx.uow.quotes.update(quote)
    event(cx, name, quote, _amounts(quote) | {"reason": reason})
    return quote


@command("quote")
def reject_quote(
    cx: CommandContext,
    /,
    quote_id: str,
    reason: str,
) -> Quote:
    """Record that the customer declined an issued quote.

    Raises:
        NotFound: No such quote.
        PermissionDenied: The actor may not quote.
        InvalidTransition: The quote is not issued.
        TransitionRefused: No reason given.
    """
    return _decide(cx, quote_id, "reject", "QuoteRejected", reason)


@command("quote")
def void_quote(
    cx: CommandContext,
    /,
    quote_id: str,
    reason: str,
) -> Quote:
    """Withdraw a draft or issued quote (作废).

    Raises:
        NotFound: No such quote.
        PermissionDenied: The actor may not quote.
        InvalidTransition: The quote is accepted, rejected, expired or already voided.
        TransitionRefused: No reason given.
    """
    return _decide(cx, quote_id, "void", "QuoteVoided", reason)


def _income_lines(quote: Quote) -> tuple[MoneyLine, ...]:
    category = f"quote {quote.id} v{quote.quote_version}"
    services = [
        MoneyLine(description=x.description, amount=x.price, category=category)
        for x in quote.service_lines
    ]
    parts = [
        MoneyLine(description=f"{x.part_code} {x.description}", amount=x.price, category=category)
        for x in quote.part_lines
    ]
    return (*services, *parts)


def _open_order(uow: UnitOfWork, quote: Quote) -> ProcessingOrder | None:
    if quote.request_id is None:
        return None
    orders = uow.processing.iterate(
        Query(equals={"request_id": quote.request_id, "status": ProcessingStatus.OPEN.value})
    )
    # One order only: recording the lines on every open order would charge them twice.
    matching = sorted((o for o in orders if o.currency == quote.currency), key=lambda o: o.id)
    return matching[0] if matching else None


@command("quote")
def accept_quote(
    cx: CommandContext,
    /,
    quote_id: str,
) -> QuoteAcceptance:
    """Record the customer's acceptance of an issued quote before its validity passes.

    When the quote names a request with an open processing order in the quote's currency (the
    first by id, when there are several), the accepted lines are recorded on it as income lines
    (category ``"quote <id> v<n>"``) through the processing order's ``record`` trigger. Otherwise
    nothing else is written and the host takes the lines from the ``QuoteAccepted`` event, whose
    payload says which happened (``processing_id`` is ``None``).

    Raises:
        NotFound: No such quote.
        PermissionDenied: The actor may not quote.
        InvalidTransition: The quote is not issued.
        TransitionRefused: Its validity has passed.
    """
    quote = cx.uow.quotes.get(quote_id)
    cx.check("quote", quote)
    lines = _income_lines(quote)
    cx.fire(QUOTE, quote, "accept", payload=_amounts(quote))
    cx.uow.quotes.update(quote)
    order = _open_order(cx.uow, quote)
    if order is not None:
        changes = {"income_lines": (*order.income_lines, *lines)}
        cx.fire(
            PROCESSING,
            order,
            "record",
            reason=f"quote {quote.id} v{quote.quote_version} accepted",
            payload=changes,
            given=Facts(changes=changes),
        )
        cx.uow.processing.update(order)
    payload = _amounts(quote) | {
        "processing_id": order.id if order is not None else None,
        "income_lines": lines,
    }
    accepted = event(cx, "QuoteAccepted", quote, payload)
    return QuoteAcceptance(
        quote=quote,
        income_lines=lines,
        processing_id=order.id if order is not None else None,
        event=accepted,
    )


@job("expire_quotes")
def expire_quotes(jx: JobContext, /) -> ExpiryRun:
    """Expire every issued quote whose validity has passed (by the clock).

    Each quote commits in its own unit of work with its ``QuoteExpired`` event, so a quote that
    another process accepted or changed meanwhile is skipped without holding back the others.
    Running the job again expires nothing twice.

    Raises:
        PermissionDenied: The actor may not expire quotes (command ``expire_quotes``).
    """
    now = jx.clock.now()
    # A quote is expired from the very moment of its validity (the accept guard refuses it
    # then), while the query's "before" is strict: one microsecond later includes that moment.
    due = Query(
        equals={"status": QuoteStatus.ISSUED.value},
        before={"valid_until": now + timedelta(microseconds=1)},
    )
    with jx.storage.unit_of_work(jx.tenant) as uow:
        found = [q.id for q in uow.quotes.iterate(due)]

    def expire(cx: CommandContext, quote_id: str) -> bool:
        quote = cx.uow.quotes.get(quote_id)
        if quote.status is not QuoteStatus.ISSUED or quote.valid_until > now:
            return False
        cx.fire(QUOTE, quote, "expire")
        cx.uow.quotes.update(quote)
        event(cx, "QuoteExpired", quote, _amounts(quote) | {"valid_until": quote.valid_until})
        return True

    return jx.expire_each(found, expire)
