"""Hypothesis strategies producing valid servicecore model objects, one per entity and value object.

Use them for property tests of your own adapters and converters, e.g. a storage round trip::

    from hypothesis import given
    from servicecore.testing import strategies as sst

    @given(sst.service_requests())
    def test_round_trip(request):
        assert load(save(request)) == ...

Every strategy produces objects that pass the model's validation, cross-field invariants included.
Datetimes are aware (UTC or a fixed offset), amounts have at most two decimals, and ids are short.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import strategies as st

from servicecore.model import (
    Absence,
    AbsenceKind,
    ArchivePart,
    ArchiveStatus,
    Booking,
    BookingPolicy,
    BookingStatus,
    CareEffectiveness,
    CareMethod,
    CareOutcome,
    CarePlan,
    CareStatus,
    CareTask,
    CareTaskStatus,
    Channel,
    ChecklistItem,
    ClaimLine,
    ClaimStatus,
    Closure,
    ContractExtension,
    ContractStatus,
    CustomerIdentity,
    DispatchOrder,
    DispatchStatus,
    DocumentKind,
    Evidence,
    EvidenceKind,
    GeoPoint,
    KnowledgeArticle,
    KnowledgeStatus,
    Loaner,
    MaintenancePlan,
    Money,
    MoneyLine,
    PartLine,
    PartsRequisition,
    PartUsage,
    PaymentMethod,
    PenaltyTerm,
    PlanLine,
    Priority,
    ProcessingOrder,
    ProcessingStatus,
    ProductArchive,
    Quote,
    QuoteRevision,
    QuoteStatus,
    Recurrence,
    RecurrenceKind,
    Refund,
    RequestStatus,
    RequisitionLine,
    RequisitionStatus,
    ReturnedPart,
    SeasonWindow,
    ServiceContract,
    ServiceLine,
    ServiceRequest,
    ServiceType,
    Shift,
    SlaTerm,
    SolutionType,
    SparePartPlan,
    SparePartPlanStatus,
    SupplierClaim,
    SurveyItem,
    SurveyResult,
    TechnicalDocument,
    Technician,
    TimeRange,
    TransferLine,
    TransferRequest,
    TransferStatus,
    WeeklyWindow,
    WorkingCalendar,
)

__all__ = [
    "absences",
    "archive_parts",
    "archives",
    "aware_datetimes",
    "booking_policies",
    "bookings",
    "care_effectiveness",
    "care_plans",
    "care_tasks",
    "checklist_items",
    "claim_lines",
    "closures",
    "contract_extensions",
    "contracts",
    "currencies",
    "customer_identities",
    "dates",
    "dispatch_orders",
    "evidence",
    "geo_points",
    "identifiers",
    "knowledge_articles",
    "loaners",
    "maintenance_plans",
    "money",
    "money_lines",
    "part_lines",
    "part_usages",
    "parts_requisitions",
    "penalty_terms",
    "plan_lines",
    "processing_orders",
    "quote_revisions",
    "quotes",
    "recurrences",
    "refunds",
    "requisition_lines",
    "returned_parts",
    "season_windows",
    "service_lines",
    "service_requests",
    "shifts",
    "sla_terms",
    "spare_part_plans",
    "supplier_claims",
    "survey_items",
    "survey_results",
    "technical_documents",
    "technicians",
    "texts",
    "time_ranges",
    "transfer_lines",
    "transfer_requests",
    "weekly_windows",
    "working_calendars",
]

T = TypeVar("T")

_MIN_DT = datetime(2000, 1, 1)
_MAX_DT = datetime(2090, 1, 1)
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])
_HASH_CHARS = "0123456789abcdef"


def identifiers() -> st.SearchStrategy[str]:
    """Valid ids: an alphanumeric then up to 15 of ``A-Z a-z 0-9 . _ : / @ -``."""
    return st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:/@-]{0,15}\Z")


def _ids() -> st.SearchStrategy[Any]:
    # Typed ids are NewTypes over str; Any lets one strategy feed every id field.
    return identifiers()


# NUL and lone surrogates: the model refuses them (no database stores them).
_STORABLE = st.characters(exclude_characters="\x00", codec="utf-8")


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Non-blank text of at most ``max_size`` characters (any storable Unicode, e.g. Chinese).

    NUL and lone surrogates are left out: the model refuses them (no database stores them).
    """
    return st.text(_STORABLE, min_size=1, max_size=max_size).filter(lambda s: bool(s.strip()))


def currencies() -> st.SearchStrategy[str]:
    """A few ISO 4217 currency codes."""
    return st.sampled_from(["EUR", "CNY", "IDR", "USD"])


