"""Re-grading a request and adjusting a live dispatch order (the seed-feature issue).

Seed 001: a photo shows another kind of work with another deadline, so the request is re-graded
and its SLA due times recomputed, audited. A dispatch order is reassigned or moved in time
instead of revoked and assigned again.
"""

from datetime import timedelta

import pytest
from desk_actors import CS, SUP, TECH, TECH8

from servicecore.basics import FixedClock
from servicecore.errors import (
    DoubleBooking,
    InvalidTransition,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.model.archive import ArchiveStatus
from servicecore.model.common import TimeRange
from servicecore.model.contract import ContractStatus, SlaTerm
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.request import RequestStatus
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

H = timedelta(hours=1)
NOW = f.NOW  # Monday 2026-03-02 09:00 UTC; the contract's calendar runs 24x7
TERMS = (
    SlaTerm(priority=Priority.NORMAL, response=timedelta(hours=8), resolution=timedelta(hours=48)),
    SlaTerm(priority=Priority.URGENT, response=timedelta(hours=2), resolution=timedelta(hours=8)),
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def desk(storage, tenant, clock) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7", skills=("hvac",)))
        uow.technicians.add(f.technician(id="T-8", skills=("hvac", "refrigerant")))
        uow.archives.add(f.archive(id="A-1", status=ArchiveStatus.REGISTERED))
        uow.contracts.add(f.contract(status=ContractStatus.ACTIVE, sla_terms=TERMS))
        uow.commit()
    return ServiceDesk(storage, tenant, clock=clock)


def _open(desk: ServiceDesk, **kw) -> str:
    request = desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="Unit leaks water",
        archive_id="A-1",
        contract_id="K-1",
        required_skills=("hvac",),
        **kw,
    )
    return str(request.id)


def _assign(desk: ServiceDesk, request_id: str, technician: str = "T-7", start: int = 2) -> str:
    planned = TimeRange(NOW + start * H, NOW + (start + 2) * H)
    return str(desk.dispatch.assign(SUP, request_id, technician, planned).id)


def test_regrading_to_urgent_recomputes_both_due_times(desk) -> None:
    request_id = _open(desk)
    regraded = desk.requests.regrade_request(
        SUP, request_id, reason="photo shows a gas leak", priority=Priority.URGENT
    )
    assert regraded.priority is Priority.URGENT
    assert (regraded.response_due, regraded.resolution_due) == (NOW + 2 * H, NOW + 8 * H)


def test_the_regrade_is_audited_with_its_reason(desk, storage, tenant) -> None:
    request_id = _open(desk)
    desk.requests.regrade_request(
        SUP, request_id, reason="it is an installation", service_type=ServiceType.INSTALLATION
    )
    with storage.unit_of_work(tenant) as uow:
        entry = uow.audit.entries("ServiceRequest", request_id)[-1]
    assert (entry.trigger, entry.reason, entry.actor_id) == (
        "regrade",
        "it is an installation",
        SUP.id,
    )


def test_a_regrade_publishes_each_old_and_new_value_and_the_due_times(
    desk, storage, tenant
) -> None:
    request_id = _open(desk)
    desk.requests.regrade_request(
        SUP,
        request_id,
        reason="gas",
        priority=Priority.URGENT,
        service_type=ServiceType.INSTALLATION,
    )
    events = [e for e in storage.pending_events(tenant) if e.name == "RequestRegraded"]
    assert len(events) == 1
    changes = events[0].payload["changes"]
    assert changes["priority"] == {"from": "normal", "to": "urgent"}
    assert changes["service_type"] == {"from": "repair", "to": "installation"}
    assert events[0].payload["resolution_due"] == (NOW + 8 * H).isoformat()


def test_the_regrade_audit_entry_keeps_each_old_and_new_value_and_the_due_times(
    desk, storage, tenant
) -> None:
    request_id = _open(desk)
    desk.requests.regrade_request(
        SUP,
        request_id,
        reason="gas",
        priority=Priority.URGENT,
        required_skills=("hvac", "refrigerant"),
    )
    with storage.unit_of_work(tenant) as uow:
        entry = uow.audit.entries("ServiceRequest", request_id)[-1]
    assert entry.payload == {
        "priority": {"from": "normal", "to": "urgent"},
        "required_skills": {"from": ["hvac"], "to": ["hvac", "refrigerant"]},
        "response_due": {"from": (NOW + 8 * H).isoformat(), "to": (NOW + 2 * H).isoformat()},
        "resolution_due": {"from": (NOW + 48 * H).isoformat(), "to": (NOW + 8 * H).isoformat()},
    }


def test_a_request_is_opened_with_its_grade_in_the_audit_entry(desk, storage, tenant) -> None:
    request_id = _open(desk)
    with storage.unit_of_work(tenant) as uow:
        (entry,) = uow.audit.entries("ServiceRequest", request_id)
    assert entry.payload == {
        "booking": None,
        "priority": "normal",
        "service_type": "repair",
        "required_skills": ["hvac"],
        "response_due": (NOW + 8 * H).isoformat(),
        "resolution_due": (NOW + 48 * H).isoformat(),
    }


def test_a_regrade_that_changes_nothing_is_refused(desk) -> None:
    request_id = _open(desk)
    with pytest.raises(ValidationError) as info:
        desk.requests.regrade_request(SUP, request_id, reason="x", priority=Priority.NORMAL)
    assert info.value.errors[0].path == "request_id"


def test_a_regrade_needs_a_reason(desk) -> None:
    request_id = _open(desk)
    with pytest.raises(TransitionRefused):
        desk.requests.regrade_request(SUP, request_id, reason="", priority=Priority.URGENT)


def test_a_blank_skill_is_refused_naming_required_skills(desk) -> None:
    request_id = _open(desk)
    with pytest.raises(ValidationError) as info:
        desk.requests.regrade_request(SUP, request_id, reason="x", required_skills=("hvac", " "))
    assert info.value.errors[0].path == "required_skills"


def test_a_new_skill_the_dispatched_technician_lacks_is_refused(desk) -> None:
    request_id = _open(desk)
    _assign(desk, request_id)
    with pytest.raises(ValidationError) as info:
        desk.requests.regrade_request(
            SUP, request_id, reason="refrigerant leak", required_skills=("hvac", "refrigerant")
        )
    assert info.value.errors[0].path == "required_skills"
    assert "T-7" in str(info.value)


def test_reassign_then_regrade_the_skills(desk) -> None:
    request_id = _open(desk)
    dispatch_id = _assign(desk, request_id)
    desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="needs refrigerant", technician_id="T-8")
    regraded = desk.requests.regrade_request(
        SUP, request_id, reason="refrigerant leak", required_skills=("hvac", "refrigerant")
    )
    assert regraded.required_skills == ("hvac", "refrigerant")


