"""The parts lifecycles' guards, one by one (the stateful test drives them at random)."""

from datetime import timedelta

import pytest
from factories import CS, NOW, ctx, request

from servicecore.errors import InvalidTransition, TransitionRefused, ValidationError
from servicecore.lifecycle import LIFECYCLES, REQUISITION, SPARE_PART_PLAN, TRANSFER
from servicecore.lifecycle.facts import Facts
from servicecore.model.audit import AuditLog
from servicecore.model.parts import (
    RequisitionLine,
    RequisitionStatus,
    SparePartPlanStatus,
    TransferStatus,
)
from servicecore.model.processing import ReturnedPart
from servicecore.model.request import RequestStatus
from servicecore.testing.factories import parts_requisition, spare_part_plan, transfer

TWO_LINES = (
    RequisitionLine(part_code="RELAY-7", quantity=2, charged=True),
    RequisitionLine(part_code="RELAY-7", quantity=1),
)


def created_requisition(trail, **kw):
    item = parts_requisition(**kw)
    REQUISITION.create(item, ctx(facts=Facts(request=request())), trail)
    return item


def test_the_parts_lifecycles_are_registered():
    assert LIFECYCLES["requisition"] is REQUISITION
    assert LIFECYCLES["transfer"] is TRANSFER
    assert LIFECYCLES["spare_part_plan"] is SPARE_PART_PLAN


@pytest.mark.parametrize(
    "status", [RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.CANCELLED]
)
def test_no_requisition_for_a_request_done_with(status):
    trail = AuditLog()
    with pytest.raises(TransitionRefused) as caught:
        REQUISITION.create(
            parts_requisition(), ctx(facts=Facts(request=request(status=status))), trail
        )
    assert caught.value.guard == "request_open_for_work"
    assert len(trail) == 0


def test_the_request_in_the_facts_must_be_the_requisitions_own():
    with pytest.raises(TransitionRefused) as caught:
        REQUISITION.create(
            parts_requisition(), ctx(facts=Facts(request=request(id="R-2"))), AuditLog()
        )
    assert "R-2, not R-1" in str(caught.value)


def test_issue_adds_up_lines_of_the_same_part():
    trail = AuditLog()
    item = created_requisition(trail, lines=TWO_LINES)
    short = ctx(facts=Facts(request=request(), on_hand={"RELAY-7": 2}))
    with pytest.raises(TransitionRefused) as caught:
        REQUISITION.fire(item, "issue", short, trail)
    assert "RELAY-7 (2 on hand, 3 wanted)" in str(caught.value)
    with pytest.raises(ValidationError):  # the stock levels are a fact the trigger needs
        REQUISITION.fire(item, "issue", ctx(facts=Facts(request=request())), trail)
    enough = ctx(facts=Facts(request=request(), on_hand={"RELAY-7": 3}))
    REQUISITION.fire(item, "issue", enough, trail)
    assert item.status is RequisitionStatus.ISSUED


def test_returns_are_counted_per_part_against_the_issue():
    trail = AuditLog()
    item = created_requisition(trail, lines=TWO_LINES)
    REQUISITION.fire(
        item, "issue", ctx(facts=Facts(request=request(), on_hand={"RELAY-7": 9})), trail
    )
    two = [ReturnedPart(part_code="RELAY-7", quantity=2, condition="unused")] * 2
    with pytest.raises(TransitionRefused) as caught:
        REQUISITION.fire(item, "return", ctx(facts=Facts(returned=two)), trail)
    assert "RELAY-7 (4 returned, 3 issued)" in str(caught.value)
    REQUISITION.fire(item, "return", ctx(facts=Facts(returned=two[:1])), trail)
    assert item.status is RequisitionStatus.RETURNED
    assert REQUISITION.allowed(item.status) == ()


def test_a_transfer_moves_only_after_it_was_requested_and_with_stock_at_source():
    trail = AuditLog()
    item = transfer()  # four relays
    TRANSFER.create(item, ctx(), trail)
    with pytest.raises(TransitionRefused) as caught:
        TRANSFER.fire(
            item,
            "dispatch",
            ctx(at=NOW - timedelta(hours=1), facts=Facts(on_hand={"RELAY-7": 9})),
            trail,
        )
    assert caught.value.guard == "not_before_request"
    with pytest.raises(TransitionRefused) as caught:
        TRANSFER.fire(item, "dispatch", ctx(facts=Facts(on_hand={"RELAY-7": 3})), trail)
    assert caught.value.guard == "stock_at_source"
    TRANSFER.fire(item, "dispatch", ctx(facts=Facts(on_hand={"RELAY-7": 4})), trail)
    with pytest.raises(InvalidTransition):
        TRANSFER.fire(item, "cancel", ctx(reason="too late"), trail)
    TRANSFER.fire(item, "receive", ctx(), trail)
    assert item.status is TransferStatus.RECEIVED


def test_a_plan_closes_only_when_its_transfers_are_done():
    trail = AuditLog()
    plan = spare_part_plan()
    SPARE_PART_PLAN.create(plan, ctx(), trail)
    with pytest.raises(TransitionRefused):
        SPARE_PART_PLAN.fire(plan, "approve", ctx(at=NOW + timedelta(days=30)), trail)  # 1 April
    SPARE_PART_PLAN.fire(plan, "approve", ctx(actor=CS), trail)
    mine = transfer(plan_id="SP-1", status=TransferStatus.IN_TRANSIT)
    other = transfer(id="TR-2", plan_id="SP-2")
    with pytest.raises(TransitionRefused) as caught:
        SPARE_PART_PLAN.fire(plan, "close", ctx(facts=Facts(transfers=[mine, other])), trail)
    assert "TR-1" in str(caught.value)
    assert "TR-2" not in str(caught.value)
    done = transfer(plan_id="SP-1", status=TransferStatus.RECEIVED)
    SPARE_PART_PLAN.fire(plan, "close", ctx(facts=Facts(transfers=[done, other])), trail)
    assert plan.status is SparePartPlanStatus.CLOSED