def dates() -> st.SearchStrategy[date]:
    """Dates between 2000 and 2089."""
    return st.dates(min_value=date(2000, 1, 1), max_value=date(2089, 12, 31))


def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Aware datetimes between 2000 and 2090, in UTC or a fixed offset."""
    return st.datetimes(min_value=_MIN_DT, max_value=_MAX_DT, timezones=_ZONES)


def _durations(
    min_value: timedelta = timedelta(0), max_value: timedelta = timedelta(days=30)
) -> st.SearchStrategy[timedelta]:
    return st.timedeltas(min_value=min_value, max_value=max_value)


def _amounts(min_value: int = 0, max_value: int = 100_000) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=min_value, max_value=max_value, places=2)


def money(currency: str = "EUR", min_value: int = 0) -> st.SearchStrategy[Money]:
    """Money in ``currency`` with two decimals, from ``min_value`` up to 100 000."""
    return st.builds(Money, _amounts(min_value), st.just(currency))


def geo_points() -> st.SearchStrategy[GeoPoint]:
    """Points anywhere on Earth, with or without an address."""
    return st.builds(
        GeoPoint,
        lat=st.floats(min_value=-90, max_value=90),
        lon=st.floats(min_value=-180, max_value=180),
        address=st.text(_STORABLE, max_size=40),
    )


@st.composite
def time_ranges(draw: st.DrawFn) -> TimeRange:
    """Ranges of one minute to ten days."""
    start = draw(aware_datetimes())
    length = draw(_durations(timedelta(minutes=1), timedelta(days=10)))
    return TimeRange(start=start, end=start + length)


def _quarter_hours() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=95)


@st.composite
def _window_kwargs(draw: st.DrawFn, weekday: int | None = None) -> dict[str, object]:
    a, b = sorted(draw(st.lists(_quarter_hours(), min_size=2, max_size=2, unique=True)))
    b += 1  # b in 1..96; 96 quarter-hours is midnight at the end of the day
    start = time(a // 4, a % 4 * 15)
    end = time(0) if b == 96 else time(b // 4, b % 4 * 15)
    day = draw(st.integers(0, 6)) if weekday is None else weekday
    return {"weekday": day, "start": start, "end": end}


def weekly_windows() -> st.SearchStrategy[WeeklyWindow]:
    """One weekly window on a random weekday, on quarter hours."""
    return _window_kwargs().map(lambda kw: WeeklyWindow(**kw))  # type: ignore[arg-type]


def shifts() -> st.SearchStrategy[Shift]:
    """One weekly shift on a random weekday, on quarter hours."""
    return _window_kwargs().map(lambda kw: Shift(**kw))  # type: ignore[arg-type]


@st.composite
def _week(draw: st.DrawFn, cls: type[T]) -> tuple[T, ...]:
    # At most one window per weekday, so that none overlap.
    days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
    return tuple(cls(**draw(_window_kwargs(d))) for d in sorted(days))


@st.composite
def working_calendars(draw: st.DrawFn) -> WorkingCalendar:
    """Calendars in a few real timezones, one window on 1-7 weekdays, up to 5 holidays."""
    return WorkingCalendar(
        timezone=draw(st.sampled_from(["UTC", "Asia/Shanghai", "Asia/Jakarta", "Europe/Paris"])),
        hours=draw(_week(WeeklyWindow)),
        holidays=tuple(draw(st.lists(dates(), max_size=5, unique=True))),
    )


def archive_parts() -> st.SearchStrategy[ArchivePart]:
    """Parts-list lines, serialised (quantity 1) or not."""
    return st.one_of(
        st.builds(
            ArchivePart,
            part_code=_ids(),
            quantity=st.integers(1, 50),
            serial=st.none(),
        ),
        st.builds(ArchivePart, part_code=_ids(), quantity=st.just(1), serial=texts(20)),
    )


@st.composite
def archives(draw: st.DrawFn) -> ProductArchive:
    """Product archives in any status, warranty end not before start."""
    start = draw(dates())
    end = start + draw(_durations(max_value=timedelta(days=3650)))
    expiry = draw(st.none() | st.just(end + draw(_durations(max_value=timedelta(days=3650)))))
    archive_id = draw(_ids())
    return ProductArchive(
        id=archive_id,
        serial_number=draw(texts(30)),
        batch=draw(st.none() | texts(20)),
        product_code=draw(_ids()),
        customer_id=draw(_ids()),
        site_id=draw(st.none() | _ids()),
        parent_id=draw(st.none() | _ids().filter(lambda p: p != archive_id)),
        install_date=draw(st.none() | dates()),
        warranty_start=start,
        warranty_end=end,
        service_expiry=expiry,
        parts=tuple(
            draw(st.lists(archive_parts(), max_size=5, unique_by=lambda p: (p.part_code, p.serial)))
        ),
        status=draw(st.sampled_from(ArchiveStatus)),
        version=draw(st.integers(0, 1000)),
        audit_head=draw(st.none() | st.text(_HASH_CHARS, min_size=64, max_size=64)),
    )


@st.composite
def sla_terms(draw: st.DrawFn, priority: Priority | None = None) -> SlaTerm:
    """SLA terms with resolution not shorter than response."""
    response = draw(_durations(timedelta(minutes=1), timedelta(days=5)))
    return SlaTerm(
        priority=draw(st.sampled_from(Priority)) if priority is None else priority,
        response=response,
        resolution=response + draw(_durations(max_value=timedelta(days=20))),
    )


@st.composite
def penalty_terms(
    draw: st.DrawFn, priority: Priority | None = None, currency: str | None = None
) -> PenaltyTerm:
    """Penalty terms with a positive hourly rate and a cap at least that rate."""
    cur = draw(currencies()) if currency is None else currency
    rate = draw(money(cur).filter(lambda m: m.amount > 0))
    return PenaltyTerm(
        priority=draw(st.sampled_from(Priority)) if priority is None else priority,
        per_started_hour=rate,
        cap=rate + draw(money(cur)),
    )


@st.composite
def contract_extensions(draw: st.DrawFn) -> ContractExtension:
    """A single extension (new end after old end)."""
    old = draw(dates())
    return ContractExtension(
        old_end=old,
        new_end=old + draw(_durations(timedelta(days=1), timedelta(days=1000))),
        at=draw(aware_datetimes()),
        by=draw(_ids()),
        reason=draw(texts()),
    )


@st.composite
def season_windows(draw: st.DrawFn) -> SeasonWindow:
    """Yearly windows, some across the year end; 29 February may be a boundary."""
    start_month, end_month = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    return SeasonWindow(
        start_month=start_month,
        start_day=draw(st.integers(1, calendar.monthrange(2000, start_month)[1])),
        end_month=end_month,
        end_day=draw(st.integers(1, calendar.monthrange(2000, end_month)[1])),
    )


@st.composite
def recurrences(draw: st.DrawFn, kind: RecurrenceKind | None = None) -> Recurrence:
    """Recurrences of any kind (or ``kind``), with only that kind's field, maybe an ``until``."""
    kind = draw(st.sampled_from(RecurrenceKind)) if kind is None else kind
    start = draw(dates())
    return Recurrence(
        kind=kind,
        start=start,
        interval=draw(st.integers(1, 4)),
        until=draw(st.none() | st.integers(0, 2000).map(lambda d: start + timedelta(days=d))),
        weekday=draw(st.integers(0, 6)) if kind is RecurrenceKind.WEEKLY else None,
        day_of_month=draw(st.integers(1, 31)) if kind is RecurrenceKind.MONTHLY else None,
        season=draw(season_windows()) if kind is RecurrenceKind.SEASONAL else None,
    )


