"""The demo's days of operation: bookings, the day's plan, the work, breaches and alerts.

Each working day the call centre books customers with a technician, preventive-maintenance visits
fall due, the scheduler plans the day around the booked time, technicians do the visits and close
the requests, an emergency now and then breaches its SLA and is priced under the contract, and the
alert job runs at the end of the day. On a weekend nobody works and the scheduler plans nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from servicecore.basics import FixedClock
from servicecore.model.actor import SYSTEM, Actor
from servicecore.model.booking import Booking, BookingPolicy, CustomerIdentity
from servicecore.model.common import ContractId, CustomerId, GeoPoint, Money, TimeRange
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.enums import Channel, EvidenceKind, Priority, ServiceType, SolutionType
from servicecore.model.request import ServiceRequest
from servicecore.ports import NotificationChannel
from servicecore.scheduling import Result
from servicecore.services.desk import ServiceDesk
from servicecore.services.tokens import QR_SCHEME

__all__ = ["DayReport", "Week"]

JAKARTA = ZoneInfo("Asia/Jakarta")
CONTRACT = ContractId("K-2026-01")
# Booked slots per working day: (technician, start hour); on the first day the morning is the
# story's, so only the afternoon is booked.
_BOOKED = (("T-BUDI", 9), ("T-WAYAN", 13), ("T-DEWI", 10))
_FIRST_DAY_BOOKED = (("T-DEWI", 13), ("T-BUDI", 14))
_VISITS_PER_DAY = 4
_WORK = timedelta(minutes=90)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), JAKARTA)


def hm(moment: datetime) -> str:
    """Return ``moment`` as ``HH:MM`` in the company's time zone (Jakarta)."""
    return f"{moment.astimezone(JAKARTA):%H:%M}"


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

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _goto(self, moment: datetime) -> None:
        if moment > self.clock.now():
            self.clock.advance(moment - self.clock.now())

    def _place(self) -> GeoPoint:
        rng = self._rng
        return GeoPoint(lat=-6.2 + rng.uniform(-0.08, 0.08), lon=106.82 + rng.uniform(-0.1, 0.1))

    def run_day(self, day: date, first: bool) -> DayReport:
        """Run ``day``: book, plan, work, price breaches, raise alerts.

        Args:
            day: The day to run (the clock moves forward to it).
            first: Whether this is the story's day (its morning is already taken).

        Returns:
            What the day did.
        """
        if day.weekday() >= 5:
            return self._weekend(day)
        self._goto(_at(day, 7, 30))
        bookings = [self._book(day, tid, hour) for tid, hour in self._slots(first)]
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
            steps.extend(self._visit(order))
        for booking_id, tid in bookings:
            steps.extend(self._booked_visit(day, booking_id, tid))
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

    def _due_visit(self, day: date, n: int) -> None:
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

    def _visit(self, order: DispatchOrder) -> list[tuple[datetime, int, Callable[[], bool]]]:
        tech = self.technicians[order.technician_id]
        holder: dict[str, str] = {}

        def start() -> bool:
            holder["work"] = self.desk.dispatch.start_dispatch(tech, order.id).id
            return False

        def finish() -> bool:
            self._finish(tech, order, holder["work"])
            return True

        return [(order.planned.start, 0, start), (order.planned.end, 1, finish)]

    def _booked_visit(
        self, day: date, booking_id: str, technician_id: str
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
            holder["work"] = self.desk.dispatch.start_dispatch(tech, order.id).id
            return False

        def finish() -> bool:
            order = holder["order"]
            assert isinstance(order, DispatchOrder)
            self._finish(tech, order, str(holder["work"]))
            self.desk.bookings.complete_booking(self.agent, booking_id)
            return True

        start = booking.slot.start
        return [(start - timedelta(minutes=5), 0, arrive), (start + _WORK, 1, finish)]

    def _fresh_booking(self, booking_id: str) -> Booking:
        with self.desk.storage.unit_of_work(self.desk.tenant) as uow:
            return uow.bookings.get(booking_id)

    def _finish(self, tech: Actor, order: DispatchOrder, work_id: str) -> None:
        desk = self.desk
        for i in range(3):
            desk.work.add_evidence(
                tech,
                order.request_id,
                EvidenceKind.PHOTO_BEFORE,
                f"before-{i}.jpg",
                f"before {order.id} {i}".encode(),
            )
        desk.work.record_processing(
            tech,
            work_id,
            {
                "solution_type": SolutionType.RETURN_REPAIR,
                "solution_text": "Coils cleaned, refrigerant topped up, pressures normal",
                "fault_cause": "Dirty coils, refrigerant slightly low",
                "labour_hours": Decimal("1"),
            },
        )
        for i in range(3):
            desk.work.add_evidence(
                tech,
                order.request_id,
                EvidenceKind.PHOTO_AFTER,
                f"after-{i}.jpg",
                f"after {order.id} {i}".encode(),
            )
        desk.work.complete_processing(tech, work_id)
        desk.dispatch.complete_dispatch(tech, order.id)
        desk.work.close_request(tech, order.request_id, "done, unit running normally")
