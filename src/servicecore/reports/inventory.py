"""The temporary inventory report (临时库存查询报表, seed 004): what is out in the field.

Two kinds of stock have left the warehouse without being sold or consumed yet: **loaners** lent
to customers while their product is repaired (租借物, on processing orders with a repair-with-
loaner solution) and not yet back, and **field stock**: parts issued on requisitions (配件申领)
to the technicians of requests, neither returned nor fitted at a visit yet.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import cast

import attrs

from servicecore.model.enums import SolutionType
from servicecore.model.parts import RequisitionStatus
from servicecore.model.processing import ProcessingOrder, ProcessingStatus
from servicecore.reports.port import (
    Condition,
    Op,
    Related,
    ReportingBackend,
    Stored,
    check_as_of,
)
from servicecore.reports.report import Report

__all__ = ["StockKind", "TemporaryStockRow", "temporary_inventory"]


class StockKind(enum.Enum):
    """What kind of temporary stock a row is."""

    LOANER = "loaner"
    """An item lent to a customer, not yet back."""
    FIELD_STOCK = "field_stock"
    """Parts issued on a requisition, neither returned nor fitted yet."""


@attrs.frozen
class TemporaryStockRow:
    """Items of one code out with one request.

    Attributes:
        kind: Loaner or field stock.
        item_code: The loaner's item code, or the part code.
        request_id: The request they are out for.
        quantity: How many (each loaner counts 1; parts: issued less fitted).
        charged: Whether the customer pays for the parts (``None`` for loaners).
        out_since: When they went out: the loaner's ``out_at``, the requisition's
            ``requested_at`` (the earliest, when several).
        days_out: Whole days from ``out_since`` to ``as_of``.
        serials: The loaners' serial numbers, where recorded.
    """

    kind: StockKind
    item_code: str
    request_id: str
    quantity: int
    charged: bool | None
    out_since: datetime
    days_out: int
    serials: tuple[str, ...]


_Key = tuple[StockKind, str, str, bool | None]


def _take_off_fitted(
    backend: ReportingBackend,
    tenant: str,
    as_of: datetime,
    counts: dict[_Key, int],
    since: dict[_Key, datetime],
) -> None:
    """Take the parts fitted by ``as_of`` off the field stock issued for the same request."""
    started = Related("dispatches", "dispatch_id", Stored(("started_at",), datetime))
    fitted = backend.sum_items(
        tenant,
        "processing",
        "parts_used",
        ["request_id"],
        ("part_code", "charged"),
        "quantity",
        [
            Condition("status", Op.NE, ProcessingStatus.CANCELLED),
            Condition(started, Op.LE, as_of),
        ],
    )
    for r in fitted:
        request_id, part, charged = r.key
        alike = _is_true(charged)
        left = round(r.total)
        held = sorted(
            (
                k
                for k in counts
                if k[0] is StockKind.FIELD_STOCK and k[1] == str(part) and k[2] == str(request_id)
            ),
            key=lambda k: (k[3] != alike, since[k]),
        )
        for key in held:
            taken = min(left, counts[key])
            counts[key] -= taken
            left -= taken


def _is_true(value: object) -> bool:
    # JSON booleans come back as 1 / 0 from SQLite and true / false text from PostgreSQL.
    return value in (True, 1, "true")


def temporary_inventory(
    backend: ReportingBackend, tenant: str, as_of: datetime
) -> Report[TemporaryStockRow]:
    """What is out in the field at ``as_of``: loaners not back, issued parts not returned or fitted.

    The database selects the processing orders with a repair-with-loaner solution (only those
    can hold loaners), sums the lines of the issued requisitions by request, part and charging,
    and sums the parts used on the processing orders of visits started by ``as_of`` (not
    cancelled) by request and part; loaners handed out after ``as_of``, or back by then, are not
    out. Parts fitted for a request are taken off what was issued for it, first off the lines
    charged alike, then off the others, the longest out first; a part fitted in full has no row.

    Returns:
        Rows ordered by kind (loaners first), longest out first, then item code and request.

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
    """
    check_as_of(as_of)
    counts: dict[_Key, int] = {}
    since: dict[_Key, datetime] = {}
    serials: dict[_Key, list[str]] = {}

    def add(key: _Key, n: int, at: datetime) -> None:
        counts[key] = counts.get(key, 0) + n
        since[key] = min(since.get(key, at), at)
        serials.setdefault(key, [])

    order: ProcessingOrder
    for order in backend.list_records(
        tenant,
        "processing",
        [Condition(Stored(("solution_type",)), Op.EQ, SolutionType.REPAIR_WITH_LOANER)],
    ):
        for loaner in order.loaners:
            if loaner.out_at > as_of or (loaner.back_at is not None and loaner.back_at <= as_of):
                continue
            key = (StockKind.LOANER, loaner.item_code, str(order.request_id), None)
            add(key, 1, loaner.out_at)
            if loaner.serial:
                serials[key].append(loaner.serial)
    requested_at = Stored(("requested_at",), datetime)
    issued = backend.sum_items(
        tenant,
        "requisitions",
        "lines",
        ["request_id", requested_at],
        ("part_code", "charged"),
        "quantity",
        [
            Condition("status", Op.EQ, RequisitionStatus.ISSUED),
            Condition(requested_at, Op.LE, as_of),
        ],
    )
    for r in issued:
        request_id, requested, part, charged = r.key
        is_charged = _is_true(charged)
        when = cast(datetime, requested)  # a Stored datetime key comes back as a datetime
        add((StockKind.FIELD_STOCK, str(part), str(request_id), is_charged), round(r.total), when)
    _take_off_fitted(backend, tenant, as_of, counts, since)
    rows = [
        TemporaryStockRow(
            kind=kind,
            item_code=item,
            request_id=request_id,
            quantity=n,
            charged=charged,
            out_since=since[(kind, item, request_id, charged)],
            days_out=(as_of - since[(kind, item, request_id, charged)]).days,
            serials=tuple(sorted(serials[(kind, item, request_id, charged)])),
        )
        for (kind, item, request_id, charged), n in counts.items()
        if n > 0
    ]
    rows.sort(
        key=lambda r: (r.kind is not StockKind.LOANER, r.out_since, r.item_code, r.request_id)
    )
    return Report.of("Temporary inventory", TemporaryStockRow, rows)
