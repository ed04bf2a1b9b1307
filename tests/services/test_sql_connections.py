"""A SQL unit of work holds one pooled connection for its reads and its commit, and returns it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from desk_actors import CS

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.basics import FixedClock
from servicecore.errors import DoubleBooking, DuplicateId, StorageError
from servicecore.model.common import TimeRange
from servicecore.model.enums import Channel, ServiceType
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f


class _Pool:
    """Counts the engine's pool checkouts and what is out now."""

    def __init__(self, engine: sa.Engine) -> None:
        self.checkouts = 0
        self.out = 0
        self.statements: list[str] = []
        for name, listener in self._listeners():
            sa.event.listen(engine, name, listener)

    def _listeners(self) -> list[tuple[str, Callable[..., None]]]:
        return [
            ("checkout", self._checkout),
            ("checkin", self._checkin),
            ("before_cursor_execute", self._statement),
        ]

    def remove(self, engine: sa.Engine) -> None:
        for name, listener in self._listeners():
            sa.event.remove(engine, name, listener)

    def _checkout(self, *_: object) -> None:
        self.checkouts += 1
        self.out += 1

    def _checkin(self, *_: object) -> None:
        self.out -= 1

    def _statement(self, _c: object, _k: object, statement: str, *_: object) -> None:
        self.statements.append(" ".join(statement.split()))

    def reset(self) -> None:
        self.checkouts = 0
        self.statements.clear()


@pytest.fixture
def engine(shared_engine: sa.Engine) -> sa.Engine:
    return shared_engine


@pytest.fixture
def pool(engine: sa.Engine) -> Iterator[_Pool]:
    counting = _Pool(engine)
    yield counting
    counting.remove(engine)


@pytest.fixture
def desk(engine: sa.Engine, tenant: str) -> ServiceDesk:
    storage = SQLAlchemyStorage(engine)
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-1"))
        uow.commit()
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW))


def _book(desk: ServiceDesk, booking_id: str, hours: int = 16) -> None:
    start = f.NOW + timedelta(days=1, hours=hours)
    desk.bookings.book(
        CS,
        customer=f.booking().customer,
        service_type=ServiceType.REPAIR,
        channel=Channel.CALL_CENTRE,
        slot=TimeRange(start, start + timedelta(hours=2)),
        location=f.HERE,
        booking_policy=f.booking().policy,
        technician_id="T-1",
        booking_id=booking_id,
    )


def test_a_command_checks_out_one_connection_for_its_reads_and_its_commit(
    desk: ServiceDesk, pool: _Pool
) -> None:
    pool.reset()
    _book(desk, "B-1")
    assert pool.checkouts == 1
    assert pool.out == 0


def test_a_refused_command_gives_its_connection_back(desk: ServiceDesk, pool: _Pool) -> None:
    _book(desk, "B-1")
    pool.reset()
    with pytest.raises(DuplicateId):
        _book(desk, "B-1", hours=19)
    assert (pool.checkouts, pool.out) == (1, 0)


def test_a_unit_of_work_gives_its_connection_back_at_commit_without_a_with_block(
    engine: sa.Engine, pool: _Pool, tenant: str
) -> None:
    uow = SQLAlchemyStorage(engine).unit_of_work(tenant)
    uow.technicians.add(f.technician(id="T-9"))
    assert pool.out == 1
    uow.commit()
    assert pool.out == 0


def test_a_unit_of_work_reads_again_after_its_commit(
    engine: sa.Engine, pool: _Pool, tenant: str
) -> None:
    with SQLAlchemyStorage(engine).unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-9"))
        uow.commit()
        assert uow.technicians.get("T-9").id == "T-9"
    assert pool.out == 0


def test_a_booking_reads_its_technician_once(desk: ServiceDesk, pool: _Pool) -> None:
    pool.reset()
    _book(desk, "B-1")
    reads = [s for s in pool.statements if s.startswith("SELECT") and "FROM technicians" in s]
    assert len(reads) == 1


def test_a_new_booking_claims_its_time_without_releasing_a_claim_first(
    desk: ServiceDesk, pool: _Pool
) -> None:
    pool.reset()
    _book(desk, "B-1")
    releases = [s for s in pool.statements if s.startswith("DELETE FROM technician_slots")]
    assert releases == []  # inserted in this transaction: it holds no claim to replace