def test_a_closed_request_cannot_be_regraded(desk, storage, tenant) -> None:
    with storage.unit_of_work(tenant) as uow:
        uow.requests.add(f.request(id="R-9", status=RequestStatus.CANCELLED))
        uow.commit()
    with pytest.raises(InvalidTransition):
        desk.requests.regrade_request(SUP, "R-9", reason="x", priority=Priority.URGENT)


def test_a_technician_may_not_regrade(desk) -> None:
    request_id = _open(desk)
    with pytest.raises(PermissionDenied):
        desk.requests.regrade_request(TECH, request_id, reason="x", priority=Priority.URGENT)


def test_a_failed_regrade_leaves_the_request_as_it_was(desk, storage, tenant) -> None:
    request_id = _open(desk)
    _assign(desk, request_id)
    with pytest.raises(ValidationError):
        desk.requests.regrade_request(
            SUP, request_id, reason="x", priority=Priority.URGENT, required_skills=("welding",)
        )
    with storage.unit_of_work(tenant) as uow:
        request = uow.requests.get(request_id)
        trail = uow.audit.entries("ServiceRequest", request_id)
    assert request.priority is Priority.NORMAL
    assert "regrade" not in [e.trigger for e in trail]


def test_reassigning_hands_the_order_back_for_the_new_technician_to_accept(desk) -> None:
    request_id = _open(desk)
    dispatch_id = _assign(desk, request_id)
    desk.dispatch.accept_dispatch(TECH, dispatch_id)
    order = desk.dispatch.adjust_dispatch(
        SUP, dispatch_id, reason="Wayan is ill", technician_id="T-8"
    )
    assert (order.technician_id, order.status, order.accepted_at) == (
        "T-8",
        DispatchStatus.ASSIGNED,
        None,
    )
    assert desk.dispatch.accept_dispatch(TECH8, dispatch_id).status is DispatchStatus.ACCEPTED


