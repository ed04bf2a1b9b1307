"""Seed 004's spare-parts story end to end: a repair takes a relay from the service warehouse,
the burnt one comes back, and next month's plan and demand learn from the repair."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from desk_actors import CS, SUP, TECH

from servicecore.lifecycle import ARCHIVE, TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ArchivePart
from servicecore.model.common import Money, TimeRange
from servicecore.model.enums import ServiceType, SolutionType
from servicecore.model.parts import RequisitionLine, RequisitionStatus, TransferLine
from servicecore.model.processing import PartUsage, ReturnedPart
from servicecore.ports import StockMovement
from servicecore.services import dispatch as d
from servicecore.services import parts as p
from servicecore.services import requests as r
from servicecore.services import work as w
from servicecore.testing import factories as f
from servicecore.testing.erp_stock import InMemoryInventory
from servicecore.testing.factories import command_context as cx

JKT = ZoneInfo("Asia/Jakarta")
WH = Actor(id="wh-1", roles={Role.WAREHOUSE})


def test_a_relay_is_requisitioned_used_returned_and_planned_for(storage, tenant, clock):
    erp = InMemoryInventory({"W-MAIN": {"RELAY-7": 40, "GAS-R32": 10}, "W-SVC": {"RELAY-7": 1}})
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        for i in (1, 2):
            unit = f.archive(
                id=f"A-{i}",
                serial_number=f"SN-{i}",
                parts=(ArchivePart(part_code="RELAY-7", serial=f"R-OLD-{i}"),),
            )
            ARCHIVE.create(unit, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
            ARCHIVE.fire(unit, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
            uow.archives.add(unit)
        request = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Compressor does not start",
            archive_id="A-1",
        )
        start = datetime.combine(date(2026, 3, 2), time(18), JKT)
        order = d.assign(
            cx(uow, SUP, clock), request.id, "T-7", TimeRange(start, start + timedelta(hours=2))
        )
        uow.commit()

    # the technician asks for a relay the customer pays for and refrigerant the contract covers
    with storage.unit_of_work(tenant) as uow:
        req = p.requisition_parts(
            cx(uow, TECH, clock),
            request.id,
            [
                RequisitionLine(part_code="RELAY-7", quantity=1, charged=True),
                RequisitionLine(part_code="GAS-R32", quantity=1),
            ],
            warehouse_id="W-MAIN",
        )
        p.issue_requisition(cx(uow, WH, clock), req.id, erp)
        issued = [e.payload["kind"] for e in uow.commit() if e.name == "PartsIssued"]
    assert issued == ["sales_outbound", "other_outbound"]

    with storage.unit_of_work(tenant) as uow:
        d.accept_dispatch(cx(uow, TECH, clock), order.id)
        processing = d.start_dispatch(cx(uow, TECH, clock, currency="IDR"), order.id)
        burnt = ReturnedPart(part_code="RELAY-7", quantity=1, serial="R-OLD-1", condition="burnt")
        w.record_processing(
            cx(uow, TECH, clock),
            processing.id,
            {
                "solution_type": SolutionType.REPLACEMENT,
                "solution_text": "Replaced the start relay, topped up refrigerant",
                "labour_hours": Decimal(2),
                "parts_used": (
                    PartUsage(part_code="RELAY-7", quantity=1, unit_price=Money("185000", "IDR")),
                    PartUsage(
                        part_code="GAS-R32",
                        quantity=1,
                        unit_price=Money("90000", "IDR"),
                        charged=False,
                    ),
                ),
                "returned_parts": (burnt,),
            },
        )
        w.complete_processing(cx(uow, TECH, clock), processing.id)
        p.return_parts(cx(uow, TECH, clock), req.id, [burnt], erp, warehouse_id="W-SVC")
        uow.commit()
    assert erp.on_hand("W-MAIN", "RELAY-7") == 39
    assert erp.on_hand("W-SVC", "RELAY-7") == 2  # the burnt one waits for repair or scrap
    with storage.unit_of_work(tenant) as uow:
        assert uow.requisitions.get(req.id).status is RequisitionStatus.RETURNED

    # April's plan: 1 relay on 2 units over 30 days -> 1/60 per unit-day; 2 units x 30 days -> 1.
    # The refrigerant is in neither unit's parts list, so the plan leaves it out.
    clock.advance(timedelta(days=28))
    with storage.unit_of_work(tenant) as uow:
        plan = p.plan_spare_parts(
            cx(uow),
            period_start=date(2026, 4, 1),
            period_end=date(2026, 4, 30),
            warehouse_id="W-SVC",
            failure_window_days=30,
        )
        assert [(x.part_code, x.quantity, x.needed_by) for x in plan.lines] == [
            ("RELAY-7", 1, date(2026, 4, 1))
        ]
        p.save_spare_part_plan(cx(uow, WH, clock), plan)
        p.approve_spare_part_plan(cx(uow, SUP, clock), plan.id)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        # the returned burnt relay is on hand at W-SVC, so nothing is missing there
        assert p.transfers_for_plan(cx(uow, WH, clock), plan.id, erp, from_warehouse="W-MAIN") == []
        erp.move(  # both relays at W-SVC leave (the burnt one for scrap)
            StockMovement(
                kind="other_outbound",
                reference="SCRAP-1",
                part_code="RELAY-7",
                quantity=2,
                from_warehouse="W-SVC",
                to_warehouse=None,
            )
        )
        (transfer,) = p.transfers_for_plan(
            cx(uow, WH, clock), plan.id, erp, from_warehouse="W-MAIN"
        )
        p.dispatch_transfer(cx(uow, WH, clock), transfer.id, erp)
        p.receive_transfer(cx(uow, WH, clock), transfer.id, erp)
        p.close_spare_part_plan(cx(uow, SUP, clock), plan.id)
        uow.commit()
    assert transfer.lines == (TransferLine(part_code="RELAY-7", quantity=1),)
    assert erp.on_hand("W-SVC", "RELAY-7") == 1

    # a new repair of the same product is expected to need what the last one did
    with storage.unit_of_work(tenant) as uow:
        r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Compressor clicks",
            archive_id="A-2",
            request_id="R-NEXT",
        )
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        now = clock.now()
        demand = p.parts_demand(cx(uow), since=now, until=now + timedelta(days=7))
    assert [(x.part_code, x.quantity, x.sources) for x in demand] == [
        ("GAS-R32", 1, ("R-NEXT",)),
        ("RELAY-7", 1, ("R-NEXT",)),
    ]
