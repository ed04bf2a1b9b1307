"""Ownership in the default policy, through the desk on every backend.

A technician acts only on their own assignments (dispatch orders, their processing orders, the
requests they work on); a customer only on their own bookings, requests and surveys; a request
names only a product of its own customer.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from desk_actors import CS, CUSTOMER, SUP, TECH, TECH8

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.errors import PermissionDenied, ValidationError
from servicecore.model.actor import Actor, Role
from servicecore.model.common import TimeRange
from servicecore.model.enums import EvidenceKind, ServiceType, SolutionType
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

OTHER_CUSTOMER = Actor(id="C-2", roles={Role.CUSTOMER})
SLOT = TimeRange(f.NOW + timedelta(hours=1), f.NOW + timedelta(hours=3))
WORK = {
    "solution_type": SolutionType.RETURN_REPAIR,
    "solution_text": "Cleared the drain",
    "labour_hours": Decimal("0.5"),
    "fault_cause": "Blocked drain",
}


@pytest.fixture
def desk(storage, tenant, clock, tmp_path):
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.technicians.add(f.technician(id="T-8"))
        uow.commit()
    desk = ServiceDesk(
        storage,
        tenant,
        clock=clock,
        settings=DeskSettings(evidence_store=FilesystemEvidenceStore(tmp_path)),
    )
    for customer, serial in (("C-1", "SN-1"), ("C-2", "SN-2")):
        desk.installed_base.register_archive(
            SUP,
            archive_id=f"A-{customer}",
            serial_number=serial,
            product_code="AC-9000",
            customer_id=customer,
            warranty_start=f.NOW.date(),
            warranty_end=f.NOW.date() + timedelta(days=365),
        )
    return desk


@pytest.fixture
def started(desk):
    """Request of C-1 dispatched to T-7, accepted and started: (request, order, processing)."""
    request = desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="Leaking water",
        archive_id="A-C-1",
    )
    order = desk.dispatch.assign(SUP, request.id, "T-7", SLOT)
    desk.dispatch.accept_dispatch(TECH, order.id)
    processing = desk.dispatch.start_dispatch(TECH, order.id)
    return request, order, processing


def test_a_technician_records_work_only_on_their_own_processing_order(desk, started):
    _, _, processing = started
    with pytest.raises(PermissionDenied, match="assigned to technician T-7"):
        desk.work.record_processing(TECH8, processing.id, WORK)
    assert desk.work.record_processing(TECH, processing.id, WORK).labour_hours == Decimal("0.5")


def test_a_technician_completes_only_their_own_processing_order(desk, started):
    _, _, processing = started
    desk.work.record_processing(TECH, processing.id, WORK)
    with pytest.raises(PermissionDenied, match="assigned to technician T-7"):
        desk.work.complete_processing(TECH8, processing.id)
    desk.work.complete_processing(TECH, processing.id)


def test_a_technician_adds_evidence_only_to_requests_they_work_on(desk, started, storage, tenant):
    request, _, _ = started
    with pytest.raises(PermissionDenied, match="worked on by technician T-7"):
        desk.work.add_evidence(TECH8, request.id, EvidenceKind.PHOTO_BEFORE, "b.jpg", b"x")
    with storage.unit_of_work(tenant) as uow:
        assert uow.evidence.count() == 0
    desk.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_BEFORE, "b.jpg", b"x")


def test_a_technician_holds_only_requests_they_work_on(desk, started):
    request, _, _ = started
    with pytest.raises(PermissionDenied, match="may not hold_request"):
        desk.requests.hold_request(TECH8, request.id, "waiting for parts")
    desk.requests.hold_request(TECH, request.id, "waiting for parts")


def test_a_technician_closes_only_requests_they_work_on(desk, started):
    request, order, processing = started
    desk.work.record_processing(TECH, processing.id, WORK)
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    with pytest.raises(PermissionDenied, match="may not close_request"):
        desk.work.close_request(TECH8, request.id, "drain cleared")
    assert desk.work.close_request(TECH, request.id, "drain cleared").status.value == "closed"


def test_a_rejected_dispatch_ends_the_technicians_hold_on_the_request(desk):
    request = desk.requests.open_request(
        CS, customer_id="C-1", service_type=ServiceType.REPAIR, symptoms="x", archive_id="A-C-1"
    )
    order = desk.dispatch.assign(SUP, request.id, "T-7", SLOT)
    desk.dispatch.reject_dispatch(TECH, order.id, "no gauge with me")
    with pytest.raises(PermissionDenied, match="may not add_evidence"):
        desk.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_BEFORE, "b.jpg", b"x")


def test_a_supervisor_acts_on_any_technicians_work(desk, started):
    request, _, processing = started
    desk.work.record_processing(SUP, processing.id, WORK)
    desk.work.add_evidence(SUP, request.id, EvidenceKind.PHOTO_BEFORE, "b.jpg", b"x")


def _closed(desk, started):
    request, order, processing = started
    desk.work.record_processing(TECH, processing.id, WORK)
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    desk.work.close_request(TECH, request.id, "drain cleared")
    return request


def test_a_customer_records_the_survey_of_their_own_request_only(desk, started, storage, tenant):
    request = _closed(desk, started)
    with pytest.raises(PermissionDenied, match="belongs to customer C-1"):
        desk.work.record_survey(OTHER_CUSTOMER, request.id, 1, "never came")
    with storage.unit_of_work(tenant) as uow:
        assert uow.surveys.count() == 0
    assert desk.work.record_survey(CUSTOMER, request.id, 5).score == 5


def test_a_request_names_only_a_product_of_its_own_customer(desk, storage, tenant):
    with pytest.raises(ValidationError, match="archive_id") as info:
        desk.requests.open_request(
            CS,
            customer_id="C-2",
            service_type=ServiceType.REPAIR,
            symptoms="Not mine",
            archive_id="A-C-1",
        )
    assert "customer C-1" in str(info.value)
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.count() == 0