def test_the_first_technician_no_longer_acts_on_a_reassigned_order(desk) -> None:
    request_id = _open(desk)
    dispatch_id = _assign(desk, request_id)
    desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="swap", technician_id="T-8")
    with pytest.raises(PermissionDenied):
        desk.dispatch.accept_dispatch(TECH, dispatch_id)


def test_moving_keeps_the_technician_and_the_acceptance(desk, storage, tenant) -> None:
    request_id = _open(desk)
    dispatch_id = _assign(desk, request_id)
    desk.dispatch.accept_dispatch(TECH, dispatch_id)
    later = TimeRange(NOW + 6 * H, NOW + 8 * H)
    order = desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="customer asks", planned=later)
    assert (order.planned, order.status) == (later, DispatchStatus.ACCEPTED)
    with storage.unit_of_work(tenant) as uow:
        entry = uow.audit.entries("DispatchOrder", dispatch_id)[-1]
    names = [e.name for e in storage.pending_events(tenant)]
    assert entry.trigger == "move"
    assert "DispatchMoved" in names


def test_moving_onto_the_technicians_other_job_is_a_double_booking(desk) -> None:
    first, second = _open(desk), _open(desk)
    _assign(desk, first, start=2)
    dispatch_id = _assign(desk, second, start=5)
    with pytest.raises(DoubleBooking):
        desk.dispatch.adjust_dispatch(
            SUP, dispatch_id, reason="earlier", planned=TimeRange(NOW + 3 * H, NOW + 5 * H)
        )


def test_the_technician_must_have_the_skills(desk) -> None:
    request_id = _open(desk, priority=Priority.NORMAL)
    dispatch_id = _assign(desk, request_id, technician="T-8")
    desk.requests.regrade_request(
        SUP, request_id, reason="refrigerant", required_skills=("refrigerant",)
    )
    with pytest.raises(ValidationError) as info:
        desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="swap", technician_id="T-7")
    assert info.value.errors[0].path == "technician_id"


def test_an_adjustment_that_changes_nothing_is_refused(desk) -> None:
    dispatch_id = _assign(desk, _open(desk))
    with pytest.raises(ValidationError) as info:
        desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="x", technician_id="T-7")
    assert info.value.errors[0].path == "dispatch_id"


def test_a_planned_time_in_the_past_is_refused(desk) -> None:
    dispatch_id = _assign(desk, _open(desk))
    past = TimeRange(NOW - 3 * H, NOW - H)
    with pytest.raises(ValidationError) as info:
        desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="x", planned=past)
    assert info.value.errors[0].path == "planned"


def test_work_started_cannot_be_adjusted(desk) -> None:
    dispatch_id = _assign(desk, _open(desk))
    desk.dispatch.accept_dispatch(TECH, dispatch_id)
    desk.dispatch.start_dispatch(TECH, dispatch_id)
    with pytest.raises(InvalidTransition):
        desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="x", technician_id="T-8")


def test_a_technician_may_not_adjust_orders(desk) -> None:
    dispatch_id = _assign(desk, _open(desk))
    with pytest.raises(PermissionDenied):
        desk.dispatch.adjust_dispatch(TECH, dispatch_id, reason="x", technician_id="T-8")


def test_an_adjustment_needs_a_reason(desk) -> None:
    dispatch_id = _assign(desk, _open(desk))
    with pytest.raises(TransitionRefused):
        desk.dispatch.adjust_dispatch(SUP, dispatch_id, reason="", technician_id="T-8")


def test_regraded_due_times_count_from_the_sla_start(desk, clock) -> None:
    request_id = _open(desk)
    clock.advance(timedelta(hours=3))
    regraded = desk.requests.regrade_request(
        SUP, request_id, reason="gas", priority=Priority.URGENT
    )
    # Reported at NOW and re-graded 3 h later: the urgent allowances count from the report,
    # so the response is overdue at once.
    assert (regraded.response_due, regraded.resolution_due) == (NOW + 2 * H, NOW + 8 * H)
