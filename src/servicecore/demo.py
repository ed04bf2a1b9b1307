"""The demo: days at an air-conditioning service company in Jakarta, on embedded SQLite.

It runs the real use cases through a :class:`~servicecore.services.desk.ServiceDesk` on a SQLite
file. Monday morning is told step by step: a call-centre booking is confirmed with a QR check-in
code and a clashing booking refused; the first technician rejects the dispatch and the second does
the work with photos; the closure is refused for a missing photo, then accepted, and finance told
what to invoice; the customer answers the survey and the case becomes knowledge. Then each day
(:mod:`servicecore.demo_week`) has bookings, preventive-maintenance visits, the scheduler's plan
around the booked time, the work and closures, an emergency whose SLA breach is priced under the
contract, and the alert job; weekends plan nothing. A care plan, a quote in two versions and the
verification of every audit chain close the story.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from servicecore.adapters.erp_memory import InMemoryCustomerDirectory, InMemoryInventory
from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.adapters.memory_reporting import reporting_for
from servicecore.adapters.notifiers import RecordingNotifier
from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.basics import FixedClock
from servicecore.catalog import AGGREGATES
from servicecore.demo_week import DayReport, Week
from servicecore.errors import (
    ClosurePolicyError,
    DoubleBooking,
    PermissionDenied,
    ServicecoreError,
    ValidationError,
)
from servicecore.events import DomainEvent
from servicecore.lifecycle import ARCHIVE, CONTRACT
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ArchivePart, ProductArchive
from servicecore.model.audit import verify_chain
from servicecore.model.booking import BookingPolicy, CustomerIdentity
from servicecore.model.calendar import WeeklyWindow, WorkingCalendar
from servicecore.model.care import CareOutcome
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import (
    ArchiveId,
    ContractId,
    CustomerId,
    GeoPoint,
    Money,
    PartCode,
    TechnicianId,
    TimeRange,
)
from servicecore.model.contract import PenaltyTerm, ServiceContract, SlaTerm
from servicecore.model.enums import (
    CareMethod,
    Channel,
    EvidenceKind,
    Priority,
    ServiceType,
    SolutionType,
)
from servicecore.model.parts import RequisitionLine
from servicecore.model.processing import PartUsage, ReturnedPart
from servicecore.model.quote import PartLine, Quote, ServiceLine
from servicecore.model.technician import Shift, Technician
from servicecore.ports import CustomerContact
from servicecore.reports.html import header_for, standard_sections, write_html
from servicecore.services import care
from servicecore.services.context import CommandContext, DeskSettings, command
from servicecore.services.desk import ServiceDesk
from servicecore.services.notifications import NotifyingPublisher
from servicecore.services.tokens import QR_SCHEME, TokenSigner

__all__ = ["DemoSummary", "run_demo"]

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 3, 9)
TENANT = "pt-sejuk-abadi"
CUSTOMER = CustomerId("C-TOKO-MAJU")
RELAY = PartCode("RELAY-7")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), JAKARTA)


@attrs.frozen
class DemoSummary:
    """What the demo did.

    Attributes:
        database: The SQLite file the demo wrote.
        audit_entries: Audit entries written (every create and every state change).
        refusals: Commands refused, each with the error it raised.
        chains_verified: Records whose audit chain verified.
        notifications: Notifications delivered after commit.
        penalty: What the breached emergencies cost under the contract (``None``: no breach).
        invoice_total: What finance invoices for the repair.
        alerts: Alerts raised by the end-of-day alert jobs.
        planned_visits: Visits the scheduler dispatched.
        care_responses: Customers who responded to the care plan.
        report: The HTML report written, if any.
        bookings: Bookings made.
        closed: Requests closed.
        breaches: SLA breaches priced under the contract.
    """

    database: Path
    audit_entries: int
    refusals: tuple[str, ...]
    chains_verified: int
    notifications: int
    penalty: Money | None
    invoice_total: str
    alerts: int
    planned_visits: int
    care_responses: int
    report: Path | None
    bookings: int = 0
    closed: int = 0
    breaches: int = 0


@command("import_master_data")
def _seed(cx: CommandContext, /) -> None:
    """The host's master data import: technicians, one product and its contract."""
    uow = cx.uow
    office = WorkingCalendar(
        timezone="Asia/Jakarta",
        hours=tuple(WeeklyWindow(weekday=d, start=time(8), end=time(17)) for d in range(5)),
        holidays=(date(2026, 3, 19),),  # Nyepi
    )
    week = tuple(Shift(weekday=d, start=time(8), end=time(17)) for d in range(5))
    for tid, name, lat, lon in (
        ("T-BUDI", "Budi", -6.19, 106.82),
        ("T-WAYAN", "Wayan", -6.23, 106.8),
        ("T-DEWI", "Dewi", -6.17, 106.85),
    ):
        uow.technicians.add(
            Technician(
                id=TechnicianId(tid),
                name=name,
                home=GeoPoint(lat=lat, lon=lon),
                timezone="Asia/Jakarta",
                skills=("hvac", "refrigeration"),
                shifts=week,
            )
        )
    unit = ProductArchive(
        id=ArchiveId("A-77"),
        serial_number="SN-AC9-000777",
        product_code=PartCode("AC-9000"),
        customer_id=CUSTOMER,
        install_date=date(2024, 6, 1),
        warranty_start=date(2024, 6, 1),
        warranty_end=date(2025, 12, 31),  # out of warranty: the parts are charged
        service_expiry=date(2026, 3, 31),
        parts=(ArchivePart(part_code=RELAY, quantity=1, serial="R-0001"),),
    )
    ARCHIVE.create(unit, cx.transition(), uow.audit)
    ARCHIVE.fire(unit, "register", cx.transition(), uow.audit)
    uow.archives.add(unit)
    contract = ServiceContract(
        id=ContractId("K-2026-01"),
        customer_id=CUSTOMER,
        archive_ids=(ArchiveId("A-77"),),
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        calendar=office,
        sla_terms=(
            SlaTerm(
                priority=Priority.EMERGENCY,
                response=timedelta(hours=2),
                resolution=timedelta(hours=4),
            ),
            SlaTerm(
                priority=Priority.URGENT,
                response=timedelta(hours=4),
                resolution=timedelta(hours=16),
            ),
        ),
        penalty_terms=(
            PenaltyTerm(
                priority=Priority.EMERGENCY,
                per_started_hour=Money("250000", "IDR"),
                cap=Money("2000000", "IDR"),
            ),
        ),
    )
    CONTRACT.create(contract, cx.transition(), uow.audit)
    CONTRACT.fire(contract, "activate", cx.transition(), uow.audit)
    uow.contracts.add(contract)


