"""An integrator's storage over an ERP's existing tables, checked by both contract suites.

The ERP already has a generic document table, a journal, a message queue and a resource
calendar (below, created if missing). This example maps servicecore's narrow backend protocol
(:class:`servicecore.storage.backend.Backend`) onto them with the standard library's
``sqlite3`` - no SQLAlchemy - and lets servicecore's storage kernel keep every rule (staging,
version checks, copies, slot claims, the audit chain, the outbox). It proves itself by running
servicecore's storage and reporting contract suites:

    python examples/erp_adapter.py           # runs StorageContract and ReportingContract

The tables it reuses (as an ERP might have them):

- ``erp_document(company, doc_type, doc_no, revision, body)``: one row per record, JSON body;
- ``erp_journal(company, doc_type, doc_no, line_no, body)``: append-only lines (the audit trail);
- ``erp_message(company, msg_id, posted_seq, body, handled, failures, retry_at, parked_at,
  error)``: the outbox, with failed deliveries and parked messages;
- ``erp_calendar(company, owner_type, owner_no, resource, start_at, end_at)``: booked time.

Reads load a company's documents of one type and filter them in Python with
:func:`servicecore.storage.query.select`; a write batch is one ``BEGIN IMMEDIATE`` transaction,
which SQLite serialises, so the checks the kernel makes inside it are final.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from servicecore.catalog import AggregateSpec, SlotClaim
from servicecore.events import DomainEvent, ParkedEvent
from servicecore.model.audit import AuditEntry, AuditKey
from servicecore.model.common import TimeRange
from servicecore.ports import Publisher, Query
from servicecore.serialization import structure, unstructure
from servicecore.storage import KernelStorage
from servicecore.storage.query import matches, select

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
    failures INTEGER NOT NULL DEFAULT 0, retry_at TEXT, parked_at TEXT, error TEXT,
    PRIMARY KEY (company, msg_id));
CREATE TABLE IF NOT EXISTS erp_calendar (
    company TEXT NOT NULL, owner_type TEXT NOT NULL, owner_no TEXT NOT NULL,
    resource TEXT NOT NULL, start_at TEXT NOT NULL, end_at TEXT NOT NULL,
    PRIMARY KEY (company, owner_type, owner_no));
"""

_OVERLAPPING = (
    "SELECT owner_type, owner_no, resource, start_at, end_at FROM erp_calendar "
    "WHERE company=? AND resource=? AND start_at < ? AND end_at > ?"
)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    return db


def _claims(rows: Sequence[Any]) -> list[SlotClaim]:
    return [
        SlotClaim(res, TimeRange(datetime.fromisoformat(a), datetime.fromisoformat(b)), kind, no)
        for kind, no, res, a, b in rows
    ]


def _window(tenant: str, technician_id: str, period: TimeRange) -> tuple[str, ...]:
    return (tenant, technician_id, period.end.isoformat(), period.start.isoformat())


