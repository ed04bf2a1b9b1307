"""The demo's days of operation: bookings, the day's plan, the work, breaches and alerts.

Each working day the call centre books customers with a technician, preventive-maintenance visits
fall due, the scheduler plans the day around the booked time, technicians do the visits (answering
each maintenance visit's inspection checklist) and close the requests, an emergency now and then
breaches its SLA and is priced under the contract, and the alert job runs at the end of the day.
On the first day one closure is refused for an unanswered checklist, then made, and one unit goes
to the workshop with a loaner left at the shop; on a sick day the absent technician's customer is
booked with another and the plan leaves them out. On a weekend nobody works and the scheduler
plans nothing. After the last day the next working day is planned ahead.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from servicecore.basics import FixedClock
from servicecore.errors import ClosurePolicyError
from servicecore.model.actor import SYSTEM, Actor
from servicecore.model.booking import Booking, BookingPolicy, CustomerIdentity
from servicecore.model.common import ContractId, CustomerId, GeoPoint, Money, TimeRange
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.enums import Channel, EvidenceKind, Priority, ServiceType, SolutionType
from servicecore.model.processing import ChecklistItem, Loaner, ProcessingOrder
from servicecore.model.request import ServiceRequest
from servicecore.model.technician import AbsenceKind
from servicecore.ports import NotificationChannel
from servicecore.scheduling import Result
from servicecore.services.desk import ServiceDesk
from servicecore.services.planning import DayPlan
from servicecore.services.tokens import QR_SCHEME

__all__ = ["CHECKLIST", "ChecklistRefusal", "DayReport", "LoanerOut", "SickDay", "Week"]

JAKARTA = ZoneInfo("Asia/Jakarta")
CONTRACT = ContractId("K-2026-01")
# Booked slots per working day: (technician, start hour); on the first day the morning is the
# story's, so only the afternoon is booked.
_BOOKED = (("T-BUDI", 9), ("T-WAYAN", 13), ("T-DEWI", 10))
_FIRST_DAY_BOOKED = (("T-DEWI", 13), ("T-BUDI", 14))
_VISITS_PER_DAY = 4
_WORK = timedelta(minutes=90)
# On a sick day the absent technician's booked customer is booked with a colleague instead.
_COVER = {"T-DEWI": "T-WAYAN", "T-WAYAN": "T-BUDI", "T-BUDI": "T-DEWI"}
# The visits opened ahead for the two working days after the run: the first is planned ahead.
_AHEAD = (4, 3)

CHECKLIST = (
    ChecklistItem(code="pressure", question="Refrigerant pressure within range?"),
    ChecklistItem(code="coils", question="Coils cleaned?"),
    ChecklistItem(code="drain", question="Condensate drain clear?"),
)
"""The inspection checklist of every preventive-maintenance visit."""
_ANSWERS = {
    "pressure": "68 psi suction side, in range",
    "coils": "cleaned, fins straightened",
    "drain": "flushed, flowing freely",
}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), JAKARTA)


def hm(moment: datetime) -> str:
    """Return ``moment`` as ``HH:MM`` in the company's time zone (Jakarta)."""
    return f"{moment.astimezone(JAKARTA):%H:%M}"


@attrs.frozen
class ChecklistRefusal:
    """A closure refused for an unanswered checklist, then made once it was answered.

    Attributes:
        at: When the closure was refused.
        technician_id: Who tried to close.
        unit: The product archive visited.
        open_items: The checklist items left unanswered.
        error: The refusal's message.
    """

    at: datetime
    technician_id: str
    unit: str
    open_items: tuple[str, ...]
    error: str


@attrs.frozen
class LoanerOut:
    """A unit taken to the workshop with a loaner left at the customer's.

    Attributes:
        at: When the loaner was handed out.
        technician_id: Who took the unit.
        customer: The customer's name.
        item_code: The loaner's item code.
        serial: The loaner's serial number.
    """

    at: datetime
    technician_id: str
    customer: str
    item_code: str
    serial: str


@attrs.frozen
class SickDay:
    """A technician off sick for the day.

    Attributes:
        technician_id: Who is away.
        covered_by: Who took their booked customer.
        planned: Visits the scheduler gave the absent technician (none, if it respects absences).
    """

    technician_id: str
    covered_by: str
    planned: int