@st.composite
def maintenance_plans(draw: st.DrawFn, archive_ids: tuple[str, ...] = ()) -> MaintenancePlan:
    """Maintenance plans visiting some of ``archive_ids`` (none: every covered product)."""
    early, late = draw(st.integers(0, 30)), draw(st.integers(0, 30))
    return MaintenancePlan(
        id=draw(_ids()),
        recurrence=draw(recurrences()),
        archive_ids=tuple(draw(st.lists(st.sampled_from(archive_ids), unique=True)))
        if archive_ids
        else (),
        service_type=draw(st.sampled_from([t for t in ServiceType if t.needs_archive])),
        description=draw(texts(100)),
        early_tolerance_days=early,
        late_tolerance_days=late,
        duration_minutes=draw(st.integers(1, 8 * 60)),
        required_skills=tuple(draw(st.lists(_ids(), max_size=3, unique=True))),
        priority=draw(st.sampled_from(Priority)),
    )


@st.composite
def contracts(draw: st.DrawFn) -> ServiceContract:
    """Service contracts in any status, with chained extensions and maintenance plans.

    Extensions end on the contract end; plans name only products the contract covers.
    """
    start = draw(dates())
    end = start + draw(_durations(max_value=timedelta(days=1000)))
    extensions: list[ContractExtension] = []
    for _ in range(draw(st.integers(0, 3))):
        old, end = end, end + draw(_durations(timedelta(days=1), timedelta(days=400)))
        extensions.append(
            ContractExtension(
                old_end=old,
                new_end=end,
                at=draw(aware_datetimes()),
                by=draw(_ids()),
                reason=draw(texts()),
            )
        )
    priorities = draw(st.lists(st.sampled_from(Priority), unique=True))
    penalised = draw(st.lists(st.sampled_from(Priority), unique=True))
    cur = draw(currencies())
    archive_ids = tuple(draw(st.lists(_ids(), max_size=5, unique=True)))
    plans = draw(st.lists(maintenance_plans(archive_ids), max_size=2, unique_by=lambda p: p.id))
    return ServiceContract(
        id=draw(_ids()),
        customer_id=draw(_ids()),
        archive_ids=archive_ids,
        start=start,
        end=end,
        calendar=draw(working_calendars()),
        sla_terms=tuple(draw(sla_terms(p)) for p in priorities),
        penalty_terms=tuple(draw(penalty_terms(p, cur)) for p in penalised),
        extensions=tuple(extensions),
        maintenance_plans=tuple(plans),
        status=draw(st.sampled_from(ContractStatus)),
        version=draw(st.integers(0, 1000)),
    )


