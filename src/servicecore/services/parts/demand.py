"""Parts demand: the parts that bookings and open requests are expected to use.

:func:`parts_demand` averages the parts used per completed request in a history window (the
arithmetic is :mod:`servicecore.model.forecast`) and applies it to the work still open. It is a
read, checked under the policy command
:data:`~servicecore.services.parts.plans.PLAN_COMMAND`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from servicecore.errors import ValidationError
from servicecore.lifecycle.requisition import requested_quantities
from servicecore.model.archive import ProductArchive
from servicecore.model.booking import BookingStatus
from servicecore.model.forecast import DemandTally, to_cents
from servicecore.model.parts import RequisitionStatus
from servicecore.model.request import RequestStatus
from servicecore.ports import Query, UnitOfWork
from servicecore.services.context import CommandContext, query
from servicecore.services.parts._common import chunks, load_history, product_of

__all__ = ["DemandLine", "parts_demand"]

_OPEN_REQUEST = [
    RequestStatus.OPEN.value,
    RequestStatus.ASSIGNED.value,
    RequestStatus.IN_PROGRESS.value,
    RequestStatus.ON_HOLD.value,
]
_HOLDING_BOOKING = [s.value for s in BookingStatus.live()]


@attrs.frozen
class DemandLine:
    """The parts that open work is expected to use.

    Attributes:
        part_code: The part.
        expected: The expected quantity, rounded half up to two decimals for display.
        quantity: Whole parts to have ready: the exact expectation rounded up.
        sources: The requests and bookings contributing, by id, sorted.
    """

    part_code: str
    expected: Decimal
    quantity: int
    sources: tuple[str, ...]


def _requisitioned(uow: UnitOfWork, request_ids: Sequence[str]) -> dict[str, Counter[str]]:
    held: dict[str, Counter[str]] = defaultdict(Counter)
    live = [
        RequisitionStatus.REQUESTED.value,
        RequisitionStatus.ISSUED.value,
        RequisitionStatus.RETURNED.value,
    ]
    for chunk in chunks(request_ids):
        query = Query(equals={"request_id": list(chunk), "status": live})
        for requisition in uow.requisitions.iterate(query):
            held[requisition.request_id].update(requested_quantities(requisition))
    return held


@query("plan_parts")
def parts_demand(
    cx: CommandContext,
    /,
    *,
    since: datetime,
    until: datetime,
    failure_window_days: int = 365,
) -> list[DemandLine]:
    """Estimate the parts that bookings and open requests imply.

    History is as in :func:`~servicecore.services.parts.plans.plan_spare_parts`, over the
    ``failure_window_days`` days before ``since``: the average quantity of each part used per
    completed request.

    * An **open request** (open, assigned, in progress or on hold, reported before ``until``)
      expects the average of requests for the same product and service type; without such
      history, the average of its service type over every product. Parts already requisitioned
      for it (requested, issued or returned requisitions) are subtracted, never below zero.
    * A **booking** still holding its slot (requested, confirmed or checked in) that starts in
      ``[since, until)`` expects the average of its service type over every product (a booking
      names no product).

    Args:
        cx: Who acts, in which unit of work, under which settings.
        since: Start of the period (timezone-aware).
        until: End of the period, exclusive (timezone-aware, after ``since``).
        failure_window_days: Length of the history window in days (>= 1).

    Returns:
        One line per part with a positive expectation, by part code.

    Raises:
        ValidationError: A naive or inverted period, or a bad window.
    """
    for name, value in (("since", since), ("until", until)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValidationError.single(name, value, "must be a timezone-aware datetime")
    if until <= since:
        raise ValidationError.single("until", until, f"must be after since {since.isoformat()}")
    window = failure_window_days
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValidationError.single("failure_window_days", window, "must be a whole number >= 1")
    first = since.astimezone(UTC).date()
    archives: dict[str, ProductArchive | None] = {}
    history = load_history(cx.uow, first - timedelta(days=window), first, archives)
    tally = DemandTally()
    requests = list(
        cx.uow.requests.iterate(
            Query(equals={"status": _OPEN_REQUEST}, before={"reported_at": until})
        )
    )
    held = _requisitioned(cx.uow, [r.id for r in requests])
    for request in requests:
        key = (product_of(cx.uow, request, archives), request.service_type)
        expectation = history.per_visit(key) or history.per_service_type(request.service_type)
        tally.add(request.id, expectation, held.get(request.id))
    bookings = cx.uow.bookings.iterate(
        Query(
            equals={"status": _HOLDING_BOOKING},
            at_least={"slot_start": since},
            before={"slot_start": until},
        )
    )
    for booking in bookings:
        tally.add(booking.id, history.per_service_type(booking.service_type))
    return [
        DemandLine(
            part_code=code,
            expected=to_cents(tally.totals[code]),
            quantity=math.ceil(tally.totals[code]),
            sources=tuple(sorted(tally.sources[code])),
        )
        for code in sorted(tally.totals)
    ]
