"""The ServiceDesk facade: one call per command, each in its own committed unit of work."""

from datetime import timedelta
from decimal import Decimal

import pytest
from desk_actors import CS, SUP, TECH

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.errors import ClosurePolicyError, PermissionDenied, ValidationError
from servicecore.lifecycle import ARCHIVE, TransitionContext
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import TimeRange
from servicecore.model.enums import Channel, EvidenceKind, ServiceType, SolutionType
from servicecore.model.request import RequestStatus
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.services.tokens import TokenSigner
from servicecore.testing import factories as f


@pytest.fixture
def desk(storage, tenant, clock, tmp_path):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician())
        unit = f.archive()
        ARCHIVE.create(unit, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        ARCHIVE.fire(unit, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        uow.archives.add(unit)
        uow.commit()
    return ServiceDesk(
        storage,
        tenant,
        clock=clock,
        settings=DeskSettings(
            signer=TokenSigner(b"d" * 32),
            evidence_store=FilesystemEvidenceStore(tmp_path),
            closure_policy=ClosurePolicy(min_photos_before=1, min_photos_after=1),
            currency="IDR",
        ),
    )


def test_a_whole_repair_through_the_desk(desk, clock):
    # Tuesday 09:00-11:00 in Jakarta, inside the technicians' shifts.
    slot = TimeRange(f.NOW + timedelta(hours=17), f.NOW + timedelta(hours=19))
    booking = desk.bookings.book(
        CS,
        customer=f.booking().customer,
        service_type=ServiceType.REPAIR,
        channel=Channel.CALL_CENTRE,
        slot=slot,
        location=f.HERE,
        booking_policy=f.booking().policy,
    )
    booking = desk.bookings.confirm_booking(CS, booking.id)
    clock.advance(timedelta(hours=17))
    desk.bookings.check_in(CS, booking.check_in_token)
    request = desk.requests.open_request(
        CS, from_booking=booking.id, symptoms="Leaking water", archive_id="A-1"
    )
    order = desk.dispatch.assign(SUP, request.id, "T-7", slot)
    desk.dispatch.accept_dispatch(TECH, order.id)
    processing = desk.dispatch.start_dispatch(TECH, order.id)
    desk.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_BEFORE, "before.jpg", b"before")
    desk.work.record_processing(
        TECH,
        processing.id,
        {
            "solution_type": SolutionType.RETURN_REPAIR,
            "solution_text": "Cleared the drain",
            "labour_hours": Decimal("0.5"),
            "fault_cause": "Blocked drain",
        },
    )
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    with pytest.raises(ClosurePolicyError):
        desk.work.close_request(TECH, request.id, "drain cleared")
    desk.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_AFTER, "after.jpg", b"after")
    closed = desk.work.close_request(TECH, request.id, "drain cleared")
    survey = desk.work.record_survey(CS, request.id, 4)
    assert closed.status is RequestStatus.CLOSED
    assert survey.technician_id == "T-7"
    assert desk.requests.sla_report(CS, request.id) is None  # no contract and no default SLA


def test_a_command_that_raises_writes_nothing(desk, storage, tenant):
    with pytest.raises(PermissionDenied):
        desk.requests.open_request(
            TECH, customer_id="C-1", service_type=ServiceType.CONSULT, symptoms="How do I reset it?"
        )
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.count() == 0


def test_each_desk_runs_its_commands_in_its_own_tenant(storage, clock):
    # The methods a group builds are kept per group: a second desk's must not reach the first's.
    first, second = (ServiceDesk(storage, t, clock=clock) for t in ("t-first", "t-second"))
    for desk in (first, second, first):
        desk.requests.open_request(
            CS, customer_id="C-1", service_type=ServiceType.CONSULT, symptoms="reset?"
        )
    for tenant, opened in (("t-first", 2), ("t-second", 1)):
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.count() == opened


def test_a_desk_method_is_built_once_per_group(desk):
    assert desk.requests.open_request is desk.requests.open_request
    assert desk.requests.open_request.__doc__ == type(desk.requests).open_request.__doc__


def test_a_desk_without_a_signer_or_store_says_so(storage, tenant, clock):
    plain = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(ValidationError, match="tokens"):
        plain.bookings.check_in(CS, "x.y")
    with pytest.raises(ValidationError, match="evidence"):
        plain.work.add_evidence(TECH, "R-1", EvidenceKind.PHOTO_AFTER, "a.jpg", b"x")