@st.composite
def customer_identities(draw: st.DrawFn) -> CustomerIdentity:
    """Customers with a phone, an e-mail address or both."""
    phone = draw(st.none() | st.from_regex(r"\A\+?[0-9]{6,15}\Z"))
    email = draw(st.from_regex(r"\A[a-z0-9.]{1,10}@[a-z]{1,10}\.[a-z]{2,4}\Z"))
    return CustomerIdentity(
        customer_id=draw(_ids()),
        name=draw(texts()),
        phone=phone,
        email=draw(st.none() | st.just(email)) if phone else email,
    )


@st.composite
def booking_policies(draw: st.DrawFn, currency: str | None = None) -> BookingPolicy:
    """Booking policies with non-negative cut-offs and fee."""
    cur = draw(currencies()) if currency is None else currency
    return BookingPolicy(
        change_cutoff=draw(_durations(max_value=timedelta(days=3))),
        cancellation_cutoff=draw(_durations(max_value=timedelta(days=3))),
        cancellation_fee=draw(money(cur)),
        no_show_grace=draw(_durations(max_value=timedelta(hours=2))),
        max_reschedules=draw(st.integers(0, 5)),
    )


@st.composite
def bookings(draw: st.DrawFn) -> Booking:
    """Bookings in any status, with reschedules within the policy."""
    cur = draw(currencies())
    policy = draw(booking_policies(cur))
    slot = draw(time_ranges())
    cancelled = draw(st.booleans())
    reference = draw(st.none() | texts(32))
    paid = draw(st.none() | money(cur)) if reference else None
    refunds: list[Refund] = []
    if paid is not None and paid.amount > 0 and draw(st.booleans()):
        refunds.append(
            Refund(
                reference=draw(texts(32)),
                amount=Money(paid.amount, cur),
                refunded_at=draw(aware_datetimes()),
                reason=draw(texts()),
            )
        )
    return Booking(
        id=draw(_ids()),
        customer=draw(customer_identities()),
        service_type=draw(st.sampled_from(ServiceType)),
        channel=draw(st.sampled_from(Channel)),
        slot=slot,
        location=draw(geo_points()),
        booked_at=slot.start - draw(_durations()),
        reference=draw(_ids()),
        policy=policy,
        technician_id=draw(st.none() | _ids()),
        check_in_token=draw(st.none() | texts(32)),
        payment_reference=reference,
        payment_method=draw(st.none() | st.sampled_from(PaymentMethod)) if reference else None,
        paid=paid,
        refunds=tuple(refunds),
        reschedule_count=draw(st.integers(0, policy.max_reschedules)),
        cancellation_reason=draw(texts()) if cancelled else None,
        cancellation_fee=draw(money(cur)) if cancelled else None,
        status=BookingStatus.CANCELLED if cancelled else draw(st.sampled_from(BookingStatus)),
        version=draw(st.integers(0, 1000)),
    )


def refunds(currency: str = "EUR") -> st.SearchStrategy[Refund]:
    """Refunds of positive amounts in ``currency``."""
    return st.builds(
        Refund,
        reference=texts(32),
        amount=money(currency, min_value=1),
        refunded_at=aware_datetimes(),
        reason=texts(),
    )


@st.composite
def closures(draw: st.DrawFn, after: datetime | None = None) -> Closure:
    """Closures, closed at or after ``after`` when given."""
    at = draw(aware_datetimes()) if after is None else after + draw(_durations())
    return Closure(
        closed_at=at,
        closed_by=draw(_ids()),
        summary=draw(texts()),
        customer_confirmed=draw(st.booleans()),
    )