class ErpBatch:
    """One ``BEGIN IMMEDIATE`` transaction's writes into the ERP's tables."""

    def __init__(self, db: sqlite3.Connection, tenant: str) -> None:
        self.db = db
        self.tenant = tenant
        self.refusal: BaseException | None = None

    def _insert(self, sql: str, params: Sequence[Any]) -> bool:
        try:
            self.db.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            self.refusal = exc
            return False
        return True

    def save(self, spec: AggregateSpec, entity: Any, expected: int | None) -> bool:
        body = json.dumps(unstructure(entity))
        if expected is None:
            row = (self.tenant, spec.kind, entity.id, entity.version, body)
            return self._insert("INSERT INTO erp_document VALUES (?, ?, ?, ?, ?)", row)
        done = self.db.execute(
            "UPDATE erp_document SET revision=?, body=? "
            "WHERE company=? AND doc_type=? AND doc_no=? AND revision=?",
            (entity.version, body, self.tenant, spec.kind, entity.id, expected),
        )
        return done.rowcount == 1

    def claims(self, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        window = _window(self.tenant, technician_id, period)
        return _claims(self.db.execute(_OVERLAPPING, window).fetchall())

    def claim(self, owner_kind: str, owner_id: str, claim: SlotClaim | None) -> None:
        self.db.execute(
            "DELETE FROM erp_calendar WHERE company=? AND owner_type=? AND owner_no=?",
            (self.tenant, owner_kind, owner_id),
        )
        if claim is not None:
            self.db.execute(
                "INSERT INTO erp_calendar VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.tenant,
                    owner_kind,
                    owner_id,
                    claim.technician_id,
                    claim.period.start.isoformat(),
                    claim.period.end.isoformat(),
                ),
            )

    def append(self, entries: Sequence[AuditEntry]) -> bool:
        return all(
            self._insert(
                "INSERT INTO erp_journal VALUES (?, ?, ?, ?, ?)",
                (self.tenant, e.entity_kind, e.entity_id, e.seq, json.dumps(unstructure(e))),
            )
            for e in entries
        )

    def enqueue(self, events: Sequence[DomainEvent]) -> bool:
        seq = self.db.execute(
            "SELECT COALESCE(MAX(posted_seq), 0) + 1 FROM erp_message WHERE company=?",
            (self.tenant,),
        ).fetchone()[0]
        sql = "INSERT INTO erp_message (company, msg_id, posted_seq, body) VALUES (?,?,?,?)"
        return all(
            self._insert(sql, (self.tenant, event.id, seq + n, json.dumps(unstructure(event))))
            for n, event in enumerate(events)
        )


