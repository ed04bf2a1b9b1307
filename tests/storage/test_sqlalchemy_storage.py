"""What the SQLAlchemy adapter promises beyond the contract: the database does the enforcing."""

import multiprocessing
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade
from servicecore.adapters.sqlalchemy import tables as t
from servicecore.adapters.sqlalchemy.errors import translate
from servicecore.adapters.sqlalchemy.loading import loader_for
from servicecore.adapters.sqlalchemy.migrate import current_revision, head_revision
from servicecore.catalog import AGGREGATES
from servicecore.errors import (
    ConcurrencyError,
    DoubleBooking,
    DuplicateId,
    StorageError,
    ValidationError,
)
from servicecore.events import DomainEvent
from servicecore.model.audit import AuditEntry
from servicecore.model.common import TimeRange
from servicecore.model.request import ServiceRequest
from servicecore.serialization import unstructure
from servicecore.testing import factories as f
from servicecore.testing import strategies as s


def tenant():
    return f"t-{uuid.uuid4().hex[:12]}"


def booking(id, start_h, end_h, technician="T-7"):
    start = f.NOW + timedelta(hours=start_h)
    return f.booking(
        id=id, technician_id=technician, slot=TimeRange(start, f.NOW + timedelta(hours=end_h))
    )


# --- SQLite settings and targets -------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_opening_a_new_sqlite_file_waits_for_another_process_past_the_drivers_five_seconds(
    tmp_path,
):
    import sqlite3
    import threading

    from servicecore.adapters.sqlalchemy.engine import make_engine

    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")  # a rollback-journal file, as a new one is
    holder.execute("BEGIN EXCLUSIVE")  # another process migrating it, say
    release = threading.Timer(5.5, holder.execute, args=("COMMIT",))
    release.start()
    engine = make_engine(str(path))
    try:
        with engine.connect() as conn:  # switching to WAL waits for the lock
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        release.join()
        holder.close()
        engine.dispose()


def _holding_the_write_lock(path):
    import sqlite3

    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_sqlite_writer_waits_for_another_writer_and_then_commits(tmp_path):
    import threading

    path = tmp_path / "writers.db"
    with SQLAlchemyStorage(str(path)) as storage:
        holder = _holding_the_write_lock(path)
        release = threading.Timer(0.3, holder.execute, args=("COMMIT",))
        release.start()
        try:
            TestStored.store(storage, "acme", f.request(id="R-1"))
        finally:
            release.join()
            holder.close()
        with storage.unit_of_work("acme") as uow:
            assert uow.requests.get("R-1").id == "R-1"