def _quote(desk: ServiceDesk, agent: Actor) -> Quote:
    """A maintenance quote, changed after issue (a spare relay added), then accepted."""
    line = ServiceLine(
        description="Preventive maintenance, 4 visits a year",
        quantity=Decimal(4),
        unit_price=Money("450000", "IDR"),
        unit_cost=Money("260000", "IDR"),
    )
    quotes = desk.quotes
    quotes.draft_quote(
        agent,
        customer_id=CUSTOMER,
        currency="IDR",
        valid_until=desk.clock.now() + timedelta(days=14),
        service_lines=[line],
        quote_id="Q-55",
    )
    quotes.issue_quote(agent, "Q-55")
    relay = PartLine(
        part_code=RELAY,
        description="Compressor start relay",
        quantity=Decimal(1),
        unit_price=Money("185000", "IDR"),
        unit_cost=Money("95000", "IDR"),
    )
    quotes.change_quote(agent, "Q-55", "a spare relay on the van", part_lines=[relay])
    quotes.issue_quote(agent, "Q-55")
    return quotes.accept_quote(agent, "Q-55").quote


def run_demo(
    db: Path,
    say: Callable[[str], None] = print,
    *,
    seed: int = 7,
    days: int = 1,
    out: Path | None = None,
) -> DemoSummary:
    """Run the story on a fresh SQLite database at ``db`` (replaced if it exists).

    Args:
        db: The SQLite file.
        say: Where the story is told.
        seed: Varies where the preventive-maintenance visits are and the scheduler's search.
        days: How many days the company works through, from Monday 9 March 2026 (1-14): each
            working day has bookings, maintenance visits, the scheduler's plan, the work and
            closures, the alert job; Mondays and Thursdays an emergency breaches its SLA;
            weekends plan nothing.
        out: A folder to write the managers' HTML report into (``servicecore-report.html``);
            ``None`` writes none. Charts need the ``plot`` extra.

    Returns:
        A summary of what happened.

    Raises:
        ValidationError: ``days`` is outside 1-14.
        ServicecoreError: Only if the library misbehaves: every refusal in the story is expected.
    """
    if not 1 <= days <= 14:
        raise ValidationError.single("days", days, "must be from 1 to 14")
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    notifier = RecordingNotifier()
    events: list[DomainEvent] = []
    clock = FixedClock(_at(MONDAY, 7, 30))
    storage = SQLAlchemyStorage(
        db, publisher=NotifyingPublisher(notifier, then=lambda _t, evs: events.extend(evs))
    )
    desk = ServiceDesk(
        storage,
        TENANT,
        clock=clock,
        settings=DeskSettings(
            signer=TokenSigner(b"demo-secret-demo-secret-demo-secret!"),
            evidence_store=FilesystemEvidenceStore(Path(f"{db}.evidence")),
            closure_policy=ClosurePolicy(min_photos_before=3, min_photos_after=3),
            currency="IDR",
        ),
    )
    erp = Actor(id="erp-import", roles={Role.ADMIN}, name="ERP master data import")
    siti = Actor(id="cs-siti", roles={Role.CUSTOMER_SERVICE}, name="Siti")
    andi = Actor(id="sup-andi", roles={Role.SUPERVISOR}, name="Andi")
    budi = Actor(
        id="u-budi", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-BUDI"), name="Budi"
    )
    wayan = Actor(
        id="u-wayan", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-WAYAN"), name="Wayan"
    )
    dewi = Actor(
        id="u-dewi", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-DEWI"), name="Dewi"
    )
    refusals: list[str] = []

    def refused(
        expected: type[ServicecoreError], explain: str, action: Callable[[], object]
    ) -> None:
        # The demo words each refusal itself (local times, booking references); the library's
        # own message is kept in the summary.
        try:
            action()
        except expected as exc:
            refusals.append(f"{type(exc).__name__}: {exc}")
            say(f"    refused ({type(exc).__name__}): {explain}")
        else:
            raise AssertionError("the story expected a refusal here")

    def goto(hour: int, minute: int = 0, day: date = MONDAY) -> None:
        clock.advance(_at(day, hour, minute) - clock.now())

    total = 9 + days + (1 if out is not None else 0)
    done = [0]

    def step(text: str) -> None:
        # The story is the progress display: each step numbered out of the total, printed
        # before what it does, so that a refusal shows under its own step.
        done[0] += 1
        say(f"[{done[0]:>2}/{total}] {text}")

    say(
        f"servicecore demo: PT Sejuk Abadi (Jakarta), {days} day(s) from {MONDAY:%a %d %b %Y}, "
        f"times in Jakarta time (WIB), stored in {db}"
    )
    step("master data: technicians Budi, Wayan and Dewi, cold-room unit A-77 under K-2026-01")
    desk.run(_seed, erp)

    policy = BookingPolicy(
        change_cutoff=timedelta(hours=12),
        cancellation_cutoff=timedelta(hours=6),
        cancellation_fee=Money("50000", "IDR"),
        no_show_grace=timedelta(minutes=30),
        max_reschedules=2,
    )
    customer = CustomerIdentity(customer_id=CUSTOMER, name="Toko Maju", phone="+62 21 555 0199")
    slot = TimeRange(_at(MONDAY, 9), _at(MONDAY, 11))
    shop = GeoPoint(lat=-6.2, lon=106.82, address="Jl. Sudirman 1, Jakarta")
    booking = desk.bookings.book(
        siti,
        customer=customer,
        service_type=ServiceType.REPAIR,
        channel=Channel.CALL_CENTRE,
        slot=slot,
        location=shop,
        booking_policy=policy,
        technician_id="T-BUDI",
    )
    booking = desk.bookings.confirm_booking(siti, booking.id)
    step(
        f"07:30 call-centre booking {booking.reference} for 09:00-11:00 with Budi, confirmed by "
        f"SMS ({len(notifier.sent)} notifications sent after commit)"
    )
    other = CustomerIdentity(
        customer_id=CustomerId("C-WARUNG"), name="Warung Sari", phone="+62 21 555 0142"
    )
    refused(
        DoubleBooking,
        f"Warung Sari asked for Budi at 10:00-12:00; Budi is held 09:00-11:00 by booking "
        f"{booking.reference}",
        lambda: desk.bookings.book(
            siti,
            customer=other,
            service_type=ServiceType.REPAIR,
            channel=Channel.CALL_CENTRE,
            slot=TimeRange(_at(MONDAY, 10), _at(MONDAY, 12)),
            location=shop,
            booking_policy=policy,
            technician_id="T-BUDI",
        ),
    )

    goto(8, 50)
    desk.bookings.check_in(siti, QR_SCHEME + (booking.check_in_token or ""))
    request = desk.requests.open_request(
        siti,
        from_booking=booking.id,
        archive_id=ArchiveId("A-77"),
        contract_id=ContractId("K-2026-01"),
        priority=Priority.URGENT,
        symptoms="Cold room unit blows warm air, compressor clicks",
        required_skills=("hvac",),
    )
    desk.bookings.complete_booking(siti, booking.id)
    assert request.resolution_due is not None  # the contract has a term for urgent requests
    step(
        f"08:50 {booking.reference} checked in with the QR code; request {request.id[:22]}... "
        f"opened, resolution due {request.resolution_due.astimezone(JAKARTA):%a %H:%M}"
    )

    step("Andi sends Budi; Wayan cannot accept Budi's order; Budi rejects (no gauge); Wayan goes")
    first = desk.dispatch.assign(andi, request.id, "T-BUDI", slot)
    refused(
        PermissionDenied,
        "Wayan may not accept a dispatch order assigned to Budi",
        lambda: desk.dispatch.accept_dispatch(wayan, first.id),
    )
    desk.dispatch.reject_dispatch(budi, first.id, "no refrigerant gauge with me today")
    second = desk.dispatch.assign(
        andi, request.id, "T-WAYAN", TimeRange(_at(MONDAY, 9, 30), _at(MONDAY, 11, 30))
    )
    desk.dispatch.accept_dispatch(wayan, second.id)

    goto(9, 40)
    step("09:40 Wayan starts: the relay is requisitioned and issued, 3 photos before the work")
    work = desk.dispatch.start_dispatch(wayan, second.id)
    _requisition(desk, wayan, request.id, lambda line: say(f"    {line}"))
    for i in range(3):
        desk.work.add_evidence(
            wayan,
            request.id,
            EvidenceKind.PHOTO_BEFORE,
            f"before-{i}.jpg",
            f"before photo {i} of A-77".encode(),
        )
    desk.work.record_processing(
        wayan,
        work.id,
        {
            "solution_type": SolutionType.REPLACEMENT,
            "solution_text": "Replaced the burnt compressor start relay; pressures normal",
            "fault_cause": "Start relay contacts burnt",
            "labour_hours": Decimal("1.5"),
            "parts_used": (
                PartUsage(
                    part_code=RELAY,
                    quantity=1,
                    serial="R-0932",
                    unit_price=Money("185000", "IDR"),
                    charged=True,
                ),
            ),
            "returned_parts": (
                ReturnedPart(
                    part_code=RELAY,
                    quantity=1,
                    serial="R-0001",
                    condition="contacts burnt",
                ),
            ),
        },
    )
    desk.work.add_evidence(wayan, request.id, EvidenceKind.PHOTO_AFTER, "after-0.jpg", b"after 0")
    desk.work.complete_processing(wayan, work.id)
    goto(11, 10)
    step("11:10 work done; closing with 1 photo after the work, then with 3")
    desk.dispatch.complete_dispatch(wayan, second.id)
    refused(
        ClosurePolicyError,
        "the closure policy asks for 3 photos after the work; 1 is on record",
        lambda: desk.work.close_request(wayan, request.id, "relay replaced"),
    )
    for i in (1, 2):
        desk.work.add_evidence(
            wayan,
            request.id,
            EvidenceKind.PHOTO_AFTER,
            f"after-{i}.jpg",
            f"after photo {i}".encode(),
        )
    desk.work.close_request(wayan, request.id, "relay replaced, unit at -18 C again")
    invoice = next(e for e in events if e.name == "RequestCompleted").payload["invoice_total"]
    say(
        f"    closed with 3 photos after; finance is told to invoice "
        f"{invoice['amount']} {invoice['currency']}"
    )
    desk.work.record_survey(siti, request.id, 5, "Fast, tidy, explained everything")
    article = desk.work.publish_knowledge(wayan, request.id)
    say(f"    survey 5/5 recorded; knowledge article {article.id[:26]}... published")

    week = Week(
        desk=desk,
        clock=clock,
        agent=siti,
        supervisor=andi,
        technicians={"T-BUDI": budi, "T-WAYAN": wayan, "T-DEWI": dewi},
        policy=policy,
        seed=seed,
    )
    reports: list[DayReport] = []
    for n in range(days):
        day = MONDAY + timedelta(days=n)
        step(f"{day:%a %d %b}: " + ("the rest of the day" if n == 0 else "the day"))
        report_of_day = week.run_day(day, first=n == 0)
        reports.append(report_of_day)
        for line in _day_lines(report_of_day):
            say(f"    {line}")

    responses = _care(desk, andi, siti, clock, step)

    quote = _quote(desk, siti)
    step(
        f"quote {quote.id} v{quote.quote_version} accepted: {quote.total_price()}, "
        f"estimated profit {quote.estimated_profit()}"
    )

    entries = 0
    verified = 0
    with storage.unit_of_work(TENANT) as uow:
        for spec in AGGREGATES:
            for entity in uow.repository(spec.name).iterate():
                head = getattr(entity, "audit_head", None)
                if head is None:
                    continue
                chain = uow.audit.entries(spec.kind, entity.id)
                verify_chain(chain, head=head).raise_for_problems()
                entries += len(chain)
                verified += 1
    step(f"audit trail: {entries} entries, {verified} chains verified")
    report: Path | None = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        report = out / "servicecore-report.html"
        step(f"report for managers written to {report}")
        backend = reporting_for(storage)
        start = _at(MONDAY, 0)
        end = _at(MONDAY + timedelta(days=days), 0)
        sections = standard_sections(backend, TENANT, clock.now(), start=start, end=end)
        with storage.unit_of_work(TENANT) as uow:
            names = {str(t.id): t.name for t in uow.technicians.iterate()}
        write_html(
            report,
            sections,
            title="Service report",
            header=header_for(backend, TENANT, "PT Sejuk Abadi", start, end),
            plans=[(r.day, r.plan) for r in reports if r.plan is not None],
            technician_names=names,
            locale="en_ID",
            generated=clock.now().astimezone(JAKARTA),
        )
    storage.close()
    penalties = [r.penalty for r in reports if r.penalty is not None]
    total_penalty = None
    for one in penalties:
        total_penalty = one if total_penalty is None else total_penalty + one
    return DemoSummary(
        database=db,
        audit_entries=entries,
        refusals=tuple(refusals),
        chains_verified=verified,
        notifications=len(notifier.sent),
        penalty=total_penalty,
        invoice_total=f"{invoice['amount']} {invoice['currency']}",
        alerts=sum(r.alerts for r in reports),
        planned_visits=sum(r.planned for r in reports),
        care_responses=responses,
        report=report,
        bookings=1 + sum(len(r.bookings) for r in reports),
        closed=1 + sum(r.closed for r in reports),
        breaches=len(penalties),
    )


