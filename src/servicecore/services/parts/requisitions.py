"""Parts requisitions (配件申领): ask a warehouse for parts, issue them, book returns, withdraw.

A requisition asks the warehouse for parts for a request that is still open for work. Issuing it
moves stock through the host's :class:`~servicecore.ports.Inventory`: charged lines as a
``sales_outbound``, free lines as an ``other_outbound``; a ``PartsIssued`` event per kind tells
the host (finance invoices the sales outbound). Parts that come back from the field (unused, or
the faulty ones replaced) are booked in with a ``return`` movement.

Every command checks the policy under :data:`COMMAND`.
"""

from __future__ import annotations

from collections.abc import Sequence

from servicecore.errors import ValidationError
from servicecore.lifecycle import REQUISITION
from servicecore.lifecycle.facts import Facts
from servicecore.lifecycle.requisition import requested_quantities
from servicecore.model.common import RequestId, RequisitionId, WarehouseId
from servicecore.model.parts import PartsRequisition, RequisitionLine
from servicecore.model.processing import ReturnedPart
from servicecore.ports import Inventory, StockMovement
from servicecore.services.common import event
from servicecore.services.context import CommandContext, command
from servicecore.services.parts._common import fire_and_move, keyed, line_payload

__all__ = [
    "COMMAND",
    "cancel_requisition",
    "issue_requisition",
    "requisition_parts",
    "return_parts",
]

COMMAND = "requisition_parts"
"""The policy command the requisition commands check."""


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
    payload = {"lines": requisition.lines}
    cx.create(REQUISITION, requisition, payload=payload, given=Facts(request=request))
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
    ctx = cx.transition(facts=Facts(request=request, on_hand=on_hand))
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
    movements = keyed([*by_kind["sales_outbound"], *by_kind["other_outbound"]], "issue")
    documents = fire_and_move(REQUISITION, requisition, "issue", ctx, cx.uow, inventory, movements)
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
                    "lines": line_payload(moved, docs),
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
    ctx = cx.transition(payload={"returned": items}, facts=Facts(returned=items))
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
    # Returns may come in several times: the version names this one.
    movements = keyed(movements, f"return-v{requisition.version}")
    documents = fire_and_move(REQUISITION, requisition, "return", ctx, cx.uow, inventory, movements)
    cx.uow.requisitions.update(requisition)
    lines = [
        {**line, "condition": item.condition, "serial": item.serial}
        for line, item in zip(line_payload(movements, documents), items, strict=True)
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
    cx.fire(REQUISITION, requisition, "cancel", reason=reason)
    cx.uow.requisitions.update(requisition)
    event(cx, "RequisitionCancelled", requisition, {"reason": reason})
    return requisition