def test_a_double_booking_is_refused_after_reading_the_claims_only(
    desk: ServiceDesk, pool: _Pool
) -> None:
    _book(desk, "B-1")
    pool.reset()
    with pytest.raises(DoubleBooking):
        _book(desk, "B-2")
    tables = [s.split(" FROM ")[1].split()[0] for s in pool.statements]
    assert tables == ["technician_slots"]  # neither the technician nor a reference looked up


def test_a_new_bookings_reference_is_counted_without_leaving_out_pending_ids(
    desk: ServiceDesk, pool: _Pool
) -> None:
    pool.reset()
    _book(desk, "B-1")
    (count,) = [s for s in pool.statements if s.startswith("SELECT count(*)")]
    assert "NOT IN" not in count  # the staged booking has no stored row to leave out


def test_a_moved_booking_releases_its_claim_once(desk: ServiceDesk, pool: _Pool) -> None:
    _book(desk, "B-1")
    pool.reset()
    desk.bookings.confirm_booking(CS, "B-1")
    releases = [s for s in pool.statements if s.startswith("DELETE FROM technician_slots")]
    assert len(releases) == 1  # released before the claims are checked, not again to set it


def test_a_created_entity_is_not_looked_up_before_its_insert(
    desk: ServiceDesk, pool: _Pool
) -> None:
    pool.reset()
    _book(desk, "B-1")
    lookups = [
        s
        for s in pool.statements
        if s.startswith("SELECT bookings.version") or "FROM audit_entries" in s
    ]
    assert lookups == []  # the commit's inserts refuse an id or a trail that exists


def test_a_commit_writes_its_events_in_one_statement(desk: ServiceDesk, pool: _Pool) -> None:
    pool.reset()
    _book(desk, "B-1")
    inserts = [s for s in pool.statements if s.startswith("INSERT INTO outbox")]
    assert len(inserts) == 1


def test_an_entity_stored_without_a_trail_is_still_refused_when_created_again(
    desk: ServiceDesk, engine: sa.Engine
) -> None:
    with desk.storage.unit_of_work(desk.tenant) as uow:
        uow.bookings.add(f.booking(id="B-7"))  # imported below the lifecycle: no audit trail
        uow.commit()
    with pytest.raises(DuplicateId, match="B-7"):
        _book(desk, "B-7")
    with desk.storage.unit_of_work(desk.tenant) as uow:
        assert uow.audit.entries("Booking", "B-7") == ()


def test_a_failed_commit_gives_back_its_connection_and_the_next_unit_of_work_works(
    engine: sa.Engine, pool: _Pool, tenant: str
) -> None:
    storage = SQLAlchemyStorage(engine)

    def fail(*_: object) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    with storage.unit_of_work(tenant) as uow:
        uow.technicians.find("T-0")  # holds the connection now
        uow.technicians.add(f.technician(id="T-8"))
        sa.event.listen(engine, "before_execute", fail)
        try:
            with pytest.raises(StorageError):
                uow.commit()
        finally:
            sa.event.remove(engine, "before_execute", fail)
    assert pool.out == 0
    with storage.unit_of_work(tenant) as uow:
        assert uow.technicians.find("T-8") is None
        uow.technicians.add(f.technician(id="T-8"))
        uow.commit()


def test_a_connection_goes_back_to_the_pool_writing_in_transactions_again(
    desk: ServiceDesk, engine: sa.Engine, pool: _Pool
) -> None:
    _book(desk, "B-1")  # its connection read outside transactions (autocommit), then wrote
    assert pool.checkouts >= 1
    assert pool.out == 0
    storage = SQLAlchemyStorage(engine)
    with engine.connect() as conn:  # most likely the same pooled connection
        with storage.unit_of_work(desk.tenant, connection=conn) as uow:
            uow.technicians.add(f.technician(id="T-rolled-back"))
            uow.commit()
        conn.rollback()
    with storage.unit_of_work(desk.tenant) as uow:
        assert uow.technicians.find("T-rolled-back") is None
