"""Real threads against the database: the checks at commit hold when the early checks cannot.

Every writer passes the adapter's early checks (nothing is committed yet when they run), then
all commit at once: only the database - SQLite's serialised write transaction, PostgreSQL's
exclusion constraint, unique keys and versioned updates - stands between them.
"""

import threading
import uuid
from datetime import timedelta

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.adapters.sqlalchemy import tables as t
from servicecore.errors import ConcurrencyError, DoubleBooking
from servicecore.model.common import TimeRange
from servicecore.model.request import RequestStatus
from servicecore.testing import factories as f

WRITERS = 6


def run_together(work):
    """Run ``work(i, ready)`` in WRITERS threads; ``ready()`` waits for all to get there."""
    barrier = threading.Barrier(WRITERS, timeout=30)
    results = [None] * WRITERS

    def run(i):
        try:
            results[i] = work(i, barrier.wait)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_overlapping_bookings_committed_at_once_exactly_one_holds_the_slot(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    tenant = f"t-{uuid.uuid4().hex[:12]}"

    def book(i, ready):
        start = f.NOW + timedelta(minutes=10 * i)
        booking = f.booking(
            id=f"B-{i}",
            reference=f"SB-{i}",
            technician_id="T-7",
            slot=TimeRange(start, start + timedelta(hours=2)),
        )
        with storage.unit_of_work(tenant) as uow:
            uow.bookings.add(booking)  # the early check passes: nothing is committed yet
            ready()
            uow.commit()
        return booking.id

    results = run_together(book)
    won = [r for r in results if isinstance(r, str)]
    assert len(won) == 1, results
    assert all(isinstance(r, DoubleBooking) for r in results if r not in won), results
    with shared_engine.connect() as conn:
        held = conn.execute(
            sa.select(t.slots.c.owner_id).where(t.slots.c.tenant == tenant)
        ).scalars()
        assert list(held) == won
    with storage.unit_of_work(tenant) as uow:
        assert [b.id for b in uow.bookings.query()] == won


def test_writers_of_one_version_committed_at_once_exactly_one_wins(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    with storage.unit_of_work(tenant) as uow:
        uow.requests.add(f.request(id="R-1"))
        uow.commit()

    def write(i, ready):
        with storage.unit_of_work(tenant) as uow:
            request = uow.requests.get("R-1")
            request.fault_cause = f"cause seen by writer {i}"
            uow.requests.update(request)  # the early version check passes for everyone
            ready()
            uow.commit()
        return i

    results = run_together(write)
    won = [r for r in results if isinstance(r, int)]
    assert len(won) == 1, results
    assert all(isinstance(r, ConcurrencyError) for r in results if r not in won), results
    with storage.unit_of_work(tenant) as uow:
        stored = uow.requests.get("R-1")
    assert stored.version == 2
    assert stored.fault_cause == f"cause seen by writer {won[0]}"
    assert stored.status is RequestStatus.OPEN
