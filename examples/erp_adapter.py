"""An integrator's storage adapter over an ERP's existing tables, checked by the contract suite.

The ERP already has a generic document table, a journal and a message queue (below, created if
missing). This adapter maps servicecore's ports onto them with the standard library's ``sqlite3``
- no SQLAlchemy - and proves itself by running servicecore's storage contract suite:

    python examples/erp_adapter.py           # runs the whole StorageContract against it

The tables it reuses (as an ERP might have them):

- ``erp_document(company, doc_type, doc_no, revision, body)``: one row per record, JSON body;
- ``erp_journal(company, doc_type, doc_no, line_no, body)``: append-only lines (the audit trail);
- ``erp_message(msg_id, company, posted_seq, body, handled)``: the outbox.

Reads load a company's documents of one type and filter them in Python with
:func:`servicecore.adapters.query.run_query`; writes happen at commit in one ``BEGIN IMMEDIATE``
transaction, which SQLite serialises, so the version, duplicate and slot checks made inside it
are final.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from servicecore.adapters.outbox import hand_over
from servicecore.adapters.query import iterate_pages, run_query, unpaged
from servicecore.catalog import AGGREGATES, AggregateSpec, slot_claim, spec_for
from servicecore.errors import (
    AuditChainError,
    ConcurrencyError,
    DoubleBooking,
    DuplicateId,
    NotFound,
    ValidationError,
)
from servicecore.events import DomainEvent
from servicecore.model.audit import GENESIS, AuditEntry
from servicecore.ports import Page, Publisher, Query
from servicecore.serialization import structure, unstructure

SCHEMA = """
CREATE TABLE IF NOT EXISTS erp_document (
    company TEXT NOT NULL, doc_type TEXT NOT NULL, doc_no TEXT NOT NULL,
    revision INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (company, doc_type, doc_no));
CREATE TABLE IF NOT EXISTS erp_journal (
    company TEXT NOT NULL, doc_type TEXT NOT NULL, doc_no TEXT NOT NULL,
    line_no INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (company, doc_type, doc_no, line_no));
CREATE TABLE IF NOT EXISTS erp_message (
    company TEXT NOT NULL, msg_id TEXT NOT NULL, posted_seq INTEGER NOT NULL,
    body TEXT NOT NULL, handled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (company, msg_id));
"""


def _tenant(tenant: object) -> str:
    if not isinstance(tenant, str) or not tenant or not tenant.replace("-", "").isalnum():
        raise ValidationError.single("tenant", tenant, "must be an id")
    return tenant


class ErpStorage:
    """servicecore storage over the ERP's tables in the SQLite file ``path``."""

    def __init__(self, path: Path, publisher: Publisher | None = None) -> None:
        self.path = path
        self.publisher = publisher
        with self.connect() as db:
            db.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def unit_of_work(self, tenant: str) -> ErpUnitOfWork:
        return ErpUnitOfWork(self, _tenant(tenant))

    def pending_events(self, tenant: str, limit: int = 100) -> Sequence[DomainEvent]:
        with self.connect() as db:
            rows = db.execute(
                "SELECT body FROM erp_message WHERE company=? AND handled=0 "
                "ORDER BY posted_seq LIMIT ?",
                (_tenant(tenant), limit),
            ).fetchall()
        return tuple(structure(json.loads(r[0]), DomainEvent) for r in rows)

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        with self.connect() as db:
            db.executemany(
                "UPDATE erp_message SET handled=1 WHERE company=? AND msg_id=?",
                [(_tenant(tenant), i) for i in event_ids],
            )


class ErpAudit:
    def __init__(self, uow: ErpUnitOfWork) -> None:
        self.uow = uow
        self.pending: dict[tuple[str, str], list[AuditEntry]] = {}

    def _stored(self, kind: str, id: str) -> list[AuditEntry]:
        rows = self.uow.db.execute(
            "SELECT body FROM erp_journal WHERE company=? AND doc_type=? AND doc_no=? "
            "ORDER BY line_no",
            (self.uow.tenant, kind, id),
        ).fetchall()
        return [structure(json.loads(r[0]), AuditEntry) for r in rows]

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        chain = self.entries(entity_kind, entity_id)
        return chain[-1] if chain else None

    def append(self, entry: AuditEntry) -> None:
        head = self.head(entry.entity_kind, entry.entity_id)
        if entry.prev_hash != (GENESIS if head is None else head.hash):
            raise AuditChainError(f"{entry.entity_kind} {entry.entity_id}: not after the head")
        self.pending.setdefault((entry.entity_kind, entry.entity_id), []).append(entry)

    def entries(self, entity_kind: str, entity_id: str) -> tuple[AuditEntry, ...]:
        key = (entity_kind, entity_id)
        return tuple(self._stored(*key) + self.pending.get(key, []))