@st.composite
def _holds(draw: st.DrawFn, after: datetime) -> tuple[TimeRange, ...]:
    """Finished hold periods after ``after``, in order, within a year of it."""
    marks = sorted(draw(st.lists(st.integers(1, 365 * 24 * 60), max_size=6, unique=True)))
    if len(marks) % 2:
        marks = marks[:-1]
    return tuple(
        TimeRange(after + timedelta(minutes=a), after + timedelta(minutes=b))
        for a, b in zip(marks[::2], marks[1::2], strict=True)
    )


@st.composite
def service_requests(draw: st.DrawFn) -> ServiceRequest:
    """Service requests in any status; an archive whenever the type needs one."""
    kind = draw(st.sampled_from(ServiceType))
    reported = draw(aware_datetimes())
    response_due = draw(st.none() | st.just(reported + draw(_durations())))
    resolution_floor = reported if response_due is None else response_due
    status = draw(st.sampled_from(RequestStatus))
    return ServiceRequest(
        id=draw(_ids()),
        customer_id=draw(_ids()),
        service_type=kind,
        priority=draw(st.sampled_from(Priority)),
        symptoms=draw(texts(200)),
        reported_at=reported,
        archive_id=draw(_ids() if kind.needs_archive else st.none() | _ids()),
        contract_id=draw(st.none() | _ids()),
        fault_cause=draw(st.none() | texts()),
        required_skills=tuple(draw(st.lists(texts(20), max_size=4, unique=True))),
        location=draw(st.none() | geo_points()),
        response_due=response_due,
        resolution_due=draw(st.none() | st.just(resolution_floor + draw(_durations()))),
        responded_at=draw(st.none() | st.just(reported + draw(_durations()))),
        booking_id=draw(st.none() | _ids()),
        dispatch_ids=tuple(draw(st.lists(_ids(), max_size=3, unique=True))),
        processing_ids=tuple(draw(st.lists(_ids(), max_size=3, unique=True))),
        closure=draw(closures(reported)) if status is RequestStatus.CLOSED else None,
        survey_id=draw(st.none() | _ids()),
        knowledge_id=draw(st.none() | _ids()),
        holds=draw(_holds(reported)),
        held_since=(
            reported + timedelta(days=400) + draw(_durations())
            if status is RequestStatus.ON_HOLD
            else None
        ),
        status=status,
        version=draw(st.integers(0, 1000)),
    )


@st.composite
def dispatch_orders(draw: st.DrawFn) -> DispatchOrder:
    """Dispatch orders in any status, their step times in order."""
    planned = draw(time_ranges())
    accepted = draw(st.none() | st.just(planned.start - draw(_durations())))
    started = None
    completed = None
    if accepted is not None and draw(st.booleans()):
        started = accepted + draw(_durations())
        if draw(st.booleans()):
            completed = started + draw(_durations())
    return DispatchOrder(
        id=draw(_ids()),
        request_id=draw(_ids()),
        technician_id=draw(_ids()),
        planned=planned,
        reject_reason=draw(st.none() | texts()),
        revoke_reason=draw(st.none() | texts()),
        accepted_at=accepted,
        started_at=started,
        completed_at=completed,
        status=draw(st.sampled_from(DispatchStatus)),
        version=draw(st.integers(0, 1000)),
    )


def money_lines(currency: str = "EUR") -> st.SearchStrategy[MoneyLine]:
    """Income or cost lines in ``currency``."""
    return st.builds(
        MoneyLine,
        description=texts(),
        amount=money(currency),
        category=st.sampled_from(["labour", "travel", "parts", "general"]),
    )


def part_usages(currency: str = "EUR") -> st.SearchStrategy[PartUsage]:
    """Parts-used lines priced in ``currency``."""
    return st.builds(
        PartUsage,
        part_code=_ids(),
        quantity=st.integers(1, 20),
        unit_price=money(currency),
        serial=st.none() | texts(20),
        charged=st.booleans(),
    )


def returned_parts() -> st.SearchStrategy[ReturnedPart]:
    """Returned-part lines."""
    return st.builds(
        ReturnedPart,
        part_code=_ids(),
        quantity=st.integers(1, 20),
        condition=texts(),
        serial=st.none() | texts(20),
    )


@st.composite
def loaners(draw: st.DrawFn) -> Loaner:
    """Loaners, out or back (back not before out)."""
    out = draw(aware_datetimes())
    return Loaner(
        item_code=draw(_ids()),
        out_at=out,
        serial=draw(st.none() | texts(20)),
        back_at=draw(st.none() | st.just(out + draw(_durations()))),
    )


