"""Load benchmark: processes run a web app's mix of desk commands, racing on the same records.

Usage: ``python benchmarks/load.py [--workers 2,8,16] [--seconds S] [--rounds R] [--postgres URL]
[--json]``

For each backend (SQLite WAL on a temporary file; PostgreSQL when ``--postgres`` or
SERVICECORE_TEST_POSTGRES_URL gives a server) and each worker count, in one run:

- servicecore: N processes call the desk for ``--seconds``: book a slot (20 %), confirm (15 %)
  or cancel (10 %) a booking, hold or resume a service request (30 %), open a request (15 %),
  read an SLA report (10 %). The shared requests start in progress (dispatched, accepted and
  started), so holds and resumes alternate. Confirm, cancel, hold and resume pick from small
  shared pools, and the slots come from a small grid of technicians and hours, so processes
  race on the same records and on the same technician time; refusals that such races cause
  (``ConcurrencyError``, ``DoubleBooking``, ``InvalidTransition``...) are counted by class.
- raw: N processes run, with SQLAlchemy Core on their own pool of rows for the same time, the
  writes the same worker's commands made, call by call, values precomputed, each call on one
  connection (as servicecore holds one per unit of work): a change is select
  the row, select its audit head, select its version, then one transaction of UPDATE ... WHERE
  version, INSERT audit entry and the outbox rows the command wrote (a lost version race is
  counted as a conflict); a creation is one transaction of INSERT row, audit entry and outbox
  rows; a command that claimed technician time also deletes the owner's old claim, selects the
  overlapping claims (the check that keeps a technician from being booked twice) and inserts
  its claim, on a raw technician of its own; a read, or a refused command, is one select. The
  counts of outbox rows and claims come from the servicecore worker's own statements.
- integrity, from the database after the servicecore run: every record a worker saw committed
  is there, every audit chain verifies (with the record's head), each record has exactly the
  audit entries its committed commands made (no lost update, no phantom entry), and no
  technician's live bookings overlap.

Each worker process warms up before the clock starts (outside the timed calls): a servicecore
worker runs every kind of call of the mix a few times in a tenant of its own, a raw worker every
kind of call of its trace on ids the timed calls never use. A web app's workers live for days;
without it, each round's new processes spent much of a short round compiling and preparing
statements, servicecore's side more (it has more kinds of statement).

The two sides alternate in ``--rounds`` short rounds (each raw round replays the servicecore round
before it), so that a change in the machine's load falls on both. The ratio is servicecore's time
per command over raw time per statement group (raw commands/s over servicecore commands/s).
Latency is per call, refused calls included.

With ``--json`` the last line is one JSON object: ``{"runs": [{"backend", "workers",
"commands_per_s", "raw_per_s", "ratio", "p50_ms", "p99_ms", "errors", "audit_chain_errors",
"integrity"}...], "worst_ratio": ..., "audit_chain_errors": ..., "integrity_ok": ...}``.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade
from servicecore.adapters.sqlalchemy import tables as t
from servicecore.adapters.sqlalchemy.backend import _Batch
from servicecore.adapters.sqlalchemy.engine import make_engine, read_options, write_options
from servicecore.adapters.sqlalchemy.rows import audit_row, entity_row, event_row
from servicecore.basics import FixedClock
from servicecore.catalog import spec_for
from servicecore.errors import AuditChainError, DoubleBooking, InvalidTransition
from servicecore.events import DomainEvent
from servicecore.model.actor import Actor, Role
from servicecore.model.audit import AuditEntry, verify_chain
from servicecore.model.booking import Booking, BookingStatus
from servicecore.model.common import TimeRange
from servicecore.model.enums import Channel, ServiceType
from servicecore.model.request import ServiceRequest
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

TENANT = "load"
TECHNICIANS = [f"T-{i}" for i in range(1, 5)]
DAYS = range(4)  # Tuesday to Friday: factories.NOW is a Monday, slots start 16 h later
HOURS = range(4)  # two-hour slots from 08:00 Jakarta time (01:00 UTC)
SHARED_REQUESTS = 20
SHARED_BOOKINGS = 40
WARM_ROUNDS = 6  # psycopg prepares a statement on its fifth run
WARM_CALLS = 10**7  # warm-up calls' numbers: beyond any timed call's
CS = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE, Role.SUPERVISOR})
SUP = Actor(id="sup-1", roles={Role.SUPERVISOR})
HOURS_2 = timedelta(hours=2)
MIX = (
    ["book"] * 20
    + ["confirm"] * 15
    + ["cancel"] * 10
    + ["hold"] * 15
    + ["resume"] * 15
    + ["open"] * 15
    + ["read"] * 10
)


def _slot(day: int, hour: int) -> TimeRange:
    start = f.NOW + timedelta(days=day, hours=16 + 2 * hour)  # 08:00 Jakarta (UTC+7)
    return TimeRange(start, start + timedelta(hours=2))


def _engine(target: str) -> sa.Engine:
    if "://" not in target:
        return make_engine(target)
    url, _, schema = target.partition("#")
    return sa.create_engine(url, connect_args={"options": f"-csearch_path={schema},public"})


def _desk(engine: sa.Engine, tenant: str = TENANT) -> ServiceDesk:
    return ServiceDesk(SQLAlchemyStorage(engine), tenant, clock=FixedClock(f.NOW))


def _fixtures(desk: ServiceDesk, serial: str) -> str:
    """Add the technicians and register one archive in the desk's tenant; return its id."""
    with desk.storage.unit_of_work(desk.tenant) as uow:
        for tech in TECHNICIANS:
            uow.technicians.add(f.technician(id=tech))
        uow.commit()
    archive = desk.installed_base.register_archive(
        CS,
        serial_number=serial,
        product_code="AC-9000",
        customer_id="C-1",
        warranty_start=f.NOW.date(),
        warranty_end=f.NOW.date() + timedelta(days=365),
    )
    return archive.id


