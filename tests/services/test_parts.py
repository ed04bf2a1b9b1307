"""Spare parts on every storage backend: requisitions, returns, plans, transfers and demand."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from desk_actors import CUSTOMER, SUP, TECH

from servicecore.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.lifecycle import ARCHIVE, TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ArchivePart
from servicecore.model.booking import BookingStatus
from servicecore.model.common import Money, TimeRange
from servicecore.model.enums import ServiceType
from servicecore.model.parts import (
    PlanLine,
    RequisitionLine,
    RequisitionStatus,
    SparePartPlanStatus,
    TransferLine,
    TransferStatus,
)
from servicecore.model.processing import PartUsage, ProcessingStatus, ReturnedPart
from servicecore.model.request import RequestStatus
from servicecore.ports import StockMovement
from servicecore.services import parts as p
from servicecore.testing import factories as f
from servicecore.testing.erp_stock import InMemoryInventory
from servicecore.testing.factories import command_context as cx

WH = Actor(id="wh-1", roles={Role.WAREHOUSE})
RELAY, FUSE, FILTER = "RELAY-7", "FUSE-2", "FILTER-1"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
JAN = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def names(events):
    return [e.name for e in events]


# -- requisitions ---------------------------------------------------------------------------------


def seed_request(storage, tenant, status=RequestStatus.OPEN):
    """Request R-1, which technician T-7 (the TECH actor) holds a dispatch order for."""
    with storage.unit_of_work(tenant) as uow:
        uow.requests.add(f.request(status=status))
        uow.dispatches.add(f.dispatch())
        uow.commit()


def stock():
    return InMemoryInventory({"W-SVC": {RELAY: 5, FUSE: 3}, "W-MAIN": {RELAY: 50}})


LINES = [
    RequisitionLine(part_code=RELAY, quantity=2, charged=True),
    RequisitionLine(part_code=FUSE, quantity=1),
    RequisitionLine(part_code=RELAY, quantity=1),
]


def requisition(storage, tenant, clock, lines=LINES):
    with storage.unit_of_work(tenant) as uow:
        made = p.requisition_parts(cx(uow, TECH, clock), "R-1", lines, warehouse_id="W-SVC")
        events = uow.commit()
    return made.id, events


def test_parts_are_requisitioned_issued_by_kind_and_returned(storage, tenant, clock):
    seed_request(storage, tenant)
    erp = stock()
    req_id, events = requisition(storage, tenant, clock)
    assert names(events) == ["PartsRequisitioned"]

    with storage.unit_of_work(tenant) as uow:
        issued = p.issue_requisition(cx(uow, WH, clock), req_id, erp)
        events = uow.commit()
    assert issued.status is RequisitionStatus.ISSUED
    moves = erp.movements(req_id)
    assert [
        (m.kind, m.part_code, m.quantity, m.from_warehouse, m.to_warehouse) for _, m in moves
    ] == [
        ("sales_outbound", RELAY, 2, "W-SVC", None),
        ("other_outbound", FUSE, 1, "W-SVC", None),
        ("other_outbound", RELAY, 1, "W-SVC", None),
    ]
    assert (erp.on_hand("W-SVC", RELAY), erp.on_hand("W-SVC", FUSE)) == (2, 2)
    issued_events = [e for e in events if e.name == "PartsIssued"]
    assert [e.payload["kind"] for e in issued_events] == ["sales_outbound", "other_outbound"]
    sales, other = (e.payload for e in issued_events)
    assert sales["charged"] is True
    assert sales["customer_id"] == "C-1"
    assert sales["request_id"] == "R-1"
    assert sales["lines"] == [{"part_code": RELAY, "quantity": 2, "document": moves[0][0]}]
    assert other["charged"] is False
    assert [x["document"] for x in other["lines"]] == [moves[1][0], moves[2][0]]

    faulty = ReturnedPart(part_code=RELAY, quantity=1, condition="burnt contacts", serial="RL-1")
    with storage.unit_of_work(tenant) as uow:
        p.return_parts(cx(uow, TECH, clock), req_id, [faulty], erp)
        events = uow.commit()
    assert names(events) == ["PartsReturned"]
    back = events[0].payload["lines"][0]
    assert (back["part_code"], back["quantity"], back["condition"], back["serial"]) == (
        RELAY,
        1,
        "burnt contacts",
        "RL-1",
    )
    assert erp.movements(req_id)[-1][1].kind == "return"
    assert erp.on_hand("W-SVC", RELAY) == 3
    with storage.unit_of_work(tenant) as uow:
        stored = uow.requisitions.get(req_id)
        trail = uow.audit.entries("PartsRequisition", req_id)
    assert stored.status is RequisitionStatus.RETURNED
    assert [e.trigger for e in trail] == ["create", "issue", "return"]


def test_a_requisition_is_refused_for_a_request_no_longer_open_for_work(storage, tenant, clock):
    seed_request(storage, tenant, status=RequestStatus.RESOLVED)
    with storage.unit_of_work(tenant) as uow, pytest.raises(TransitionRefused) as caught:
        p.requisition_parts(cx(uow, TECH, clock), "R-1", LINES, warehouse_id="W-SVC")
    assert caught.value.guard == "request_open_for_work"
    with storage.unit_of_work(tenant) as uow:
        assert uow.requisitions.count() == 0


def test_bad_requisitions_are_refused_and_write_nothing(storage, tenant, clock):
    seed_request(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(PermissionDenied):
            p.requisition_parts(cx(uow, CUSTOMER, clock), "R-1", LINES, warehouse_id="W-SVC")
        with pytest.raises(ValidationError) as caught:
            p.requisition_parts(cx(uow, TECH, clock), "R-1", [], warehouse_id="W-SVC")
        assert caught.value.errors[0].path == "lines"
        with pytest.raises(ValidationError):
            p.requisition_parts(cx(uow, TECH, clock), "R-1", LINES, warehouse_id="")
        with pytest.raises(NotFound):
            p.requisition_parts(cx(uow, TECH, clock), "R-404", LINES, warehouse_id="W-SVC")
        assert uow.commit() == ()
    with storage.unit_of_work(tenant) as uow:
        assert uow.requisitions.count() == 0


def test_issuing_more_than_on_hand_is_refused_and_moves_nothing(storage, tenant, clock):
    seed_request(storage, tenant)
    erp = InMemoryInventory({"W-SVC": {RELAY: 2, FUSE: 3}})  # three relays are asked for
    req_id, _ = requisition(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused) as caught:
            p.issue_requisition(cx(uow, WH, clock), req_id, erp)
        uow.commit()
    assert caught.value.guard == "stock_available"
    assert "RELAY-7 (2 on hand, 3 wanted)" in str(caught.value)
    assert erp.movements() == ()
    with storage.unit_of_work(tenant) as uow:
        assert uow.requisitions.get(req_id).status is RequisitionStatus.REQUESTED
        assert [e.trigger for e in uow.audit.entries("PartsRequisition", req_id)] == ["create"]


class FailingInventory(InMemoryInventory):
    """An ERP that refuses the n-th movement although the stock is there."""

    def __init__(self, fail_at: int) -> None:
        super().__init__({"W-SVC": {RELAY: 5, FUSE: 3}})
        self.calls = 0
        self.fail_at = fail_at

    def move(self, movement: StockMovement) -> str:
        self.calls += 1
        if self.calls == self.fail_at:
            raise ValidationError.single("part_code", movement.part_code, "blocked in the ERP")
        return super().move(movement)


def test_an_erp_refusal_midway_reverses_what_moved_and_records_nothing(storage, tenant, clock):
    seed_request(storage, tenant)
    erp = FailingInventory(fail_at=2)
    req_id, _ = requisition(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError):
        p.issue_requisition(cx(uow, WH, clock), req_id, erp)
    assert (erp.on_hand("W-SVC", RELAY), erp.on_hand("W-SVC", FUSE)) == (5, 3)
    assert [m.kind for _, m in erp.movements(req_id)] == ["sales_outbound", "return"]
    with storage.unit_of_work(tenant) as uow:
        assert uow.requisitions.get(req_id).status is RequisitionStatus.REQUESTED


def test_returns_never_exceed_what_was_issued(storage, tenant, clock):
    seed_request(storage, tenant)
    erp = stock()
    req_id, _ = requisition(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(InvalidTransition):  # not issued yet
            p.return_parts(
                cx(uow, TECH, clock),
                req_id,
                [ReturnedPart(part_code=RELAY, quantity=1, condition="ok")],
                erp,
            )
        p.issue_requisition(cx(uow, WH, clock), req_id, erp)
        uow.commit()
    too_many = ReturnedPart(part_code=RELAY, quantity=4, condition="unused")
    foreign = ReturnedPart(part_code="VALVE-3", quantity=1, condition="faulty")
    with storage.unit_of_work(tenant) as uow:
        for bad in ([too_many], [foreign], []):
            with pytest.raises(TransitionRefused) as caught:
                p.return_parts(cx(uow, TECH, clock), req_id, bad, erp)
            assert caught.value.guard == "returns_within_issue"
        with pytest.raises(ValidationError) as caught_type:
            p.return_parts(cx(uow, TECH, clock), req_id, ["a relay"], erp)
        assert caught_type.value.errors[0].path == "returned[0]"
        assert uow.commit() == ()
    assert [m.kind for _, m in erp.movements(req_id)].count("return") == 0


def test_a_requisition_is_cancelled_with_a_reason_only_before_issue(storage, tenant, clock):
    seed_request(storage, tenant)
    req_id, _ = requisition(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused):
            p.cancel_requisition(cx(uow, TECH, clock), req_id, "  ")
        p.cancel_requisition(cx(uow, TECH, clock), req_id, "customer fixed it himself")
        events = uow.commit()
    assert names(events) == ["RequisitionCancelled"]
    with storage.unit_of_work(tenant) as uow:
        entry = uow.audit.head("PartsRequisition", req_id)
        assert entry.reason == "customer fixed it himself"
        with pytest.raises(InvalidTransition):
            p.issue_requisition(cx(uow, WH, clock), req_id, stock())


# -- the installed base and its history -----------------------------------------------------------


def registered(uow, clock, **kw):
    unit = f.archive(**kw)
    ARCHIVE.create(unit, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
    ARCHIVE.fire(unit, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
    uow.archives.add(unit)
    return unit


def worked(
    uow, n, archive_id, service_type, used, *, reported=JAN, status=ProcessingStatus.COMPLETED
):
    uow.requests.add(
        f.request(
            id=f"H-{n}",
            archive_id=archive_id,
            service_type=service_type,
            reported_at=reported,
            status=RequestStatus.CLOSED,
        )
    )
    uow.processing.add(
        f.completed_processing(
            id=f"P-{n}",
            request_id=f"H-{n}",
            dispatch_id=f"D-{n}",
            status=status,
            parts_used=tuple(
                PartUsage(part_code=c, quantity=q, unit_price=Money("10", "IDR")) for c, q in used
            ),
        )
    )


def seed_base(storage, tenant, clock):
    """Five AC units (A-4 holds no relay, A-5 installed mid-March) and one fridge, B-1.

    Over the 100 days before March: AC repairs used 4 relays (rate 4 / 400 unit-days), the fridge
    repair 3 (3 / 100); AC maintenance visits used 3 filters and 1 relay over 2 visits.
    """
    both = (ArchivePart(part_code=RELAY), ArchivePart(part_code=FILTER, quantity=2))
    with storage.unit_of_work(tenant) as uow:
        for i in (1, 2, 3):
            registered(uow, clock, id=f"A-{i}", serial_number=f"SN-{i}", parts=both)
        registered(
            uow, clock, id="A-4", serial_number="SN-4", parts=(ArchivePart(part_code=FILTER),)
        )
        registered(
            uow,
            clock,
            id="A-5",
            serial_number="SN-5",
            install_date=date(2026, 3, 17),
            parts=(ArchivePart(part_code=RELAY),),
        )
        registered(uow, clock, id="B-1", serial_number="SN-B1", product_code="FRIDGE-1", parts=both)
        uow.archives.add(f.archive(id="A-9", serial_number="SN-9"))  # a draft: not in service
        worked(uow, 1, "A-1", ServiceType.REPAIR, [(RELAY, 2)])
        worked(uow, 2, "A-2", ServiceType.WARRANTY_CLAIM, [(RELAY, 2)])
        worked(uow, 3, "A-1", ServiceType.MAINTENANCE, [(FILTER, 2)])
        worked(uow, 4, "A-3", ServiceType.MAINTENANCE, [(FILTER, 1), (RELAY, 1)])
        worked(uow, 5, "B-1", ServiceType.REPAIR, [(RELAY, 3)])
        # none of these count: too old, cancelled, not completed
        worked(uow, 6, "A-1", ServiceType.REPAIR, [(RELAY, 10)], reported=JAN - timedelta(days=90))
        worked(uow, 7, "A-2", ServiceType.REPAIR, [(RELAY, 5)], status=ProcessingStatus.CANCELLED)
        worked(uow, 8, "A-3", ServiceType.REPAIR, [(RELAY, 5)], status=ProcessingStatus.OPEN)
        uow.commit()


VISITS = [("A-1", date(2026, 3, 10)), ("A-4", date(2026, 3, 20)), ("A-2", date(2026, 3, 20))]


def plan(uow, **kw):
    args = {
        "period_start": MARCH[0],
        "period_end": MARCH[1],
        "warehouse_id": "W-SVC",
        "expected_visits": VISITS,
        "failure_window_days": 100,
        "plan_id": "SP-1",
    } | kw
    return p.plan_spare_parts(cx(uow), **args)


def summary(found):
    return [(x.needed_by.day, x.part_code, x.quantity) for x in found.lines]


def test_the_plan_has_the_known_answer(storage, tenant, clock):
    # Relays by 1 March: AC 3 units x 31 days + A-5 x 15 days at 1/100 = 1.08, fridge 31 x 3/100
    # = 0.93; total 2.01 -> 3. Visits add 0.5 relay each to units holding relays (A-1 on the 10th:
    # 2.51 -> still 3; A-2 on the 20th: 3.01 -> 4) and 1.5 filters each (10th: 2; 20th: 4.5 -> 5).
    seed_base(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        found = plan(uow)
    assert summary(found) == [(1, RELAY, 3), (10, FILTER, 2), (20, FILTER, 3), (20, RELAY, 1)]
    assert {x.warehouse_id for x in found.lines} == {"W-SVC"}
    assert found.archive_ids == ("A-1", "A-2", "A-3", "A-4", "A-5", "B-1")
    assert found.status is SparePartPlanStatus.DRAFT
    with storage.unit_of_work(tenant) as uow:  # visits may name archives or hand them over
        handed = [(uow.archives.get(a), day) for a, day in VISITS]
        assert summary(plan(uow, expected_visits=handed)) == summary(found)


def test_retired_units_count_in_the_history_but_are_not_stocked_for(storage, tenant, clock):
    seed_base(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        unit = registered(uow, clock, id="A-8", serial_number="SN-8")  # no parts list: holds all
        ARCHIVE.fire(
            unit,
            "invalidate",
            TransitionContext(actor=SUP, at=clock.now(), reason="scrapped"),
            uow.audit,
        )
        uow.archives.update(unit)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        found = plan(uow)
    # AC relays now fail at 4 / 500 unit-days: 108 x 4/500 + 0.93 = 1.794 -> 2 by the 1st;
    # A-1's visit: 2.294 -> 3 on the 10th; A-2's: 2.794, still 3
    assert summary(found) == [(1, RELAY, 2), (10, FILTER, 2), (10, RELAY, 1), (20, FILTER, 3)]
    assert "A-8" not in found.archive_ids
    with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError) as caught:
        plan(uow, expected_visits=[("A-8", date(2026, 3, 5))])
    assert "invalidated" in str(caught.value)


def test_the_safety_factor_scales_the_expectation_before_rounding(storage, tenant, clock):
    seed_base(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        found = plan(uow, safety_factor=Decimal(2))
        without_visits = plan(uow, expected_visits=())
    # relays 4.02 -> 5, +1 -> 5.02 -> 6, +1 -> 6.02 -> 7; filters 3, then 3 + 6 = 9
    assert summary(found) == [
        (1, RELAY, 5),
        (10, FILTER, 3),
        (10, RELAY, 1),
        (20, FILTER, 6),
        (20, RELAY, 1),
    ]
    assert summary(without_visits) == [(1, RELAY, 3)]


def test_a_plan_needs_history_or_visits_and_sound_arguments(storage, tenant, clock):
    seed_base(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError) as caught:  # history ends 90 days back: none left
            plan(uow, expected_visits=(), failure_window_days=30)
        assert caught.value.errors[0].path == "lines"
        bad = [
            ({"period_end": date(2026, 2, 1)}, "period_end"),
            ({"failure_window_days": 0}, "failure_window_days"),
            ({"safety_factor": Decimal(0)}, "safety_factor"),
            ({"safety_factor": Decimal("NaN")}, "safety_factor"),
            ({"expected_visits": [("A-1", date(2026, 4, 1))]}, "expected_visits[0]"),
            ({"expected_visits": [("A-9", date(2026, 3, 5))]}, "expected_visits[0]"),
            ({"expected_visits": [("A-1", MARCH[0]), ("NOPE", MARCH[0])]}, "expected_visits[1]"),
            ({"expected_visits": [("A-1",)]}, "expected_visits[0]"),
            ({"expected_visits": [(42, MARCH[0])]}, "expected_visits[0]"),
            (
                {"expected_visits": [("A-1", datetime(2026, 3, 5, tzinfo=UTC))]},
                "expected_visits[0]",
            ),
        ]
        for kw, path in bad:
            with pytest.raises(ValidationError) as caught:
                plan(uow, **kw)
            assert caught.value.errors[0].path == path, kw


# -- plans pushed down into transfers -------------------------------------------------------------


def saved_plan(storage, tenant, clock, lines):
    found = f.spare_part_plan(id="SP-1", lines=lines)
    with storage.unit_of_work(tenant) as uow:
        p.save_spare_part_plan(cx(uow, WH, clock), found)
        p.approve_spare_part_plan(cx(uow, SUP, clock), "SP-1")
        uow.commit()


def line(code, qty, day, warehouse="W-SVC"):
    return PlanLine(
        part_code=code, quantity=qty, warehouse_id=warehouse, needed_by=date(2026, 3, day)
    )


def test_a_plan_becomes_transfers_for_the_shortfall_which_are_fulfilled(storage, tenant, clock):
    erp = InMemoryInventory({"W-MAIN": {RELAY: 50, FILTER: 50}, "W-SVC": {RELAY: 1}, "W-EAST": {}})
    lines = (
        line(RELAY, 3, 2),
        line(FILTER, 5, 10),
        line(RELAY, 1, 20),
        line(FILTER, 2, 5, "W-EAST"),
    )
    saved_plan(storage, tenant, clock, lines)
    with storage.unit_of_work(tenant) as uow:
        made = p.transfers_for_plan(cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN")
        again = p.transfers_for_plan(cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN")
        events = uow.commit()
    assert again == []  # what is already on its way counts
    assert [(t.to_warehouse, t.lines) for t in made] == [
        (
            "W-SVC",
            (TransferLine(part_code=RELAY, quantity=3), TransferLine(part_code=FILTER, quantity=5)),
        ),
        ("W-EAST", (TransferLine(part_code=FILTER, quantity=2),)),
    ]
    assert all(t.plan_id == "SP-1" and t.from_warehouse == "W-MAIN" for t in made)
    assert names(events) == ["TransferRequested", "TransferRequested"]

    svc = made[0].id
    with storage.unit_of_work(tenant) as uow:
        p.dispatch_transfer(cx(uow, WH, clock), svc, erp)
        uow.commit()
    assert (erp.on_hand("W-MAIN", RELAY), erp.on_hand("W-SVC", RELAY)) == (47, 1)  # in transit
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused) as caught:
            p.close_spare_part_plan(cx(uow, SUP, clock), "SP-1")
        assert caught.value.guard == "no_open_transfers"
        p.receive_transfer(cx(uow, WH, clock), svc, erp)
        p.cancel_transfer(cx(uow, WH, clock), made[1].id, "east warehouse borrows from a neighbour")
        events = uow.commit()
    assert names(events) == ["TransferReceived", "TransferCancelled"]
    assert (erp.on_hand("W-SVC", RELAY), erp.on_hand("W-SVC", FILTER)) == (4, 5)
    assert [(m.from_warehouse, m.to_warehouse) for _, m in erp.movements(svc)] == [
        ("W-MAIN", None),
        ("W-MAIN", None),
        (None, "W-SVC"),
        (None, "W-SVC"),
    ]
    with storage.unit_of_work(tenant) as uow:
        # W-SVC holds what it needs; W-EAST's transfer was cancelled, so it is asked for again
        renewed = p.transfers_for_plan(cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN")
    assert [(t.to_warehouse, t.lines) for t in renewed] == [
        ("W-EAST", (TransferLine(part_code=FILTER, quantity=2),))
    ]
    with storage.unit_of_work(tenant) as uow:
        assert uow.transfers.get(svc).status is TransferStatus.RECEIVED
        closed = p.close_spare_part_plan(cx(uow, SUP, clock), "SP-1")
        uow.commit()
    assert closed.status is SparePartPlanStatus.CLOSED


def test_only_lines_needed_by_a_date_are_pushed_down(storage, tenant, clock):
    erp = InMemoryInventory({"W-MAIN": {RELAY: 50, FILTER: 50}, "W-SVC": {}})
    saved_plan(storage, tenant, clock, (line(RELAY, 3, 2), line(FILTER, 5, 10), line(RELAY, 1, 20)))
    with storage.unit_of_work(tenant) as uow:
        soon = p.transfers_for_plan(
            cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN", needed_by=date(2026, 3, 9)
        )
        nothing = p.transfers_for_plan(
            cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN", needed_by=date(2026, 3, 1)
        )
    assert [t.lines for t in soon] == [(TransferLine(part_code=RELAY, quantity=3),)]
    assert nothing == []


def test_transfer_refusals_write_nothing(storage, tenant, clock):
    erp = InMemoryInventory({"W-MAIN": {RELAY: 2}, "W-SVC": {}})
    found = f.spare_part_plan(id="SP-1", lines=(line(RELAY, 3, 2),))
    with storage.unit_of_work(tenant) as uow:
        p.save_spare_part_plan(cx(uow, WH, clock), found)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError) as caught:  # a draft is not pushed down
            p.transfers_for_plan(cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN")
        assert caught.value.errors[0].path == "plan_id"
        with pytest.raises(PermissionDenied):
            p.approve_spare_part_plan(cx(uow, CUSTOMER, clock), "SP-1")
        with pytest.raises(PermissionDenied):  # planning stock is the warehouse's job
            p.approve_spare_part_plan(cx(uow, TECH, clock), "SP-1")
        p.approve_spare_part_plan(cx(uow, SUP, clock), "SP-1")
        (made,) = p.transfers_for_plan(cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused) as refused:  # 3 wanted, 2 at the source
            p.dispatch_transfer(cx(uow, WH, clock), made.id, erp)
        assert refused.value.guard == "stock_at_source"
        with pytest.raises(InvalidTransition):
            p.receive_transfer(cx(uow, WH, clock), made.id, erp)
        with pytest.raises(TransitionRefused):
            p.cancel_transfer(cx(uow, WH, clock), made.id, "")
        assert uow.commit() == ()
    assert erp.movements() == ()
    with storage.unit_of_work(tenant) as uow:
        assert uow.transfers.get(made.id).status is TransferStatus.REQUESTED


def test_a_plan_is_approved_only_while_its_period_lasts(storage, tenant, clock):
    found = f.spare_part_plan(id="SP-1")
    with storage.unit_of_work(tenant) as uow:
        p.save_spare_part_plan(cx(uow, WH, clock), found)
        uow.commit()
    clock.advance(timedelta(days=30))  # 1 April: March is over
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused) as caught:
            p.approve_spare_part_plan(cx(uow, SUP, clock), "SP-1")
        assert caught.value.guard == "period_not_over"
        with pytest.raises(InvalidTransition):
            p.close_spare_part_plan(cx(uow, SUP, clock), "SP-1")


# -- demand ---------------------------------------------------------------------------------------


def test_bookings_and_open_requests_imply_demand(storage, tenant, clock):
    seed_base(storage, tenant, clock)
    now = clock.now()
    with storage.unit_of_work(tenant) as uow:
        registered(uow, clock, id="N-1", serial_number="SN-N1", product_code="NEW-1")
        # AC repairs: 2 relays on 1 request (H-2 was a warranty claim); 1 requisitioned -> 1
        uow.requests.add(f.request(id="R-10", archive_id="A-1", reported_at=now))
        uow.dispatches.add(f.dispatch(id="D-10", request_id="R-10"))
        # no history for NEW-1: every repair, 5 relays over 2 requests -> 2.5
        uow.requests.add(f.request(id="R-11", archive_id="N-1", reported_at=now))
        uow.requests.add(f.request(id="R-12", archive_id="A-1", status=RequestStatus.RESOLVED))
        p.requisition_parts(
            cx(uow, TECH, clock),
            "R-10",
            [RequisitionLine(part_code=RELAY, quantity=1)],
            warehouse_id="W-SVC",
        )
        # maintenance: 3 filters and 1 relay over 2 visits
        soon = TimeRange(now + timedelta(days=2), now + timedelta(days=2, hours=2))
        uow.bookings.add(f.booking(id="B-1", service_type=ServiceType.MAINTENANCE, slot=soon))
        later = TimeRange(now + timedelta(days=9), now + timedelta(days=9, hours=2))
        uow.bookings.add(f.booking(id="B-2", service_type=ServiceType.MAINTENANCE, slot=later))
        uow.bookings.add(
            f.booking(
                id="B-3",
                service_type=ServiceType.MAINTENANCE,
                slot=soon,
                status=BookingStatus.CANCELLED,
                cancellation_reason="moved away",
                cancellation_fee=Money("0", "IDR"),
            )
        )
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        demand = p.parts_demand(
            cx(uow), since=now, until=now + timedelta(days=7), failure_window_days=100
        )
        year = p.parts_demand(cx(uow), since=now, until=now + timedelta(days=7))
    # over a year, H-6 counts: AC repairs 12 relays / 2 -> 6 - 1; all repairs 15 / 3; + 0.5
    assert [(x.part_code, x.expected, x.quantity) for x in year] == [
        (FILTER, Decimal("1.50"), 2),
        (RELAY, Decimal("10.50"), 11),
    ]
    # relays: 1 + 2.5 + 0.5; a year of history would bring in H-6's ten relays
    assert demand == [
        p.DemandLine(part_code=FILTER, expected=Decimal("1.50"), quantity=2, sources=("B-1",)),
        p.DemandLine(
            part_code=RELAY, expected=Decimal("4.00"), quantity=4, sources=("B-1", "R-10", "R-11")
        ),
    ]


def test_demand_needs_an_aware_forward_period(storage, tenant, clock):
    now = clock.now()
    with storage.unit_of_work(tenant) as uow:
        for kw, path in [
            ({"since": now.replace(tzinfo=None), "until": now}, "since"),
            ({"since": now, "until": now}, "until"),
            (
                {"since": now, "until": now + timedelta(days=1), "failure_window_days": 0},
                "failure_window_days",
            ),
        ]:
            with pytest.raises(ValidationError) as caught:
                p.parts_demand(cx(uow), **kw)
            assert caught.value.errors[0].path == path
        assert p.parts_demand(cx(uow), since=now, until=now + timedelta(days=1)) == []


def test_a_transfer_the_erp_cannot_receive_stays_in_transit(storage, tenant, clock):
    erp = InMemoryInventory({"W-MAIN": {RELAY: 5, FILTER: 5}})  # the ERP knows no W-GONE
    saved_plan(storage, tenant, clock, (line(RELAY, 2, 2, "W-GONE"), line(FILTER, 1, 2, "W-GONE")))
    with storage.unit_of_work(tenant) as uow:
        (made,) = p.transfers_for_plan(cx(uow, WH, clock), "SP-1", erp, from_warehouse="W-MAIN")
        p.dispatch_transfer(cx(uow, WH, clock), made.id, erp)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError) as caught:
            p.receive_transfer(cx(uow, WH, clock), made.id, erp)
        assert caught.value.errors[0].path == "to_warehouse"
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.transfers.get(made.id).status is TransferStatus.IN_TRANSIT
        assert [e.trigger for e in uow.audit.entries("TransferRequest", made.id)] == [
            "create",
            "dispatch",
        ]
    assert (erp.on_hand("W-MAIN", RELAY), erp.on_hand("W-MAIN", FILTER)) == (3, 4)