def _day_lines(day: DayReport) -> list[str]:
    """The lines that tell what a day did."""
    if day.day.weekday() >= 5:
        return [
            f"weekend: nobody works; the scheduler plans nothing "
            f"({len(day.unassigned)} open jobs wait, reason no_shift)"
        ]
    reasons = sorted({reason for _, reason in day.unassigned})
    lines = []
    if day.first_thing:
        lines.append("08:30 Andi sends Wayan to yesterday's emergency before the plan is made")
    lines += [
        f"bookings {', '.join(day.bookings)} confirmed with a technician and a time",
        f"the scheduler planned {day.planned} visits around {len(day.bookings)} booked slots "
        f"({day.driving} min of driving, {len(day.unassigned)} left unassigned"
        + (f": {', '.join(reasons)})" if reasons else ")"),
        f"{day.closed} requests closed with photos before and after",
    ]
    if day.penalty is not None and not day.penalty.amount:
        lines.append(
            "emergency at Toko Maju, every technician busy: no penalty, the contract's SLA "
            "clock stops on its holidays (Nyepi)"
        )
    elif day.penalty is not None:
        lines.append(
            f"emergency at Toko Maju, every technician busy: SLA breached by 17:30, "
            f"penalty {day.penalty} under K-2026-01 (sent out first thing the next working day)"
        )
    lines.append(f"17:30 alert job: {day.alerts} alerts raised")
    return lines