@attrs.frozen
class DayReport:
    """What one day of operation did.

    Attributes:
        day: The day.
        bookings: Bookings made for the day (each by its reference).
        planned: Visits the scheduler dispatched.
        first_thing: Breached emergencies of the day before, sent out first thing.
        unassigned: Jobs the scheduler left unassigned, with the reason.
        driving: Minutes of driving in the plan.
        closed: Requests closed that day.
        penalty: What the day's SLA breaches cost under the contract.
        alerts: Alerts the end-of-day alert job raised.
        plan: The scheduler's plan of the day (minutes from the day's midnight in Jakarta).
        checklist_refusal: The closure refused for an unanswered checklist, if any.
        loaner: The unit taken to the workshop with a loaner left, if any.
        sick: The technician off sick, if any.
    """

    day: date
    bookings: tuple[str, ...]
    planned: int
    first_thing: int
    unassigned: tuple[tuple[str, str], ...]
    driving: int
    closed: int
    penalty: Money | None
    alerts: int
    plan: Result | None = None
    checklist_refusal: ChecklistRefusal | None = None
    loaner: LoanerOut | None = None
    sick: SickDay | None = None


@attrs.define
class Week:
    """Runs the demo's days on one desk; the actors are the desk's people.

    Attributes:
        desk: The desk.
        clock: The desk's clock, moved through each day.
        agent: Who books and opens requests (customer service).
        supervisor: Who plans the day.
        technicians: The technicians' actors by technician id.
        policy: The booking policy every booking is made under.
        seed: Varies where the visits are and the scheduler's search.
    """

    desk: ServiceDesk
    clock: FixedClock
    agent: Actor
    supervisor: Actor
    technicians: Mapping[str, Actor]
    policy: BookingPolicy
    seed: int
    _rng: random.Random = attrs.field(init=False)
    _pending: list[str] = attrs.field(init=False, factory=list)
    _overdue: list[str] = attrs.field(init=False, factory=list)
    _refusal: list[ChecklistRefusal] = attrs.field(init=False, factory=list)
    _loaner: list[LoanerOut] = attrs.field(init=False, factory=list)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _goto(self, moment: datetime) -> None:
        if moment > self.clock.now():
            self.clock.advance(moment - self.clock.now())

    def _place(self) -> GeoPoint:
        rng = self._rng
        return GeoPoint(lat=-6.2 + rng.uniform(-0.08, 0.08), lon=106.82 + rng.uniform(-0.1, 0.1))

    def run_day(self, day: date, first: bool, sick: str | None = None) -> DayReport:
        """Run ``day``: book, plan, work, price breaches, raise alerts.

        Args:
            day: The day to run (the clock moves forward to it).
            first: Whether this is the story's day (its morning is already taken): its first
                maintenance visit is closed before its checklist is answered (refused), and its
                first booked unit goes to the workshop with a loaner left.
            sick: A technician who calls in sick at 07:00 (away the whole day): their booked
                customer is booked with a colleague and the plan leaves them out.

        Returns:
            What the day did.
        """
        if day.weekday() >= 5:
            return self._weekend(day)
        self._refusal.clear()
        self._loaner.clear()
        if sick is not None:
            self._goto(_at(day, 7))
            self.desk.technicians.record_absence(
                self.supervisor,
                sick,
                kind=AbsenceKind.SICK,
                period=TimeRange(_at(day, 0), _at(day + timedelta(days=1), 0)),
                note="called in sick",
            )
        self._goto(_at(day, 7, 30))
        slots = [(_COVER[tid] if tid == sick else tid, hour) for tid, hour in self._slots(first)]
        bookings = [self._book(day, tid, hour) for tid, hour in slots]
        for n in range(_VISITS_PER_DAY):
            self._due_visit(day, n)
        first_thing = [self._send_first_thing(day, request_id) for request_id in self._overdue]
        self._overdue.clear()
        self._goto(max(self.clock.now(), _at(day, 7, 45)))
        plan = self.desk.dispatch.plan_day(
            self.supervisor, day, "Asia/Jakarta", time_limit=1, seed=self.seed
        )
        for order in plan.orders:
            self.desk.dispatch.accept_dispatch(self.technicians[order.technician_id], order.id)
        steps: list[tuple[datetime, int, Callable[[], bool]]] = []
        for order in (*first_thing, *plan.orders):
            steps.extend(self._visit(order, check_first=first))
        for n, (booking_id, tid) in enumerate(bookings):
            steps.extend(self._booked_visit(day, booking_id, tid, loaner=first and n == 0))
        emergencies: list[ServiceRequest] = []
        if day.weekday() in (0, 3):

            def emergency() -> bool:
                emergencies.append(self._emergency())
                return False

            steps.append((max(_at(day, 11), self.clock.now()), 0, emergency))
        closed = 0
        for moment, _, action in sorted(steps, key=lambda s: (s[0], s[1])):
            self._goto(moment)
            closed += action()
        self._goto(_at(day, 17, 30))
        penalty = None
        for opened in emergencies:
            outcome = self.desk.requests.sla_report(self.agent, opened.id)
            penalty = None if outcome is None else outcome.penalty
            self._overdue.append(opened.id)
        run = self.desk.jobs.run_alerts(
            SYSTEM, [(NotificationChannel.EMAIL, "service-desk@sejuk-abadi.id")]
        )
        references = tuple(self._reference(booking_id) for booking_id, _ in bookings)
        return DayReport(
            day=day,
            bookings=references,
            planned=len(plan.orders),
            first_thing=len(first_thing),
            unassigned=tuple((u.job_id, u.reason.value) for u in plan.result.unassigned),
            driving=sum(route.travel_minutes for route in plan.result.routes),
            closed=closed,
            penalty=penalty,
            alerts=len(run.raised),
            plan=plan.result,
            checklist_refusal=self._refusal[0] if self._refusal else None,
            loaner=self._loaner[0] if self._loaner else None,
            sick=None
            if sick is None
            else SickDay(
                technician_id=sick,
                covered_by=_COVER[sick],
                planned=sum(
                    len(route.visits) for route in plan.result.routes if route.technician_id == sick
                ),
            ),
        )

    def plan_ahead(self, day: date) -> DayPlan:
        """Open the maintenance visits due on ``day`` and the working day after, and plan ``day``.

        Each visit is opened with its window (the day it is due); the supervisor plans ``day``
        the evening before, so its visits are dispatched and the next day's wait to be planned.

        Returns:
            The plan of ``day``: the scheduler's result and the dispatch orders made.
        """
        after = day + timedelta(days=1)
        while after.weekday() >= 5:
            after += timedelta(days=1)
        for due, count in zip((day, after), _AHEAD, strict=True):
            for n in range(count):
                self._due_visit(due, n, window=TimeRange(_at(due, 8), _at(due, 17)))
        return self.desk.dispatch.plan_day(
            self.supervisor, day, "Asia/Jakarta", time_limit=1, seed=self.seed
        )

    def _slots(self, first: bool) -> tuple[tuple[str, int], ...]:
        return _FIRST_DAY_BOOKED if first else _BOOKED

    def _weekend(self, day: date) -> DayReport:
        self._goto(_at(day, 8))
        plan = self.desk.dispatch.plan_day(
            self.supervisor, day, "Asia/Jakarta", time_limit=1, seed=self.seed
        )
        return DayReport(
            day=day,
            bookings=(),
            planned=len(plan.orders),
            first_thing=0,
            unassigned=tuple((u.job_id, u.reason.value) for u in plan.result.unassigned),
            driving=0,
            closed=0,
            penalty=None,
            alerts=0,
            plan=plan.result,
        )

    def _reference(self, booking_id: str) -> str:
        with self.desk.storage.unit_of_work(self.desk.tenant) as uow:
            return uow.bookings.get(booking_id).reference

    def _book(self, day: date, technician_id: str, hour: int) -> tuple[str, str]:
        number = len(self._pending) + 1
        self._pending.append(technician_id)
        customer = f"C-SHOP-{number:03d}"
        self.desk.installed_base.register_archive(
            self.supervisor,
            archive_id=f"A-SHOP-{number:03d}",
            serial_number=f"SN-SHOP-{number:03d}",
            product_code="AC-9000",
            customer_id=customer,
            warranty_start=date(2025, 1, 1),
            warranty_end=date(2027, 1, 1),
        )
        booking = self.desk.bookings.book(
            self.agent,
            customer=CustomerIdentity(
                customer_id=CustomerId(customer),
                name=f"Shop {number}",
                phone=f"+62 21 555 {number:04d}",
            ),
            service_type=ServiceType.REPAIR,
            channel=Channel.CALL_CENTRE,
            slot=TimeRange(_at(day, hour), _at(day, hour + 2)),
            location=self._place(),
            booking_policy=self.policy,
            technician_id=technician_id,
        )
        self.desk.bookings.confirm_booking(self.agent, booking.id)
        return booking.id, technician_id

    def _due_visit(self, day: date, n: int, window: TimeRange | None = None) -> None:
        unit = f"A-PM-{day:%m%d}-{n}"
        self.desk.installed_base.register_archive(
            self.supervisor,
            archive_id=unit,
            serial_number=f"SN-{unit}",
            product_code="AC-9000",
            customer_id=f"C-{unit}",
            warranty_start=date(2025, 1, 1),
            warranty_end=date(2027, 1, 1),
        )
        self.desk.requests.open_request(
            self.agent,
            customer_id=f"C-{unit}",
            service_type=ServiceType.MAINTENANCE,
            archive_id=unit,
            location=self._place(),
            required_skills=("hvac",),
            symptoms="Quarterly coil cleaning and refrigerant check",
            window=window,
        )

    def _emergency(self) -> ServiceRequest:
        """An emergency on a full day: nobody is free, so its SLA is breached."""
        return self.desk.requests.open_request(
            self.agent,
            customer_id="C-TOKO-MAJU",
            service_type=ServiceType.REPAIR,
            archive_id="A-77",
            contract_id=CONTRACT,
            priority=Priority.EMERGENCY,
            location=GeoPoint(lat=-6.2, lon=106.82, address="Jl. Sudirman 1, Jakarta"),
            required_skills=("hvac",),
            symptoms="Freezer room alarm: 12 degrees and rising",
        )

    def _send_first_thing(self, day: date, request_id: str) -> DispatchOrder:
        """Yesterday's breached emergency: the supervisor sends Wayan before his booked slot."""
        order = self.desk.dispatch.assign(
            self.supervisor, request_id, "T-WAYAN", TimeRange(_at(day, 8, 30), _at(day, 10))
        )
        return self.desk.dispatch.accept_dispatch(self.technicians["T-WAYAN"], order.id)

    def _visit(
        self, order: DispatchOrder, check_first: bool
    ) -> list[tuple[datetime, int, Callable[[], bool]]]:
        tech = self.technicians[order.technician_id]
        holder: dict[str, ProcessingOrder] = {}

        def start() -> bool:
            holder["work"] = self.desk.dispatch.start_dispatch(tech, order.id)
            return False

        def finish() -> bool:
            work = holder["work"]
            if check_first and work.checklist and not self._refusal:
                self._close_before_checklist(tech, order, work)
            else:
                self._finish(tech, order, work)
            return True

        return [(order.planned.start, 0, start), (order.planned.end, 1, finish)]

    def _booked_visit(
        self, day: date, booking_id: str, technician_id: str, loaner: bool
    ) -> list[tuple[datetime, int, Callable[[], bool]]]:
        tech = self.technicians[technician_id]
        with self.desk.storage.unit_of_work(self.desk.tenant) as uow:
            booking = uow.bookings.get(booking_id)
        number = booking.customer.customer_id.rsplit("-", 1)[1]
        holder: dict[str, object] = {}

        def arrive() -> bool:
            current = self._fresh_booking(booking_id)
            self.desk.bookings.check_in(self.agent, QR_SCHEME + (current.check_in_token or ""))
            request = self.desk.requests.open_request(
                self.agent,
                from_booking=booking_id,
                archive_id=f"A-SHOP-{number}",
                required_skills=("hvac",),
                symptoms="Unit trips its breaker after a few minutes",
            )
            order = self.desk.dispatch.assign(
                self.supervisor, request.id, technician_id, booking.slot
            )
            self.desk.dispatch.accept_dispatch(tech, order.id)
            holder["order"] = order
            holder["work"] = self.desk.dispatch.start_dispatch(tech, order.id)
            return False

        def finish() -> bool:
            order = holder["order"]
            work = holder["work"]
            assert isinstance(order, DispatchOrder)
            assert isinstance(work, ProcessingOrder)
            if loaner:
                self._to_workshop(tech, order, work, booking.customer.name)
            else:
                self._finish(tech, order, work)
            self.desk.bookings.complete_booking(self.agent, booking_id)
            return not loaner

        start = booking.slot.start
        return [(start - timedelta(minutes=5), 0, arrive), (start + _WORK, 1, finish)]

    def _fresh_booking(self, booking_id: str) -> Booking:
        with self.desk.storage.unit_of_work(self.desk.tenant) as uow:
            return uow.bookings.get(booking_id)

    def _finish(self, tech: Actor, order: DispatchOrder, work: ProcessingOrder) -> None:
        self._work(tech, order, work, answered=True)
        self.desk.work.close_request(tech, order.request_id, "done, unit running normally")

    def _close_before_checklist(
        self, tech: Actor, order: DispatchOrder, work: ProcessingOrder
    ) -> None:
        """The technician closes before the checklist: refused; answered, not reopened; closed."""
        desk = self.desk
        self._work(tech, order, work, answered=False)
        try:
            desk.work.close_request(tech, order.request_id, "done, unit running normally")
        except ClosurePolicyError as exc:
            with desk.storage.unit_of_work(desk.tenant) as uow:
                unit = str(uow.requests.get(order.request_id).archive_id)
            self._refusal.append(
                ChecklistRefusal(
                    at=self.clock.now(),
                    technician_id=order.technician_id,
                    unit=unit,
                    open_items=tuple(item.code for item in work.checklist),
                    error=str(exc),
                )
            )
        else:
            raise AssertionError("the closure policy should ask for the checklist")
        desk.work.answer_checklist(tech, work.id, _answered(work))
        desk.work.close_request(tech, order.request_id, "done, checklist answered")

    def _to_workshop(
        self, tech: Actor, order: DispatchOrder, work: ProcessingOrder, customer: str
    ) -> None:
        """The unit goes to the workshop; a portable unit is lent until it is back."""
        desk = self.desk
        lent = Loaner(item_code="PORTABLE-AC", out_at=self.clock.now(), serial="LN-0001")
        desk.work.record_processing(
            tech,
            work.id,
            {
                "solution_type": SolutionType.REPAIR_WITH_LOANER,
                "solution_text": "Compressor seized: unit to the workshop, a portable unit lent",
                "fault_cause": "Compressor seized",
                "labour_hours": Decimal("1.5"),
                "loaners": (lent,),
            },
        )
        desk.work.complete_processing(tech, work.id)
        desk.dispatch.complete_dispatch(tech, order.id)
        self._loaner.append(
            LoanerOut(
                at=lent.out_at,
                technician_id=order.technician_id,
                customer=customer,
                item_code=lent.item_code,
                serial=lent.serial or "",
            )
        )

    def _work(
        self, tech: Actor, order: DispatchOrder, work: ProcessingOrder, *, answered: bool
    ) -> None:
        """Photos before, the work recorded (and the checklist, if ``answered``), photos after."""
        desk = self.desk
        for i in range(3):
            desk.work.add_evidence(
                tech,
                order.request_id,
                EvidenceKind.PHOTO_BEFORE,
                f"before-{i}.jpg",
                f"before {order.id} {i}".encode(),
            )
        changes: dict[str, object] = {
            "solution_type": SolutionType.RETURN_REPAIR,
            "solution_text": "Coils cleaned, refrigerant topped up, pressures normal",
            "fault_cause": "Dirty coils, refrigerant slightly low",
            "labour_hours": Decimal("1"),
        }
        if answered and work.checklist:
            changes["checklist"] = _answered(work)
        desk.work.record_processing(tech, work.id, changes)
        for i in range(3):
            desk.work.add_evidence(
                tech,
                order.request_id,
                EvidenceKind.PHOTO_AFTER,
                f"after-{i}.jpg",
                f"after {order.id} {i}".encode(),
            )
        desk.work.complete_processing(tech, work.id)
        desk.dispatch.complete_dispatch(tech, order.id)


def _answered(work: ProcessingOrder) -> tuple[ChecklistItem, ...]:
    """The processing order's checklist with every item checked and answered."""
    return tuple(
        attrs.evolve(item, answer=_ANSWERS.get(item.code, "checked"), done=True)
        for item in work.checklist
    )
