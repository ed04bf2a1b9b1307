"""Reports benchmark: the booking and SLA compliance reports over 1,000,000 service requests.

Usage: ``python benchmarks/reports.py [--requests N] [--bookings-per-request F]
[--postgres-url URL] [--no-postgres] [--rounds N] [--json]``

The rows are bulk-loaded with SQLAlchemy Core ``insert()`` executemany (not through the unit of
work): ``N`` service requests (4 priorities; 90 % responded, 70 % closed, a share of them late)
and ``N * F`` bookings (default ``F = 0.5``; 6 statuses, 6 service types, 50 technicians plus
unassigned, 3 channels, slots over a year). Each row's ``data`` is a real entity unstructured
once and varied per row, so the JSON the SLA report reads has its real size.

Then each report is built ``--rounds`` times through :class:`SqlReporting` (the aggregation runs
in the database) and the best time is kept: the booking report by month
(:func:`~servicecore.reports.booking_report`) and SLA compliance
(:func:`~servicecore.reports.sla_compliance`).

SQLite runs on a temporary file. PostgreSQL runs on ``--postgres-url``, else
SERVICECORE_TEST_POSTGRES_URL, else ``postgresql+psycopg://postgres@127.0.0.1:5432/test``, in a
schema of its own that is dropped at the end; ``--no-postgres`` skips it.

With ``--json`` the last line maps each report and backend to seconds:
``{"booking_sqlite": ..., "sla_sqlite": ..., "booking_postgres": ..., "sla_postgres": ...}``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import upgrade
from servicecore.adapters.sqlalchemy.engine import make_engine
from servicecore.adapters.sqlalchemy.reporting import SqlReporting
from servicecore.adapters.sqlalchemy.tables import AGGREGATE_TABLES
from servicecore.model.booking import BookingStatus
from servicecore.model.enums import Channel, Priority, ServiceType
from servicecore.model.request import Closure, RequestStatus
from servicecore.reports import TimeUnit, booking_report, sla_compliance
from servicecore.serialization import unstructure
from servicecore.testing import factories as f

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TENANT = "bench"
T0 = datetime(2025, 3, 1, tzinfo=UTC)
SPAN_MINUTES = 365 * 24 * 60
AS_OF = T0 + timedelta(days=366)
BATCH = 10_000
TECHNICIANS = [f"T-{i:02d}" for i in range(50)]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def request_rows(n: int, seed: int) -> Iterator[list[dict[str, Any]]]:
    """Yield the service request rows, in batches."""
    rng = random.Random(seed)
    template = unstructure(
        f.request(
            response_due=f.NOW + timedelta(hours=4),
            resolution_due=f.NOW + timedelta(days=2),
            responded_at=f.NOW + timedelta(hours=1),
            closure=Closure(closed_at=f.NOW + timedelta(days=1), closed_by="u-1", summary="fixed"),
            status=RequestStatus.CLOSED,
        )
    )
    priorities = list(Priority)
    terms = {
        Priority.EMERGENCY: (timedelta(hours=1), timedelta(hours=8)),
        Priority.URGENT: (timedelta(hours=4), timedelta(days=1)),
        Priority.NORMAL: (timedelta(hours=8), timedelta(days=3)),
        Priority.LOW: (timedelta(days=1), timedelta(days=10)),
    }
    batch: list[dict[str, Any]] = []
    for i in range(n):
        priority = priorities[i % 4]
        reported = T0 + timedelta(minutes=rng.randrange(SPAN_MINUTES))
        response_due, resolution_due = (reported + d for d in terms[priority])
        data = copy.copy(template)
        data["id"] = f"R-{i:07d}"
        data["priority"] = priority.value
        data["reported_at"] = _iso(reported)
        data["response_due"] = _iso(response_due)
        data["resolution_due"] = _iso(resolution_due)
        status = RequestStatus.OPEN
        roll = rng.random()
        responded = None
        if roll < 0.9:
            responded = response_due + (terms[priority][0] * (rng.random() * 1.3 - 1))
            status = RequestStatus.IN_PROGRESS
        data["responded_at"] = _iso(responded) if responded is not None else None
        closure = None
        if roll < 0.7:
            closed = resolution_due + (terms[priority][1] * (rng.random() * 1.2 - 1))
            closure = dict(template["closure"], closed_at=_iso(max(closed, reported)))
            status = RequestStatus.CLOSED
        elif roll > 0.98:
            status = RequestStatus.CANCELLED
        data["closure"] = closure
        data["status"] = status.value
        batch.append(
            {
                "tenant": TENANT,
                "id": data["id"],
                "version": 1,
                "status": status.value,
                "customer_id": f"C-{i % 20000}",
                "archive_id": "A-1",
                "contract_id": None,
                "booking_id": None,
                "service_type": "repair",
                "priority": priority.value,
                "reported_at": reported,
                "response_due": response_due,
                "resolution_due": resolution_due,
                "data": data,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def booking_rows(n: int, seed: int) -> Iterator[list[dict[str, Any]]]:
    """Yield the booking rows, in batches."""
    rng = random.Random(seed)
    template = unstructure(f.booking())
    statuses, types, channels = list(BookingStatus), list(ServiceType), list(Channel)
    batch: list[dict[str, Any]] = []
    for i in range(n):
        start = T0 + timedelta(minutes=30 * rng.randrange(SPAN_MINUTES // 30))
        end = start + timedelta(hours=2)
        technician = rng.choice(TECHNICIANS) if rng.random() < 0.8 else None
        status, type_, channel = rng.choice(statuses), rng.choice(types), rng.choice(channels)
        data = copy.copy(template)
        data.update(
            id=f"B-{i:07d}",
            reference=f"REF-{i:07d}",
            status=status.value,
            service_type=type_.value,
            channel=channel.value,
            technician_id=technician,
            slot={"start": _iso(start), "end": _iso(end)},
        )
        batch.append(
            {
                "tenant": TENANT,
                "id": data["id"],
                "version": 1,
                "status": status.value,
                "customer_id": "C-1",
                "technician_id": technician,
                "reference": data["reference"],
                "service_type": type_.value,
                "channel": channel.value,
                "slot_start": start,
                "slot_end": end,
                "booked_at": start - timedelta(days=2),
                "data": data,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(engine: sa.Engine, requests: int, bookings: int) -> float:
    """Bulk-load the rows with Core executemany and analyse the tables; return the seconds."""
    started = time.perf_counter()
    for table, rows in (
        (AGGREGATE_TABLES["ServiceRequest"], request_rows(requests, 1)),
        (AGGREGATE_TABLES["Booking"], booking_rows(bookings, 2)),
    ):
        statement = sa.insert(table)
        for batch in rows:
            with engine.begin() as conn:
                conn.execute(statement, batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def best(build: Callable[[], object], rounds: int) -> tuple[float, object]:
    """Return the best time of ``rounds`` builds, and the last result."""
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = build()
        times.append(time.perf_counter() - started)
    return min(times), result


def run(engine: sa.Engine, name: str, args: argparse.Namespace) -> dict[str, float]:
    """Load, build both reports, print the figures; return them by ``<report>_<backend>``."""
    bookings = int(args.requests * args.bookings_per_request)
    print(f"[{name}] loading {args.requests:,} requests and {bookings:,} bookings ...", flush=True)
    seconds = load(engine, args.requests, bookings)
    print(f"[{name}] loaded in {seconds:.1f} s", flush=True)
    backend = SqlReporting(engine)
    booking_s, booking = best(
        lambda: booking_report(backend, TENANT, period=TimeUnit.MONTH), args.rounds
    )
    sla_s, sla = best(lambda: sla_compliance(backend, TENANT, AS_OF), args.rounds)
    print(f"[{name}] booking report: {booking_s:.2f} s ({len(booking.rows):,} rows)")  # type: ignore[attr-defined]
    print(f"[{name}] SLA compliance: {sla_s:.2f} s ({len(sla.rows)} rows)")  # type: ignore[attr-defined]
    return {f"booking_{name}": round(booking_s, 3), f"sla_{name}": round(sla_s, 3)}


@contextmanager
def postgres_engine(url: str) -> Iterator[sa.Engine]:
    """An engine on a fresh schema of its own, dropped at the end."""
    schema = f"sc_reports_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema},public"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def main() -> None:
    """Run the benchmark (see the module documentation)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--bookings-per-request", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SERVICECORE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(str(Path(folder) / "reports.db"))
        upgrade(engine)
        try:
            results |= run(engine, "sqlite", args)
        finally:
            engine.dispose()
    if not args.no_postgres:
        with postgres_engine(args.postgres_url) as engine:
            results |= run(engine, "postgres", args)
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