def test_a_sqlite_writer_gives_up_after_the_busy_timeout_and_writes_nothing(tmp_path, monkeypatch):
    from servicecore.adapters.sqlalchemy import engine as sqlite_engine

    monkeypatch.setattr(sqlite_engine, "BUSY_TIMEOUT_SECONDS", 0.2)
    path = tmp_path / "writers.db"
    with SQLAlchemyStorage(str(path)) as storage:
        holder = _holding_the_write_lock(path)
        try:
            with pytest.raises(StorageError, match="locked"):
                TestStored.store(storage, "acme", f.request(id="R-1"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        with storage.unit_of_work("acme") as uow:
            assert uow.requests.find("R-1") is None


def _holding_the_gate(path):
    import fcntl
    import os

    fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _gate_is_free(path):
    import fcntl
    import os

    fd = os.open(f"{path}-writer", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_sqlite_writer_waits_for_its_turn_at_the_gate_beside_the_database_then_commits(
    tmp_path,
):
    import os
    import threading

    path = tmp_path / "writers.db"
    with SQLAlchemyStorage(str(path)) as storage:
        holder = _holding_the_gate(path)
        released = []

        def release():
            released.append(True)
            os.close(holder)

        timer = threading.Timer(0.3, release)
        timer.start()
        try:
            TestStored.store(storage, "acme", f.request(id="R-1"))
            assert released == [True]  # it committed only after the gate was let go
        finally:
            timer.join()
        with storage.unit_of_work("acme") as uow:
            assert uow.requests.get("R-1").id == "R-1"
        assert _gate_is_free(path)


def test_a_sqlite_writer_gives_up_when_the_gate_is_held_past_the_busy_timeout(
    tmp_path, monkeypatch
):
    import os

    from servicecore.adapters.sqlalchemy import engine as sqlite_engine

    monkeypatch.setattr(sqlite_engine, "BUSY_TIMEOUT_SECONDS", 0.2)
    path = tmp_path / "writers.db"
    with SQLAlchemyStorage(str(path)) as storage:
        holder = _holding_the_gate(path)
        try:
            with pytest.raises(StorageError, match=r"locked.*writers\.db-writer"):
                TestStored.store(storage, "acme", f.request(id="R-1"))
        finally:
            os.close(holder)
        with storage.unit_of_work("acme") as uow:
            assert uow.requests.find("R-1") is None
        TestStored.store(storage, "acme", f.request(id="R-1"))  # the next turn is free


def test_a_refused_sqlite_commit_lets_the_gate_go(tmp_path):
    path = tmp_path / "writers.db"
    with SQLAlchemyStorage(str(path)) as storage:
        TestStored.store(storage, "acme", f.request(id="R-1"))
        with pytest.raises(DuplicateId):
            TestStored.store(storage, "acme", f.request(id="R-1"))
        assert _gate_is_free(path)


def test_a_gate_file_that_cannot_be_opened_leaves_the_waiting_to_sqlite(tmp_path):
    path = tmp_path / "writers.db"
    (tmp_path / "writers.db-writer").mkdir()  # opening it for writing fails
    with SQLAlchemyStorage(str(path)) as storage:
        TestStored.store(storage, "acme", f.request(id="R-1"))
        with storage.unit_of_work("acme") as uow:
            assert uow.requests.get("R-1").id == "R-1"


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://postgres@127.0.0.1:5432/test", "sqlite://", "sqlite:///:memory:"]
)
def test_only_a_sqlite_file_has_a_writer_gate(url):
    from servicecore.adapters.sqlalchemy.gate import writer_gate

    engine = sa.create_engine(url)  # not connected
    assert writer_gate(engine) is None
    engine.dispose()


def test_a_sqlite_files_gate_lies_beside_it(tmp_path):
    from servicecore.adapters.sqlalchemy.gate import writer_gate

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'service.db'}")
    gate = writer_gate(engine)
    assert gate is not None
    assert gate.path == str(tmp_path / "service.db-writer")
    engine.dispose()


def test_a_plain_file_path_is_an_embedded_sqlite_database(tmp_path):
    path = tmp_path / "service.db"
    with SQLAlchemyStorage(str(path)) as storage:  # a new file: the schema is created
        assert storage.engine.dialect.name == "sqlite"
        TestStored.store(storage, "acme", f.request(id="R-1"))
    with SQLAlchemyStorage(path) as storage, storage.unit_of_work("acme") as uow:
        assert uow.requests.get("R-1").id == "R-1"
    assert path.exists()


# --- what is stored --------------------------------------------------------------------------


class TestStored:
    @staticmethod
    def store(storage, tenant, *entities):
        with storage.unit_of_work(tenant) as uow:
            for entity in entities:
                uow.repository(type(entity).__name__).add(entity)
            uow.commit()

    def test_indexed_columns_hold_the_fields_and_times_are_utc(self, shared_engine):
        storage = SQLAlchemyStorage(shared_engine)
        who = tenant()
        plus8 = timezone(timedelta(hours=8))
        reported = datetime(2026, 3, 2, 16, 30, 0, 250, tzinfo=plus8)
        self.store(storage, who, f.request(id="R-1", reported_at=reported))
        table = t.AGGREGATE_TABLES["ServiceRequest"]
        with shared_engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.tenant == who)).mappings().one()
            raw = conn.execute(
                sa.text("SELECT reported_at FROM requests WHERE tenant = :t"), {"t": who}
            ).scalar_one()
        assert row["version"] == 1
        assert row["status"] == "open"
        assert row["reported_at"] == reported
        assert row["reported_at"].tzinfo is not None
        assert row["data"]["id"] == "R-1"
        if shared_engine.dialect.name == "sqlite":
            assert raw == "2026-03-02T08:30:00.000250"  # fixed-width UTC text sorts as time
        else:
            assert raw == reported  # TIMESTAMPTZ

    def test_an_entity_whose_claim_is_released_frees_its_row_in_the_slot_table(self, shared_engine):
        storage = SQLAlchemyStorage(shared_engine)
        who = tenant()
        self.store(storage, who, booking("B-1", 1, 3))
        claims = sa.select(t.slots.c.owner_id).where(t.slots.c.tenant == who)
        with shared_engine.connect() as conn:
            assert conn.execute(claims).scalars().all() == ["B-1"]
        with storage.unit_of_work(who) as uow:
            b = uow.bookings.get("B-1")
            b.technician_id = None
            uow.bookings.update(b)
            uow.commit()
        with shared_engine.connect() as conn:
            assert conn.execute(claims).scalars().all() == []


