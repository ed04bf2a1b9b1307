"""A service company for weeks, through the desk: Hypothesis plays every role, the clock moves on.

Bookings, reschedules and cancellations; requests from bookings and directly; holds; dispatch
with accept, reject and revoke; work with parts, loaners and exchanges; evidence; closure;
surveys; spare parts issued and returned; preventive-maintenance generation; quotes; alerts;
actors of every role, including those who should be refused. After every step:

- no technician is double booked;
- stock is conserved (ERP stock = initial - issued + returned);
- every request can still reach closed or cancelled (its state allows a next step);
- every SLA outcome matches a recomputation from the request's own history;
- every alert is raised once per key;
- every audit chain verifies;
- every refusal wrote nothing.

It runs on memory and SQLite (PostgreSQL too, with fewer examples, when configured).
"""

import os
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.catalog import AGGREGATES, slot_claim
from servicecore.errors import ServicecoreError
from servicecore.model.actor import SYSTEM, Actor, Role
from servicecore.model.audit import verify_chain
from servicecore.model.booking import CustomerIdentity
from servicecore.model.calendar import WeeklyWindow, WorkingCalendar
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import Money, TimeRange
from servicecore.model.contract import PenaltyTerm, SlaTerm
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Channel, EvidenceKind, Priority, ServiceType, SolutionType
from servicecore.model.maintenance import MaintenancePlan, Recurrence, RecurrenceKind
from servicecore.model.parts import RequisitionLine
from servicecore.model.processing import Loaner, PartUsage, ProcessingStatus, ReturnedPart
from servicecore.model.request import RequestStatus
from servicecore.ports import NotificationChannel
from servicecore.serialization import unstructure
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.services.tokens import TokenSigner
from servicecore.testing import factories as f
from servicecore.testing.erp_stock import InMemoryInventory

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 3, 9)
OFFICE = WorkingCalendar(
    timezone="Asia/Jakarta",
    hours=tuple(WeeklyWindow(weekday=d, start=time(8), end=time(17)) for d in range(5)),
)
CS = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})
SUP = Actor(id="sup-1", roles={Role.SUPERVISOR})
WH = Actor(id="wh-1", roles={Role.WAREHOUSE})
TECHS = {t: Actor(id=f"u-{t}", roles={Role.TECHNICIAN}, technician_id=t) for t in ("T-1", "T-2")}
CUSTOMERS = {c: Actor(id=c, roles={Role.CUSTOMER}) for c in ("C-1", "C-2")}
EVERYONE = [CS, SUP, WH, *TECHS.values(), *CUSTOMERS.values()]
STOCK = {"W-SVC": {"RELAY-7": 20, "FUSE-2": 20}}
TEAM = [(NotificationChannel.EMAIL, "desk@example.com")]
WORK = {
    "solution_type": SolutionType.RETURN_REPAIR,
    "solution_text": "Fixed",
    "labour_hours": Decimal("1"),
    "fault_cause": "Worn part",
}

actors = st.sampled_from(EVERYONE)
picks = st.integers(0, 1_000)
# Three times in four the rule acts as the person whose job it is; else as anyone at all.
rightful = st.sampled_from([True, True, True, False])


def _backends() -> list[str]:
    found = ["memory", "sqlite"]
    if os.environ.get("SERVICECORE_TEST_POSTGRES_URL"):
        found.append("postgres")
    return found


class CountingIds:
    """Ids in order (``Booking-7``), so that a run replays exactly."""

    def __init__(self) -> None:
        self.count = 0

    def new_id(self, kind: str) -> str:
        self.count += 1
        return f"{kind}-{self.count:05d}"