@st.composite
def processing_orders(draw: st.DrawFn) -> ProcessingOrder:
    """Processing orders in any status, every amount in the order's currency."""
    cur = draw(currencies())
    return ProcessingOrder(
        id=draw(_ids()),
        request_id=draw(_ids()),
        dispatch_id=draw(_ids()),
        currency=cur,
        solution_type=draw(st.none() | st.sampled_from(SolutionType)),
        solution_text=draw(st.none() | texts(200)),
        fault_cause=draw(st.none() | texts()),
        labour_hours=draw(st.decimals(min_value=0, max_value=200, places=2)),
        parts_used=tuple(draw(st.lists(part_usages(cur), max_size=4))),
        returned_parts=tuple(draw(st.lists(returned_parts(), max_size=3))),
        loaners=tuple(draw(st.lists(loaners(), max_size=2))),
        income_lines=tuple(draw(st.lists(money_lines(cur), max_size=4))),
        cost_lines=tuple(draw(st.lists(money_lines(cur), max_size=4))),
        checklist=tuple(draw(st.lists(checklist_items(), max_size=4, unique_by=lambda i: i.code))),
        in_warranty=draw(st.none() | st.booleans()),
        status=draw(st.sampled_from(ProcessingStatus)),
        version=draw(st.integers(0, 1000)),
    )


@st.composite
def service_lines(draw: st.DrawFn, currency: str = "EUR") -> ServiceLine:
    """Priced service lines in ``currency``."""
    return ServiceLine(
        description=draw(texts()),
        quantity=draw(st.decimals(min_value=Decimal("0.25"), max_value=100, places=2)),
        unit_price=draw(money(currency)),
        unit_cost=draw(money(currency)),
    )


def checklist_items() -> st.SearchStrategy[ChecklistItem]:
    """Checklist items, done or not, with or without an answer."""
    return st.builds(
        ChecklistItem,
        code=_ids(),
        question=texts(100),
        answer=st.text(_STORABLE, max_size=50),
        done=st.booleans(),
    )


@st.composite
def part_lines(draw: st.DrawFn, currency: str = "EUR") -> PartLine:
    """Priced part lines in ``currency``."""
    return PartLine(
        part_code=draw(_ids()),
        description=draw(texts()),
        quantity=draw(st.decimals(min_value=1, max_value=100, places=0)),
        unit_price=draw(money(currency)),
        unit_cost=draw(money(currency)),
    )


@st.composite
def quote_revisions(
    draw: st.DrawFn, currency: str = "EUR", quote_version: int | None = None
) -> QuoteRevision:
    """Revisions with lines in ``currency``."""
    return QuoteRevision(
        quote_version=draw(st.integers(1, 50)) if quote_version is None else quote_version,
        service_lines=tuple(draw(st.lists(service_lines(currency), max_size=3))),
        part_lines=tuple(draw(st.lists(part_lines(currency), max_size=3))),
        valid_until=draw(aware_datetimes()),
        changed_at=draw(aware_datetimes()),
        changed_by=draw(_ids()),
        reason=draw(texts()),
    )


@st.composite
def quotes(draw: st.DrawFn) -> Quote:
    """Quotes in any status, with revisions numbered 1 .. quote_version - 1."""
    cur = draw(currencies())
    current = draw(st.integers(1, 4))
    return Quote(
        id=draw(_ids()),
        customer_id=draw(_ids()),
        currency=cur,
        valid_until=draw(aware_datetimes()),
        request_id=draw(st.none() | _ids()),
        quote_version=current,
        service_lines=tuple(draw(st.lists(service_lines(cur), max_size=4))),
        part_lines=tuple(draw(st.lists(part_lines(cur), max_size=4))),
        revisions=tuple(draw(quote_revisions(cur, n)) for n in range(1, current)),
        status=draw(st.sampled_from(QuoteStatus)),
        version=draw(st.integers(0, 1000)),
    )


def care_effectiveness(currency: str = "EUR") -> st.SearchStrategy[CareEffectiveness]:
    """Effectiveness evaluations with the sales uplift in ``currency``."""
    pct = st.decimals(min_value=-100, max_value=1000, places=1)
    return st.builds(
        CareEffectiveness,
        responses=st.integers(0, 10_000),
        leads=st.integers(0, 10_000),
        opportunities=st.integers(0, 10_000),
        expected_sales_uplift=money(currency),
        satisfaction_uplift_pct=pct,
        loyalty_uplift_pct=pct,
    )