# --- the audit trail is append-only in the database ----------------------------------------


def audit_entry():
    return AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-1",
        trigger="create",
        from_state="",
        to_state="open",
        actor_id="u-1",
        at=f.NOW,
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET reason = 'edited' WHERE tenant = :t",
        "DELETE FROM audit_entries WHERE tenant = :t",
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_or_remove_audit_entries(shared_engine, statement):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    with storage.unit_of_work(who) as uow:
        stored = uow.audit.append(audit_entry())
        uow.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), shared_engine.begin() as conn:
        conn.execute(sa.text(statement), {"t": who})
    with storage.unit_of_work(who) as uow:
        assert uow.audit.entries("ServiceRequest", "R-1") == (stored,)


REWRITES = {
    "sqlite": "INSERT OR REPLACE INTO audit_entries "
    "SELECT tenant, entity_kind, entity_id, seq, trigger, from_state, to_state, actor_id, at, "
    "'rewritten', payload_digest, prev_hash, hash, scheme, payload FROM audit_entries "
    "WHERE tenant = :t",
    "postgresql": "INSERT INTO audit_entries SELECT * FROM audit_entries WHERE tenant = :t "
    "ON CONFLICT (tenant, entity_kind, entity_id, seq) DO UPDATE SET reason = 'rewritten'",
}


def test_the_database_refuses_to_rewrite_audit_entries_by_inserting_over_them(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    with storage.unit_of_work(who) as uow:
        stored = uow.audit.append(audit_entry())
        uow.commit()
    statement = REWRITES[shared_engine.dialect.name]
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), shared_engine.begin() as conn:
        conn.execute(sa.text(statement), {"t": who})
    with storage.unit_of_work(who) as uow:
        assert uow.audit.entries("ServiceRequest", "R-1") == (stored,)


@pytest.mark.postgres
def test_postgres_refuses_to_truncate_the_audit_trail(postgres_engine):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), postgres_engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE audit_entries")


# --- no double booking: the PostgreSQL exclusion constraint ---------------------------------


def claim(who, owner, start_h, end_h, technician="T-7"):
    return {
        "tenant": who,
        "owner_kind": "Booking",
        "owner_id": owner,
        "technician_id": technician,
        "period_start": f.NOW + timedelta(hours=start_h),
        "period_end": f.NOW + timedelta(hours=end_h),
    }


@pytest.mark.postgres
def test_the_exclusion_constraint_refuses_overlapping_claims_written_directly(postgres_engine):
    who = tenant()
    with postgres_engine.begin() as conn:
        conn.execute(t.slots.insert(), claim(who, "B-1", 1, 3))
        # touching, another technician, another tenant: all fine
        conn.execute(t.slots.insert(), claim(who, "B-2", 3, 4))
        conn.execute(t.slots.insert(), claim(who, "B-3", 1, 3, technician="T-8"))
        conn.execute(t.slots.insert(), claim(tenant(), "B-1", 1, 3))
    with pytest.raises(sa.exc.IntegrityError) as info, postgres_engine.begin() as conn:
        conn.execute(t.slots.insert(), claim(who, "B-4", 2, 5))
    assert isinstance(info.value.orig, psycopg.errors.ExclusionViolation)
    assert isinstance(translate(info.value, "claiming"), DoubleBooking)


