"""The memory adapter's rollback restores the committed state exactly, whatever happened before."""

import contextlib
from datetime import timedelta

import hypothesis.strategies as st
from hypothesis import given, settings

from servicecore.adapters.memory import MemoryStorage
from servicecore.errors import ServicecoreError
from servicecore.events import DomainEvent
from servicecore.model.common import TimeRange
from servicecore.model.enums import Priority
from servicecore.serialization import unstructure
from servicecore.testing import factories as f

OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "book", "event", "rollback"]),
        st.integers(0, 4),
    ),
    max_size=15,
)


def dump(storage: MemoryStorage, tenant: str) -> dict:
    with storage.unit_of_work(tenant) as uow:
        state = {
            name: [unstructure(e) for e in uow.repository(name).query()]
            for name in ("requests", "bookings")
        }
    state["events"] = [e.id for e in storage.pending_events(tenant, limit=1000)]
    return state


def apply(uow, op: str, n: int) -> None:
    if op == "add":
        uow.requests.add(f.request(id=f"R-{n}"))
    elif op == "update":
        req = uow.requests.get(f"R-{n}")
        req.priority = Priority.EMERGENCY
        uow.requests.update(req)
    elif op == "book":
        start = f.NOW + timedelta(hours=n)
        slot = TimeRange(start, start + timedelta(hours=2))
        uow.bookings.add(f.booking(id=f"B-{n}", technician_id="T-7", slot=slot))
    elif op == "event":
        uow.collect(
            DomainEvent(
                id=f"ev-{n}",
                name="Tick",
                entity_kind="ServiceRequest",
                entity_id=f"R-{n}",
                occurred_at=f.NOW,
            )
        )
    else:
        uow.rollback()


@settings(max_examples=60, deadline=None)
@given(committed=OPS, attempted=OPS)
def test_rollback_restores_the_committed_state_exactly(committed, attempted):
    storage = MemoryStorage()
    with storage.unit_of_work("acme") as uow:
        for op, n in committed:
            with contextlib.suppress(ServicecoreError):
                apply(uow, op, n)
        with contextlib.suppress(ServicecoreError):
            uow.commit()
    before = dump(storage, "acme")
    with storage.unit_of_work("acme") as uow:
        for op, n in attempted:
            with contextlib.suppress(ServicecoreError):
                apply(uow, op, n)
        uow.rollback()
    assert dump(storage, "acme") == before


@settings(max_examples=40, deadline=None)
@given(attempted=OPS)
def test_a_failed_commit_restores_the_committed_state_exactly(attempted):
    storage = MemoryStorage()
    with storage.unit_of_work("acme") as uow:
        uow.requests.add(f.request(id="R-0"))
        uow.commit()
    with storage.unit_of_work("acme") as slow:
        mine = slow.requests.get("R-0")
        mine.symptoms = "slow"
        slow.requests.update(mine)
        for op, n in attempted:
            with contextlib.suppress(ServicecoreError):
                apply(slow, op, n)
        with storage.unit_of_work("acme") as fast:
            theirs = fast.requests.get("R-0")
            theirs.symptoms = "fast"
            fast.requests.update(theirs)
            fast.commit()
        after_fast = dump(storage, "acme")
        try:
            slow.commit()
        except ServicecoreError:
            assert dump(storage, "acme") == after_fast
        else:
            # A "rollback" op dropped the stale update before the commit; the fast write stays.
            assert "rollback" in [op for op, _ in attempted]
        with storage.unit_of_work("acme") as uow:
            assert uow.requests.get("R-0").symptoms == "fast"
