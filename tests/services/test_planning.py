"""Planning a day from storage with the scheduler, then dispatching the plan."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from desk_actors import CS, SUP, TECH

from servicecore.errors import PermissionDenied
from servicecore.lifecycle import ARCHIVE, TransitionContext
from servicecore.model.common import GeoPoint, TimeRange
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.request import RequestStatus
from servicecore.services import dispatch as d
from servicecore.services import planning as p
from servicecore.services import requests as r
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx

MONDAY = date(2026, 3, 9)
JKT = ZoneInfo("Asia/Jakarta")
PLACES = [(-6.20, 106.82), (-6.22, 106.80), (-6.18, 106.85), (-6.25, 106.83), (-6.21, 106.78)]


def seed(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7", skills=("hvac",)))
        uow.technicians.add(f.technician(id="T-8", skills=("hvac", "electrical")))
        for i, (lat, lon) in enumerate(PLACES):
            unit = f.archive(id=f"A-{i}", serial_number=f"SN-{i}")
            ARCHIVE.create(unit, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
            ARCHIVE.fire(unit, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
            uow.archives.add(unit)
            r.open_request(
                cx(uow, CS, clock),
                customer_id="C-1",
                service_type=ServiceType.MAINTENANCE,
                symptoms=f"Quarterly maintenance {i}",
                request_id=f"R-{i}",
                archive_id=unit.id,
                location=GeoPoint(lat=lat, lon=lon),
                required_skills=("electrical",) if i == 0 else ("hvac",),
                priority=Priority.EMERGENCY if i == 1 else Priority.NORMAL,
            )
        uow.commit()


def test_the_day_is_planned_and_dispatched_respecting_skills(storage, tenant, clock):
    seed(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        plan = p.plan_day(cx(uow, SUP, clock), MONDAY, "Asia/Jakarta", time_limit=2, seed=1)
        result, orders = plan.result, plan.orders
        uow.commit()
    assert result.is_feasible()
    assert len(orders) == len(PLACES)
    with storage.unit_of_work(tenant) as uow:
        by_request = {o.request_id: o for o in uow.dispatches.query()}
        assert by_request["R-0"].technician_id == "T-8"  # only T-8 is an electrician
        for order in by_request.values():
            assert order.status is DispatchStatus.ASSIGNED
            assert order.planned.start >= datetime.combine(MONDAY, time(8), JKT)
            assert order.planned.end <= datetime.combine(MONDAY, time(17), JKT)
            assert uow.requests.get(order.request_id).status is RequestStatus.ASSIGNED


def test_work_already_dispatched_is_kept_and_planned_around(storage, tenant, clock):
    seed(storage, tenant, clock)
    held = TimeRange(
        datetime.combine(MONDAY, time(8), JKT), datetime.combine(MONDAY, time(12), JKT)
    )
    with storage.unit_of_work(tenant) as uow:
        d.assign(cx(uow, SUP, clock), "R-1", "T-7", held)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        problem = p.problem_for_day(uow, MONDAY, "Asia/Jakarta").problem
        assert any(
            j.id.startswith(p.HELD_PREFIX) and j.pinned_technician == "T-7" for j in problem.jobs
        )
        orders = p.plan_day(
            cx(uow, SUP, clock), MONDAY, "Asia/Jakarta", time_limit=2, seed=1
        ).orders
        uow.commit()
    assert "R-1" not in {o.request_id for o in orders}
    for order in orders:
        if order.technician_id == "T-7":
            assert not order.planned.overlaps(held)


def test_only_dispatchers_plan(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow, pytest.raises(PermissionDenied):
        p.plan_day(cx(uow, TECH, clock), MONDAY, "Asia/Jakarta")