class ErpRepository:
    def __init__(self, uow: ErpUnitOfWork, spec: AggregateSpec) -> None:
        self.uow = uow
        self.spec = spec

    def _stored(self, id: str) -> Any | None:
        row = self.uow.db.execute(
            "SELECT body FROM erp_document WHERE company=? AND doc_type=? AND doc_no=?",
            (self.uow.tenant, self.spec.kind, id),
        ).fetchone()
        return None if row is None else structure(json.loads(row[0]), self.spec.cls)

    def find(self, id: str) -> Any | None:
        pending = self.uow.pending.get((self.spec.kind, id))
        if pending is not None:
            return structure(unstructure(pending), self.spec.cls)
        return self._stored(id)

    def get(self, id: str) -> Any:
        found = self.find(id)
        if found is None:
            raise NotFound(self.spec.kind, id)
        return found

    def add(self, entity: Any) -> None:
        if not isinstance(entity, self.spec.cls):
            raise ValidationError.single("entity", type(entity).__name__, "wrong aggregate")
        if entity.version != 0:
            raise ValidationError.single("version", entity.version, "a new entity has version 0")
        if self.find(entity.id) is not None:
            raise DuplicateId(f"{self.spec.kind} {entity.id!r}")
        entity.version = 1
        self.uow.stage(self.spec, entity, base=None)

    def update(self, entity: Any) -> None:
        if not isinstance(entity, self.spec.cls):
            raise ValidationError.single("entity", type(entity).__name__, "wrong aggregate")
        key = (self.spec.kind, entity.id)
        current = self.find(entity.id)
        if current is None:
            raise NotFound(self.spec.kind, entity.id)
        if current.version != entity.version:
            raise ConcurrencyError(f"{self.spec.kind} {entity.id}: stale version {entity.version}")
        if key not in self.uow.pending:
            entity.version += 1
            self.uow.stage(self.spec, entity, base=current.version)
        else:
            self.uow.stage(self.spec, entity, base=self.uow.bases[key])

    def _all(self) -> list[Any]:
        rows = self.uow.db.execute(
            "SELECT doc_no, body FROM erp_document WHERE company=? AND doc_type=?",
            (self.uow.tenant, self.spec.kind),
        ).fetchall()
        found = {no: structure(json.loads(body), self.spec.cls) for no, body in rows}
        for (kind, id), entity in self.uow.pending.items():
            if kind == self.spec.kind:
                found[id] = structure(unstructure(entity), self.spec.cls)
        return list(found.values())

    def query(self, query: Query | None = None) -> Page[Any]:
        query = query or Query()
        query.check(self.spec)
        return run_query(query, self.spec, self._all())

    def count(self, query: Query | None = None) -> int:
        query = query or Query()
        query.check(self.spec)
        return len(run_query(unpaged(query), self.spec, self._all()))

    def iterate(self, query: Query | None = None, page_size: int = 1000) -> Iterator[Any]:
        return iterate_pages(self.query, query, page_size)


