"""Overdue work in a day plan: sent first, priced so that serving it late beats leaving it out."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from desk_actors import SUP

from servicecore.model.common import TimeRange
from servicecore.model.enums import Priority
from servicecore.model.request import ServiceRequest
from servicecore.model.technician import Shift
from servicecore.scheduling import UnassignedReason
from servicecore.services import planning as p
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx

JKT = ZoneInfo("Asia/Jakarta")
TUESDAY = date(2026, 3, 3)
"""The day planned; the clock (``f.NOW``) reads Monday 2 March, 16:00 in Jakarta."""
SUNDAY_MORNING = datetime(2026, 3, 1, 8, 0, tzinfo=JKT)
MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=JKT)
"""A resolution due time already past when Tuesday is planned."""
TUESDAY_EVENING = datetime.combine(TUESDAY, time(17), JKT)


def overdue(request_id: str, priority: Priority, **overrides: object) -> ServiceRequest:
    """An open repair request whose resolution was due on Monday at noon."""
    return f.request(
        id=request_id,
        priority=priority,
        reported_at=SUNDAY_MORNING,
        resolution_due=MONDAY_NOON,
        **overrides,
    )


def two_hour_shifts() -> tuple[Shift, ...]:
    """08:00-10:00 on weekdays: time for one 90-minute repair, not two."""
    return tuple(Shift(weekday=d, start=time(8), end=time(10)) for d in range(5))


def plan(storage, tenant, clock) -> p.DayPlan:
    with storage.unit_of_work(tenant) as uow:
        day_plan = p.plan_day(cx(uow, SUP, clock), TUESDAY, "Asia/Jakarta", time_limit=1, seed=1)
        uow.commit()
    return day_plan


def test_an_overdue_emergency_on_an_empty_day_is_planned(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.requests.add(overdue("R-1", Priority.EMERGENCY))
        uow.commit()
    day_plan = plan(storage, tenant, clock)
    assert day_plan.result.unassigned == ()
    assert [o.request_id for o in day_plan.orders] == ["R-1"]
    assert day_plan.orders[0].planned.start < datetime.combine(TUESDAY, time(9), JKT)


def test_the_overdue_emergency_takes_the_only_slot_before_a_normal_job_due_later(
    storage, tenant, clock
):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7", shifts=two_hour_shifts()))
        uow.requests.add(overdue("R-1", Priority.EMERGENCY))
        uow.requests.add(
            f.request(
                id="R-2",
                priority=Priority.NORMAL,
                reported_at=SUNDAY_MORNING,
                resolution_due=TUESDAY_EVENING,
            )
        )
        uow.commit()
    day_plan = plan(storage, tenant, clock)
    assert [o.request_id for o in day_plan.orders] == ["R-1"]
    assert [(u.job_id, u.reason) for u in day_plan.result.unassigned] == [
        ("R-2", UnassignedReason.NO_CAPACITY)
    ]


def test_an_overdue_job_whose_window_is_outside_every_shift_is_left_out_as_unreachable(
    storage, tenant, clock
):
    evening = TimeRange(
        datetime.combine(TUESDAY, time(19), JKT), datetime.combine(TUESDAY, time(21), JKT)
    )
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.requests.add(overdue("R-1", Priority.EMERGENCY, window=evening))
        uow.commit()
    day_plan = plan(storage, tenant, clock)
    assert day_plan.orders == ()
    assert [(u.job_id, u.reason) for u in day_plan.result.unassigned] == [
        ("R-1", UnassignedReason.UNREACHABLE_WINDOW)
    ]


def test_an_overdue_job_nobody_is_skilled_for_is_left_out_as_such(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.requests.add(overdue("R-1", Priority.EMERGENCY, required_skills=("gas",)))
        uow.commit()
    day_plan = plan(storage, tenant, clock)
    assert [(u.job_id, u.reason) for u in day_plan.result.unassigned] == [
        ("R-1", UnassignedReason.NO_SKILLED_TECHNICIAN)
    ]


def test_lateness_is_counted_from_the_start_of_the_planned_day_at_the_earliest(storage, tenant):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.requests.add(overdue("R-1", Priority.EMERGENCY))
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        job = p.problem_for_day(uow, TUESDAY, "Asia/Jakarta", now=f.NOW).problem.job("R-1")
    assert job.sla_due == 8 * 60


def test_leaving_a_job_out_costs_more_than_serving_it_at_the_end_of_the_day(storage, tenant):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        for i, priority in enumerate(Priority):
            uow.requests.add(overdue(f"R-{i}", priority))
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        problem = p.problem_for_day(uow, TUESDAY, "Asia/Jakarta", now=f.NOW).problem
    for job in problem.jobs:
        assert job.sla_due is not None
        assert problem.unserved_cost(job) > job.lateness_cost * (17 * 60 - job.sla_due)


def test_leaving_a_job_out_costs_more_the_higher_its_priority(storage, tenant):
    ranked = (Priority.LOW, Priority.NORMAL, Priority.URGENT, Priority.EMERGENCY)
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        for priority in ranked:
            uow.requests.add(overdue(f"R-{priority.value}", priority))
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        problem = p.problem_for_day(uow, TUESDAY, "Asia/Jakarta", now=f.NOW).problem
    costs = [problem.unserved_cost(problem.job(f"R-{q.value}")) for q in ranked]
    assert costs == sorted(costs)
    assert len(set(costs)) == len(costs)
