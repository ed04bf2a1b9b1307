"""Properties of spare-part plans: rounding up once per part, never short on any date."""

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache

import hypothesis.strategies as st
from hypothesis import given, settings

from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.lifecycle import ARCHIVE, TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ArchivePart
from servicecore.model.common import Money
from servicecore.model.enums import ServiceType
from servicecore.model.processing import PartUsage, ProcessingStatus
from servicecore.model.request import RequestStatus
from servicecore.services import parts as p
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx

SUP = Actor(id="sup-1", roles={Role.SUPERVISOR})
START, END = date(2026, 3, 1), date(2026, 3, 31)
JAN = datetime(2026, 1, 15, 9, tzinfo=UTC)
# hold relays and filters; 2 relays failed on 200 unit-days of the 100-day window
# (rate 1/100); maintenance used 3 filters and 1 relay over 2 visits.
FAILURE = {"RELAY-7": Fraction(2 * 31 * 2, 200)}
PER_VISIT = {"FILTER-1": Fraction(3, 2), "RELAY-7": Fraction(1, 2)}


@cache
def seeded() -> MemoryStorage:
    storage = MemoryStorage()
    clock = FixedClock(f.NOW)
    parts = (ArchivePart(part_code="RELAY-7"), ArchivePart(part_code="FILTER-1"))
    with storage.unit_of_work("t") as uow:
        for i in (1, 2):
            unit = f.archive(id=f"A-{i}", serial_number=f"SN-{i}", parts=parts)
            ARCHIVE.create(unit, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
            ARCHIVE.fire(unit, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
            uow.archives.add(unit)
        history = [
            (ServiceType.REPAIR, [("RELAY-7", 2)]),
            (ServiceType.MAINTENANCE, [("FILTER-1", 2)]),
            (ServiceType.MAINTENANCE, [("FILTER-1", 1), ("RELAY-7", 1)]),
        ]
        for n, (kind, used) in enumerate(history):
            uow.requests.add(
                f.request(
                    id=f"H-{n}", service_type=kind, reported_at=JAN, status=RequestStatus.CLOSED
                )
            )
            uow.processing.add(
                f.completed_processing(
                    id=f"P-{n}",
                    request_id=f"H-{n}",
                    dispatch_id=f"D-{n}",
                    status=ProcessingStatus.COMPLETED,
                    parts_used=tuple(
                        PartUsage(part_code=c, quantity=q, unit_price=Money("1", "IDR"))
                        for c, q in used
                    ),
                )
            )
        uow.commit()
    return storage


VISITS = st.lists(
    st.tuples(st.sampled_from(["A-1", "A-2"]), st.integers(0, 30)).map(
        lambda v: (v[0], START + timedelta(days=v[1]))
    ),
    max_size=12,
)
FACTORS = st.sampled_from([Decimal(1), Decimal("0.7"), Decimal("1.2"), Decimal("1.5"), Decimal(3)])


@settings(max_examples=60, deadline=None)
@given(visits=VISITS, factor=FACTORS)
def test_each_part_is_rounded_up_once_and_never_short_on_any_date(visits, factor):
    with seeded().unit_of_work("t") as uow:
        plan = p.plan_spare_parts(
            cx(uow),
            period_start=START,
            period_end=END,
            warehouse_id="W-SVC",
            expected_visits=visits,
            failure_window_days=100,
            safety_factor=factor,
        )
    scale = Fraction(factor)
    visit_dates = {d for _, d in visits}
    for code in ("RELAY-7", "FILTER-1"):
        lines = [x for x in plan.lines if x.part_code == code]
        assert {x.needed_by for x in lines} <= visit_dates | {START}
        assert len({x.needed_by for x in lines}) == len(lines)  # one line per date
        for day in (START + timedelta(days=n) for n in range(31)):
            expected = FAILURE.get(code, Fraction(0)) + PER_VISIT[code] * sum(
                1 for _, d in visits if d <= day
            )
            expected *= scale
            stocked = sum(x.quantity for x in lines if x.needed_by <= day)
            assert stocked == math.ceil(expected), (code, day)