class ServiceWeek(RuleBasedStateMachine):
    """One company's service weeks; ``storage_factory`` is set per backend."""

    storage_factory = staticmethod(MemoryStorage)
    evidence_dir = "."

    def __init__(self) -> None:
        super().__init__()
        self.tenant = f"week-{uuid.uuid4().hex[:12]}"
        self.clock = FixedClock(datetime.combine(MONDAY, time(7), JAKARTA))
        self.storage = self.storage_factory()
        self.stock = InMemoryInventory(STOCK)
        self.desk = ServiceDesk(
            self.storage,
            self.tenant,
            clock=self.clock,
            settings=DeskSettings(
                ids=CountingIds(),
                signer=TokenSigner(b"w" * 32),
                evidence_store=FilesystemEvidenceStore(self.evidence_dir),
                # After-photos can always be added; a before-photo could not be made up later,
                # and a request must always be able to reach its end.
                closure_policy=ClosurePolicy(min_photos_before=0, min_photos_after=1),
            ),
        )
        self.alert_keys: list[str] = []
        admin = f.ADMIN
        with self.storage.unit_of_work(self.tenant) as uow:
            for tid in TECHS:
                uow.technicians.add(f.technician(id=tid))
            uow.commit()
        for customer in CUSTOMERS:
            self.desk.installed_base.register_archive(
                admin,
                archive_id=f"A-{customer}",
                serial_number=f"SN-{customer}",
                product_code="AC-9000",
                customer_id=customer,
                warranty_start=date(2026, 1, 1),
                warranty_end=date(2027, 1, 1),
            )
        plan = MaintenancePlan(
            id="PM-1",
            recurrence=Recurrence(kind=RecurrenceKind.WEEKLY, start=MONDAY, weekday=2),
            archive_ids=("A-C-1",),
            early_tolerance_days=1,
            late_tolerance_days=2,
            required_skills=("hvac",),
        )
        contract = self.desk.contracts.create_contract(
            admin,
            customer_id="C-1",
            archive_ids=["A-C-1"],
            start=date(2026, 1, 1),
            end=date(2026, 12, 31),
            calendar=OFFICE,
            sla_terms=[
                SlaTerm(priority=p, response=timedelta(hours=2), resolution=timedelta(hours=8))
                for p in Priority
            ],
            penalty_terms=[
                PenaltyTerm(
                    priority=Priority.URGENT,
                    per_started_hour=Money("100", "EUR"),
                    cap=Money("1000", "EUR"),
                )
            ],
            maintenance_plans=[plan],
            contract_id="K-1",
        )
        self.desk.contracts.activate_contract(admin, contract.id)

    # -- plumbing ------------------------------------------------------------------------------

    def records(self, name: str) -> list:  # type: ignore[type-arg]
        with self.storage.unit_of_work(self.tenant) as uow:
            return sorted(uow.repository(name).query(), key=lambda e: e.id)

    def pick(self, name: str, n: int, live=None):  # type: ignore[no-untyped-def]
        """A record by index; among those ``live`` accepts, when there are any."""
        found = self.records(name)
        chosen = [e for e in found if live(e)] if live is not None else []
        found = chosen or found
        return found[n % len(found)].id if found else f"missing-{n}"

    def technician_of(self, request_id: str, n: int) -> Actor:
        """A technician working on the request (or any technician)."""
        for order in self.records("dispatches"):
            if order.request_id == request_id and order.status.is_live:
                return TECHS[order.technician_id]
        return list(TECHS.values())[n % len(TECHS)]

    def snapshot(self) -> object:
        with self.storage.unit_of_work(self.tenant) as uow:
            records = {
                spec.name: sorted(
                    (unstructure(e) for e in uow.repository(spec.name).query()),
                    key=lambda x: x["id"],
                )
                for spec in AGGREGATES
            }
        pending = [e.id for e in self.storage.pending_events(self.tenant, limit=10_000)]
        return records, pending, self.stock.totals()

    def attempt(self, call, *args, **kwargs):  # type: ignore[no-untyped-def]
        before = self.snapshot()
        try:
            result = call(*args, **kwargs)
        except ServicecoreError as exc:
            event(f"refused {call.__name__}: {type(exc).__name__}")
            assert self.snapshot() == before, f"{call.__name__} was refused but wrote"
            return None
        event(f"done {call.__name__}")
        return result

    def slot(self, day: int, hour: int, hours: int = 2) -> TimeRange:
        start = datetime.combine(MONDAY + timedelta(days=day), time(hour), JAKARTA)
        return TimeRange(start, start + timedelta(hours=hours))

    # -- bookings ----------------------------------------------------------------------------

    @rule(
        actor=actors,
        right=rightful,
        customer=st.sampled_from(list(CUSTOMERS)),
        day=st.integers(0, 9),
        hour=st.integers(7, 16),
        tech=st.sampled_from([*TECHS, *TECHS, None]),
    )
    def book(self, actor, right, customer, day, hour, tech) -> None:  # type: ignore[no-untyped-def]
        actor = CS if right else actor
        self.attempt(
            self.desk.bookings.book,
            actor,
            customer=CustomerIdentity(customer_id=customer, name="Budi", phone="+62 812 555 0101"),
            service_type=ServiceType.REPAIR,
            channel=Channel.CALL_CENTRE,
            slot=self.slot(day, hour),
            location=f.HERE,
            booking_policy=f.booking().policy,
            technician_id=tech,
        )

    @rule(actor=actors, n=picks, how=st.sampled_from(["confirm", "cancel", "reschedule"]))
    def change_booking(self, actor, n, how) -> None:  # type: ignore[no-untyped-def]
        booking_id = self.pick("bookings", n)
        if how == "confirm":
            self.attempt(self.desk.bookings.confirm_booking, actor, booking_id)
        elif how == "cancel":
            self.attempt(self.desk.bookings.cancel_booking, actor, booking_id, "plans changed")
        else:
            self.attempt(
                self.desk.bookings.reschedule_booking, actor, booking_id, self.slot(n % 7, 10)
            )

    # -- requests ----------------------------------------------------------------------------

    @rule(actor=actors, right=rightful, n=picks, from_booking=st.booleans(), urgent=st.booleans())
    def open_request(self, actor, right, n, from_booking, urgent) -> None:  # type: ignore[no-untyped-def]
        actor = CS if right else actor
        priority = Priority.URGENT if urgent else Priority.NORMAL
        if from_booking and self.records("bookings"):
            opened = {r.booking_id for r in self.records("requests")}
            booking_id = self.pick("bookings", n, lambda b: b.status.is_live and b.id not in opened)
            with self.storage.unit_of_work(self.tenant) as uow:
                customer = uow.bookings.get(booking_id).customer.customer_id
            self.attempt(
                self.desk.requests.open_request,
                actor,
                from_booking=booking_id,
                symptoms="Warm air",
                archive_id=f"A-{customer}",
                priority=priority,
            )
            return
        customer = list(CUSTOMERS)[n % 2]
        self.attempt(
            self.desk.requests.open_request,
            actor,
            customer_id=customer,
            service_type=ServiceType.REPAIR if n % 3 else ServiceType.COMPLAINT,
            symptoms="Warm air",
            archive_id=f"A-{customer}" if n % 3 else None,
            contract_id="K-1" if customer == "C-1" and n % 3 else None,
            priority=priority,
            location=f.HERE,
        )

    @rule(actor=actors, n=picks, how=st.sampled_from(["hold", "resume", "cancel", "consult"]))
    def change_request(self, actor, n, how) -> None:  # type: ignore[no-untyped-def]
        request_id = self.pick("requests", n)
        requests = self.desk.requests
        if how == "hold":
            self.attempt(requests.hold_request, actor, request_id, "waiting for parts")
        elif how == "resume":
            self.attempt(requests.resume_request, actor, request_id)
        elif how == "cancel":
            self.attempt(requests.cancel_request, actor, request_id, "customer withdrew")
        else:
            self.attempt(requests.close_consult, actor, request_id, "answered on the phone")

    # -- dispatch and work -------------------------------------------------------------------

    @rule(
        actor=actors,
        right=rightful,
        n=picks,
        tech=st.sampled_from(list(TECHS)),
        day=st.integers(0, 9),
    )
    def assign(self, actor, right, n, tech, day) -> None:  # type: ignore[no-untyped-def]
        actor = SUP if right else actor
        booked = [b for b in self.records("bookings") if b.technician_id == tech]
        request_id = self.pick("requests", n, lambda r: r.status.value in ("open", "assigned"))
        slot = booked[n % len(booked)].slot if booked and n % 2 else self.slot(day, 8 + n % 8)
        self.attempt(self.desk.dispatch.assign, actor, request_id, tech, slot)

    @rule(
        actor=actors,
        right=rightful,
        n=picks,
        how=st.sampled_from(["accept", "accept", "start", "start", "complete", "reject", "revoke"]),
    )
    def answer(self, actor, right, n, how) -> None:  # type: ignore[no-untyped-def]
        dispatch_id = self.pick("dispatches", n, lambda d: d.status.is_live)
        if right:
            with self.storage.unit_of_work(self.tenant) as uow:
                found = uow.dispatches.find(dispatch_id)
            if found is not None:
                actor = SUP if how == "revoke" else TECHS[found.technician_id]
        d = self.desk.dispatch
        call = {
            "accept": lambda: self.attempt(d.accept_dispatch, actor, dispatch_id),
            "reject": lambda: self.attempt(d.reject_dispatch, actor, dispatch_id, "no gauge"),
            "revoke": lambda: self.attempt(d.revoke_dispatch, actor, dispatch_id, "moved"),
            "start": lambda: self.attempt(d.start_dispatch, actor, dispatch_id),
            "complete": lambda: self.attempt(d.complete_dispatch, actor, dispatch_id),
        }
        call[how]()

    @rule(
        actor=actors,
        right=rightful,
        n=picks,
        how=st.sampled_from(
            ["plain", "parts", "loaner", "exchange", "complete", "complete", "cancel"]
        ),
    )
    def work(self, actor, right, n, how) -> None:  # type: ignore[no-untyped-def]
        self.record_work(actor, right, n, how)

    def record_work(self, actor, right, n, how) -> None:  # type: ignore[no-untyped-def]
        processing_id = self.pick("processing", n, lambda p: p.status.value == "open")
        if right:
            with self.storage.unit_of_work(self.tenant) as uow:
                found = uow.processing.find(processing_id)
                order = None if found is None else uow.dispatches.get(found.dispatch_id)
            if order is not None:
                actor = SUP if how == "cancel" else TECHS[order.technician_id]
        w = self.desk.work
        price = Money("10", "EUR")
        changes = dict(WORK)
        if how == "parts":
            changes["parts_used"] = (PartUsage(part_code="RELAY-7", quantity=1, unit_price=price),)
        elif how == "loaner":
            changes["solution_type"] = SolutionType.REPAIR_WITH_LOANER
            changes["loaners"] = (Loaner(item_code="FAN-1", out_at=self.clock.now()),)
        elif how == "exchange":
            changes["solution_type"] = SolutionType.EXCHANGE
            changes["parts_used"] = (
                PartUsage(part_code="AC-9000", quantity=1, serial="SN-NEW", unit_price=price),
            )
            changes["returned_parts"] = (
                ReturnedPart(part_code="AC-9000", quantity=1, serial="SN-OLD", condition="dead"),
            )
        if how == "complete":
            self.attempt(w.complete_processing, actor, processing_id)
        elif how == "cancel":
            self.attempt(w.cancel_processing, actor, processing_id, "nobody home")
        else:
            self.attempt(w.record_processing, actor, processing_id, changes)

    @rule(actor=actors, right=rightful, n=picks)
    def loaner_back(self, actor, right, n) -> None:  # type: ignore[no-untyped-def]
        actor = CS if right else actor
        self.attempt(
            self.desk.work.record_loaner_return, actor, self.pick("processing", n), "FAN-1"
        )

    @rule(actor=actors, right=rightful, n=picks, before=st.booleans())
    def photo(self, actor, right, n, before) -> None:  # type: ignore[no-untyped-def]
        kind = EvidenceKind.PHOTO_BEFORE if before else EvidenceKind.PHOTO_AFTER
        request_id = self.pick("requests", n, lambda r: not r.status.is_final)
        actor = self.technician_of(request_id, n) if right else actor
        content = f"photo-{n}".encode()
        self.attempt(self.desk.work.add_evidence, actor, request_id, kind, "p.jpg", content)

    @rule(actor=actors, right=rightful, n=picks)
    def close(self, actor, right, n) -> None:  # type: ignore[no-untyped-def]
        request_id = self.pick("requests", n, lambda r: r.status.value == "resolved")
        self.attempt(self.desk.work.close_request, SUP if right else actor, request_id, "done")

    @rule(actor=actors, right=rightful, n=picks, score=st.integers(0, 6))
    def survey(self, actor, right, n, score) -> None:  # type: ignore[no-untyped-def]
        request_id = self.pick("requests", n, lambda r: r.status.value == "closed")
        if right:
            with self.storage.unit_of_work(self.tenant) as uow:
                found = uow.requests.find(request_id)
            actor = CUSTOMERS.get(found.customer_id, CS) if found is not None else CS
        self.attempt(self.desk.work.record_survey, actor, request_id, score)

    @rule(n=picks, how=st.sampled_from(["plain", "parts", "loaner", "exchange"]))
    def progress(self, n, how) -> None:  # type: ignore[no-untyped-def]
        """The next step of one request, by the person whose job it is (the week moves on)."""
        request_id = self.pick("requests", n, lambda r: not r.status.is_final)
        with self.storage.unit_of_work(self.tenant) as uow:
            request = uow.requests.find(request_id)
            orders = [d for d in uow.dispatches.query() if d.request_id == request_id]
            work = [p for p in uow.processing.query() if p.request_id == request_id]
        if request is None:
            return
        live = [d for d in orders if d.status.is_live]
        d, w = self.desk.dispatch, self.desk.work
        if request.status is RequestStatus.ON_HOLD:
            self.attempt(self.desk.requests.resume_request, SUP, request_id)
        elif request.status is RequestStatus.OPEN and request.service_type.closes_directly:
            self.attempt(self.desk.requests.close_consult, CS, request_id, "settled")
        elif not live and request.status is not RequestStatus.RESOLVED:
            tech = list(TECHS)[n % len(TECHS)]
            self.attempt(d.assign, SUP, request_id, tech, self.slot(1 + n % 8, 8 + n % 8))
        elif live and live[0].status is DispatchStatus.ASSIGNED:
            self.attempt(d.accept_dispatch, TECHS[live[0].technician_id], live[0].id)
        elif live and live[0].status is DispatchStatus.ACCEPTED:
            self.attempt(d.start_dispatch, TECHS[live[0].technician_id], live[0].id)
        elif live:
            tech = TECHS[live[0].technician_id]
            for p in work:
                if p.dispatch_id == live[0].id and p.status is ProcessingStatus.OPEN:
                    self.attempt(
                        w.add_evidence,
                        tech,
                        request_id,
                        EvidenceKind.PHOTO_BEFORE,
                        "b.jpg",
                        f"before-{n}".encode(),
                    )
                    self.record_work(tech, True, n, how)
                    self.attempt(w.complete_processing, tech, p.id)
            self.attempt(d.complete_dispatch, tech, live[0].id)
        elif request.status is RequestStatus.RESOLVED:
            self.attempt(
                w.add_evidence,
                SUP,
                request_id,
                EvidenceKind.PHOTO_AFTER,
                "a.jpg",
                f"after-{n}".encode(),
            )
            for p in work:
                for loaner in p.loaners:
                    if loaner.is_out:
                        self.attempt(w.record_loaner_return, CS, p.id, loaner.item_code)
            self.attempt(w.close_request, SUP, request_id, "fixed")

    # The week is mostly people doing their job: progress is drawn as often as four rules.
    progress_again = rule(n=picks, how=st.sampled_from(["plain", "parts", "loaner", "exchange"]))(
        lambda self, n, how: self.progress(n, how)
    )
    progress_more = rule(n=picks, how=st.sampled_from(["plain", "parts"]))(
        lambda self, n, how: self.progress(n, how)
    )
    progress_most = rule(n=picks, how=st.just("plain"))(lambda self, n, how: self.progress(n, how))

    @rule(n=picks)
    def dispatch_the_booked_technician(self, n) -> None:  # type: ignore[no-untyped-def]
        """A request opened from a booking goes to the booked technician in the booked slot."""
        opened = {r.booking_id: r for r in self.records("requests") if r.booking_id}
        for booking in self.records("bookings"):
            request = opened.get(booking.id)
            if (
                request is None
                or booking.technician_id is None
                or booking.dispatch_id is not None
                or not booking.status.is_live
                or request.status.value not in ("open", "assigned")
                or booking.slot.end <= self.clock.now()
            ):
                continue
            self.desk.dispatch.assign(SUP, request.id, booking.technician_id, booking.slot)
            event("dispatched the booked technician")
            return

    @rule(day=st.integers(0, 9))
    def plan_a_day(self, day) -> None:  # type: ignore[no-untyped-def]
        """Planning a day never collides with booked or dispatched time."""
        plan = self.desk.dispatch.plan_day(
            SUP, MONDAY + timedelta(days=day), "Asia/Jakarta", time_limit=0.2, seed=day
        )
        now = self.clock.now()
        assert all(o.planned.start >= now for o in plan.orders)
        event(f"planned {len(plan.orders)} visits")

    # -- parts -------------------------------------------------------------------------------

    @rule(actor=actors, right=rightful, n=picks, qty=st.integers(1, 3))
    def requisition(self, actor, right, n, qty) -> None:  # type: ignore[no-untyped-def]
        self.attempt(
            self.desk.parts.requisition_parts,
            SUP if right else actor,
            self.pick("requests", n, lambda r: not r.status.is_final),
            [RequisitionLine(part_code="FUSE-2", quantity=qty)],
            warehouse_id="W-SVC",
        )

    @rule(actor=actors, right=rightful, n=picks, how=st.sampled_from(["issue", "return"]))
    def move_parts(self, actor, right, n, how) -> None:  # type: ignore[no-untyped-def]
        actor = WH if right else actor
        requisition_id = self.pick("requisitions", n)
        if how == "issue":
            self.attempt(self.desk.parts.issue_requisition, actor, requisition_id, self.stock)
        else:
            back = [ReturnedPart(part_code="FUSE-2", quantity=1, condition="unused")]
            self.attempt(self.desk.parts.return_parts, actor, requisition_id, back, self.stock)

    # -- jobs and time ---------------------------------------------------------------------

    @rule(actor=st.sampled_from([SYSTEM, CS]))
    def maintenance(self, actor) -> None:  # type: ignore[no-untyped-def]
        self.attempt(self.desk.jobs.generate_maintenance_requests, actor, horizon_days=14)

    @rule(actor=st.sampled_from([SYSTEM, SUP, TECHS["T-1"]]))
    def alerts(self, actor) -> None:  # type: ignore[no-untyped-def]
        run = self.attempt(self.desk.jobs.run_alerts, actor, TEAM)
        if run is not None:
            self.alert_keys.extend(a.key for a in run.raised)

    @rule(hours=st.sampled_from([1, 3, 8, 24, 72]))
    def time_passes(self, hours) -> None:  # type: ignore[no-untyped-def]
        self.clock.advance(timedelta(hours=hours))

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def no_technician_is_double_booked(self) -> None:
        claims = [
            c
            for e in [*self.records("bookings"), *self.records("dispatches")]
            if (c := slot_claim(e)) is not None
        ]
        for i, one in enumerate(claims):
            for other in claims[i + 1 :]:
                assert not (
                    one.technician_id == other.technician_id and one.period.overlaps(other.period)
                ), (one, other)

    @invariant()
    def stock_is_conserved(self) -> None:
        issued = returned = 0
        for _, movement in self.stock.movements():
            if movement.kind.endswith("outbound"):
                issued += movement.quantity
            elif movement.kind == "return":
                returned += movement.quantity
        initial = sum(q for parts in STOCK.values() for q in parts.values())
        assert sum(self.stock.totals().values()) == initial - issued + returned

    @invariant()
    def every_sla_outcome_matches_a_brute_force_recomputation(self) -> None:
        now = self.clock.now()
        with self.storage.unit_of_work(self.tenant) as uow:
            requests = [r for r in uow.requests.query() if r.contract_id == "K-1"]
        for request in requests:
            outcome = self.desk.requests.sla_report(SUP, request.id, now)
            assert outcome is not None
            holds = list(request.holds)
            if request.held_since is not None and request.held_since < now:
                holds.append(TimeRange(request.held_since, now))
            assert outcome.response.due == brute_due(request.sla_start, 2 * 60, [])
            assert outcome.resolution.due == brute_due(request.sla_start, 8 * 60, holds)
            if outcome.penalty is not None:
                assert outcome.penalty <= Money("1000", "EUR")
            if request.window is not None and now < request.window.start:
                assert outcome.breaches == (), "a visit planned ahead is late before it opens"

    @invariant()
    def every_alert_is_raised_once(self) -> None:
        assert len(self.alert_keys) == len(set(self.alert_keys))

    def teardown(self) -> None:
        for request in self.records("requests"):
            if not request.status.is_final:
                self.drive_to_an_end(request.id)
        with self.storage.unit_of_work(self.tenant) as uow:
            for spec in AGGREGATES:
                for entity in uow.repository(spec.name).iterate():
                    head = getattr(entity, "audit_head", None)
                    if head is not None:
                        trail = uow.audit.entries(spec.kind, entity.id)
                        verify_chain(trail, head=head).raise_for_problems()

    def drive_to_an_end(self, request_id: str) -> None:
        """Every request can still reach closed or cancelled: an administrator takes it there."""
        admin, d, w = f.ADMIN, self.desk.dispatch, self.desk.work
        with self.storage.unit_of_work(self.tenant) as uow:
            request = uow.requests.get(request_id)
            orders = list(uow.dispatches.query())
            work = list(uow.processing.query())
        if request.status is RequestStatus.ON_HOLD:
            self.desk.requests.resume_request(admin, request_id)
        for order in [o for o in orders if o.request_id == request_id]:
            if order.status in (DispatchStatus.ASSIGNED, DispatchStatus.ACCEPTED):
                d.revoke_dispatch(admin, order.id, "the week is over")
            elif order.status is DispatchStatus.IN_PROGRESS:
                for p in [p for p in work if p.dispatch_id == order.id]:
                    if p.status is ProcessingStatus.OPEN:
                        w.record_processing(admin, p.id, WORK)
                        w.complete_processing(admin, p.id)
                d.complete_dispatch(TECHS[order.technician_id], order.id)
        for p in [p for p in work if p.request_id == request_id]:
            for loaner in p.loaners:
                if loaner.is_out:
                    w.record_loaner_return(admin, p.id, loaner.item_code)
        with self.storage.unit_of_work(self.tenant) as uow:
            request = uow.requests.get(request_id)
        if request.status is RequestStatus.OPEN and request.service_type.closes_directly:
            self.desk.requests.close_consult(admin, request_id, "settled")
        elif request.status in (RequestStatus.OPEN, RequestStatus.ASSIGNED):
            self.desk.requests.cancel_request(admin, request_id, "the week is over")
        elif request.status is RequestStatus.IN_PROGRESS:  # every visit ended without work
            self.clock.advance(timedelta(days=1))
            slot = self.slot(30, 10)
            order = d.assign(admin, request_id, "T-1", slot)
            tech = TECHS["T-1"]
            d.accept_dispatch(tech, order.id)
            p = d.start_dispatch(tech, order.id)
            w.record_processing(tech, p.id, WORK)
            w.complete_processing(tech, p.id)
            d.complete_dispatch(tech, order.id)
        with self.storage.unit_of_work(self.tenant) as uow:
            request = uow.requests.get(request_id)
        if request.status is RequestStatus.RESOLVED:
            w.add_evidence(admin, request_id, EvidenceKind.PHOTO_AFTER, "end.jpg", b"the end")
            w.close_request(admin, request_id, "the week is over")
        with self.storage.unit_of_work(self.tenant) as uow:
            final = uow.requests.get(request_id).status
        assert final in (RequestStatus.CLOSED, RequestStatus.CANCELLED), (request_id, final)