@pytest.mark.postgres
def test_the_exclusion_constraint_holds_between_concurrent_transactions(postgres_engine):
    import threading

    who = tenant()
    outcome = {}
    first = postgres_engine.connect()
    first.begin()
    first.execute(t.slots.insert(), claim(who, "B-1", 1, 3))  # not committed yet

    def second():
        try:
            with postgres_engine.begin() as conn:
                conn.execute(t.slots.insert(), claim(who, "B-2", 2, 4))
            outcome["second"] = "committed"
        except sa.exc.IntegrityError as exc:
            outcome["second"] = translate(exc, "claiming")

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second claim must wait for the first transaction"
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert isinstance(outcome["second"], DoubleBooking)


# --- driver errors are translated and chained -------------------------------------------


def test_a_duplicate_id_found_at_commit_is_duplicate_id_chained(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    with storage.unit_of_work(who) as first, storage.unit_of_work(who) as second:
        first.requests.add(f.request(id="R-1"))
        second.requests.add(f.request(id="R-1"))  # nothing committed yet: accepted for now
        first.commit()
        with pytest.raises(DuplicateId) as info:
            second.commit()
    assert isinstance(info.value.__cause__, sa.exc.IntegrityError)


def test_an_audit_chain_extended_concurrently_is_a_concurrency_error_chained(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    with storage.unit_of_work(who) as uow:
        uow.audit.append(audit_entry())
        uow.commit()
    with storage.unit_of_work(who) as first, storage.unit_of_work(who) as second:
        for uow in (first, second):
            head = uow.audit.head("ServiceRequest", "R-1")
            uow.audit.append(
                AuditEntry.create(
                    entity_kind="ServiceRequest",
                    entity_id="R-1",
                    trigger="hold",
                    from_state="open",
                    to_state="held",
                    actor_id="u-1",
                    at=f.NOW,
                    previous=head,
                )
            )
        first.commit()
        with pytest.raises(ConcurrencyError) as info:
            second.commit()
    assert isinstance(info.value.__cause__, sa.exc.IntegrityError)


def test_a_trail_started_concurrently_twice_is_a_duplicate_chained(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    with storage.unit_of_work(who) as first, storage.unit_of_work(who) as second:
        first.audit.append(audit_entry())
        second.audit.append(audit_entry())
        first.commit()
        with pytest.raises(DuplicateId, match="R-1 has been created before") as info:
            second.commit()
    assert isinstance(info.value.__cause__, sa.exc.IntegrityError)


def test_a_version_conflict_at_commit_names_both_versions(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    TestStored.store(storage, who, f.request(id="R-1"))
    with storage.unit_of_work(who) as first, storage.unit_of_work(who) as second:
        a, b = first.requests.get("R-1"), second.requests.get("R-1")
        first.requests.update(a)
        second.requests.update(b)
        first.commit()
        with pytest.raises(ConcurrencyError, match="loaded at version 1, now 2"):
            second.commit()
    with storage.unit_of_work(who) as uow:
        assert uow.requests.get("R-1").version == 2


def wrapped(orig):
    return sa.exc.OperationalError("UPDATE requests ...", {}, orig)


@pytest.mark.parametrize(
    ("orig", "expected"),
    [
        (psycopg.errors.SerializationFailure("could not serialize"), ConcurrencyError),
        (psycopg.errors.DeadlockDetected("deadlock detected"), ConcurrencyError),
        (
            psycopg.errors.DeadlockDetected(
                "deadlock detected\nCONTEXT:  while checking exclusion constraint on tuple "
                '(0,6) in relation "technician_slots"'
            ),
            DoubleBooking,
        ),
        (psycopg.errors.ExclusionViolation("conflicting key value"), DoubleBooking),
        (psycopg.errors.DiskFull("no space left"), StorageError),
        (psycopg.errors.UniqueViolation("duplicate key"), StorageError),
    ],
    ids=[
        "serialization",
        "deadlock",
        "deadlock-over-overlapping-claims",
        "exclusion",
        "other",
        "unique-without-meaning",
    ],
)
def test_postgres_errors_translate_by_sqlstate(orig, expected):
    error = translate(wrapped(orig), "committing")
    assert type(error) is expected
    assert "committing" in str(error)


def test_a_unique_violation_means_what_the_caller_says():
    error = translate(
        wrapped(psycopg.errors.UniqueViolation("duplicate key")),
        "writing",
        lambda: DuplicateId("R-1 exists"),
    )
    assert isinstance(error, DuplicateId)


def test_a_broken_database_is_a_storage_error_chained(fresh_sqlite):
    engine = fresh_sqlite()
    upgrade(engine)
    storage = SQLAlchemyStorage(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE requests")
    with (
        storage.unit_of_work("acme") as uow,
        pytest.raises(StorageError, match="reading ServiceRequest R-1") as info,
    ):
        uow.requests.find("R-1")
    assert isinstance(info.value.__cause__, sa.exc.DBAPIError)
    with storage.unit_of_work("acme") as uow:
        uow.knowledge.add(f.make("knowledge"))
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE knowledge")
        with pytest.raises(StorageError, match="KnowledgeArticle") as info:
            uow.commit()
    assert isinstance(info.value.__cause__, sa.exc.DBAPIError)


# --- outbox: a crash before the publisher ran ----------------------------------------------

CRASHING_HOST = """
import os, sys
from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.events import DomainEvent
from servicecore.testing import factories as f

def crash(tenant, events):
    os._exit(17)  # the host dies before it handled anything

storage = SQLAlchemyStorage(sys.argv[1], publisher=crash)
with storage.unit_of_work("acme") as uow:
    uow.requests.add(f.request(id="R-1"))
    uow.collect(DomainEvent(id="ev-1", name="RequestOpened", entity_kind="ServiceRequest",
                            entity_id="R-1", occurred_at=f.NOW, payload={"n": [1, {"a": None}]}))
    uow.commit()
"""


def test_events_of_a_host_that_crashed_before_publishing_are_pending_after_reopening(tmp_path):
    path = str(tmp_path / "crash.db")
    upgrade(path)
    done = subprocess.run([sys.executable, "-c", CRASHING_HOST, path], check=False)
    assert done.returncode == 17
    handled = []
    with SQLAlchemyStorage(path, publisher=lambda t, evs: handled.extend(evs)) as storage:
        pending = storage.pending_events("acme")
        assert [e.id for e in pending] == ["ev-1"]
        assert pending[0].payload == {"n": [1, {"a": None}]}
        with storage.unit_of_work("acme") as uow:
            assert uow.requests.get("R-1").version == 1  # the change committed with its event
        assert storage.publish_pending("acme") == 1
        assert [e.id for e in handled] == ["ev-1"]
        assert storage.pending_events("acme") == ()


def test_a_publisher_that_fails_leaves_events_pending_and_logs(shared_engine, caplog):
    def failing(tenant, events):
        raise RuntimeError("broker down")

    storage = SQLAlchemyStorage(shared_engine, publisher=failing)
    who = tenant()
    event = DomainEvent(
        id="ev-1", name="X", entity_kind="ServiceRequest", entity_id="R-1", occurred_at=f.NOW
    )
    with storage.unit_of_work(who) as uow:
        uow.collect(event)
        assert uow.commit() == (event,)
    assert storage.pending_events(who) == (event,)
    assert "stay pending" in caplog.text


# --- loading trusted rows ---------------------------------------------------------------------

STRATEGIES = {
    "archives": s.archives(),
    "contracts": s.contracts(),
    "bookings": s.bookings(),
    "requests": s.service_requests(),
    "dispatches": s.dispatch_orders(),
    "processing": s.processing_orders(),
    "quotes": s.quotes(),
    "care_plans": s.care_plans(),
    "technicians": s.technicians(),
    "knowledge": s.knowledge_articles(),
    "evidence": s.evidence(),
    "spare_part_plans": s.spare_part_plans(),
    "transfers": s.transfer_requests(),
    "requisitions": s.parts_requisitions(),
    "surveys": s.survey_results(),
    "claims": s.supplier_claims(),
    "documents": s.technical_documents(),
}


def test_every_aggregate_has_a_strategy_here():
    assert set(STRATEGIES) == {spec.name for spec in AGGREGATES}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entity=st.one_of(*STRATEGIES.values()))
def test_the_fast_loader_rebuilds_exactly_what_was_stored(entity):
    data = unstructure(entity)
    back = loader_for(type(entity))(data)
    assert type(back) is type(entity)
    assert unstructure(back) == data


def test_odd_stored_data_goes_through_the_validating_converter():
    load = loader_for(ServiceRequest)
    data = unstructure(f.request(id="R-1"))
    with pytest.raises(ValidationError, match="reported_at"):
        load({**data, "reported_at": 5})
    missing = {k: v for k, v in data.items() if k != "symptoms"}
    with pytest.raises(ValidationError, match="symptoms"):
        load(missing)
    fine = load({**data, "reported_at": "2026-03-02T08:00:00+08:00"})
    assert fine.reported_at == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_a_failure_on_the_last_write_of_a_commit_leaves_nothing_of_it(shared_engine):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    event = DomainEvent(
        id="ev-1", name="X", entity_kind="ServiceRequest", entity_id="R-1", occurred_at=f.NOW
    )
    with storage.unit_of_work(who) as uow:
        uow.requests.add(f.request(id="R-1"))
        uow.collect(event)
        uow.commit()
    with storage.unit_of_work(who) as uow:
        request = uow.requests.get("R-1")
        request.fault_cause = "worn bearing"
        uow.requests.update(request)  # written first in the transaction...
        uow.requests.add(f.request(id="R-2"))
        uow.bookings.add(booking("B-1", 1, 3))
        uow.audit.append(audit_entry())
        uow.collect(event)  # ...and the outbox insert, written last, fails
        with pytest.raises(DuplicateId, match="ev-1"):
            uow.commit()
        assert uow.pending == {}
    with storage.unit_of_work(who) as uow:
        assert uow.requests.get("R-1").fault_cause is None
        assert uow.requests.get("R-1").version == 1
        assert uow.requests.find("R-2") is None
        assert uow.bookings.count() == 0
        assert uow.audit.entries("ServiceRequest", "R-1") == ()
    with shared_engine.connect() as conn:
        assert conn.execute(sa.select(t.slots).where(t.slots.c.tenant == who)).first() is None
    assert [e.id for e in storage.pending_events(who)] == ["ev-1"]


def test_a_url_whose_database_driver_is_not_installed_names_it():
    from servicecore.adapters.sqlalchemy.engine import make_engine

    with pytest.raises(ValidationError, match="driver") as info:
        make_engine("mysql://user@host/db")
    assert info.value.errors[0].path == "url"


# --- several processes opening one new SQLite file at once ---------------------------------

OPENERS = 4


def open_and_count(path, barrier, answers):
    """In a process of its own: open the storage when every opener is ready, then read."""
    barrier.wait()
    try:
        with SQLAlchemyStorage(path) as storage, storage.unit_of_work("t") as uow:
            answers.put(uow.requests.count())
    except Exception as exc:  # the answer the test checks, from another process
        answers.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_one_new_sqlite_file_at_once_all_get_the_schema(tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(OPENERS), context.Queue()
    path = str(tmp_path / "new.db")
    openers = [
        context.Process(target=open_and_count, args=(path, barrier, answers))
        for _ in range(OPENERS)
    ]
    for opener in openers:
        opener.start()
    found = [answers.get(timeout=120) for _ in openers]
    for opener in openers:
        opener.join(timeout=60)
    assert found == [0] * OPENERS
    assert current_revision(path) == head_revision()


# --- corrupted stored data ----------------------------------------------------------------


@pytest.mark.parametrize("corrupt", ["abc", "1e999999999", "NaN", 12.5])
def test_a_corrupted_stored_decimal_is_a_storage_error_naming_the_record(shared_engine, corrupt):
    storage = SQLAlchemyStorage(shared_engine)
    who = tenant()
    with storage.unit_of_work(who) as uow:
        uow.processing.add(f.processing(labour_hours=Decimal("1.5")))
        uow.commit()
    table = t.AGGREGATE_TABLES["ProcessingOrder"]
    with shared_engine.begin() as conn:
        data = conn.execute(sa.select(table.c.data).where(table.c.tenant == who)).scalar_one()
        conn.execute(
            sa.update(table)
            .where(table.c.tenant == who)
            .values(data={**data, "labour_hours": corrupt})
        )
    with storage.unit_of_work(who) as uow, pytest.raises(StorageError, match="ProcessingOrder P-1"):
        uow.processing.get("P-1")
