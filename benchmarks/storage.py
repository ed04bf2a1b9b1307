"""Storage benchmark: the SQLAlchemy adapter beside raw SQLAlchemy Core, on SQLite and PostgreSQL.

Usage: ``python benchmarks/storage.py [--requests N] [--writes N] [--postgres URL] [--json]``

- Writes: persisted state changes per second. One state change is one unit of work: load a
  service request, read its audit head, change it (a new audit entry, hash-chained), update it
  with its version check, append the audit entry, collect an event, commit (one transaction:
  UPDATE ... WHERE version = ?, INSERT audit entry, INSERT outbox row). The raw side executes the
  same statements with SQLAlchemy Core on the same engine, with precomputed values: it measures
  the database; the difference is what the adapter costs.
- Load: the time to load N service requests as entities (``uow.requests.iterate()``, keyset
  pages of 1,000), beside one raw Core select of the same rows' data (parsed JSON, no entities).

PostgreSQL runs when ``--postgres`` or SERVICECORE_TEST_POSTGRES_URL gives a server; the
benchmark works in a schema of its own with a random name and drops it at the end. SQLite runs on
a temporary file (WAL, synchronous FULL: every commit is durable).

With ``--json`` the last line is ``{"sqlite_write_ratio": ..., "postgres_write_ratio": ...,
"sqlite_load_ratio": ..., "postgres_load_ratio": ...}`` (servicecore time / raw time; ``null``
for a backend that did not run), plus the detail figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade
from servicecore.adapters.sqlalchemy import tables as t
from servicecore.adapters.sqlalchemy.engine import BEGIN_OPTION, make_engine, read_options
from servicecore.adapters.sqlalchemy.rows import audit_row, entity_row, event_row
from servicecore.catalog import spec_for
from servicecore.events import DomainEvent
from servicecore.model.audit import AuditEntry
from servicecore.model.common import GeoPoint
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.request import ServiceRequest

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TENANT = "bench"
SPEC = spec_for(ServiceRequest)


def _request(i: int) -> ServiceRequest:
    reported = T0 + timedelta(minutes=i)
    return ServiceRequest(
        id=f"R-{i:07d}",
        customer_id=f"C-{i % 5000}",
        service_type=ServiceType.REPAIR if i % 3 else ServiceType.INSTALLATION,
        priority=(Priority.NORMAL, Priority.URGENT, Priority.LOW)[i % 3],
        symptoms=f"unit {i} makes a grinding noise when the drum spins; error code E{i % 40}",
        reported_at=reported,
        archive_id=f"A-{i}",
        contract_id=f"K-{i % 700}" if i % 2 else None,
        required_skills=("electrical", "washing-machines") if i % 2 else ("electrical",),
        location=GeoPoint(lat=-6.2 + (i % 100) / 1000, lon=106.8, address=f"Jl. Sudirman {i}"),
        response_due=reported + timedelta(hours=4),
        resolution_due=reported + timedelta(hours=48),
    )


def _seed(engine: sa.Engine, n: int) -> None:
    table = t.AGGREGATE_TABLES["ServiceRequest"]
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for i in range(n):
            entity = _request(i)
            entity.version = 1
            batch.append(entity_row(TENANT, SPEC, entity))
            if len(batch) == 5000:
                conn.execute(table.insert(), batch)
                batch.clear()
        if batch:
            conn.execute(table.insert(), batch)


def _entry(request: ServiceRequest, previous: AuditEntry | None, n: int) -> AuditEntry:
    return AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id=request.id,
        trigger="reprioritise",
        from_state=request.status.value,
        to_state=request.status.value,
        actor_id="bench",
        at=T0 + timedelta(seconds=n),
        reason="benchmark",
        payload={"n": n},
        previous=previous,
    )


def _event(request_id: str, n: int) -> DomainEvent:
    return DomainEvent(
        id=f"ev-{uuid.uuid4().hex}",
        name="RequestReprioritised",
        entity_kind="ServiceRequest",
        entity_id=request_id,
        occurred_at=T0 + timedelta(seconds=n),
        payload={"n": n},
    )


def _servicecore_writes(storage: SQLAlchemyStorage, ids: list[str]) -> float:
    start = time.perf_counter()
    for n, id in enumerate(ids):
        with storage.unit_of_work(TENANT) as uow:
            request = uow.requests.get(id)
            entry = _entry(request, uow.audit.head("ServiceRequest", id), n)
            request.priority = (
                Priority.EMERGENCY if request.priority != Priority.EMERGENCY else Priority.URGENT
            )
            request.audit_head = entry.hash
            uow.requests.update(request)
            uow.audit.append(entry)
            uow.collect(_event(id, n))
            uow.commit()
    return time.perf_counter() - start


def _raw_writes(engine: sa.Engine, ids: list[str]) -> float:
    """The statements the adapter runs for one state change, values precomputed."""
    table = t.AGGREGATE_TABLES["ServiceRequest"]
    audit, outbox = t.audit, t.outbox
    prepared = []
    for n, id in enumerate(ids):
        request = _request(int(id[2:]))
        entry = _entry(request, None, n)
        request.version = 2
        request.audit_head = entry.hash
        row = entity_row(TENANT, SPEC, request)
        del row["tenant"], row["id"]
        prepared.append((id, row, audit_row(TENANT, entry), event_row(TENANT, _event(id, n))))
    by_id = (table.c.tenant == sa.bindparam("t"), table.c.id == sa.bindparam("i"))
    select_data = sa.select(table.c.data).where(*by_id)
    select_version = sa.select(table.c.version).where(*by_id)
    head = (
        sa.select(audit)
        .where(
            audit.c.tenant == sa.bindparam("t"),
            audit.c.entity_kind == "ServiceRequest",
            audit.c.entity_id == sa.bindparam("i"),
        )
        .order_by(audit.c.seq.desc())
        .limit(1)
    )
    update = table.update().where(
        table.c.tenant == TENANT,
        table.c.id == sa.bindparam("b_id"),
        table.c.version == sa.bindparam("b_version"),
    )
    reads = read_options(engine)  # single-statement reads need no transaction
    start = time.perf_counter()
    for id, row, audit_values, event_values in prepared:
        key = {"t": TENANT, "i": id}
        with engine.connect() as conn:
            conn.execution_options(**reads)
            conn.execute(select_data, key).scalar_one()
        with engine.connect() as conn:
            conn.execution_options(**reads)
            conn.execute(head, key).first()
        with engine.connect() as conn:
            conn.execution_options(**reads)
            version = conn.execute(select_version, key).scalar_one()
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                done = conn.execute(update, {**row, "b_id": id, "b_version": version})
                assert done.rowcount == 1
                conn.execute(audit.insert(), audit_values)
                conn.execute(outbox.insert(), event_values)
    return time.perf_counter() - start


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _load(storage: SQLAlchemyStorage) -> list[ServiceRequest]:
    with storage.unit_of_work(TENANT) as uow:
        return list(uow.requests.iterate(page_size=1000))


def _raw_load(engine: sa.Engine) -> list[Any]:
    table = t.AGGREGATE_TABLES["ServiceRequest"]
    statement = sa.select(table.c.data).where(table.c.tenant == TENANT).order_by(table.c.id)
    with engine.connect() as conn:
        return list(conn.execute(statement).scalars().all())


def run(
    engine: sa.Engine, label: str, n_requests: int, n_writes: int, load_rounds: int
) -> dict[str, float]:
    upgrade(engine)
    print(f"[{label}] seeding {n_requests} requests...", flush=True)
    _seed(engine, n_requests)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:  # start the writes without the seed in the WAL
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    storage = SQLAlchemyStorage(engine)
    # Writes: distinct requests for each side (fresh rows each time), a warm-up of each side,
    # then rounds that alternate so that neither side always runs on a warmer cache or pays
    # for the other's WAL checkpoints.
    rounds = 10
    per_round = max(1, n_writes // rounds)
    ids = iter(f"R-{i:07d}" for i in range(n_requests))
    _servicecore_writes(storage, [next(ids) for _ in range(20)])
    _raw_writes(engine, [next(ids) for _ in range(20)])
    sc = raw = 0.0
    for _ in range(rounds):
        sc += _servicecore_writes(storage, [next(ids) for _ in range(per_round)])
        raw += _raw_writes(engine, [next(ids) for _ in range(per_round)])
    n_writes = rounds * per_round
    # Load: alternating rounds, best of each (the least disturbed by other processes).
    sc_times, raw_times = [], []
    for _ in range(load_rounds):
        sc_times.append(_timed(lambda: _load(storage))[0])
        raw_times.append(_timed(lambda: _raw_load(engine))[0])
    sc_load, raw_load = min(sc_times), min(raw_times)
    loaded = _load(storage)
    assert len(loaded) == n_requests
    assert isinstance(loaded[0], ServiceRequest)
    figures = {
        "write_per_s": n_writes / sc,
        "raw_write_per_s": n_writes / raw,
        "write_ratio": sc / raw,
        "load_s": sc_load,
        "raw_load_s": raw_load,
        "load_ratio": sc_load / raw_load,
    }
    print(
        f"[{label}] state changes/s: servicecore {figures['write_per_s']:.0f}, raw Core "
        f"{figures['raw_write_per_s']:.0f} -> ratio {figures['write_ratio']:.2f} (target <= 1.5)"
    )
    print(
        f"[{label}] load {n_requests} requests: servicecore {sc_load:.2f} s, raw Core select "
        f"{raw_load:.2f} s -> ratio {figures['load_ratio']:.2f} (target <= 2)"
    )
    return figures


@contextmanager
def _postgres_engine(url: str) -> Iterator[sa.Engine]:
    schema = f"sc_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema},public"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests to load")
    parser.add_argument("--writes", type=int, default=1000, help="state changes per side")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SERVICECORE_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default: SERVICECORE_TEST_POSTGRES_URL; unset: skip PostgreSQL)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="load rounds per side (best counts)")
    parser.add_argument("--json", action="store_true", help="print the ratios as JSON last")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Path(tmp) / "bench.db")
        try:
            results["sqlite"] = run(engine, "sqlite", args.requests, args.writes, args.rounds)
        finally:
            engine.dispose()
    if args.postgres:
        with _postgres_engine(args.postgres) as engine:
            results["postgres"] = run(engine, "postgres", args.requests, args.writes, args.rounds)
    else:
        print("[postgres] skipped: give --postgres URL or set SERVICECORE_TEST_POSTGRES_URL")
    if args.json:
        summary: dict[str, Any] = {}
        for backend in ("sqlite", "postgres"):
            figures = results.get(backend)
            summary[f"{backend}_write_ratio"] = figures and round(figures["write_ratio"], 3)
            summary[f"{backend}_load_ratio"] = figures and round(figures["load_ratio"], 3)
        summary["detail"] = results
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