@st.composite
def care_tasks(draw: st.DrawFn, assignees: tuple[str, ...] = ("sales-1",)) -> CareTask:
    """Care tasks (phone, visit, other), open or done, assigned to one of ``assignees``."""
    done = draw(st.booleans())
    return CareTask(
        id=draw(_ids()),
        customer_id=draw(_ids()),
        method=draw(st.sampled_from([CareMethod.PHONE, CareMethod.VISIT, CareMethod.OTHER])),
        due=draw(aware_datetimes()),
        assignee=draw(st.sampled_from(assignees)),
        status=CareTaskStatus.DONE if done else CareTaskStatus.OPEN,
        outcome=draw(st.sampled_from(CareOutcome)) if done else None,
        done_at=draw(aware_datetimes()) if done else None,
        note=draw(st.just("") | texts(100)),
    )


@st.composite
def care_plans(draw: st.DrawFn) -> CarePlan:
    """Care plans in any status, every amount in the plan's currency, tasks for participants."""
    cur = draw(currencies())
    participants = tuple(draw(st.lists(_ids(), max_size=4, unique=True)))
    tasks = (
        draw(st.lists(care_tasks(participants), max_size=3, unique_by=lambda t: t.id))
        if participants
        else []
    )
    return CarePlan(
        id=draw(_ids()),
        customer_category=draw(texts(30)),
        method=draw(st.sampled_from(CareMethod)),
        content=draw(texts(200)),
        schedule=draw(time_ranges()),
        currency=cur,
        participants=participants,
        cost_lines=tuple(draw(st.lists(money_lines(cur), max_size=3))),
        effectiveness=draw(st.none() | care_effectiveness(cur)),
        tasks=tuple(tasks),
        status=draw(st.sampled_from(CareStatus)),
        version=draw(st.integers(0, 1000)),
    )


@st.composite
def technicians(draw: st.DrawFn) -> Technician:
    """Technicians with at most one shift per weekday."""
    return Technician(
        id=draw(_ids()),
        name=draw(texts()),
        home=draw(geo_points()),
        timezone=draw(st.sampled_from(["UTC", "Asia/Jakarta", "Europe/Berlin"])),
        skills=tuple(draw(st.lists(texts(20), max_size=5, unique=True))),
        shifts=draw(_week(Shift)),
        territories=tuple(draw(st.lists(texts(20), max_size=3, unique=True))),
        account_customers=tuple(draw(st.lists(_ids(), max_size=3, unique=True))),
        active=draw(st.booleans()),
        absences=tuple(draw(st.lists(absences(), max_size=3, unique_by=lambda a: a.id))),
        version=draw(st.integers(0, 1000)),
    )


def absences() -> st.SearchStrategy[Absence]:
    """Technician absences of every kind."""
    return st.builds(
        Absence,
        id=_ids(),
        kind=st.sampled_from(AbsenceKind),
        period=time_ranges(),
        note=st.text(_STORABLE, max_size=50),
    )


def knowledge_articles() -> st.SearchStrategy[KnowledgeArticle]:
    """Knowledge articles, with or without a product and source request."""
    return st.builds(
        KnowledgeArticle,
        id=_ids(),
        symptom=texts(200),
        cause=texts(200),
        solution=texts(400),
        created_at=aware_datetimes(),
        product_code=st.none() | _ids(),
        source_request_id=st.none() | _ids(),
        tags=st.lists(texts(20), max_size=5, unique=True).map(tuple),
        status=st.sampled_from(KnowledgeStatus),
        version=st.integers(0, 1000),
        audit_head=st.none() | st.text(_HASH_CHARS, min_size=64, max_size=64),
    )


def evidence() -> st.SearchStrategy[Evidence]:
    """Evidence records of every kind."""
    return st.builds(
        Evidence,
        id=_ids(),
        request_id=_ids(),
        kind=st.sampled_from(EvidenceKind),
        content_hash=st.text(_HASH_CHARS, min_size=64, max_size=64),
        uri=texts(100),
        taken_at=aware_datetimes(),
        taken_by=_ids(),
        version=st.integers(0, 1000),
    )


@st.composite
def plan_lines(draw: st.DrawFn, period: tuple[date, date] | None = None) -> PlanLine:
    """Spare-part plan lines, needed within ``period`` when given."""
    if period is None:
        needed = draw(dates())
    else:
        needed = draw(st.dates(min_value=period[0], max_value=period[1]))
    return PlanLine(
        part_code=draw(_ids()),
        quantity=draw(st.integers(1, 100)),
        warehouse_id=draw(_ids()),
        needed_by=needed,
    )


@st.composite
def spare_part_plans(draw: st.DrawFn) -> SparePartPlan:
    """Spare-part plans in any status, every line needed within the period."""
    start = draw(dates())
    end = start + draw(_durations(max_value=timedelta(days=365)))
    return SparePartPlan(
        id=draw(_ids()),
        period_start=start,
        period_end=end,
        lines=tuple(draw(st.lists(plan_lines((start, end)), min_size=1, max_size=5))),
        archive_ids=tuple(draw(st.lists(_ids(), max_size=3, unique=True))),
        status=draw(st.sampled_from(SparePartPlanStatus)),
        version=draw(st.integers(0, 1000)),
    )


