"""Per-job checklists: inspection items the technician answers, which the closure policy can
require done."""

from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from desk_actors import CS, SUP, TECH

from servicecore.basics import FixedClock
from servicecore.errors import ClosurePolicyError, TransitionRefused, ValidationError
from servicecore.model.archive import ArchiveStatus
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import TimeRange
from servicecore.model.enums import ServiceType, SolutionType
from servicecore.model.processing import ChecklistItem, ProcessingStatus
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

H = timedelta(hours=1)
PRESSURE = ChecklistItem(code="pressure", question="Refrigerant pressure within range?")
FILTER = ChecklistItem(code="filter", question="Filter cleaned?")
WORK = {
    "solution_type": SolutionType.RETURN_REPAIR,
    "solution_text": "Cleaned the coil",
    "fault_cause": "Dirty coil",
    "labour_hours": Decimal("1"),
}


@pytest.fixture
def desk(storage, tenant) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.archives.add(f.archive(id="A-1", status=ArchiveStatus.REGISTERED))
        uow.commit()
    settings = DeskSettings(
        checklists={ServiceType.MAINTENANCE: (PRESSURE, FILTER)},
        closure_policy=ClosurePolicy(require_checklist=True),
    )
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW), settings=settings)


def _started(desk: ServiceDesk, service_type: ServiceType = ServiceType.MAINTENANCE):
    request = desk.requests.open_request(
        CS, customer_id="C-1", service_type=service_type, symptoms="yearly check", archive_id="A-1"
    )
    order = desk.dispatch.assign(SUP, request.id, "T-7", TimeRange(f.NOW + H, f.NOW + 3 * H))
    desk.dispatch.accept_dispatch(TECH, order.id)
    return request, order, desk.dispatch.start_dispatch(TECH, order.id)


def _finish(desk: ServiceDesk, request, order, work, checklist) -> None:
    desk.work.record_processing(TECH, work.id, {**WORK, "checklist": checklist})
    desk.work.complete_processing(TECH, work.id)
    desk.dispatch.complete_dispatch(TECH, order.id)


def test_a_job_starts_with_the_checklist_of_its_service_type(desk) -> None:
    _, _, work = _started(desk)
    assert work.checklist == (PRESSURE, FILTER)


def test_a_service_type_without_a_checklist_starts_with_none(desk) -> None:
    _, _, work = _started(desk, ServiceType.REPAIR)
    assert work.checklist == ()


def test_a_request_closes_once_every_item_is_done(desk) -> None:
    request, order, work = _started(desk)
    answered = (
        ChecklistItem(code="pressure", question=PRESSURE.question, answer="4.2 bar", done=True),
        ChecklistItem(code="filter", question=FILTER.question, done=True),
    )
    _finish(desk, request, order, work, answered)
    assert desk.work.close_request(CS, request.id, "serviced").status.value == "closed"


def test_an_item_not_done_blocks_the_closure_naming_it(desk) -> None:
    request, order, work = _started(desk)
    half = (ChecklistItem(code="pressure", question=PRESSURE.question, done=True), FILTER)
    _finish(desk, request, order, work, half)
    with pytest.raises(ClosurePolicyError) as info:
        desk.work.close_request(CS, request.id, "serviced")
    assert "filter" in str(info.value)


def test_items_cannot_be_removed_from_the_checklist(desk) -> None:
    _, _, work = _started(desk)
    with pytest.raises(TransitionRefused) as info:
        desk.work.record_processing(TECH, work.id, {"checklist": (PRESSURE,)})
    assert "filter" in str(info.value)


def test_an_item_may_be_added_on_site(desk) -> None:
    _, _, work = _started(desk)
    extra = ChecklistItem(code="drain", question="Drain clear?", done=True)
    recorded = desk.work.record_processing(TECH, work.id, {"checklist": (PRESSURE, FILTER, extra)})
    assert [i.code for i in recorded.checklist] == ["pressure", "filter", "drain"]


def test_an_item_code_twice_is_refused(desk) -> None:
    _, _, work = _started(desk)
    with pytest.raises(TransitionRefused):
        desk.work.record_processing(TECH, work.id, {"checklist": (PRESSURE, FILTER, FILTER)})


def test_a_settings_checklist_with_a_code_twice_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        DeskSettings(checklists={ServiceType.MAINTENANCE: (PRESSURE, PRESSURE)})
    assert info.value.errors[0].path == "checklists[maintenance]"


def test_without_the_policy_an_open_checklist_does_not_block_closure(storage, tenant) -> None:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.archives.add(f.archive(id="A-1", status=ArchiveStatus.REGISTERED))
        uow.commit()
    desk = ServiceDesk(
        storage,
        tenant,
        clock=FixedClock(f.NOW),
        settings=DeskSettings(checklists={ServiceType.MAINTENANCE: (PRESSURE,)}),
    )
    request, order, work = _started(desk)
    _finish(desk, request, order, work, (PRESSURE,))
    assert desk.work.close_request(CS, request.id, "serviced").status.value == "closed"


ANSWERED = (
    ChecklistItem(code="pressure", question=PRESSURE.question, answer="4.2 bar", done=True),
    ChecklistItem(code="filter", question=FILTER.question, done=True),
)


def test_completed_work_is_answered_before_closure_without_reopening(desk, storage, tenant) -> None:
    request, order, work = _started(desk)
    _finish(desk, request, order, work, (PRESSURE, FILTER))
    answered = desk.work.answer_checklist(SUP, work.id, ANSWERED)
    assert answered.status is ProcessingStatus.COMPLETED
    assert answered.checklist == ANSWERED
    assert desk.work.close_request(CS, request.id, "serviced").status.value == "closed"
    with storage.unit_of_work(tenant) as uow:
        assert "reopen" not in [e.trigger for e in uow.audit.entries("ServiceRequest", request.id)]


def test_answering_a_checklist_is_audited_with_who_answered(desk, storage, tenant) -> None:
    request, order, work = _started(desk)
    _finish(desk, request, order, work, (PRESSURE, FILTER))
    desk.work.answer_checklist(SUP, work.id, ANSWERED)
    with storage.unit_of_work(tenant) as uow:
        last = uow.audit.entries("ProcessingOrder", work.id)[-1]
    assert (last.trigger, last.actor_id, last.from_state, last.to_state) == (
        "answer_checklist",
        SUP.id,
        "completed",
        "completed",
    )


def test_the_technician_answers_the_checklist_of_open_work_the_same_way(desk) -> None:
    _, _, work = _started(desk)
    answered = desk.work.answer_checklist(TECH, work.id, ANSWERED)
    assert (answered.status, answered.checklist) == (ProcessingStatus.OPEN, ANSWERED)


def test_answering_a_checklist_cannot_remove_an_item(desk) -> None:
    request, order, work = _started(desk)
    _finish(desk, request, order, work, (PRESSURE, FILTER))
    with pytest.raises(TransitionRefused) as info:
        desk.work.answer_checklist(SUP, work.id, ANSWERED[:1])
    assert "filter" in str(info.value)


def test_the_checklist_of_closed_work_is_not_changed(desk) -> None:
    request, order, work = _started(desk)
    _finish(desk, request, order, work, ANSWERED)
    desk.work.close_request(CS, request.id, "serviced")
    again = (ANSWERED[0], attrs.evolve(ANSWERED[1], answer="looked again"))
    with pytest.raises(TransitionRefused) as info:
        desk.work.answer_checklist(SUP, work.id, again)
    assert info.value.guard == "request_not_closed"
    assert f"request {request.id} is closed" in info.value.reason