class ErpBackend:
    """servicecore's backend protocol over the ERP's tables in the SQLite file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _connect(path) as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = _connect(self.path)
        try:
            yield db
        finally:
            db.close()

    def _documents(self, tenant: str, spec: AggregateSpec, exclude: Collection[str]) -> list[Any]:
        skip = set(exclude)
        with self._db() as db:
            rows = db.execute(
                "SELECT doc_no, body FROM erp_document WHERE company=? AND doc_type=?",
                (tenant, spec.kind),
            ).fetchall()
        return [structure(json.loads(body), spec.cls) for no, body in rows if no not in skip]

    def load(self, tenant: str, spec: AggregateSpec, id: str) -> Any | None:
        with self._db() as db:
            row = db.execute(
                "SELECT body FROM erp_document WHERE company=? AND doc_type=? AND doc_no=?",
                (tenant, spec.kind, id),
            ).fetchone()
        return None if row is None else structure(json.loads(row[0]), spec.cls)

    def version(self, tenant: str, spec: AggregateSpec, id: str) -> int | None:
        with self._db() as db:
            row = db.execute(
                "SELECT revision FROM erp_document WHERE company=? AND doc_type=? AND doc_no=?",
                (tenant, spec.kind, id),
            ).fetchone()
        return None if row is None else int(row[0])

    def select(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> Sequence[Any]:
        return [e for _, e in select(query, spec, self._documents(tenant, spec, exclude))]

    def count(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> int:
        return sum(1 for e in self._documents(tenant, spec, exclude) if matches(query, spec, e))

    def audit(self, tenant: str, kind: str, id: str, last: bool = False) -> Sequence[AuditEntry]:
        with self._db() as db:
            rows = db.execute(
                "SELECT body FROM erp_journal WHERE company=? AND doc_type=? AND doc_no=? "
                "ORDER BY line_no",
                (tenant, kind, id),
            ).fetchall()
        found = [structure(json.loads(r[0]), AuditEntry) for r in rows]
        return found[-1:] if last else found

    def claims(self, tenant: str, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        with self._db() as db:
            rows = db.execute(_OVERLAPPING, _window(tenant, technician_id, period)).fetchall()
        return _claims(rows)

    @contextmanager
    def transaction(self, tenant: str) -> Iterator[ErpBatch]:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # SQLite serialises writers: checks inside are final
            try:
                yield ErpBatch(db, tenant)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def pending(
        self, tenant: str, limit: int, due: datetime | None = None
    ) -> Sequence[DomainEvent]:
        # retry_at is stored as UTC ISO text, so text order is time order.
        when = "9999" if due is None else _utc(due)
        with self._db() as db:
            rows = db.execute(
                "SELECT body FROM erp_message WHERE company=? AND handled=0 "
                "AND parked_at IS NULL AND (retry_at IS NULL OR retry_at <= ?) "
                "ORDER BY posted_seq LIMIT ?",
                (tenant, when, limit),
            ).fetchall()
        return [structure(json.loads(r[0]), DomainEvent) for r in rows]

    def attempts(self, tenant: str, event_id: str) -> int:
        with self._db() as db:
            row = db.execute(
                "SELECT failures FROM erp_message WHERE company=? AND msg_id=?",
                (tenant, event_id),
            ).fetchone()
        return 0 if row is None else int(row[0])

    def record_failure(
        self, tenant: str, event_id: str, error: str, at: datetime, retry_at: datetime | None
    ) -> None:
        parked = _utc(at) if retry_at is None else None
        again = None if retry_at is None else _utc(retry_at)
        with self._db() as db:
            db.execute(
                "UPDATE erp_message SET failures=failures+1, error=?, retry_at=?, parked_at=? "
                "WHERE company=? AND msg_id=? AND handled=0",
                (error, again, parked, tenant, event_id),
            )

    def parked(self, tenant: str, limit: int) -> Sequence[ParkedEvent]:
        with self._db() as db:
            rows = db.execute(
                "SELECT body, failures, error, parked_at FROM erp_message WHERE company=? "
                "AND handled=0 AND parked_at IS NOT NULL ORDER BY posted_seq LIMIT ?",
                (tenant, limit),
            ).fetchall()
        return [
            ParkedEvent(
                event=structure(json.loads(body), DomainEvent),
                attempts=failures,
                error=error or "",
                parked_at=datetime.fromisoformat(at),
            )
            for body, failures, error, at in rows
        ]

    def unpark(self, tenant: str, event_ids: Sequence[str]) -> int:
        with self._db() as db:
            return sum(
                db.execute(
                    "UPDATE erp_message SET failures=0, error=NULL, retry_at=NULL, "
                    "parked_at=NULL WHERE company=? AND msg_id=? AND parked_at IS NOT NULL",
                    (tenant, i),
                ).rowcount
                for i in event_ids
            )

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        with self._db() as db:
            db.executemany(
                "UPDATE erp_message SET handled=1 WHERE company=? AND msg_id=?",
                [(tenant, i) for i in event_ids],
            )


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def erp_storage(
    path: Path, publisher: Publisher | None = None, *, audit_key: AuditKey | None = None
) -> KernelStorage:
    """Return servicecore's storage over the ERP's tables in ``path``.

    With ``audit_key`` (the host's secret, from its secret store) new audit entries are keyed.
    """
    return KernelStorage(ErpBackend(path), publisher, audit_key=audit_key)


# -- the proof: servicecore's contract suites, run against this adapter -------------------------

try:
    import pytest

    from servicecore.testing.contract import StorageContract
    from servicecore.testing.reporting import ReportingContract
except ImportError:  # pytest is only needed to run the proof
    pass
else:

    class TestErpStorage(StorageContract):
        @pytest.fixture
        def storage_factory(self, tmp_path: Path) -> Any:
            path = tmp_path / "erp.db"
            return lambda publisher=None: erp_storage(path, publisher=publisher)

    class TestErpReporting(ReportingContract):
        @pytest.fixture
        def storage(self, tmp_path: Path) -> Any:
            return erp_storage(tmp_path / "erp.db")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", "-W", "error"]))
