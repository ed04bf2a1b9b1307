"""The demo: days at an air-conditioning service company in Jakarta, on embedded SQLite.

It runs the real use cases through a :class:`~servicecore.services.desk.ServiceDesk` on a SQLite
file. Monday morning is told step by step: a call-centre booking is confirmed with a QR check-in
code and a clashing booking refused; the first technician rejects the dispatch and the second
starts the work, whose first look has the request re-graded an emergency (its due times
recomputed); the closure is refused for a missing photo, then accepted, and finance told what to
invoice; the customer answers the survey and the case becomes knowledge. Then each day
(:mod:`servicecore.demo_week`) has bookings, preventive-maintenance visits with their inspection
checklist (one closure refused until it is answered), the scheduler's plan around the booked time,
the work and closures, an emergency whose SLA breach is priced under the contract, and the alert
job; a unit goes to the workshop with a loaner left, a technician calls in sick on the third day,
weekends plan nothing. A care plan, a quote in two versions, the service log of Monday's repair,
the next working day planned ahead with the service-plan report, the temporary-inventory report
and the verification of every audit chain close the story.
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
from servicecore.demo_week import CHECKLIST, DayReport, Week, hm
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
from servicecore.reports import service_plan, temporary_inventory
from servicecore.reports.html import Chart, Section, header_for, standard_sections, write_html
from servicecore.reports.inventory import StockKind, TemporaryStockRow
from servicecore.reports.report import Report
from servicecore.reports.service_plan import PlanState, ServicePlanRow
from servicecore.services import care
from servicecore.services.context import CommandContext, DeskSettings, command
from servicecore.services.desk import ServiceDesk
from servicecore.services.notifications import NotifyingPublisher
from servicecore.services.service_log import LogEntry
from servicecore.services.tokens import QR_SCHEME, TokenSigner

__all__ = ["DemoSummary", "run_demo"]

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 3, 9)
TENANT = "pt-sejuk-abadi"
CUSTOMER = CustomerId("C-TOKO-MAJU")
RELAY = PartCode("RELAY-7")
NAMES = {
    "T-BUDI": "Budi",
    "T-WAYAN": "Wayan",
    "T-DEWI": "Dewi",
    "u-budi": "Budi",
    "u-wayan": "Wayan",
    "u-dewi": "Dewi",
    "cs-siti": "Siti",
    "sup-andi": "Andi",
    "erp-import": "ERP",
    "C-TOKO-MAJU": "Toko Maju",
}
SICK_DAY = 2
"""The run's day (from 0, Monday) on which Dewi calls in sick."""


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
        service_log: The steps of the service log printed (Monday's repair).
        service_plan: The service-plan rows of the week after the run.
        temporary_stock: The temporary-inventory rows at the end (loaners and field stock out).
        reports: The files written into ``out`` (the HTML page and the two reports' CSV).
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
    service_log: int = 0
    service_plan: int = 0
    temporary_stock: int = 0
    reports: tuple[Path, ...] = ()


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
            closures, the alert job; Mondays and Thursdays an emergency breaches its SLA; on
            the third day Dewi is off sick; weekends plan nothing.
        out: A folder to write the managers' HTML report into (``servicecore-report.html``),
            with the service plan and the temporary inventory as CSV (``service-plan.csv``,
            ``temporary-inventory.csv``); ``None`` writes none. Charts need the ``plot`` extra.

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
            closure_policy=ClosurePolicy(
                min_photos_before=3, min_photos_after=3, require_checklist=True
            ),
            currency="IDR",
            checklists={ServiceType.MAINTENANCE: CHECKLIST},
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

    total = 12 + days + (1 if out is not None else 0)
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

    goto(8, 55)
    step(
        "08:55 Andi sends Budi; Wayan cannot accept his order; Budi rejects (no gauge); Wayan goes"
    )
    first = desk.dispatch.assign(andi, request.id, "T-BUDI", slot)
    refused(
        PermissionDenied,
        "Wayan may not accept a dispatch order assigned to Budi",
        lambda: desk.dispatch.accept_dispatch(wayan, first.id),
    )
    goto(9)
    desk.dispatch.reject_dispatch(budi, first.id, "no refrigerant gauge with me today")
    goto(9, 5)
    second = desk.dispatch.assign(
        andi, request.id, "T-WAYAN", TimeRange(_at(MONDAY, 9, 30), _at(MONDAY, 11, 30))
    )
    desk.dispatch.accept_dispatch(wayan, second.id)

    goto(9, 40)
    step("09:40 Wayan starts: the relay is requisitioned and issued, 3 photos before the work")
    work = desk.dispatch.start_dispatch(wayan, second.id)
    goto(9, 45)
    regraded = desk.requests.regrade_request(
        andi,
        request.id,
        reason="first look: the cold room's stock is warming",
        priority=Priority.EMERGENCY,
    )
    assert regraded.resolution_due is not None  # the contract has a term for emergencies
    say(
        f"    09:45 stock warming: Andi re-grades it urgent -> emergency, "
        f"resolution due {regraded.resolution_due.astimezone(JAKARTA):%a %H:%M} "
        f"(was {request.resolution_due.astimezone(JAKARTA):%a %H:%M})"
    )
    goto(9, 50)
    _requisition(desk, wayan, request.id, lambda line: say(f"    {line}"))
    for i in range(3):
        desk.work.add_evidence(
            wayan,
            request.id,
            EvidenceKind.PHOTO_BEFORE,
            f"before-{i}.jpg",
            f"before photo {i} of A-77".encode(),
        )
    goto(11)
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
        report_of_day = week.run_day(day, first=n == 0, sick="T-DEWI" if n == SICK_DAY else None)
        reports.append(report_of_day)
        if report_of_day.checklist_refusal is not None:
            refusals.append(f"ClosurePolicyError: {report_of_day.checklist_refusal.error}")
        for line in _day_lines(report_of_day):
            say(f"    {line}")

    responses = _care(desk, andi, siti, clock, step)

    quote = _quote(desk, siti)
    step(
        f"quote {quote.id} v{quote.quote_version} accepted: {quote.total_price()}, "
        f"estimated profit {quote.estimated_profit()}"
    )

    log = desk.requests.service_log(andi, request.id)
    step(f"service log of Monday's repair at Toko Maju ({request.id[:22]}...): {len(log)} steps")
    for line in _log_lines(log):
        say(f"    {line}")

    ahead = MONDAY + timedelta(days=days)
    while ahead.weekday() >= 5:
        ahead += timedelta(days=1)
    planned_ahead = week.plan_ahead(ahead)
    backend = reporting_for(storage)
    plan_report = service_plan(backend, TENANT, _at(ahead, 0), _at(ahead + timedelta(days=7), 0))
    left = sorted({u.reason.value for u in planned_ahead.result.unassigned})
    step(
        f"Andi plans {ahead:%a %d %b} ahead ({len(planned_ahead.orders)} visits, "
        f"{len(planned_ahead.result.unassigned)} unassigned"
        + (f": {', '.join(left)}" if left else "")
        + "); the week's service plan:"
    )
    for line in _plan_lines(plan_report):
        say(f"    {line}")
    stock = temporary_inventory(backend, TENANT, clock.now())
    step(f"temporary inventory at {clock.now().astimezone(JAKARTA):%a %d %b %H:%M}:")
    for line in _stock_lines(stock):
        say(f"    {line}")

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
    written: tuple[Path, ...] = ()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        report = out / "servicecore-report.html"
        plan_csv = out / "service-plan.csv"
        stock_csv = out / "temporary-inventory.csv"
        written = (report, plan_csv, stock_csv)
        step(f"reports for managers written to {out}: {', '.join(p.name for p in written)}")
        plan_report.to_csv(plan_csv)
        stock.to_csv(stock_csv)
        start = _at(MONDAY, 0)
        end = _at(MONDAY + timedelta(days=days), 0)
        sections = standard_sections(backend, TENANT, clock.now(), start=start, end=end)
        sections += [
            Section(
                plan_report,
                (Chart("technician_id", "visits", "Visits planned by technician"),),
                f"The service work of the week from {ahead:%a %d %b}: visits planned (live "
                "dispatch orders) and visits still to plan (open requests whose window opens).",
            ),
            Section(
                stock,
                (),
                "What is out in the field: loaners not back and issued parts not returned.",
            ),
        ]
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
        service_log=len(log),
        service_plan=len(plan_report.rows),
        temporary_stock=len(stock.rows),
        reports=written,
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
    if day.sick is not None:
        sick, cover = NAMES[day.sick.technician_id], NAMES[day.sick.covered_by]
        lines.append(
            f"07:00 {sick} calls in sick: Andi records the sick day; "
            f"{sick}'s booked customer goes to {cover}"
        )
    if day.first_thing:
        lines.append("08:30 Andi sends Wayan to yesterday's emergency before the plan is made")
    lines += [
        f"bookings {', '.join(day.bookings)} confirmed with a technician and a time",
        f"the scheduler planned {day.planned} visits around {len(day.bookings)} booked slots "
        f"({day.driving} min of driving, {len(day.unassigned)} left unassigned"
        + (f": {', '.join(reasons)})" if reasons else ")"),
    ]
    if day.sick is not None:
        lines.append(
            f"the plan gives {NAMES[day.sick.technician_id]} {day.sick.planned} visits "
            f"(the absence leaves no shift that day)"
        )
    told: list[tuple[datetime, list[str]]] = []
    if day.loaner is not None:
        lent = day.loaner
        told.append(
            (
                lent.at,
                [
                    f"{hm(lent.at)} {lent.customer}'s compressor is seized: "
                    f"{NAMES[lent.technician_id]} takes the unit to the workshop",
                    f"    and lends {lent.item_code} {lent.serial}; the request closes when it "
                    f"is back",
                ],
            )
        )
    if day.checklist_refusal is not None:
        case = day.checklist_refusal
        who = NAMES[case.technician_id]
        told.append(
            (
                case.at,
                [
                    f"{hm(case.at)} {who} closes the maintenance visit of {case.unit} "
                    f"before its checklist",
                    f"    refused (ClosurePolicyError): checklist not answered: "
                    f"{', '.join(case.open_items)}",
                    f"    {who} answers the {len(case.open_items)} items on the completed work "
                    f"(not reopened), closes",
                ],
            )
        )
    for _, told_lines in sorted(told, key=lambda t: t[0]):
        lines += told_lines
    lines.append(f"{day.closed} requests closed with photos before and after, checklists answered")
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


def _who(actor_id: str) -> str:
    return NAMES.get(actor_id, actor_id)


def _log_lines(log: tuple[LogEntry, ...]) -> list[str]:
    """The service log told in short lines; photos taken together are one line."""
    lines: list[str] = []
    photos: list[LogEntry] = []

    def flush() -> None:
        if photos:
            first = photos[0]
            kind = str(first.details["kind"]).replace("_", " ")
            if len(photos) > 1:
                kind = kind.replace("photo", "photos", 1)
            lines.append(f"{hm(first.at)} {_who(first.actor_id):<6} evidence: {len(photos)} {kind}")
            photos.clear()

    for entry in log:
        if entry.entity_kind == "Evidence":
            if photos and photos[0].details["kind"] != entry.details["kind"]:
                flush()
            photos.append(entry)
            continue
        flush()
        lines.append(f"{hm(entry.at)} {_who(entry.actor_id):<6} {_log_text(entry)}")
    flush()
    return lines


def _log_text(entry: LogEntry) -> str:
    """What one step of the service log did, with the facts that matter for it."""
    kind = {
        "ServiceRequest": "request",
        "DispatchOrder": "dispatch",
        "ProcessingOrder": "work",
        "SurveyResult": "survey",
    }[entry.entity_kind]
    facts = entry.details
    move = f"-> {entry.to_state}" if entry.to_state != entry.from_state else ""
    text = f"{kind}: {entry.step} {move}".rstrip()
    if kind == "request" and entry.step == "create":
        grade = ", ".join(str(facts[k]) for k in ("service_type", "priority") if k in facts)
        text += f" ({grade}: {facts['symptoms']})" if grade else f" ({facts['symptoms']})"
    elif kind == "request" and entry.step == "regrade" and facts:
        changed = [_change_text(name, old, new) for name, (old, new) in facts.items()]
        text += f" ({', '.join(changed)})"
    elif kind == "dispatch" and entry.step == "create":
        text += (
            f" ({_who(str(facts['technician_id']))} "
            f"{hm(facts['planned_start'])}-{hm(facts['planned_end'])})"
        )
    elif kind == "work" and entry.step == "complete":
        parts = ", ".join(
            f"{p['part_code']} x{p['quantity']}" + (" charged" if p["charged"] else "")
            for p in facts["parts_used"]
        )
        text += f" ({facts['labour_hours']} h, {parts or 'no parts'})"
    elif kind == "survey":
        text = f"survey: {facts['score']}/5, {facts['comment']}"
    if entry.reason:
        text += f": {entry.reason}"
    return text


def _change_text(name: str, old: object, new: object) -> str:
    """One field a re-grade changed, old -> new (due times in the company's time zone)."""

    def shown(value: object) -> str:
        if isinstance(value, datetime):
            return f"{value.astimezone(JAKARTA):%a %H:%M}"
        if isinstance(value, tuple):
            return "+".join(value) or "none"
        return "none" if value is None else str(value)

    words = name.replace("_", " ")
    return f"{words} {shown(old)} -> {shown(new)}"


def _plan_lines(plan: Report[ServicePlanRow]) -> list[str]:
    """The service-plan rows, one short line each."""
    if not plan.rows:
        return ["nothing planned or to plan"]
    lines = []
    for row in plan.rows:
        kind = row.service_type.value
        if row.state is PlanState.PLANNED:
            who = NAMES.get(str(row.technician_id), str(row.technician_id))
            lines.append(
                f"{row.day:%a %d %b} planned: {who} {row.visits} {kind} ({row.planned_hours:g} h)"
            )
        else:
            lines.append(f"{row.day:%a %d %b} to plan: {row.visits} {kind}")
    return lines


def _stock_lines(stock: Report[TemporaryStockRow]) -> list[str]:
    """The temporary-inventory rows, one short line each."""
    if not stock.rows:
        return ["nothing out in the field"]
    lines = []
    for row in stock.rows:
        since = f"out since {row.out_since.astimezone(JAKARTA):%a %d %b} ({row.days_out} days)"
        if row.kind is StockKind.LOANER:
            serials = f" {', '.join(row.serials)}" if row.serials else ""
            lines.append(f"loaner {row.item_code}{serials} at the customer's, {since}")
        else:
            paid = "charged" if row.charged else "not charged"
            lines.append(f"field stock {row.item_code} x{row.quantity} ({paid}), {since}")
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
