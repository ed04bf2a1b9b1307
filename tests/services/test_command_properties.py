"""Hypothesis drives random sequences of commands.

Invariants: no two bookings or live dispatch orders of one technician ever overlap in storage,
and a refused command (any servicecore error) leaves storage exactly as it was.
"""

from datetime import timedelta

import hypothesis.strategies as st
from desk_actors import CS, CUSTOMER, SUP, TECH, TECH8
from hypothesis import event, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.catalog import AGGREGATES, slot_claim
from servicecore.errors import ServicecoreError
from servicecore.lifecycle import ARCHIVE, TransitionContext
from servicecore.model.common import TimeRange
from servicecore.model.enums import Channel, ServiceType
from servicecore.serialization import unstructure
from servicecore.services import bookings as b
from servicecore.services import dispatch as d
from servicecore.services import requests as r
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx

TENANT = "acme"
ACTORS = st.sampled_from([CS, SUP, TECH, TECH8, CUSTOMER])
HOURS = st.integers(0, 30)
LENGTHS = st.integers(1, 4)
TECHS = st.sampled_from(["T-7", "T-8", None])
IDS = st.integers(0, 5)


def slot(start: int, length: int) -> TimeRange:
    begin = f.NOW + timedelta(days=1, hours=start)
    return TimeRange(begin, begin + timedelta(hours=length))


class Commands(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.storage = MemoryStorage()
        self.clock = FixedClock(f.NOW)
        with self.storage.unit_of_work(TENANT) as uow:
            uow.technicians.add(f.technician(id="T-7"))
            uow.technicians.add(f.technician(id="T-8"))
            unit = f.archive()
            ARCHIVE.create(unit, TransitionContext(actor=SUP, at=self.clock.now()), uow.audit)
            ARCHIVE.fire(
                unit, "register", TransitionContext(actor=SUP, at=self.clock.now()), uow.audit
            )
            uow.archives.add(unit)
            for i in range(3):
                r.open_request(
                    cx(uow, CS, self.clock),
                    customer_id="C-1",
                    service_type=ServiceType.REPAIR,
                    symptoms="x",
                    archive_id="A-1",
                    request_id=f"R-{i}",
                )
            uow.commit()

    def snapshot(self) -> object:
        with self.storage.unit_of_work(TENANT) as uow:
            records = {
                spec.name: sorted(
                    (unstructure(e) for e in uow.repository(spec.name).query()),
                    key=lambda x: x["id"],
                )
                for spec in AGGREGATES
            }
            trail = {
                (spec.kind, e["id"]): len(uow.audit.entries(spec.kind, e["id"]))
                for spec in AGGREGATES
                for e in records[spec.name]
            }
        return records, trail, [e.id for e in self.storage.pending_events(TENANT, limit=10_000)]

    def attempt(self, command) -> None:  # type: ignore[no-untyped-def]
        before = self.snapshot()
        try:
            with self.storage.unit_of_work(TENANT) as uow:
                command(uow)
                uow.commit()
        except ServicecoreError as exc:
            event(f"refused: {type(exc).__name__}")
            assert self.snapshot() == before
        else:
            event("committed")

    @rule(actor=ACTORS, n=IDS, start=HOURS, length=LENGTHS, tech=TECHS)
    def book(self, actor, n, start, length, tech) -> None:  # type: ignore[no-untyped-def]
        self.attempt(
            lambda uow: b.book(
                cx(uow, actor, self.clock),
                customer=f.booking().customer,
                service_type=ServiceType.REPAIR,
                channel=Channel.CALL_CENTRE,
                slot=slot(start, length),
                location=f.HERE,
                booking_policy=f.booking().policy,
                technician_id=tech,
                booking_id=f"B-{n}",
            )
        )

    @rule(actor=ACTORS, n=IDS, start=HOURS, length=LENGTHS)
    def reschedule(self, actor, n, start, length) -> None:  # type: ignore[no-untyped-def]
        self.attempt(
            lambda uow: b.reschedule_booking(
                cx(uow, actor, self.clock), f"B-{n}", slot(start, length)
            )
        )

    @rule(actor=ACTORS, n=IDS)
    def cancel(self, actor, n) -> None:  # type: ignore[no-untyped-def]
        self.attempt(lambda uow: b.cancel_booking(cx(uow, actor, self.clock), f"B-{n}", "changed"))

    @rule(actor=ACTORS, n=IDS)
    def confirm(self, actor, n) -> None:  # type: ignore[no-untyped-def]
        self.attempt(lambda uow: b.confirm_booking(cx(uow, actor, self.clock), f"B-{n}"))

    @rule(
        actor=ACTORS,
        req=st.integers(0, 3),
        start=HOURS,
        length=LENGTHS,
        tech=st.sampled_from(["T-7", "T-8", "T-9"]),
        n=IDS,
    )
    def assign(self, actor, req, start, length, tech, n) -> None:  # type: ignore[no-untyped-def]
        self.attempt(
            lambda uow: d.assign(
                cx(uow, actor, self.clock),
                f"R-{req}",
                tech,
                slot(start, length),
                dispatch_id=f"D-{n}",
            )
        )

    @rule(actor=ACTORS, n=IDS, how=st.sampled_from(["accept", "reject", "revoke"]))
    def answer(self, actor, n, how) -> None:  # type: ignore[no-untyped-def]
        if how == "accept":
            self.attempt(lambda uow: d.accept_dispatch(cx(uow, actor, self.clock), f"D-{n}"))
        elif how == "reject":
            self.attempt(
                lambda uow: d.reject_dispatch(cx(uow, actor, self.clock), f"D-{n}", "busy")
            )
        else:
            self.attempt(
                lambda uow: d.revoke_dispatch(cx(uow, actor, self.clock), f"D-{n}", "moved")
            )

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours) -> None:  # type: ignore[no-untyped-def]
        self.clock.advance(timedelta(hours=hours))

    @invariant()
    def no_technician_is_double_booked(self) -> None:
        with self.storage.unit_of_work(TENANT) as uow:
            claims = [
                c
                for e in [*uow.bookings.query(), *uow.dispatches.query()]
                if (c := slot_claim(e)) is not None
            ]
        for i, one in enumerate(claims):
            for other in claims[i + 1 :]:
                assert not (
                    one.technician_id == other.technician_id and one.period.overlaps(other.period)
                ), (one, other)


Commands.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestCommands = Commands.TestCase
