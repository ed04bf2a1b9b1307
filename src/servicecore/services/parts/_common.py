"""What the parts commands share: all-or-nothing stock movements and the parts history read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import attrs

from servicecore.lifecycle import Lifecycle, TransitionContext
from servicecore.model.archive import ProductArchive
from servicecore.model.forecast import PartsHistory
from servicecore.model.parts import TransferStatus
from servicecore.model.processing import ProcessingOrder, ProcessingStatus
from servicecore.model.request import ServiceRequest
from servicecore.ports import Inventory, Query, StockMovement, UnitOfWork

OPEN_TRANSFER = [s.value for s in TransferStatus.live()]
"""Transfer states in which parts are still on their way (for a storage query)."""

_CHUNK = 500


# -- stock movements ------------------------------------------------------------------------------


def _reverse(movement: StockMovement) -> StockMovement:
    kind = {"sales_outbound": "return", "other_outbound": "return", "return": "other_outbound"}
    return attrs.evolve(
        movement,
        kind=kind.get(movement.kind, movement.kind),
        from_warehouse=movement.to_warehouse,
        to_warehouse=movement.from_warehouse,
        key=None if movement.key is None else f"{movement.key}:reversal",
        undoes=movement.key,
    )


def keyed(movements: Sequence[StockMovement], step: str) -> list[StockMovement]:
    """Give each movement of one step of a record an idempotency key (record, step, line).

    Two people carrying out the same step at once build the same keys, so the ERP moves the
    stock once; the one whose commit then fails has moved nothing.
    """
    return [attrs.evolve(m, key=f"{m.reference}:{step}:{i}") for i, m in enumerate(movements)]


def _move_all(inventory: Inventory, movements: Sequence[StockMovement]) -> list[str]:
    """Make every movement, or none: on a failure, reverse those made and re-raise."""
    done: list[StockMovement] = []
    documents: list[str] = []
    try:
        for movement in movements:
            documents.append(inventory.move(movement))
            done.append(movement)
    except BaseException:
        for movement in reversed(done):
            inventory.move(_reverse(movement))
        raise
    return documents


def fire_and_move(
    lifecycle: Lifecycle[Any, Any],
    entity: Any,
    trigger: str,
    ctx: TransitionContext,
    uow: UnitOfWork,
    inventory: Inventory,
    movements: Sequence[StockMovement],
) -> list[str]:
    """Fire ``trigger`` and make ``movements`` in the ERP: both, or neither.

    The lifecycle's checks run first and record nothing; then the ERP moves; the audit entry comes
    last, and if appending it fails the movements are reversed.

    Returns:
        The ERP's document numbers, one per movement.

    Raises:
        InvalidTransition: The trigger is not allowed in the entity's state.
        TransitionRefused: A guard of the trigger refused.
        Exception: Whatever the ERP raises, after the movements already made are reversed.
    """
    if trigger not in lifecycle.available_triggers(entity, ctx):
        lifecycle.fire(entity, trigger, ctx, uow.audit)  # raises the precise refusal
    documents = _move_all(inventory, movements)
    try:
        lifecycle.fire(entity, trigger, ctx, uow.audit)
    except BaseException:
        for movement in reversed(movements):
            inventory.move(_reverse(movement))
        raise
    return documents


def line_payload(movements: Sequence[StockMovement], documents: Sequence[str]) -> list[Any]:
    """Return the event lines of ``movements``: part, quantity and the ERP's document."""
    return [
        {"part_code": m.part_code, "quantity": m.quantity, "document": d}
        for m, d in zip(movements, documents, strict=True)
    ]


# -- failure history ------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    """Yield ``items`` in slices short enough for one storage query."""
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def load_history(
    uow: UnitOfWork, since: date, until: date, archives: dict[str, ProductArchive | None]
) -> PartsHistory:
    """Return the parts used in completed processing orders of requests reported in the window.

    Args:
        uow: Where the requests and processing orders are read.
        since: First day of the window.
        until: The day after the window (exclusive).
        archives: Archives already read, by id; those read here are added.
    """
    reported = Query(
        at_least={"reported_at": _midnight(since)}, before={"reported_at": _midnight(until)}
    )
    requests: dict[str, ServiceRequest] = {r.id: r for r in uow.requests.iterate(reported)}
    found = PartsHistory()
    orders: defaultdict[str, list[ProcessingOrder]] = defaultdict(list)
    for chunk in chunks(sorted(requests)):
        query = Query(
            equals={"request_id": list(chunk), "status": ProcessingStatus.COMPLETED.value}
        )
        for order in uow.processing.iterate(query):
            orders[order.request_id].append(order)
    for request_id, done in sorted(orders.items()):
        request = requests[request_id]
        key = (product_of(uow, request, archives), request.service_type)
        found.record(key, ((u.part_code, u.quantity) for order in done for u in order.parts_used))
    return found


def product_of(
    uow: UnitOfWork, request: ServiceRequest, archives: dict[str, ProductArchive | None]
) -> str | None:
    """Return the product code of the request's archive (``None`` without a known archive).

    Archives read are kept in ``archives`` so that each is read once.
    """
    if request.archive_id is None:
        return None
    if request.archive_id not in archives:
        archives[request.archive_id] = uow.archives.find(request.archive_id)
    archive = archives[request.archive_id]
    return None if archive is None else archive.product_code
