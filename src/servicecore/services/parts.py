"""Spare parts (seed 004): requisitions, returned parts, spare-part plans, transfers and demand.

* A **requisition** (配件申领) asks the warehouse for parts for a request that is still open for
  work. Issuing it moves stock through the host's :class:`~servicecore.ports.Inventory`: charged
  lines as a ``sales_outbound``, free lines as an ``other_outbound``; a ``PartsIssued`` event per
  kind tells the host (finance invoices the sales outbound). Parts that come back from the field
  (unused, or the faulty ones replaced) are booked in with a ``return`` movement.
* A **spare-part plan** (备件计划) says how many of which part a service warehouse should hold by
  when; :func:`plan_spare_parts` computes it from the installed base, the maintenance visits
  expected and the failure history (see its docstring for the formula).
* An approved plan is **pushed down** (下推) into transfer requests (配件调拨申请) for what the
  service warehouse lacks; a transfer is dispatched (stock leaves the source) and received
  (stock arrives), each through ``transfer`` movements.
* :func:`parts_demand` estimates what bookings and open requests will need.

Requisition commands check the policy under the command name ``"requisition_parts"``, plan and
transfer commands under ``"plan_parts"``; they never commit.
Stock movements are made in the ERP while the command runs, after the lifecycle's checks passed
and before its audit entry is appended: when one of several movements fails (or the entry cannot
be appended), those already made are reversed under the same reference before the error is
raised, so a refused command leaves neither servicecore nor the ERP changed. The movements are
not undone if the caller later fails to commit (e.g. a concurrent change of the same record):
hosts may use the movement's ``reference`` to reconcile.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import attrs

from servicecore.errors import ValidationError
from servicecore.lifecycle import (
    REQUISITION,
    SPARE_PART_PLAN,
    TRANSFER,
    Lifecycle,
    TransitionContext,
)
from servicecore.lifecycle.requisition import requested_quantities
from servicecore.model.archive import ArchiveStatus, ProductArchive
from servicecore.model.common import (
    ArchiveId,
    PartCode,
    RequestId,
    RequisitionId,
    SparePartPlanId,
    TransferId,
    WarehouseId,
)
from servicecore.model.enums import ServiceType
from servicecore.model.parts import (
    PartsRequisition,
    PlanLine,
    RequisitionLine,
    RequisitionStatus,
    SparePartPlan,
    SparePartPlanStatus,
    TransferLine,
    TransferRequest,
    TransferStatus,
)
from servicecore.model.processing import ProcessingOrder, ProcessingStatus, ReturnedPart
from servicecore.model.request import RequestStatus, ServiceRequest
from servicecore.ports import Inventory, Query, StockMovement, UnitOfWork
from servicecore.services.common import event, move
from servicecore.services.context import CommandContext, command, query
from servicecore.services.maintenance import maintenance_visits

__all__ = [
    "COMMAND",
    "FAILURE_TYPES",
    "PLAN_COMMAND",
    "DemandLine",
    "approve_spare_part_plan",
    "cancel_requisition",
    "cancel_transfer",
    "close_spare_part_plan",
    "dispatch_transfer",
    "issue_requisition",
    "parts_demand",
    "plan_spare_parts",
    "receive_transfer",
    "requisition_parts",
    "return_parts",
    "save_spare_part_plan",
    "transfers_for_plan",
]

COMMAND = "requisition_parts"
"""The policy command the requisition commands check."""

PLAN_COMMAND = "plan_parts"
"""The policy command the plan and transfer commands check."""

FAILURE_TYPES = frozenset({ServiceType.REPAIR, ServiceType.WARRANTY_CLAIM})
"""Service types whose parts count as failures (maintenance visits are planned separately)."""

_OPEN_TRANSFER = [TransferStatus.REQUESTED.value, TransferStatus.IN_TRANSIT.value]
_OPEN_REQUEST = [
    RequestStatus.OPEN.value,
    RequestStatus.ASSIGNED.value,
    RequestStatus.IN_PROGRESS.value,
    RequestStatus.ON_HOLD.value,
]
_HOLDING_BOOKING = ["requested", "confirmed", "checked_in"]
_CHUNK = 500


# -- stock movements ------------------------------------------------------------------------------


def _reverse(movement: StockMovement) -> StockMovement:
    kind = {"sales_outbound": "return", "other_outbound": "return", "return": "other_outbound"}
    return attrs.evolve(
        movement,
        kind=kind.get(movement.kind, movement.kind),
        from_warehouse=movement.to_warehouse,
        to_warehouse=movement.from_warehouse,
    )


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


def _fire_and_move(
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


def _line_payload(movements: Sequence[StockMovement], documents: Sequence[str]) -> list[Any]:
    return [
        {"part_code": m.part_code, "quantity": m.quantity, "document": d}
        for m, d in zip(movements, documents, strict=True)
    ]


# -- requisitions ---------------------------------------------------------------------------------


@command("requisition_parts")
def requisition_parts(
    cx: CommandContext,
    /,
    request_id: str,
    lines: Sequence[RequisitionLine],
    *,
    warehouse_id: str,
) -> PartsRequisition:
    """Ask ``warehouse_id`` for parts for a request (配件申领).

    Args:
        cx: Who acts, in which unit of work, under which settings.
        request_id: The request the parts are for.
        lines: What is wanted; ``charged`` lines are paid by the customer.
        warehouse_id: The warehouse asked.

    Returns:
        The new requisition, ``requested``.

    Raises:
        NotFound: No such request.
        PermissionDenied: The actor may not requisition parts.
        TransitionRefused: The request is resolved, closed or cancelled.
        ValidationError: No lines, a bad line or a bad warehouse id (nothing is recorded).
    """
    request = cx.uow.requests.get(request_id)
    cx.check(COMMAND, request)
    requisition = PartsRequisition(
        id=RequisitionId(cx.ids.new_id("PartsRequisition")),
        request_id=RequestId(request.id),
        lines=tuple(lines),
        requested_at=cx.now(),
        warehouse_id=WarehouseId(warehouse_id),
    )
    ctx = cx.transition(payload={"lines": requisition.lines}, facts={"request": request})
    REQUISITION.create(requisition, ctx, cx.uow.audit)
    cx.uow.requisitions.add(requisition)
    event(
        cx,
        "PartsRequisitioned",
        requisition,
        {"request_id": request.id, "warehouse_id": warehouse_id, "lines": requisition.lines},
    )
    return requisition


def _warehouse_of(requisition: PartsRequisition) -> str:
    if requisition.warehouse_id is None:
        raise ValidationError.single(
            "warehouse_id", None, f"requisition {requisition.id} names no warehouse"
        )
    return requisition.warehouse_id


@command("requisition_parts")
def issue_requisition(
    cx: CommandContext,
    /,
    requisition_id: str,
    inventory: Inventory,
) -> PartsRequisition:
    """Issue a requisition's parts from its warehouse through the host's inventory.

    Each charged line becomes a ``sales_outbound`` movement and each free line an
    ``other_outbound`` (reference: the requisition id); one ``PartsIssued`` event per kind
    carries the lines with the ERP's document numbers, the request and the customer.

    Raises:
        NotFound: No such requisition or request.
        PermissionDenied: The actor may not requisition parts.
        InvalidTransition: The requisition is not ``requested``.
        TransitionRefused: The request is no longer open for work, or a part is short in the
            warehouse (``stock_available``).
        ValidationError: The requisition names no warehouse, or the ERP refused a movement
            (movements already made are reversed; nothing is recorded).
    """
    requisition = cx.uow.requisitions.get(requisition_id)
    request = cx.uow.requests.get(requisition.request_id)
    cx.check(COMMAND, request)
    warehouse = _warehouse_of(requisition)
    on_hand = {
        code: inventory.on_hand(warehouse, code) for code in requested_quantities(requisition)
    }
    ctx = cx.transition(facts={"request": request, "on_hand": on_hand})
    by_kind: dict[str, list[StockMovement]] = {"sales_outbound": [], "other_outbound": []}
    for line in requisition.lines:
        kind = "sales_outbound" if line.charged else "other_outbound"
        by_kind[kind].append(
            StockMovement(
                kind=kind,
                reference=requisition.id,
                part_code=line.part_code,
                quantity=line.quantity,
                from_warehouse=warehouse,
                to_warehouse=None,
            )
        )
    movements = [*by_kind["sales_outbound"], *by_kind["other_outbound"]]
    documents = _fire_and_move(REQUISITION, requisition, "issue", ctx, cx.uow, inventory, movements)
    cx.uow.requisitions.update(requisition)
    split = len(by_kind["sales_outbound"])
    for kind, moved, docs in (
        ("sales_outbound", movements[:split], documents[:split]),
        ("other_outbound", movements[split:], documents[split:]),
    ):
        if moved:
            event(
                cx,
                "PartsIssued",
                requisition,
                {
                    "kind": kind,
                    "charged": kind == "sales_outbound",
                    "request_id": request.id,
                    "customer_id": request.customer_id,
                    "warehouse_id": warehouse,
                    "lines": _line_payload(moved, docs),
                },
            )
    return requisition


@command("requisition_parts")
def return_parts(
    cx: CommandContext,
    /,
    requisition_id: str,
    returned: Sequence[ReturnedPart],
    inventory: Inventory,
    *,
    warehouse_id: str | None = None,
) -> PartsRequisition:
    """Book parts back from the field against an issued requisition (返回件 and unused parts).

    Each returned line becomes a ``return`` movement into ``warehouse_id`` (default: the
    requisition's warehouse); a ``PartsReturned`` event carries the lines, their condition and
    the ERP's document numbers. The requisition is then ``returned`` (final).

    Raises:
        NotFound: No such requisition or request.
        PermissionDenied: The actor may not requisition parts.
        InvalidTransition: The requisition is not ``issued``.
        TransitionRefused: Nothing is returned, or more of a part than was issued
            (``returns_within_issue``).
        ValidationError: A line is not a :class:`~servicecore.model.processing.ReturnedPart`,
            no warehouse is known, or the ERP refused a movement (nothing is recorded).
    """
    requisition = cx.uow.requisitions.get(requisition_id)
    request = cx.uow.requests.get(requisition.request_id)
    cx.check(COMMAND, request)
    items = list(returned)
    for i, item in enumerate(items):
        if not isinstance(item, ReturnedPart):
            raise ValidationError.single(f"returned[{i}]", item, "must be a ReturnedPart")
    warehouse = warehouse_id if warehouse_id is not None else _warehouse_of(requisition)
    ctx = cx.transition(payload={"returned": items}, facts={"returned": items})
    movements = [
        StockMovement(
            kind="return",
            reference=requisition.id,
            part_code=item.part_code,
            quantity=item.quantity,
            from_warehouse=None,
            to_warehouse=warehouse,
        )
        for item in items
    ]
    documents = _fire_and_move(
        REQUISITION, requisition, "return", ctx, cx.uow, inventory, movements
    )
    cx.uow.requisitions.update(requisition)
    lines = [
        {**line, "condition": item.condition, "serial": item.serial}
        for line, item in zip(_line_payload(movements, documents), items, strict=True)
    ]
    event(
        cx,
        "PartsReturned",
        requisition,
        {"request_id": request.id, "warehouse_id": warehouse, "lines": lines},
    )
    return requisition


@command("requisition_parts")
def cancel_requisition(
    cx: CommandContext,
    /,
    requisition_id: str,
    reason: str,
) -> PartsRequisition:
    """Withdraw a requisition the warehouse has not issued yet.

    Raises:
        NotFound: No such requisition or request.
        PermissionDenied: The actor may not requisition parts.
        InvalidTransition: The requisition was issued, returned or cancelled already.
        TransitionRefused: No reason given.
    """
    requisition = cx.uow.requisitions.get(requisition_id)
    cx.check(COMMAND, cx.uow.requests.get(requisition.request_id))
    REQUISITION.fire(requisition, "cancel", cx.transition(reason=reason), cx.uow.audit)
    cx.uow.requisitions.update(requisition)
    event(cx, "RequisitionCancelled", requisition, {"reason": reason})
    return requisition


# -- transfers ------------------------------------------------------------------------------------


def _pending_into(uow: UnitOfWork, warehouse_id: str) -> Counter[str]:
    pending: Counter[str] = Counter()
    query = Query(equals={"to_warehouse": warehouse_id, "status": _OPEN_TRANSFER})
    for transfer in uow.transfers.iterate(query):
        for line in transfer.lines:
            pending[line.part_code] += line.quantity
    return pending


@command("plan_parts")
def transfers_for_plan(
    cx: CommandContext,
    /,
    plan_id: str,
    inventory: Inventory,
    *,
    from_warehouse: str,
    needed_by: date | None = None,
) -> list[TransferRequest]:
    """Push an approved plan down into transfer requests for what each warehouse lacks (下推调拨).

    For every warehouse the plan stocks (other than ``from_warehouse``) and every part, the
    shortfall is ``planned - on hand - already on its way`` (transfers into that warehouse still
    requested or in transit); one transfer request per warehouse carries the positive shortfalls.
    Running it again therefore asks only for what is still missing.

    Args:
        cx: Who acts, in which unit of work, under which settings.
        plan_id: The approved plan.
        inventory: The host's stock levels.
        from_warehouse: Where the parts come from (e.g. the central warehouse).
        needed_by: Only plan lines needed on or before this date, if given.

    Returns:
        The new transfer requests (empty when nothing is missing).

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        ValidationError: The plan is not approved, or a bad warehouse id.
    """
    plan = cx.uow.spare_part_plans.get(plan_id)
    cx.check(PLAN_COMMAND, plan)
    if plan.status is not SparePartPlanStatus.APPROVED:
        raise ValidationError.single(
            "plan_id", plan_id, f"is {plan.status.value}; only an approved plan is pushed down"
        )
    lines = tuple(x for x in plan.lines if needed_by is None or x.needed_by <= needed_by)
    scoped = attrs.evolve(plan, lines=lines) if lines else None
    created: list[TransferRequest] = []
    warehouses = list(dict.fromkeys(x.warehouse_id for x in lines))
    for warehouse in warehouses:
        if warehouse == from_warehouse or scoped is None:
            continue
        pending = _pending_into(cx.uow, warehouse)
        short = []
        for line in scoped.transfer_lines_for(warehouse):
            lacking = line.quantity - inventory.on_hand(warehouse, line.part_code)
            lacking -= pending[line.part_code]
            if lacking > 0:
                short.append(TransferLine(part_code=line.part_code, quantity=lacking))
        if not short:
            continue
        transfer = TransferRequest(
            id=TransferId(cx.ids.new_id("TransferRequest")),
            from_warehouse=WarehouseId(from_warehouse),
            to_warehouse=warehouse,
            lines=tuple(short),
            requested_at=cx.now(),
            plan_id=SparePartPlanId(plan.id),
        )
        TRANSFER.create(transfer, cx.transition(payload={"lines": short}), cx.uow.audit)
        cx.uow.transfers.add(transfer)
        event(
            cx,
            "TransferRequested",
            transfer,
            {
                "plan_id": plan.id,
                "from_warehouse": from_warehouse,
                "to_warehouse": warehouse,
                "lines": short,
            },
        )
        created.append(transfer)
    return created


def _transfer_moves(transfer: TransferRequest, *, leaving: bool) -> list[StockMovement]:
    return [
        StockMovement(
            kind="transfer",
            reference=transfer.id,
            part_code=line.part_code,
            quantity=line.quantity,
            from_warehouse=transfer.from_warehouse if leaving else None,
            to_warehouse=None if leaving else transfer.to_warehouse,
        )
        for line in transfer.lines
    ]


@command("plan_parts")
def dispatch_transfer(
    cx: CommandContext,
    /,
    transfer_id: str,
    inventory: Inventory,
) -> TransferRequest:
    """Send a transfer's parts out of the source warehouse (``transfer`` movements, no destination).

    Raises:
        NotFound: No such transfer request.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        InvalidTransition: The transfer is not ``requested``.
        TransitionRefused: A part is short at the source (``stock_at_source``).
        ValidationError: The ERP refused a movement (those made are reversed; nothing recorded).
    """
    transfer = cx.uow.transfers.get(transfer_id)
    cx.check(PLAN_COMMAND, transfer)
    on_hand = {
        x.part_code: inventory.on_hand(transfer.from_warehouse, x.part_code) for x in transfer.lines
    }
    ctx = cx.transition(facts={"on_hand": on_hand})
    movements = _transfer_moves(transfer, leaving=True)
    documents = _fire_and_move(TRANSFER, transfer, "dispatch", ctx, cx.uow, inventory, movements)
    cx.uow.transfers.update(transfer)
    event(
        cx,
        "TransferDispatched",
        transfer,
        {"from_warehouse": transfer.from_warehouse, "lines": _line_payload(movements, documents)},
    )
    return transfer


@command("plan_parts")
def receive_transfer(
    cx: CommandContext,
    /,
    transfer_id: str,
    inventory: Inventory,
) -> TransferRequest:
    """Book a transfer's parts into the destination warehouse (``transfer`` movements, no source).

    Raises:
        NotFound: No such transfer request.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        InvalidTransition: The transfer is not ``in_transit``.
        ValidationError: The ERP refused a movement (those made are reversed; nothing recorded).
    """
    transfer = cx.uow.transfers.get(transfer_id)
    cx.check(PLAN_COMMAND, transfer)
    movements = _transfer_moves(transfer, leaving=False)
    ctx = cx.transition()
    documents = _fire_and_move(TRANSFER, transfer, "receive", ctx, cx.uow, inventory, movements)
    cx.uow.transfers.update(transfer)
    event(
        cx,
        "TransferReceived",
        transfer,
        {"to_warehouse": transfer.to_warehouse, "lines": _line_payload(movements, documents)},
    )
    return transfer


@command("plan_parts")
def cancel_transfer(
    cx: CommandContext,
    /,
    transfer_id: str,
    reason: str,
) -> TransferRequest:
    """Withdraw a transfer request before anything left the source warehouse.

    Raises:
        NotFound: No such transfer request.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        InvalidTransition: The transfer is already in transit, received or cancelled.
        TransitionRefused: No reason given.
    """
    cancelled: TransferRequest = move(
        cx,
        TRANSFER,
        transfer_id,
        "cancel",
        command=PLAN_COMMAND,
        event_name="TransferCancelled",
        reason=reason,
        event_payload=lambda _t: {"reason": reason},
    )
    return cancelled


# -- failure history ------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


@attrs.define
class _History:
    """Completed work in a window, keyed by ``(product_code or None, service type)``."""

    visits: Counter[tuple[str | None, ServiceType]] = attrs.field(factory=Counter)
    used: defaultdict[tuple[str | None, ServiceType], Counter[str]] = attrs.field(
        factory=lambda: defaultdict(Counter)
    )

    def per_visit(self, key: tuple[str | None, ServiceType]) -> dict[str, Fraction]:
        """Average parts used per completed request with ``key`` (empty without history)."""
        count = self.visits[key]
        if not count:
            return {}
        return {code: Fraction(qty, count) for code, qty in self.used[key].items()}

    def per_service_type(self, service_type: ServiceType) -> dict[str, Fraction]:
        """Average parts used per completed request of ``service_type``, over every product."""
        count = sum(n for (_, st), n in self.visits.items() if st is service_type)
        if not count:
            return {}
        totals: Counter[str] = Counter()
        for (_, st), parts in self.used.items():
            if st is service_type:
                totals.update(parts)
        return {code: Fraction(qty, count) for code, qty in totals.items()}


def _history(
    uow: UnitOfWork, since: date, until: date, archives: dict[str, ProductArchive | None]
) -> _History:
    """Parts used in completed processing orders of requests reported in ``[since, until)``."""
    reported = Query(
        at_least={"reported_at": _midnight(since)}, before={"reported_at": _midnight(until)}
    )
    requests: dict[str, ServiceRequest] = {r.id: r for r in uow.requests.iterate(reported)}
    found = _History()
    orders: defaultdict[str, list[ProcessingOrder]] = defaultdict(list)
    for chunk in _chunks(sorted(requests)):
        query = Query(
            equals={"request_id": list(chunk), "status": ProcessingStatus.COMPLETED.value}
        )
        for order in uow.processing.iterate(query):
            orders[order.request_id].append(order)
    for request_id, done in sorted(orders.items()):
        request = requests[request_id]
        key = (_product_of(uow, request, archives), request.service_type)
        found.visits[key] += 1
        for order in done:
            for usage in order.parts_used:
                found.used[key][usage.part_code] += usage.quantity
    return found


def _product_of(
    uow: UnitOfWork, request: ServiceRequest, archives: dict[str, ProductArchive | None]
) -> str | None:
    if request.archive_id is None:
        return None
    if request.archive_id not in archives:
        archives[request.archive_id] = uow.archives.find(request.archive_id)
    archive = archives[request.archive_id]
    return None if archive is None else archive.product_code


def _days_installed(archive: ProductArchive, first: date, last: date) -> int:
    """Days of ``[first, last]`` on which ``archive`` was installed (no install date: all)."""
    start = first if archive.install_date is None else max(first, archive.install_date)
    return max(0, (last - start).days + 1)


# -- spare-part plans -----------------------------------------------------------------------------


def _visit_archive(
    uow: UnitOfWork, i: int, visit: object, first: date, last: date
) -> tuple[ProductArchive, date]:
    if not isinstance(visit, tuple | list) or len(visit) != 2:
        raise ValidationError.single(f"expected_visits[{i}]", visit, "must be an (archive, date)")
    archive, on = visit
    if isinstance(archive, ProductArchive):
        found: ProductArchive | None = archive
    elif isinstance(archive, str) and archive:
        found = uow.archives.find(archive)
    else:
        raise ValidationError.single(
            f"expected_visits[{i}]", archive, "must name an archive (id or ProductArchive)"
        )
    if found is None:
        raise ValidationError.single(f"expected_visits[{i}]", archive, "no such archive")
    if found.status is not ArchiveStatus.REGISTERED:
        raise ValidationError.single(
            f"expected_visits[{i}]", found.id, f"archive is {found.status.value}, not registered"
        )
    if not _is_date(on) or not first <= on <= last:
        raise ValidationError.single(
            f"expected_visits[{i}]", on, f"the visit date must be a date within {first}..{last}"
        )
    return found, on


def _holds(archive: ProductArchive, part_code: str) -> bool:
    """Whether the part is in the archive's parts list; an empty list is taken to hold all."""
    return not archive.parts or archive.quantity_of(part_code) > 0


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_plan_inputs(
    period_start: date, period_end: date, window: object, factor: object
) -> None:
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        if not _is_date(value):
            raise ValidationError.single(name, value, "must be a date")
    if period_end < period_start:
        raise ValidationError.single("period_end", period_end, f"must not be before {period_start}")
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValidationError.single("failure_window_days", window, "must be a whole number >= 1")
    good = (
        isinstance(factor, Decimal | int)
        and not isinstance(factor, bool)
        and Decimal(factor).is_finite()
        and factor > 0
    )
    if not good:
        raise ValidationError.single("safety_factor", factor, "must be a Decimal above 0")


@query("plan_parts")
def plan_spare_parts(
    cx: CommandContext,
    /,
    *,
    period_start: date,
    period_end: date,
    warehouse_id: str,
    expected_visits: Sequence[tuple[ProductArchive | str, date]] | None = None,
    failure_window_days: int = 365,
    safety_factor: Decimal = Decimal(1),
    plan_id: str | None = None,
) -> SparePartPlan:
    """Compute how many of which part ``warehouse_id`` needs by when over a period (备件计划).

    Nothing is stored: pass the plan to :func:`save_spare_part_plan`. The history window ``H`` is
    the ``failure_window_days`` days before ``period_start``; history means the parts used in
    *completed* processing orders of requests reported in ``H``, keyed by the product of the
    request's archive and the request's service type.

    **Failures** (the installed base, service types in :data:`FAILURE_TYPES`). For each product
    ``P`` and part ``c``, the failure rate per installed unit and day is::

        rate(P, c) = used(P, c) / unit_days_H(P)

    where ``used`` is the quantity of ``c`` used on requests for ``P`` in ``H`` and
    ``unit_days_H(P)`` sums, over the archives of ``P`` that are registered or invalidated, the
    days of ``H`` each was installed (from its ``install_date``; all of ``H`` when unknown). Each
    *registered* archive ``a`` of ``P`` that holds ``c`` (in its parts list; an archive with an
    empty parts list is taken to hold every part) then expects::

        rate(P, c) * unit_days_period(a)

    needed by ``period_start``.

    **Maintenance visits** (``expected_visits``: ``(archive or archive id, date)`` pairs, each date
    within the period). A visit to an archive of ``P`` expects, for each part ``c`` it holds::

        used_maintenance(P, c) / completed_maintenance_requests_H(P)

    needed by the visit date. A product without maintenance history expects nothing.

    **Rounding.** Every expectation is multiplied by ``safety_factor``. Per part, the expectations
    are accumulated in date order and each date gets ``ceil(cumulative) - ceil(previous
    cumulative)`` parts: the total is the expectation rounded up once (never once per archive or
    visit), and each part is needed by the first date the cumulative need reaches it. Exact
    fractions are used throughout; dates with nothing to add get no line.

    Args:
        cx: Who acts, in which unit of work, under which settings.
        period_start: First day planned.
        period_end: Last day planned (inclusive).
        warehouse_id: The service warehouse to stock.
        expected_visits: Maintenance visits expected in the period; by default those the
            maintenance plans of active contracts promise
            (:func:`~servicecore.services.maintenance.maintenance_visits`).
        failure_window_days: Length of the history window in days (>= 1).
        safety_factor: Multiplier on every expectation (> 0), e.g. ``Decimal("1.2")``.
        plan_id: The plan's id (default: a new one).

    Returns:
        A draft plan; ``archive_ids`` are the archives whose expectations contributed.

    Raises:
        ValidationError: A bad argument (naming it), a visit to an unknown or unregistered archive
            or outside the period (``expected_visits[i]``), or nothing to stock (``lines``).
    """
    _check_plan_inputs(period_start, period_end, failure_window_days, safety_factor)
    factor = Fraction(safety_factor)
    window_start = period_start - timedelta(days=failure_window_days)
    archives: dict[str, ProductArchive | None] = {}
    history = _history(cx.uow, window_start, period_start, archives)
    window_last = period_start - timedelta(days=1)

    in_service = [ArchiveStatus.REGISTERED.value, ArchiveStatus.INVALIDATED.value]
    all_archives = list(cx.uow.archives.iterate(Query(equals={"status": in_service})))
    unit_days: Counter[str] = Counter()
    failures: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for archive in all_archives:
        unit_days[archive.product_code] += _days_installed(archive, window_start, window_last)
    for (product, service_type), parts in history.used.items():
        if product is not None and service_type in FAILURE_TYPES:
            failures[product].update(parts)

    expected: defaultdict[str, defaultdict[date, Fraction]] = defaultdict(
        lambda: defaultdict(Fraction)
    )
    contributors: set[str] = set()
    for archive in all_archives:
        if archive.status is not ArchiveStatus.REGISTERED:
            continue
        days = _days_installed(archive, period_start, period_end)
        denominator = unit_days[archive.product_code]
        if not days or not denominator:
            continue
        for code, qty in failures[archive.product_code].items():
            if _holds(archive, code):
                expected[code][period_start] += Fraction(qty * days, denominator) * factor
                contributors.add(archive.id)
    if expected_visits is None:
        expected_visits = maintenance_visits(cx.uow, period_start, period_end)
    for i, visit in enumerate(expected_visits):
        archive, on = _visit_archive(cx.uow, i, visit, period_start, period_end)
        per_visit = history.per_visit((archive.product_code, ServiceType.MAINTENANCE))
        for code, share in per_visit.items():
            if _holds(archive, code):
                expected[code][on] += share * factor
                contributors.add(archive.id)

    lines = []
    for code in sorted(expected):
        cumulative = Fraction(0)
        stocked = 0
        for day in sorted(expected[code]):
            cumulative += expected[code][day]
            need = math.ceil(cumulative)
            if need > stocked:
                lines.append(
                    PlanLine(
                        part_code=PartCode(code),
                        quantity=need - stocked,
                        warehouse_id=WarehouseId(warehouse_id),
                        needed_by=day,
                    )
                )
                stocked = need
    if not lines:
        raise ValidationError.single(
            "lines",
            (),
            f"nothing to stock in {warehouse_id} for {period_start}..{period_end}: no failure "
            f"history since {window_start} and no maintenance visit implies a part",
        )
    lines.sort(key=lambda x: (x.needed_by, x.part_code))
    return SparePartPlan(
        id=SparePartPlanId(plan_id if plan_id is not None else cx.ids.new_id("SparePartPlan")),
        period_start=period_start,
        period_end=period_end,
        lines=tuple(lines),
        archive_ids=tuple(ArchiveId(a) for a in sorted(contributors)),
    )


@command("plan_parts")
def save_spare_part_plan(
    cx: CommandContext,
    /,
    plan: SparePartPlan,
) -> SparePartPlan:
    """Record a plan (e.g. from :func:`plan_spare_parts`) as a draft.

    Raises:
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        ValidationError: Not a draft :class:`~servicecore.model.parts.SparePartPlan`.
        DuplicateId: A plan with its id exists.
    """
    cx.check(PLAN_COMMAND, plan)
    SPARE_PART_PLAN.create(plan, cx.transition(payload={"lines": plan.lines}), cx.uow.audit)
    cx.uow.spare_part_plans.add(plan)
    event(
        cx,
        "SparePartPlanDrafted",
        plan,
        {"period_start": plan.period_start, "period_end": plan.period_end, "lines": plan.lines},
    )
    return plan


@command("plan_parts")
def approve_spare_part_plan(
    cx: CommandContext,
    /,
    plan_id: str,
) -> SparePartPlan:
    """Approve a draft plan so that it can be pushed down into transfers.

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        InvalidTransition: The plan is not a draft.
        TransitionRefused: The plan's period is over (``period_not_over``).
    """
    approved: SparePartPlan = move(
        cx,
        SPARE_PART_PLAN,
        plan_id,
        "approve",
        command=PLAN_COMMAND,
        event_name="SparePartPlanApproved",
    )
    return approved


@command("plan_parts")
def close_spare_part_plan(
    cx: CommandContext,
    /,
    plan_id: str,
) -> SparePartPlan:
    """Close an approved plan once none of its transfers is requested or in transit.

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        InvalidTransition: The plan is not approved.
        TransitionRefused: A transfer made from it is still open (``no_open_transfers``).
    """
    plan = cx.uow.spare_part_plans.get(plan_id)
    cx.check(PLAN_COMMAND, plan)
    warehouses = sorted({x.warehouse_id for x in plan.lines})
    query = Query(equals={"to_warehouse": warehouses, "status": _OPEN_TRANSFER})
    transfers = [t for t in cx.uow.transfers.iterate(query) if t.plan_id == plan.id]
    ctx = cx.transition(facts={"transfers": transfers})
    SPARE_PART_PLAN.fire(plan, "close", ctx, cx.uow.audit)
    cx.uow.spare_part_plans.update(plan)
    event(cx, "SparePartPlanClosed", plan)
    return plan


# -- demand ---------------------------------------------------------------------------------------


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


def _add(
    totals: defaultdict[str, Fraction],
    sources: defaultdict[str, set[str]],
    expectation: dict[str, Fraction],
    source: str,
    already: Counter[str] | None = None,
) -> None:
    for code, qty in expectation.items():
        left = qty - (already or Counter())[code]
        if left > 0:
            totals[code] += left
            sources[code].add(source)


def _requisitioned(uow: UnitOfWork, request_ids: Sequence[str]) -> dict[str, Counter[str]]:
    held: dict[str, Counter[str]] = defaultdict(Counter)
    live = [
        RequisitionStatus.REQUESTED.value,
        RequisitionStatus.ISSUED.value,
        RequisitionStatus.RETURNED.value,
    ]
    for chunk in _chunks(request_ids):
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

    History is as in :func:`plan_spare_parts`, over the ``failure_window_days`` days before
    ``since``: the average quantity of each part used per completed request.

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
    history = _history(cx.uow, first - timedelta(days=window), first, archives)
    totals: defaultdict[str, Fraction] = defaultdict(Fraction)
    sources: defaultdict[str, set[str]] = defaultdict(set)

    requests = list(
        cx.uow.requests.iterate(
            Query(equals={"status": _OPEN_REQUEST}, before={"reported_at": until})
        )
    )
    held = _requisitioned(cx.uow, [r.id for r in requests])
    for request in requests:
        key = (_product_of(cx.uow, request, archives), request.service_type)
        expectation = history.per_visit(key) or history.per_service_type(request.service_type)
        _add(totals, sources, expectation, request.id, held.get(request.id))
    bookings = cx.uow.bookings.iterate(
        Query(
            equals={"status": _HOLDING_BOOKING},
            at_least={"slot_start": since},
            before={"slot_start": until},
        )
    )
    for booking in bookings:
        _add(totals, sources, history.per_service_type(booking.service_type), booking.id)
    return [
        DemandLine(
            part_code=code,
            expected=_decimal(totals[code]),
            quantity=math.ceil(totals[code]),
            sources=tuple(sorted(sources[code])),
        )
        for code in sorted(totals)
    ]


def _decimal(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