def brute_force_working_minutes(start: datetime, end: datetime) -> bool:
    """Whether the minute from ``start`` is office time (Monday to Friday, 08:00-17:00)."""
    local = start.astimezone(JAKARTA)
    return local.weekday() < 5 and time(8) <= local.time() < time(17) and end > start


def brute_due(start: datetime, minutes: int, holds: list[TimeRange]) -> datetime:
    """Walk minute by minute from ``start`` until ``minutes`` of office time not on hold."""
    at = start
    counted = 0
    step = timedelta(minutes=1)
    while counted < minutes:
        on_hold = any(h.start <= at < h.end for h in holds)
        if not on_hold and brute_force_working_minutes(at, at + step):
            counted += 1
        at += step
    return at


@pytest.mark.slow
@pytest.mark.parametrize("backend", _backends())
def test_a_service_company_runs_for_weeks(backend, tmp_path, request) -> None:
    examples = {"memory": 60, "sqlite": 25, "postgres": 10}[backend]
    machine = type(f"ServiceWeek_{backend}", (ServiceWeek,), {"evidence_dir": str(tmp_path)})
    if backend != "memory":
        engine = request.getfixturevalue(f"{backend}_engine")
        from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

        machine.storage_factory = staticmethod(lambda: SQLAlchemyStorage(engine))
    machine.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()
