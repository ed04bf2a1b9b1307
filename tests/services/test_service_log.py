"""The service log of a request (服务日志, seed 004): one story from registration to survey."""

from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from desk_actors import CS, SUP, TECH, TECH8

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.basics import FixedClock
from servicecore.errors import NotFound, PermissionDenied
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ArchiveStatus
from servicecore.model.audit import AuditEntry
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import Money, TimeRange
from servicecore.model.contract import ContractStatus, SlaTerm
from servicecore.model.enums import EvidenceKind, Priority, ServiceType, SolutionType
from servicecore.model.processing import PartUsage, ReturnedPart
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

H = timedelta(hours=1)
NOW = f.NOW  # the contract's calendar runs 24x7
TERMS = (
    SlaTerm(priority=Priority.NORMAL, response=timedelta(hours=8), resolution=timedelta(hours=48)),
    SlaTerm(priority=Priority.URGENT, response=timedelta(hours=2), resolution=timedelta(hours=8)),
)
GRADE = ("priority", "service_type", "required_skills", "response_due", "resolution_due")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def desk(storage, tenant, clock, tmp_path) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.technicians.add(f.technician(id="T-8"))
        uow.archives.add(f.archive(id="A-1", status=ArchiveStatus.REGISTERED))
        uow.contracts.add(f.contract(status=ContractStatus.ACTIVE, sla_terms=TERMS))
        uow.commit()
    return ServiceDesk(
        storage,
        tenant,
        clock=clock,
        settings=DeskSettings(
            evidence_store=FilesystemEvidenceStore(tmp_path),
            closure_policy=ClosurePolicy(min_photos_before=1, min_photos_after=0),
        ),
    )


@pytest.fixture
def story(desk, clock) -> str:
    """A repair opened, rejected by T-8, done by T-7 with parts, closed and rated."""
    request = desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="Unit blows warm air",
        archive_id="A-1",
    )
    clock.advance(timedelta(minutes=5))
    first = desk.dispatch.assign(SUP, request.id, "T-8", TimeRange(NOW + H, NOW + 3 * H))
    clock.advance(timedelta(minutes=5))
    desk.dispatch.reject_dispatch(TECH8, first.id, "on another job")
    clock.advance(timedelta(minutes=5))
    order = desk.dispatch.assign(SUP, request.id, "T-7", TimeRange(NOW + 2 * H, NOW + 4 * H))
    clock.advance(timedelta(minutes=5))
    desk.dispatch.accept_dispatch(TECH, order.id)
    clock.advance(2 * H)
    work = desk.dispatch.start_dispatch(TECH, order.id)
    desk.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_BEFORE, "before.jpg", b"jpeg")
    clock.advance(H)
    desk.work.record_processing(
        TECH,
        work.id,
        {
            "solution_type": SolutionType.REPLACEMENT,
            "solution_text": "Replaced the start relay",
            "fault_cause": "Relay contacts burnt",
            "labour_hours": Decimal("1.5"),
            "parts_used": (
                PartUsage(part_code="RELAY-7", quantity=1, unit_price=Money("18.50", "EUR")),
            ),
            "returned_parts": (ReturnedPart(part_code="RELAY-7", quantity=1, condition="burnt"),),
        },
    )
    clock.advance(timedelta(minutes=5))
    desk.work.complete_processing(TECH, work.id)
    clock.advance(timedelta(minutes=5))
    desk.dispatch.complete_dispatch(TECH, order.id)
    clock.advance(H)
    desk.work.close_request(CS, request.id, "relay replaced")
    clock.advance(H)
    desk.work.record_survey(CS, request.id, 5, "fast and tidy")
    return str(request.id)


def test_the_log_tells_the_whole_story_in_order(desk, story) -> None:
    steps = [(e.entity_kind, e.step) for e in desk.requests.service_log(CS, story)]
    assert steps == [
        ("ServiceRequest", "create"),
        ("DispatchOrder", "create"),
        ("ServiceRequest", "assign"),
        ("DispatchOrder", "reject"),
        ("ServiceRequest", "unassign"),
        ("DispatchOrder", "create"),
        ("ServiceRequest", "assign"),
        ("DispatchOrder", "accept"),
        ("DispatchOrder", "start"),
        ("ProcessingOrder", "create"),
        ("ServiceRequest", "start"),
        ("Evidence", "evidence"),
        ("ProcessingOrder", "record"),
        ("ProcessingOrder", "complete"),
        ("DispatchOrder", "complete"),
        ("ServiceRequest", "resolve"),
        ("ServiceRequest", "close"),
        ("SurveyResult", "survey"),
    ]


def test_the_processing_entry_shows_hours_parts_and_solution(desk, story) -> None:
    (done,) = [
        e
        for e in desk.requests.service_log(CS, story)
        if (e.entity_kind, e.step) == ("ProcessingOrder", "complete")
    ]
    assert done.details["labour_hours"] == Decimal("1.5")
    # A-1 is in warranty: the part is not charged.
    assert done.details["parts_used"] == [{"part_code": "RELAY-7", "quantity": 1, "charged": False}]
    assert done.details["in_warranty"] is True
    assert done.details["returned_parts"] == [
        {"part_code": "RELAY-7", "quantity": 1, "condition": "burnt"}
    ]
    assert done.details["solution_text"] == "Replaced the start relay"
    assert done.actor_id == TECH.id


