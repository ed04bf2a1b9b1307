"""The maintenance job over random plans and run days: every due visit once, never twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.lifecycle import ARCHIVE, CONTRACT, TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.contract import SlaTerm
from servicecore.model.enums import Priority
from servicecore.model.maintenance import (
    MaintenancePlan,
    Recurrence,
    RecurrenceKind,
    due_visits,
)
from servicecore.services import maintenance as m
from servicecore.services.permissions import DEFAULT_RULES, RolePolicy
from servicecore.testing import factories as f
from servicecore.testing import strategies as sst
from servicecore.testing.factories import job_context as jx

POLICY = RolePolicy(DEFAULT_RULES)
ADMIN = Actor(id="admin", roles={Role.ADMIN})
START, END = date(2026, 1, 1), date(2026, 12, 31)
ARCHIVES = ("A-1", "A-2")


@st.composite
def plans(draw: st.DrawFn) -> MaintenancePlan:
    kind = draw(st.sampled_from(RecurrenceKind))
    rec = Recurrence(
        kind=kind,
        start=START + timedelta(days=draw(st.integers(-40, 200))),
        interval=draw(st.integers(1, 3)),
        weekday=draw(st.integers(0, 6)) if kind is RecurrenceKind.WEEKLY else None,
        day_of_month=draw(st.integers(1, 31)) if kind is RecurrenceKind.MONTHLY else None,
        season=draw(sst.season_windows()) if kind is RecurrenceKind.SEASONAL else None,
    )
    return MaintenancePlan(
        id=draw(st.sampled_from(["P-1", "P-2"])),
        recurrence=rec,
        archive_ids=tuple(draw(st.lists(st.sampled_from(ARCHIVES), unique=True))),
        late_tolerance_days=draw(st.integers(0, 10)),
    )


def _storage(plan_list: list[MaintenancePlan]) -> MemoryStorage:
    storage = MemoryStorage()
    clock = FixedClock(datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    with storage.unit_of_work("t") as uow:
        for archive_id in ARCHIVES:
            archive = f.archive(id=archive_id, serial_number=f"SN-{archive_id}")
            ARCHIVE.create(archive, TransitionContext(actor=ADMIN, at=clock.now()), uow.audit)
            ARCHIVE.fire(
                archive, "register", TransitionContext(actor=ADMIN, at=clock.now()), uow.audit
            )
            uow.archives.add(archive)
        contract = f.contract(
            archive_ids=ARCHIVES,
            start=START,
            end=END,
            calendar=WorkingCalendar.always("UTC"),
            sla_terms=tuple(
                SlaTerm(priority=p, response=timedelta(hours=1), resolution=timedelta(days=1))
                for p in Priority
            ),
            maintenance_plans=tuple(plan_list),
        )
        CONTRACT.create(contract, TransitionContext(actor=ADMIN, at=clock.now()), uow.audit)
        CONTRACT.fire(
            contract, "activate", TransitionContext(actor=ADMIN, at=clock.now()), uow.audit
        )
        uow.contracts.add(contract)
        uow.commit()
    return storage


def _expected(plan: MaintenancePlan, today: date, horizon: int) -> set[str]:
    """Every visit the run on ``today`` must have opened (now or before), from first principles."""
    found = set()
    for due in due_visits(plan, START, END + timedelta(days=1)):
        _, latest = plan.window(due)
        if due <= today + timedelta(days=horizon) and latest >= today:
            for archive_id in plan.archive_ids or ARCHIVES:
                found.add(m.visit_request_id("K-1", plan.id, archive_id, due))
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(plans(), min_size=1, max_size=2, unique_by=lambda p: p.id),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 45)), min_size=1, max_size=4),
)
def test_runs_on_any_days_open_every_due_visit_exactly_once(
    plan_list: list[MaintenancePlan], runs: list[tuple[int, int]]
) -> None:
    storage = _storage(plan_list)
    clock = FixedClock(datetime.combine(START, time(8), UTC))
    opened: list[str] = []
    for step, horizon in runs:
        clock.advance(timedelta(days=step))
        today = clock.now().date()
        run = m.generate_maintenance_requests(
            jx(storage, "t", clock, policy=POLICY), horizon_days=horizon
        )
        again = m.generate_maintenance_requests(
            jx(storage, "t", clock, policy=POLICY), horizon_days=horizon
        )
        assert run.skipped == again.skipped == ()
        assert again.generated == ()
        assert {v.request_id for v in again.existing} == {
            v.request_id for v in (*run.generated, *run.existing)
        }
        opened.extend(v.request_id for v in run.generated)
        due_now = set().union(*(_expected(p, today, horizon) for p in plan_list))
        assert {v.request_id for v in (*run.generated, *run.existing)} == due_now
        assert due_now <= set(opened)
    assert len(opened) == len(set(opened))
    with storage.unit_of_work("t") as uow:
        assert sorted(q.id for q in uow.requests.iterate()) == sorted(opened)