def _requisition(
    desk: ServiceDesk, technician: Actor, request_id: str, say: Callable[[str], None]
) -> None:
    """The relay fitted in the repair is requisitioned and issued (charged: a sales outbound)."""
    stock = InMemoryInventory({"W-SVC": {"RELAY-7": 6}})
    requisition = desk.parts.requisition_parts(
        technician,
        request_id,
        [RequisitionLine(part_code=RELAY, quantity=1, charged=True)],
        warehouse_id="W-SVC",
    )
    desk.parts.issue_requisition(technician, requisition.id, stock)
    say(
        f"parts: relay requisitioned and issued from W-SVC as a sales outbound "
        f"({stock.on_hand('W-SVC', 'RELAY-7')} left on hand)"
    )


def _care(
    desk: ServiceDesk, sales: Actor, agent: Actor, clock: FixedClock, say: Callable[[str], None]
) -> int:
    """A thank-you e-mail to gold customers and a follow-up call, with effectiveness evaluated."""
    directory = InMemoryCustomerDirectory(
        [
            CustomerContact(
                customer_id="C-TOKO-MAJU",
                name="Toko Maju",
                category="gold",
                email="owner@tokomaju.id",
                phone="+62 21 555 0199",
            ),
            CustomerContact(
                customer_id="C-HOTEL-INDAH",
                name="Hotel Indah",
                category="gold",
                email="gm@hotelindah.id",
                phone="+62 21 555 0777",
            ),
        ]
    )
    window = TimeRange(clock.now(), clock.now() + timedelta(days=7))
    for method, text in (
        (CareMethod.EMAIL, "Dear {{ name }}, thank you for trusting PT Sejuk Abadi this year."),
        (CareMethod.PHONE, "Call {{ name }}: satisfied with the last visit?"),
    ):
        plan = desk.care.plan_care(
            sales,
            customer_category="gold",
            method=method,
            content=text,
            schedule=window,
            currency="IDR",
            participants=[agent.id],
        )
        desk.care.activate_care(sales, plan.id)
        done = desk.care.execute_care(sales, plan.id, directory)
        for task in done.tasks:
            desk.care.complete_care_task(agent, plan.id, task.id, CareOutcome.POSITIVE)
    with desk.storage.unit_of_work(desk.tenant) as uow:
        called = uow.care_plans.get(plan.id)
    evaluation = care.evaluate_care(called, replies=1, leads=1)
    say(
        f"customer care: thank-you e-mails to 2 gold customers and follow-up calls; "
        f"{evaluation.effectiveness.responses} customer responses"
    )
    return evaluation.effectiveness.responses
