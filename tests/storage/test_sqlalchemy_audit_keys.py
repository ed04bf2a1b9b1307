"""Keyed audit entries in the database: old trails stay verifiable, moved trails are found."""

import uuid

import attrs
import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.adapters.sqlalchemy import tables as t
from servicecore.model.audit import AuditEntry, AuditKey, AuditScheme, verify_chain
from servicecore.testing import factories as f

KEY = AuditKey(b"k" * 32)


def entry(trigger="create", previous=None):
    return AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-9",
        trigger=trigger,
        from_state="" if previous is None else "received",
        to_state="received" if previous is None else "closed",
        actor_id="cs-1",
        at=f.NOW,
        previous=previous,
    )


def test_entries_written_before_schemes_stay_verifiable_beside_keyed_ones(shared_engine):
    who = f"t-{uuid.uuid4().hex[:12]}"
    old = entry()
    before = ("tenant", "scheme", "payload_json")
    row = {k: v for k, v in attrs.asdict(old).items() if k not in before}
    with shared_engine.begin() as conn:  # a row as the schema before revision 0005 wrote it
        conn.execute(sa.insert(t.audit).values(tenant=who, **row))
    with SQLAlchemyStorage(shared_engine, audit_key=KEY).unit_of_work(who) as uow:
        head = uow.audit.head("ServiceRequest", "R-9")
        assert head is not None
        assert head.scheme is AuditScheme.PLAIN
        newest = uow.audit.append(entry("close", previous=head))
        uow.commit()
    with SQLAlchemyStorage(shared_engine).unit_of_work(who) as uow:
        entries = uow.audit.entries("ServiceRequest", "R-9")
    assert [e.scheme for e in entries] == [AuditScheme.PLAIN, AuditScheme.KEYED]
    assert verify_chain(entries, newest.hash, key=KEY, tenant=who).ok


def test_a_trail_copied_to_another_tenant_in_the_database_does_not_verify_there(shared_engine):
    who, rival = f"t-{uuid.uuid4().hex[:12]}", f"t-{uuid.uuid4().hex[:12]}"
    storage = SQLAlchemyStorage(shared_engine, audit_key=KEY)
    with storage.unit_of_work(who) as uow:
        first = uow.audit.append(entry())
        uow.commit()
    columns = [c.name for c in t.audit.columns if c.name != "tenant"]
    copy = sa.insert(t.audit).from_select(
        ["tenant", *columns],
        sa.select(sa.literal(rival), *(t.audit.c[c] for c in columns)).where(
            t.audit.c.tenant == who
        ),
    )
    with shared_engine.begin() as conn:
        conn.execute(copy)
    with storage.unit_of_work(rival) as uow:
        moved = uow.audit.entries("ServiceRequest", "R-9")
    assert len(moved) == 1
    assert not verify_chain(moved, first.hash, key=KEY, tenant=rival).ok