def transfer_lines() -> st.SearchStrategy[TransferLine]:
    """Transfer lines."""
    return st.builds(TransferLine, part_code=_ids(), quantity=st.integers(1, 100))


@st.composite
def transfer_requests(draw: st.DrawFn) -> TransferRequest:
    """Transfer requests between two different warehouses, each part once."""
    source, target = draw(st.lists(_ids(), min_size=2, max_size=2, unique=True))
    lines = draw(
        st.lists(transfer_lines(), min_size=1, max_size=5, unique_by=lambda x: x.part_code)
    )
    return TransferRequest(
        id=draw(_ids()),
        from_warehouse=source,
        to_warehouse=target,
        lines=tuple(lines),
        requested_at=draw(aware_datetimes()),
        plan_id=draw(st.none() | _ids()),
        status=draw(st.sampled_from(TransferStatus)),
        version=draw(st.integers(0, 1000)),
    )


def requisition_lines() -> st.SearchStrategy[RequisitionLine]:
    """Requisition lines, charged or not."""
    return st.builds(
        RequisitionLine,
        part_code=_ids(),
        quantity=st.integers(1, 100),
        charged=st.booleans(),
    )


def parts_requisitions() -> st.SearchStrategy[PartsRequisition]:
    """Parts requisitions in any status."""
    return st.builds(
        PartsRequisition,
        id=_ids(),
        request_id=_ids(),
        lines=st.lists(requisition_lines(), min_size=1, max_size=5).map(tuple),
        requested_at=aware_datetimes(),
        warehouse_id=st.none() | _ids(),
        status=st.sampled_from(RequisitionStatus),
        version=st.integers(0, 1000),
    )


def claim_lines() -> st.SearchStrategy[ClaimLine]:
    """Claimed returned parts."""
    return st.builds(
        ClaimLine,
        part_code=_ids(),
        quantity=st.integers(1, 50),
        condition=texts(60),
        serial=st.none() | texts(20),
        processing_id=_ids(),
        request_id=_ids(),
    )


@st.composite
def supplier_claims(draw: st.DrawFn) -> SupplierClaim:
    """Supplier claims in any status, each returned part once."""
    return SupplierClaim(
        id=draw(_ids()),
        supplier_id=draw(_ids()),
        lines=tuple(
            draw(st.lists(claim_lines(), min_size=1, max_size=4, unique_by=lambda x: x.key))
        ),
        created_at=draw(aware_datetimes()),
        reference=draw(st.none() | texts(20)),
        answer=draw(st.none() | texts(60)),
        credit=draw(st.none() | money()),
        status=draw(st.sampled_from(ClaimStatus)),
        version=draw(st.integers(0, 1000)),
        audit_head=draw(st.none() | st.text(_HASH_CHARS, min_size=64, max_size=64)),
    )


@st.composite
def technical_documents(draw: st.DrawFn) -> TechnicalDocument:
    """Technical documents of a product code, a unit or both, linked or uploaded."""
    product = draw(st.none() | _ids())
    return TechnicalDocument(
        id=draw(_ids()),
        title=draw(texts(60)),
        kind=draw(st.sampled_from(DocumentKind)),
        uri=draw(texts(80)),
        content_hash=draw(st.none() | st.text(_HASH_CHARS, min_size=64, max_size=64)),
        product_code=product,
        archive_id=draw(_ids() if product is None else st.none() | _ids()),
        added_at=draw(aware_datetimes()),
        added_by=draw(_ids()),
        withdrawn=draw(st.booleans()),
        version=draw(st.integers(0, 1000)),
    )


def survey_results() -> st.SearchStrategy[SurveyResult]:
    """Survey results with every score."""
    return st.builds(
        SurveyResult,
        id=_ids(),
        request_id=_ids(),
        score=st.integers(1, 5),
        answered_at=aware_datetimes(),
        sla_met=st.booleans(),
        technician_id=st.none() | _ids(),
        comment=st.text(_STORABLE, max_size=100),
        items=st.lists(survey_items(), max_size=4, unique_by=lambda i: i.element).map(tuple),
        version=st.integers(0, 1000),
    )


def survey_items() -> st.SearchStrategy[SurveyItem]:
    """Survey follow-up elements, scored, answered or both."""
    scored = st.builds(SurveyItem, element=_ids(), score=st.integers(1, 5))
    answered = st.builds(
        SurveyItem,
        element=_ids(),
        score=st.none() | st.integers(1, 5),
        answer=texts(100),
    )
    return scored | answered