def test_a_dispatch_entry_names_its_technician_and_the_rejection_its_reason(desk, story) -> None:
    log = desk.requests.service_log(CS, story)
    rejected = next(e for e in log if e.step == "reject")
    assert (rejected.details["technician_id"], rejected.reason) == ("T-8", "on another job")
    assert rejected.actor_id == TECH8.id


def test_the_survey_entry_shows_the_score(desk, story) -> None:
    survey = desk.requests.service_log(CS, story)[-1]
    assert (survey.details["score"], survey.details["comment"]) == (5, "fast and tidy")


def test_the_technician_on_the_request_may_read_its_log(desk, story) -> None:
    assert desk.requests.service_log(TECH, story)


def test_another_technician_may_not_read_the_log(desk, story) -> None:
    stranger = Actor(id="u-9", roles={Role.TECHNICIAN}, technician_id="T-9")
    with pytest.raises(PermissionDenied):
        desk.requests.service_log(stranger, story)


def test_a_customer_may_not_read_the_log(desk, story) -> None:
    with pytest.raises(PermissionDenied):
        desk.requests.service_log(Actor(id="C-1", roles={Role.CUSTOMER}), story)


def test_the_log_of_an_unknown_request_is_not_found(desk) -> None:
    with pytest.raises(NotFound):
        desk.requests.service_log(CS, "R-404")


@pytest.fixture
def regraded(desk, clock) -> str:
    """A normal repair needing hvac, re-graded an hour later: an urgent installation that also
    needs refrigerant."""
    request = desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="Unit leaks water",
        archive_id="A-1",
        contract_id="K-1",
        required_skills=("hvac",),
    )
    clock.advance(H)
    desk.requests.regrade_request(
        SUP,
        request.id,
        reason="gas leak",
        priority=Priority.URGENT,
        service_type=ServiceType.INSTALLATION,
        required_skills=("hvac", "refrigerant"),
    )
    return str(request.id)


def _request_step(desk, request_id: str, step: str):
    return next(
        e
        for e in desk.requests.service_log(CS, request_id)
        if (e.entity_kind, e.step) == ("ServiceRequest", step)
    )


def test_the_create_step_shows_the_grade_the_request_was_opened_with(desk, regraded) -> None:
    created = _request_step(desk, regraded, "create")
    assert {name: created.details[name] for name in GRADE} == {
        "priority": "normal",
        "service_type": "repair",
        "required_skills": ("hvac",),
        "response_due": NOW + 8 * H,
        "resolution_due": NOW + 48 * H,
    }


def test_the_regrade_step_shows_the_old_and_new_value_of_each_change(desk, regraded) -> None:
    step = _request_step(desk, regraded, "regrade")
    assert dict(step.details) == {
        "priority": ("normal", "urgent"),
        "service_type": ("repair", "installation"),
        "required_skills": (("hvac",), ("hvac", "refrigerant")),
        "response_due": (NOW + 8 * H, NOW + 2 * H),
        "resolution_due": (NOW + 48 * H, NOW + 8 * H),
    }
    assert step.reason == "gas leak"


def _older_trail(storage, tenant, *, regrade_kept: bool) -> str:
    """R-OLD, opened a normal repair and re-graded an urgent installation, its create entry
    written before audit entries kept their payloads (and its re-grade too, unless kept)."""
    created = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-OLD",
        trigger="create",
        from_state="",
        to_state="open",
        actor_id=CS.id,
        at=NOW,
        payload={"priority": Priority.NORMAL, "booking": None},
    )
    regrade = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-OLD",
        trigger="regrade",
        from_state="open",
        to_state="open",
        actor_id=SUP.id,
        at=NOW + H,
        reason="gas leak",
        payload={
            "priority": {"from": Priority.NORMAL, "to": Priority.URGENT},
            "service_type": {"from": ServiceType.REPAIR, "to": ServiceType.INSTALLATION},
        },
        previous=created,
    )
    with storage.unit_of_work(tenant) as uow:
        uow.requests.add(
            f.request(
                id="R-OLD",
                priority=Priority.URGENT,
                service_type=ServiceType.INSTALLATION,
            )
        )
        uow.audit.append(attrs.evolve(created, payload_json=""))
        uow.audit.append(regrade if regrade_kept else attrs.evolve(regrade, payload_json=""))
        uow.commit()
    return "R-OLD"


def test_an_older_create_step_is_told_by_walking_back_through_the_regrades(
    desk, storage, tenant
) -> None:
    request_id = _older_trail(storage, tenant, regrade_kept=True)
    created = _request_step(desk, request_id, "create")
    assert (created.details["priority"], created.details["service_type"]) == ("normal", "repair")
    assert created.details["required_skills"] == ()


def test_a_regrade_written_before_its_values_were_kept_tells_only_what_is_known(
    desk, storage, tenant
) -> None:
    request_id = _older_trail(storage, tenant, regrade_kept=False)
    assert dict(_request_step(desk, request_id, "regrade").details) == {}
    created = _request_step(desk, request_id, "create")
    assert not set(GRADE) & set(created.details)
    assert (created.details["customer_id"], created.details["symptoms"]) == (
        "C-1",
        "Unit blows warm air",
    )
