"""The seed stories end to end, on memory, SQLite (and PostgreSQL in CI)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from desk_actors import CS, HOUR, SUP, TECH, TECH8

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.errors import ClosurePolicyError, PermissionDenied, TransitionRefused
from servicecore.lifecycle import ARCHIVE, CONTRACT, TransitionContext
from servicecore.model.archive import ArchivePart
from servicecore.model.audit import verify_chain
from servicecore.model.booking import BookingStatus, CustomerIdentity
from servicecore.model.calendar import WeeklyWindow, WorkingCalendar
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import Money, TimeRange
from servicecore.model.contract import PenaltyTerm, SlaTerm
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Channel, EvidenceKind, Priority, ServiceType, SolutionType
from servicecore.model.processing import PartUsage, ReturnedPart
from servicecore.model.request import RequestStatus
from servicecore.services import bookings as b
from servicecore.services import dispatch as d
from servicecore.services import requests as r
from servicecore.services import work as w
from servicecore.services.tokens import QR_SCHEME, TokenSigner
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx

JKT = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 3, 9)
SIGNER = TokenSigner(b"k" * 32)
BRANT_POLICY = ClosurePolicy(min_photos_before=3, min_photos_after=3)  # seed 001's customer


def jkt(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), JKT)


def setup_master_data(storage, tenant, clock):
    """Technicians T-7 and T-8, a registered archive out of warranty (parts are charged) under
    an active contract with SLA terms."""
    office = WorkingCalendar(
        timezone="Asia/Jakarta",
        hours=tuple(WeeklyWindow(weekday=i, start=time(8), end=time(17)) for i in range(5)),
        holidays=(date(2026, 3, 19),),
    )
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7", account_customers=("C-1",)))
        uow.technicians.add(f.technician(id="T-8"))
        archive = f.archive(
            parts=(ArchivePart(part_code="RELAY-7", quantity=1, serial="R-OLD"),),
            warranty_start=date(2024, 1, 1),
            warranty_end=date(2025, 12, 31),
        )
        ARCHIVE.create(archive, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        ARCHIVE.fire(archive, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        uow.archives.add(archive)
        contract = f.contract(
            calendar=office,
            sla_terms=(
                SlaTerm(priority=Priority.EMERGENCY, response=2 * HOUR, resolution=4 * HOUR),
                SlaTerm(priority=Priority.NORMAL, response=8 * HOUR, resolution=24 * HOUR),
            ),
            penalty_terms=(
                PenaltyTerm(
                    priority=Priority.EMERGENCY,
                    per_started_hour=Money("250000", "IDR"),
                    cap=Money("2000000", "IDR"),
                ),
            ),
        )
        CONTRACT.create(contract, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        CONTRACT.fire(contract, "activate", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        uow.contracts.add(contract)
        uow.commit()


def photos(uow, clock, store, request_id, kind, n, start=0):
    for i in range(start, start + n):
        w.add_evidence(
            cx(uow, TECH, clock, evidence_store=store),
            request_id,
            kind,
            f"{kind.value}-{i}.jpg",
            f"{request_id}-{kind.value}-{i}".encode(),
        )


def work_done(uow, clock, processing_id):
    w.record_processing(
        cx(uow, TECH, clock),
        processing_id,
        {
            "solution_type": SolutionType.REPLACEMENT,
            "solution_text": "Replaced the burnt start relay",
            "fault_cause": "Relay contacts burnt",
            "labour_hours": Decimal("1.5"),
            "parts_used": (
                PartUsage(
                    part_code="RELAY-7",
                    quantity=1,
                    serial="R-NEW",
                    unit_price=Money("185000", "IDR"),
                    charged=True,
                ),
            ),
            "returned_parts": (
                ReturnedPart(part_code="RELAY-7", quantity=1, serial="R-OLD", condition="burnt"),
            ),
        },
    )
    w.complete_processing(cx(uow, TECH, clock), processing_id)


def started_repair(uow, clock, symptoms):
    """A repair of A-1 dispatched to T-7, accepted and started: (request, order, processing)."""
    request = r.open_request(
        cx(uow, CS, clock),
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms=symptoms,
        archive_id="A-1",
    )
    order = d.assign(
        cx(uow, SUP, clock), request.id, "T-7", TimeRange(jkt(MONDAY, 9), jkt(MONDAY, 11))
    )
    d.accept_dispatch(cx(uow, TECH, clock), order.id)
    processing = d.start_dispatch(cx(uow, TECH, clock, currency="IDR"), order.id)
    return request, order, processing


def test_a_call_centre_booking_through_check_in_service_evidence_closure_and_survey(
    storage, tenant, clock, tmp_path
):
    store = FilesystemEvidenceStore(tmp_path / "evidence")
    setup_master_data(storage, tenant, clock)
    slot = TimeRange(jkt(MONDAY, 9), jkt(MONDAY, 11))
    with storage.unit_of_work(tenant) as uow:
        booking = b.book(
            cx(uow, CS, clock),
            customer=CustomerIdentity(customer_id="C-1", name="Toko Maju", phone="+62 21 555 0199"),
            service_type=ServiceType.REPAIR,
            channel=Channel.CALL_CENTRE,
            slot=slot,
            location=f.HERE,
            booking_policy=f.booking().policy,
            technician_id="T-7",
        )
        b.confirm_booking(cx(uow, CS, clock, signer=SIGNER), booking.id)
        uow.commit()
    clock.advance(jkt(MONDAY, 9, 5) - clock.now())
    with storage.unit_of_work(tenant) as uow:
        booking = uow.bookings.get(booking.id)
        b.check_in(cx(uow, CS, clock, signer=SIGNER), QR_SCHEME + booking.check_in_token)
        request = r.open_request(
            cx(uow, CS, clock),
            from_booking=booking.id,
            symptoms="Cold room unit blows warm air",
            archive_id="A-1",
            contract_id="K-1",
            required_skills=("hvac",),
        )
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        b.complete_booking(cx(uow, CS, clock), booking.id)
        order = d.assign(cx(uow, SUP, clock), request.id, "T-7", slot)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        d.accept_dispatch(cx(uow, TECH, clock), order.id)
        processing = d.start_dispatch(cx(uow, TECH, clock, currency="IDR"), order.id)
        photos(uow, clock, store, request.id, EvidenceKind.PHOTO_BEFORE, 3)
        work_done(uow, clock, processing.id)
        photos(uow, clock, store, request.id, EvidenceKind.PHOTO_AFTER, 3)
        d.complete_dispatch(cx(uow, TECH, clock), order.id)
        closed = w.close_request(
            cx(uow, TECH, clock, closure_policy=BRANT_POLICY), request.id, "relay replaced"
        )
        uow.commit()
    assert closed.status is RequestStatus.CLOSED
    with storage.unit_of_work(tenant) as uow:
        survey = w.record_survey(cx(uow, CS, clock), request.id, 5, "fast and tidy")
        uow.commit()
    assert survey.sla_met
    assert survey.technician_id == "T-7"
    with storage.unit_of_work(tenant) as uow:
        article = w.publish_knowledge(cx(uow, TECH, clock), request.id, tags=("compressor",))
        uow.commit()
    assert article.cause == "Relay contacts burnt"
    with storage.unit_of_work(tenant) as uow:
        unit = f.archive(id="A-9", serial_number="SN-9")
        ARCHIVE.create(unit, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        ARCHIVE.fire(unit, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        uow.archives.add(unit)
        again = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="cold room blowing warm air again",
            archive_id="A-9",
        )
        (best, *_) = w.suggest_solutions(cx(uow), again.id)
        uow.commit()
    assert best.article.id == article.id
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.get(booking.id).status is BookingStatus.COMPLETED
        archive = uow.archives.get("A-1")
        assert archive.parts == (ArchivePart(part_code="RELAY-7", quantity=1, serial="R-NEW"),)
        req = uow.requests.get(request.id)
        assert req.survey_id == survey.id
        entries = uow.audit.entries("ServiceRequest", request.id)
        assert [e.trigger for e in entries] == ["create", "assign", "start", "resolve", "close"]
        assert verify_chain(entries, head=req.audit_head).ok
        for item in w.evidence_of(uow, request.id):
            assert store.verify(item.uri, item.content_hash)
    completed = [
        e for e in storage.pending_events(tenant, limit=500) if e.name == "RequestCompleted"
    ]
    assert completed[0].payload["invoice_total"] == {"amount": "185000", "currency": "IDR"}


def test_an_emergency_request_whose_sla_is_breached_is_priced(storage, tenant, clock):
    setup_master_data(storage, tenant, clock)
    clock.advance(jkt(MONDAY, 15) - clock.now())  # Monday 15:00: two working hours left today
    with storage.unit_of_work(tenant) as uow:
        request = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Freezer room alarm: 12 degrees",
            priority=Priority.EMERGENCY,
            archive_id="A-1",
            contract_id="K-1",
        )
        uow.commit()
    # Response 2 working hours: Monday 17:00; resolution 4: Tuesday 10:00 (08-17 calendar).
    assert request.response_due == jkt(MONDAY, 17)
    assert request.resolution_due == jkt(MONDAY + timedelta(days=1), 10)
    clock.advance(jkt(MONDAY + timedelta(days=1), 11, 30) - clock.now())
    with storage.unit_of_work(tenant) as uow:
        outcome = r.sla_report(cx(uow), request.id, clock.now())
    assert outcome is not None
    assert outcome.breached
    # Tuesday 11:30, nobody came: response 3.5 working hours late (4 started hours x 250k),
    # resolution 1.5 late (2 started hours x 250k).
    assert [b.penalty for b in outcome.breaches] == [
        Money("1000000", "IDR"),
        Money("500000", "IDR"),
    ]
    assert outcome.penalty == Money("1500000", "IDR")
    clock.advance(timedelta(days=2))
    with storage.unit_of_work(tenant) as uow:
        later = r.sla_report(cx(uow), request.id, clock.now())
    assert later is not None
    assert later.penalty == Money("2000000", "IDR")  # the contract's cap


def test_a_rejected_and_a_revoked_dispatch_leave_the_request_assignable(storage, tenant, clock):
    setup_master_data(storage, tenant, clock)
    plan = TimeRange(jkt(MONDAY, 9), jkt(MONDAY, 11))
    with storage.unit_of_work(tenant) as uow:
        request = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Noise",
            archive_id="A-1",
        )
        first = d.assign(cx(uow, SUP, clock), request.id, "T-8", plan)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(PermissionDenied):
            d.reject_dispatch(cx(uow, TECH, clock), first.id, "not mine")
        d.reject_dispatch(cx(uow, TECH8, clock), first.id, "no ladder for a 4 m unit")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.get(request.id).status is RequestStatus.OPEN
        second = d.assign_account_specialist(cx(uow, SUP, clock), request.id, plan)
        uow.commit()
    assert second.technician_id == "T-7"
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(PermissionDenied):
            d.revoke_dispatch(cx(uow, CS, clock), second.id, "wrong")
        d.revoke_dispatch(cx(uow, SUP, clock), second.id, "technician left the company")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        req = uow.requests.get(request.id)
        assert req.status is RequestStatus.OPEN
        statuses = {o.id: o.status for o in r.dispatches_of(uow, request.id)}
        assert statuses == {first.id: DispatchStatus.REJECTED, second.id: DispatchStatus.REVOKED}
        log = [(e.trigger, e.actor_id) for e in uow.audit.entries("ServiceRequest", request.id)]
    assert log == [
        ("create", "cs-1"),
        ("assign", "sup-1"),
        ("unassign", "u-8"),
        ("assign", "sup-1"),
        ("unassign", "sup-1"),
    ]


def test_a_closure_refused_for_missing_photos_then_accepted(storage, tenant, clock, tmp_path):
    store = FilesystemEvidenceStore(tmp_path / "evidence")
    setup_master_data(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        request, order, processing = started_repair(uow, clock, "Door broken")
        photos(uow, clock, store, request.id, EvidenceKind.PHOTO_BEFORE, 3)
        work_done(uow, clock, processing.id)
        photos(uow, clock, store, request.id, EvidenceKind.PHOTO_AFTER, 1)
        d.complete_dispatch(cx(uow, TECH, clock), order.id)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ClosurePolicyError, match="photo_after: 1 on record, 3 required"):
            w.close_request(cx(uow, TECH, clock, closure_policy=BRANT_POLICY), request.id, "fixed")
        uow.commit()  # the refusal wrote nothing
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.get(request.id).status is RequestStatus.RESOLVED
        assert uow.archives.get("A-1").parts[0].serial == "R-OLD"
        photos(uow, clock, store, request.id, EvidenceKind.PHOTO_AFTER, 2, start=1)
        w.close_request(cx(uow, TECH, clock, closure_policy=BRANT_POLICY), request.id, "fixed")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.get(request.id).status is RequestStatus.CLOSED


def test_a_dispatch_completes_only_after_its_processing(storage, tenant, clock):
    setup_master_data(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        _, order, _ = started_repair(uow, clock, "Fan rattles")
        with pytest.raises(TransitionRefused, match="processing"):
            d.complete_dispatch(cx(uow, TECH, clock), order.id)


def test_rejections_and_revocations_are_told_to_the_host(open_storage, tenant, clock):
    seen: list[str] = []
    storage = open_storage(publisher=lambda _t, events: seen.extend(e.name for e in events))
    setup_master_data(storage, tenant, clock)
    plan = TimeRange(jkt(MONDAY, 9), jkt(MONDAY, 11))
    with storage.unit_of_work(tenant) as uow:
        request = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Noise",
            archive_id="A-1",
        )
        first = d.assign(cx(uow, SUP, clock), request.id, "T-8", plan)
        d.reject_dispatch(cx(uow, TECH8, clock), first.id, "no ladder")
        second = d.assign(cx(uow, SUP, clock), request.id, "T-7", plan)
        d.revoke_dispatch(cx(uow, SUP, clock), second.id, "technician left")
        uow.commit()
    assert "DispatchRejected" in seen
    assert "DispatchRevoked" in seen
