"""Transfer requests (配件调拨申请): push an approved plan down, dispatch, receive, withdraw.

An approved spare-part plan is pushed down (下推) into transfer requests for what each service
warehouse lacks; a transfer is dispatched (stock leaves the source) and received (stock
arrives), each through ``transfer`` movements in the host's :class:`~servicecore.ports.Inventory`.

Every command checks the policy under
:data:`~servicecore.services.parts.plans.PLAN_COMMAND`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import attrs

from servicecore.errors import ValidationError
from servicecore.lifecycle import TRANSFER
from servicecore.lifecycle.facts import Facts
from servicecore.model.common import SparePartPlanId, TransferId, WarehouseId
from servicecore.model.parts import SparePartPlanStatus, TransferLine, TransferRequest
from servicecore.ports import Inventory, Query, StockMovement, UnitOfWork
from servicecore.services.common import event, move
from servicecore.services.context import CommandContext, command
from servicecore.services.parts._common import OPEN_TRANSFER, fire_and_move, keyed, line_payload
from servicecore.services.parts.plans import PLAN_COMMAND

__all__ = [
    "cancel_transfer",
    "dispatch_transfer",
    "receive_transfer",
    "transfers_for_plan",
]


def _pending_into(uow: UnitOfWork, warehouse_id: str) -> Counter[str]:
    pending: Counter[str] = Counter()
    query = Query(equals={"to_warehouse": warehouse_id, "status": OPEN_TRANSFER})
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
        cx.create(TRANSFER, transfer, payload={"lines": short})
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
    return _move(cx, transfer, inventory, "dispatch", Facts(on_hand=on_hand))


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
    return _move(cx, transfer, inventory, "receive", None)


def _move(
    cx: CommandContext,
    transfer: TransferRequest,
    inventory: Inventory,
    trigger: str,
    facts: Facts | None,
) -> TransferRequest:
    """Fire ``dispatch`` (parts leave the source) or ``receive`` (they arrive) with the ERP."""
    leaving = trigger == "dispatch"
    movements = keyed(_transfer_moves(transfer, leaving=leaving), trigger)
    ctx = cx.transition(facts=facts)
    documents = fire_and_move(TRANSFER, transfer, trigger, ctx, cx.uow, inventory, movements)
    cx.uow.transfers.update(transfer)
    where = (
        {"from_warehouse": transfer.from_warehouse}
        if leaving
        else {"to_warehouse": transfer.to_warehouse}
    )
    name = "TransferDispatched" if leaving else "TransferReceived"
    event(cx, name, transfer, where | {"lines": line_payload(movements, documents)})
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