def _open_in_progress(
    desk: ServiceDesk, request_id: str, archive_id: str, tech: str, day: int
) -> None:
    """Open a request and take it in progress (dispatched, accepted, started) on ``day``."""
    desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="grinding noise",
        archive_id=archive_id,
        request_id=request_id,
    )
    start = f.NOW + timedelta(days=day, hours=16)
    order = desk.dispatch.assign(SUP, request_id, tech, TimeRange(start, start + HOURS_2))
    worker = Actor(id=f"u-{tech}", roles={Role.TECHNICIAN}, technician_id=tech)
    desk.dispatch.accept_dispatch(worker, order.id)
    desk.dispatch.start_dispatch(worker, order.id)


def _seed(target: str) -> None:
    engine = _engine(target)
    upgrade(engine)
    desk = _desk(engine)
    archive_id = _fixtures(desk, "SN-LOAD")
    for i in range(SHARED_REQUESTS):
        # In progress, so that holds and resumes can succeed; on days the racing books never use.
        tech = TECHNICIANS[i % len(TECHNICIANS)]
        _open_in_progress(desk, f"R-S{i}", archive_id, tech, 14 + i // len(TECHNICIANS))
    for i in range(SHARED_BOOKINGS):  # on days the racing books never use
        desk.bookings.book(
            CS,
            customer=f.booking().customer,
            service_type=ServiceType.REPAIR,
            channel=Channel.CALL_CENTRE,
            slot=_slot(7 + i // 16, i % 4),
            location=f.HERE,
            booking_policy=f.booking().policy,
            booking_id=f"B-S{i}",
        )
    _seed_raw(engine)
    engine.dispose()


def _warm_desk(engine: sa.Engine, worker: int) -> None:
    """Run every kind of call the mix makes a few times, in a tenant of the worker's own.

    A web app's workers live for days; what the benchmark compares is their steady state, not
    each new process compiling its statements (SQLAlchemy), preparing them (psycopg, after five
    runs) and building its loaders, which with short rounds and many processes was a large part
    of servicecore's side (it has more kinds of statement than the raw side has).
    """
    desk = _desk(engine, f"warm-{worker}")
    archive_id = _fixtures(desk, "SN-WARM")
    customer, policy = f.booking().customer, f.booking().policy
    for i in range(WARM_ROUNDS):
        request_id, tech = f"R-W{i}", TECHNICIANS[i % len(TECHNICIANS)]
        _open_in_progress(desk, request_id, archive_id, tech, 14 + i)
        desk.requests.hold_request(CS, request_id, "wait")
        desk.requests.resume_request(CS, request_id)
        desk.requests.sla_report(CS, request_id)
        for n in (1, 2):  # the second one is refused: the technician's time is taken
            with suppress(DoubleBooking):
                desk.bookings.book(
                    CS,
                    customer=customer,
                    service_type=ServiceType.REPAIR,
                    channel=Channel.CALL_CENTRE,
                    slot=_slot(i % len(DAYS), i // len(DAYS) % len(HOURS)),
                    location=f.HERE,
                    booking_policy=policy,
                    technician_id=tech,
                    booking_id=f"B-W{i}-{n}",
                )
        desk.bookings.confirm_booking(CS, f"B-W{i}-1")
        desk.bookings.cancel_booking(CS, f"B-W{i}-1", "warming up")
        with suppress(InvalidTransition):
            desk.requests.resume_request(CS, request_id)  # refused: not on hold


def _raw_request(id: str, version: int) -> dict[str, Any]:
    request = f.request(id=id)
    request.version = version
    return entity_row(TENANT, spec_for(ServiceRequest), request)


def _raw_entry(id: str, n: int) -> AuditEntry:
    return AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id=id,
        trigger="hold",
        from_state="new",
        to_state="new",
        actor_id="load",
        at=f.NOW + timedelta(seconds=n),
        reason="load",
        payload={"n": n},
        previous=None,
    )


def _raw_event(id: str) -> DomainEvent:
    return DomainEvent(
        id=f"ev-{uuid.uuid4().hex}",
        name="RequestHeld",
        entity_kind="ServiceRequest",
        entity_id=id,
        occurred_at=f.NOW,
        payload={},
    )


def _seed_raw(engine: sa.Engine) -> None:
    table = t.AGGREGATE_TABLES["ServiceRequest"]
    with engine.begin() as conn:
        rows = [_raw_request(f"RAW-S{i}", 1) for i in range(SHARED_REQUESTS + SHARED_BOOKINGS)]
        conn.execute(table.insert(), rows)


def _desk_worker(target: str, worker: int, ready: Any, seconds: float, out: str) -> None:
    engine = _engine(target)
    desk = _desk(engine)
    archive_id = desk.installed_base.archives_by_serial(CS, "SN-LOAD")[0].id
    rng = random.Random(worker)
    latencies: list[float] = []
    errors: collections.Counter[str] = collections.Counter()
    done: list[tuple[str, str]] = []  # (kind, id) of every committed change or creation
    # What each call came down to: "create", "change" or "read", then the rows it wrote to the
    # outbox and the technician claims it deleted and inserted, e.g. "change 2 1 0".
    trace: list[str] = []
    writes = collections.Counter[str]()

    # Counted where the adapter writes them (this process only), not with an engine event,
    # which would cost servicecore's side a listener call per statement.
    enqueue, claim = _Batch.enqueue, _Batch.claim

    def _enqueue(batch: _Batch, events: list[DomainEvent]) -> bool:
        writes["outbox"] += len(events)
        return enqueue(batch, events)

    def _claim(batch: _Batch, kind: str, id: str, held: Any) -> None:
        # the adapter deletes the owner's claim first unless none can be there
        writes["release"] += (kind, id) not in batch._unclaimed
        writes["claim"] += held is not None
        claim(batch, kind, id, held)

    _warm_desk(engine, worker)
    _Batch.enqueue, _Batch.claim = _enqueue, _claim  # type: ignore[method-assign]
    customer, policy = f.booking().customer, f.booking().policy

    samples: dict[str, str] = {}
    mine: list[str] = []
    n = 0
    ready.wait()  # every process imported and connected: all start together
    deadline = time.time() + seconds
    while time.time() < deadline:
        n += 1
        op = rng.choice(MIX)
        booking = rng.choice(mine) if mine and rng.random() < 0.3 else f"B-S{rng.randrange(40)}"
        request = f"R-S{rng.randrange(SHARED_REQUESTS)}"
        committed = len(done)
        writes.clear()
        began = time.perf_counter()
        try:
            if op == "book":
                made = desk.bookings.book(
                    CS,
                    customer=customer,
                    service_type=ServiceType.REPAIR,
                    channel=Channel.CALL_CENTRE,
                    slot=_slot(rng.choice(DAYS), rng.choice(HOURS)),
                    location=f.HERE,
                    booking_policy=policy,
                    technician_id=rng.choice(TECHNICIANS),
                    booking_id=f"B-{worker}-{n}",
                )
                mine.append(made.id)
                done.append(("Booking", made.id))
            elif op == "confirm":
                done.append(("Booking", desk.bookings.confirm_booking(CS, booking).id))
            elif op == "cancel":
                done.append(("Booking", desk.bookings.cancel_booking(CS, booking, "load").id))
            elif op == "hold":
                done.append(("ServiceRequest", desk.requests.hold_request(CS, request, "wait").id))
            elif op == "resume":
                done.append(("ServiceRequest", desk.requests.resume_request(CS, request).id))
            elif op == "open":
                opened = desk.requests.open_request(
                    CS,
                    customer_id="C-1",
                    service_type=ServiceType.REPAIR,
                    symptoms="no cooling",
                    archive_id=archive_id,
                    request_id=f"R-{worker}-{n}",
                )
                done.append(("ServiceRequest", opened.id))
            else:
                desk.requests.sla_report(CS, request)
        except Exception as exc:
            errors[type(exc).__name__] += 1
            samples.setdefault(type(exc).__name__, str(exc)[:200])
        latencies.append(time.perf_counter() - began)
        if len(done) == committed:
            trace.append("read")  # a read, or a command refused after reading
        else:
            kind = "create" if op in ("book", "open") else "change"
            trace.append(f"{kind} {writes['outbox']} {writes['release']} {writes['claim']}")
    engine.dispose()
    Path(out).write_text(
        json.dumps(
            {
                "latencies": latencies,
                "errors": errors,
                "done": done,
                "trace": trace,
                "samples": samples,
            }
        )
    )


def _raw_worker(
    target: str, worker: int, ready: Any, seconds: float, out: str, trace: list[str]
) -> None:
    engine = _engine(target)
    table = t.AGGREGATE_TABLES["ServiceRequest"]
    audit = t.audit
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
    statements = {
        "select_data": select_data,
        "select_version": select_version,
        "head": head,
        "update": update,
        "reads": read_options(engine),
        "overlapping": sa.select(
            t.slots.c.owner_kind,
            t.slots.c.owner_id,
            t.slots.c.technician_id,
            t.slots.c.period_start,
            t.slots.c.period_end,
        ).where(
            t.slots.c.tenant == sa.bindparam("tenant"),
            t.slots.c.technician_id == sa.bindparam("technician"),
            t.slots.c.period_start < sa.bindparam("end"),
            t.slots.c.period_end > sa.bindparam("start"),
        ),
        "release": t.slots.delete().where(
            t.slots.c.tenant == sa.bindparam("tenant"),
            t.slots.c.owner_kind == sa.bindparam("kind"),
            t.slots.c.owner_id == sa.bindparam("id"),
        ),
    }
    rng = random.Random(worker)
    pool = SHARED_REQUESTS + SHARED_BOOKINGS
    # Precomputed values, as servicecore's benchmark of single writes does: what is measured is
    # the database's work for the same statements.
    changed = {f"RAW-S{i}": _raw_request(f"RAW-S{i}", 2) for i in range(pool)}
    for row in changed.values():
        del row["tenant"], row["id"]
    latencies: list[float] = []
    errors: collections.Counter[str] = collections.Counter()
    # Warmed up as the servicecore side is: each kind of call the trace holds, a few times, on
    # ids and hours the timed calls never use.
    for k, call in enumerate(sorted(set(trace)) * WARM_ROUNDS):
        op, *counts = call.split()
        outbox, release, claim = (int(c) for c in counts) if counts else (0, 0, 0)
        id = f"RAW-S{k % pool}"
        _raw_op(
            engine,
            statements,
            changed,
            (op, outbox, release, claim),
            id,
            {"t": TENANT, "i": id},
            worker,
            WARM_CALLS + k,
            collections.Counter(),
        )
    n = 0
    ready.wait()  # every process imported and connected: all start together
    deadline = time.time() + seconds
    while time.time() < deadline:
        op, *counts = trace[n % len(trace)].split()  # what the same worker's calls did
        outbox, release, claim = (int(c) for c in counts) if counts else (0, 0, 0)
        n += 1
        id = f"RAW-S{rng.randrange(pool)}"
        key = {"t": TENANT, "i": id}
        began = time.perf_counter()
        try:
            _raw_op(
                engine,
                statements,
                changed,
                (op, outbox, release, claim),
                id,
                key,
                worker,
                n,
                errors,
            )
        except Exception as exc:
            errors[type(exc).__name__] += 1
        latencies.append(time.perf_counter() - began)
    engine.dispose()
    Path(out).write_text(json.dumps({"latencies": latencies, "errors": errors, "done": []}))


def _raw_op(
    engine: sa.Engine,
    statements: dict[str, Any],
    changed: dict[str, dict[str, Any]],
    call: tuple[str, int, int, int],
    id: str,
    key: dict[str, str],
    worker: int,
    n: int,
    errors: collections.Counter[str],
) -> None:
    op, outbox_rows, releases, claims = call
    table = t.AGGREGATE_TABLES["ServiceRequest"]
    audit, outbox = t.audit, t.outbox
    reads = statements["reads"]

    def _rest(conn: sa.Connection, owner: str) -> None:
        # the outbox rows and technician claims the servicecore command wrote
        if outbox_rows:
            conn.execute(
                outbox.insert(), [event_row(TENANT, _raw_event(id)) for _ in range(outbox_rows)]
            )
        for _ in range(releases):
            conn.execute(statements["release"], {"tenant": TENANT, "kind": "Raw", "id": owner})
        for _ in range(claims):
            # each claim on its own raw technician's hour: never refused, always checked
            start = f.NOW + timedelta(days=400, hours=n)
            window = {
                "tenant": TENANT,
                "technician": f"RAW-T{worker}",
                "start": start,
                "end": start + timedelta(hours=1),
            }
            conn.execute(statements["overlapping"], window).all()
            claim = {
                "tenant": TENANT,
                "owner_kind": "Raw",
                "owner_id": owner,
                "technician_id": f"RAW-T{worker}",
                "period_start": start,
                "period_end": start + timedelta(hours=1),
            }
            conn.execute(t.slots.insert(), claim)

    # One connection per call, as the adapter holds one per unit of work: reads outside any
    # transaction, then one write transaction on the same connection.
    with engine.connect() as conn:
        conn.execution_options(**reads)
        if op == "read":
            conn.execute(statements["select_data"], key).scalar_one()
            return
        if op == "create":
            new = f"RAW-{worker}-{n}"
            entry = _raw_entry(new, n)
            conn.rollback()
            conn.execution_options(**write_options(conn))
            with conn.begin():
                conn.execute(table.insert(), _raw_request(new, 1))
                conn.execute(audit.insert(), audit_row(TENANT, entry))
                _rest(conn, new)
            return
        conn.execute(statements["select_data"], key).first()
        conn.execute(statements["head"], key).first()
        version = conn.execute(statements["select_version"], key).scalar_one()
        entry = _raw_entry(id, n)
        conn.rollback()
        conn.execution_options(**write_options(conn))
        with conn.begin():
            values = {**changed[id], "version": version + 1}
            done = conn.execute(statements["update"], {**values, "b_id": id, "b_version": version})
            if done.rowcount == 1:
                # one chain per row would need the head; the raw side measures the
                # statements, so every entry starts its own trail (seq = n)
                values = audit_row(TENANT, entry)
                values["entity_id"] = f"{id}/{worker}/{n}"
                conn.execute(audit.insert(), values)
                _rest(conn, f"{id}/{worker}/{n}")
            else:
                errors["conflict"] += 1


def _run_workers(
    target: str,
    worker: Any,
    count: int,
    seconds: float,
    traces: list[list[str]] | None = None,
    first: int = 0,
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        ready = context.Barrier(count)
        outs = [str(Path(tmp) / f"w{i}.json") for i in range(count)]
        procs = [
            context.Process(
                target=worker,
                args=(target, first + i, ready, seconds, outs[i], *([traces[i]] if traces else [])),
            )
            for i in range(count)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        results = [json.loads(Path(o).read_text()) for o in outs if Path(o).exists()]
    if len(results) != count:
        raise RuntimeError(f"{count - len(results)} worker(s) died")
    latencies = sorted(x for r in results for x in r["latencies"])
    errors: collections.Counter[str] = collections.Counter()
    samples: dict[str, str] = {}
    for r in results:
        errors.update(r["errors"])
        samples.update(r.get("samples", {}))
    return {
        "traces": [r.get("trace", []) for r in results],
        "samples": samples,
        "latencies": latencies,
        "errors": errors,
        "done": [tuple(d) for r in results for d in r["done"]],
    }


def _sides(target: str, workers: int, seconds: float, rounds: int) -> tuple[dict, dict]:
    """Run servicecore and raw in alternating rounds; return each side's figures.

    Alternating short rounds, each raw round replaying the servicecore round just before it,
    keeps a change in the machine's load from falling on one side only.
    """
    sides: dict[str, dict[str, Any]] = {}
    for n in range(rounds):
        desk = _run_workers(target, _desk_worker, workers, seconds / rounds, first=1000 * n)
        raw = _run_workers(
            target, _raw_worker, workers, seconds / rounds, desk["traces"], first=1000 * n
        )
        for name, part in (("desk", desk), ("raw", raw)):
            side = sides.setdefault(
                name, {"latencies": [], "errors": collections.Counter(), "samples": {}, "done": []}
            )
            side["latencies"] += part["latencies"]
            side["errors"].update(part["errors"])
            side["samples"].update(part["samples"])
            side["done"] += part["done"]
    for side in sides.values():
        latencies = sorted(side["latencies"])
        side["per_s"] = len(latencies) / seconds
        side["p50_ms"] = 1000 * statistics.median(latencies)
        side["p99_ms"] = 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        side["errors"] = dict(side["errors"])
    return sides["desk"], sides["raw"]


def _audit_counts(engine: sa.Engine) -> dict[tuple[str, str], int]:
    audit = t.audit
    statement = (
        sa.select(audit.c.entity_kind, audit.c.entity_id, sa.func.count())
        .where(audit.c.tenant == TENANT)
        .group_by(audit.c.entity_kind, audit.c.entity_id)
    )
    with engine.connect() as conn:
        return {(k, i): c for k, i, c in conn.execute(statement)}


def _integrity(engine: sa.Engine, before: dict[tuple[str, str], int], done: list[Any]) -> dict:
    """Check from the database what the workers saw committed; return the problems found."""
    storage = SQLAlchemyStorage(engine)
    committed = collections.Counter((kind, id) for kind, id in done)
    after = _audit_counts(engine)
    problems: list[str] = []
    chains = 0
    with storage.unit_of_work(TENANT) as uow:
        records: dict[tuple[str, str], Any] = {}
        for entity in uow.requests.iterate():
            records[("ServiceRequest", entity.id)] = entity
        for entity in uow.bookings.iterate():
            records[("Booking", entity.id)] = entity
        for key, entity in records.items():
            verdict = verify_chain(uow.audit.entries(*key), head=entity.audit_head)
            chains += 1
            if not verdict.ok:
                problems.append(f"{key}: chain broken: {verdict.problems}")
        for key, count in committed.items():
            if key not in records:
                problems.append(f"{key}: committed but missing")
            expected = before.get(key, 0) + count
            if after.get(key, 0) != expected:
                problems.append(f"{key}: {after.get(key, 0)} audit entries, expected {expected}")
        live: dict[str, list[TimeRange]] = collections.defaultdict(list)
        for (kind, _), entity in records.items():
            if (
                kind == "Booking"
                and isinstance(entity, Booking)
                and entity.technician_id
                and entity.status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
            ):
                live[entity.technician_id].append(entity.slot)
        for tech, slots in live.items():
            slots.sort(key=lambda s: s.start)
            for a, b in itertools.pairwise(slots):
                if b.start < a.end:
                    problems.append(f"{tech}: slots {a} and {b} overlap")
    return {"ok": not problems, "chains_verified": chains, "problems": problems[:20]}


def run(target: str, label: str, workers: int, seconds: float, rounds: int) -> dict[str, Any]:
    _seed(target)
    engine = _engine(target)
    before = _audit_counts(engine)
    engine.dispose()
    desk, raw = _sides(target, workers, seconds, rounds)
    engine = _engine(target)
    integrity = _integrity(engine, before, desk["done"])
    engine.dispose()
    chain_errors = desk["errors"].get(AuditChainError.__name__, 0)
    figures = {
        "backend": label,
        "workers": workers,
        "seconds": seconds,
        "commands_per_s": round(desk["per_s"], 1),
        "raw_per_s": round(raw["per_s"], 1),
        "ratio": round(raw["per_s"] / desk["per_s"], 2) if desk["per_s"] else None,
        "p50_ms": round(desk["p50_ms"], 1),
        "p99_ms": round(desk["p99_ms"], 1),
        "raw_p50_ms": round(raw["p50_ms"], 1),
        "raw_p99_ms": round(raw["p99_ms"], 1),
        "committed": len(desk["done"]),
        "errors": desk["errors"],
        "error_samples": desk["samples"],
        "raw_errors": raw["errors"],
        "audit_chain_errors": chain_errors,
        "integrity": integrity,
    }
    print(
        f"[{label} x{workers}] servicecore {figures['commands_per_s']}/s "
        f"(p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms), raw {figures['raw_per_s']}/s "
        f"-> ratio {figures['ratio']} (target <= 1.3); committed {figures['committed']}; "
        f"errors {desk['errors']}; integrity {'ok' if integrity['ok'] else integrity['problems']}",
        flush=True,
    )
    return figures


@contextmanager
def _postgres_target(url: str) -> Iterator[str]:
    schema = f"sc_load_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}#{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="2,8,16", help="worker counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="time per run and side")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternate the two sides this many times per run"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SERVICECORE_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default: SERVICECORE_TEST_POSTGRES_URL; unset: skip PostgreSQL)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="run PostgreSQL only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON last")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    runs: list[dict[str, Any]] = []
    for workers in counts:
        if not args.no_sqlite:
            with tempfile.TemporaryDirectory() as tmp:
                target = str(Path(tmp) / "load.db")
                runs.append(run(target, "sqlite", workers, args.seconds, args.rounds))
        if args.postgres:
            with _postgres_target(args.postgres) as target:
                runs.append(run(target, "postgres", workers, args.seconds, args.rounds))
    if not args.postgres:
        print("[postgres] skipped: give --postgres URL or set SERVICECORE_TEST_POSTGRES_URL")
    if args.json:
        ratios = [r["ratio"] for r in runs if r["ratio"] is not None]
        print(
            json.dumps(
                {
                    "runs": runs,
                    "worst_ratio": max(ratios) if ratios else None,
                    "audit_chain_errors": sum(r["audit_chain_errors"] for r in runs),
                    "integrity_ok": all(r["integrity"]["ok"] for r in runs),
                }
            )
        )


if __name__ == "__main__":
    main()