class ErpUnitOfWork:
    def __init__(self, storage: ErpStorage, tenant: str) -> None:
        self.storage = storage
        self.tenant = tenant
        self.db = storage.connect()
        self.pending: dict[tuple[str, str], Any] = {}
        self.bases: dict[tuple[str, str], int | None] = {}
        self.events: list[DomainEvent] = []
        self.audit = ErpAudit(self)
        self._repos = {spec.name: ErpRepository(self, spec) for spec in AGGREGATES}

    def __getattr__(self, name: str) -> ErpRepository:
        repos = self.__dict__.get("_repos", {})
        if name in repos:
            return repos[name]
        raise AttributeError(name)

    def repository(self, name: str) -> ErpRepository:
        return self._repos[spec_for(name).name]

    def stage(self, spec: AggregateSpec, entity: Any, base: int | None) -> None:
        key = (spec.kind, entity.id)
        self.bases.setdefault(key, base)
        self.pending[key] = structure(unstructure(entity), spec.cls)
        self._check_slots(self.pending[key])

    def _check_slots(self, entity: Any) -> None:
        claim = slot_claim(entity)
        if claim is None:
            return
        for name in ("bookings", "dispatches"):
            for other in self._repos[name]._all():
                if (type(other).__name__, other.id) == (claim.owner_kind, claim.owner_id):
                    continue
                held = slot_claim(other)
                if (
                    held
                    and held.technician_id == claim.technician_id
                    and held.period.overlaps(claim.period)
                ):
                    raise DoubleBooking(
                        f"technician {claim.technician_id} is held by {held.owner_kind} "
                        f"{held.owner_id}"
                    )

    def collect(self, event: DomainEvent) -> None:
        if not isinstance(event, DomainEvent):
            raise ValidationError.single("event", event, "must be a DomainEvent")
        self.events.append(event)

    def commit(self) -> Sequence[DomainEvent]:
        events = tuple(self.events)
        db = self.db
        db.execute("BEGIN IMMEDIATE")  # SQLite serialises writers: the checks below are final
        try:
            for key, entity in self.pending.items():
                self._write(key, entity)
            for entity in self.pending.values():
                self._check_slots(entity)
            for (kind, id), entries in self.audit.pending.items():
                for entry in entries:
                    db.execute(
                        "INSERT INTO erp_journal VALUES (?, ?, ?, ?, ?)",
                        (self.tenant, kind, id, entry.seq, json.dumps(unstructure(entry))),
                    )
            seq = db.execute(
                "SELECT COALESCE(MAX(posted_seq), 0) FROM erp_message WHERE company=?",
                (self.tenant,),
            ).fetchone()[0]
            for n, event in enumerate(events, start=seq + 1):
                db.execute(
                    "INSERT INTO erp_message (company, msg_id, posted_seq, body) VALUES (?,?,?,?)",
                    (self.tenant, event.id, n, json.dumps(unstructure(event))),
                )
        except sqlite3.IntegrityError as exc:
            db.execute("ROLLBACK")
            self.rollback()
            text = str(exc)
            if "erp_journal" in text:
                raise ConcurrencyError("the audit trail moved on") from exc
            raise DuplicateId(text) from exc
        except BaseException:
            db.execute("ROLLBACK")
            self.rollback()
            raise
        db.execute("COMMIT")
        self.rollback()
        hand_over(self.storage.publisher, self.storage.acknowledge, self.tenant, events)
        return events

    def _write(self, key: tuple[str, str], entity: Any) -> None:
        kind, id = key
        body = json.dumps(unstructure(entity))
        base = self.bases[key]
        if base is None:
            self.db.execute(
                "INSERT INTO erp_document VALUES (?, ?, ?, ?, ?)",
                (self.tenant, kind, id, entity.version, body),
            )
            return
        done = self.db.execute(
            "UPDATE erp_document SET revision=?, body=? "
            "WHERE company=? AND doc_type=? AND doc_no=? AND revision=?",
            (entity.version, body, self.tenant, kind, id, base),
        )
        if done.rowcount != 1:
            raise ConcurrencyError(f"{kind} {id}: changed since it was loaded at version {base}")

    def rollback(self) -> None:
        self.pending.clear()
        self.bases.clear()
        self.events.clear()
        self.audit.pending.clear()

    def __enter__(self) -> ErpUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()
        self.db.close()


# -- the proof: servicecore's contract suite, run against this adapter --------------------------

try:
    import pytest

    from servicecore.testing.contract import StorageContract
except ImportError:  # pytest is only needed to run the proof
    pass
else:

    class TestErpStorage(StorageContract):
        @pytest.fixture
        def storage_factory(self, tmp_path: Path) -> Any:
            path = tmp_path / "erp.db"
            return lambda publisher=None: ErpStorage(path, publisher=publisher)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", "-W", "error"]))
