"""Living in a host's database: prefixed tables, a schema, servicecore's own version table, and
units of work inside the host's transaction."""

import argparse
import uuid

import pytest
import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, current_revision, upgrade
from servicecore.adapters.sqlalchemy.cli import add_db_command
from servicecore.adapters.sqlalchemy.migrate import head_revision
from servicecore.adapters.sqlalchemy.naming import Naming
from servicecore.errors import DuplicateId, ValidationError
from servicecore.events import DomainEvent
from servicecore.testing import factories as f

HOST_REVISION = "a1b2c3_host_invoices"


def host_tables(engine):
    """A host ERP's own tables: one named like ours, and its own Alembic history."""
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE requests (no TEXT PRIMARY KEY, amount INTEGER)"))
        conn.execute(sa.text("INSERT INTO requests VALUES ('PO-1', 100)"))
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(sa.text(f"INSERT INTO alembic_version VALUES ('{HOST_REVISION}')"))


def host_state(engine):
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT no, amount FROM requests")).all()
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        return [tuple(r) for r in rows], list(versions)


@pytest.fixture
def host_engine(empty_engine):
    host_tables(empty_engine)
    return empty_engine


def run_cli(*argv):
    parser = argparse.ArgumentParser()
    add_db_command(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.handler(args)


def test_upgrade_with_a_prefix_leaves_the_hosts_tables_and_version_alone(host_engine):
    assert upgrade(host_engine, table_prefix="sc_") == head_revision()
    assert host_state(host_engine) == ([("PO-1", 100)], [HOST_REVISION])
    names = set(sa.inspect(host_engine).get_table_names())
    assert {"sc_requests", "sc_audit_entries", "sc_servicecore_version"} <= names
    assert current_revision(host_engine, Naming("sc_")) == head_revision()


def test_a_prefixed_storage_works_beside_the_hosts_tables(host_engine):
    storage = SQLAlchemyStorage(host_engine, table_prefix="sc_")
    with storage.unit_of_work("acme") as uow:
        uow.requests.add(f.request())
        uow.commit()
    with storage.unit_of_work("acme") as uow:
        assert uow.requests.count() == 1
    assert host_state(host_engine) == ([("PO-1", 100)], [HOST_REVISION])


def test_the_cli_upgrades_into_a_host_database(host_engine, tmp_path, capsys):
    if host_engine.dialect.name != "sqlite":
        pytest.skip("the CLI takes a URL; the PostgreSQL schema variant is tested below")
    url = str(host_engine.url)
    assert run_cli("db", "upgrade", url, "--prefix", "sc_") == 0
    assert f"to {head_revision()}" in capsys.readouterr().out
    assert run_cli("db", "current", url, "--prefix", "sc_") == 0
    assert host_state(host_engine) == ([("PO-1", 100)], [HOST_REVISION])


def test_a_bad_prefix_or_schema_is_refused_naming_the_field(fresh_sqlite):
    with pytest.raises(ValidationError, match="table_prefix"):
        SQLAlchemyStorage(fresh_sqlite(), table_prefix="SC-")
    with pytest.raises(ValidationError, match="schema"):
        Naming(schema='x"; DROP')
    with pytest.raises(ValidationError, match="schema"):
        SQLAlchemyStorage(fresh_sqlite(), schema="service")


def test_a_database_of_an_older_servicecore_moves_its_revision_out_of_alembic_version(
    fresh_sqlite,
):
    engine = fresh_sqlite()
    upgrade(engine)
    with engine.begin() as conn:  # as servicecore before prefixes left it
        conn.execute(sa.text("ALTER TABLE servicecore_version RENAME TO alembic_version"))
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision()
    assert current_revision(engine) == head_revision()
    assert not sa.inspect(engine).has_table("alembic_version")


@pytest.mark.postgres
def test_upgrade_into_a_postgres_schema_beside_a_host_table_named_requests(postgres_schemas):
    engine = postgres_schemas.new(migrate=False)
    host_tables(engine)
    schema = f"service_{uuid.uuid4().hex[:8]}"
    postgres_schemas.created.append(schema)
    assert upgrade(engine, table_prefix="sc_", schema=schema) == head_revision()
    assert host_state(engine) == ([("PO-1", 100)], [HOST_REVISION])
    storage = SQLAlchemyStorage(engine, table_prefix="sc_", schema=schema)
    with storage.unit_of_work("acme") as uow:
        uow.requests.add(f.request())
        uow.bookings.add(f.booking(technician_id="T-1"))
        uow.commit()
    with storage.unit_of_work("acme") as uow, pytest.raises(Exception, match="already held"):
        uow.bookings.add(f.booking(id="B-2", reference="REF-2", technician_id="T-1"))
    assert set(sa.inspect(engine).get_table_names(schema=schema)) >= {"sc_requests"}


def _event():
    return DomainEvent(
        id=f"ev-{uuid.uuid4().hex}",
        name="RequestOpened",
        entity_kind="ServiceRequest",
        entity_id="R-1",
        occurred_at=f.NOW,
        payload={},
    )


@pytest.fixture
def joined(shared_engine):
    """A storage on the shared database, and the host's engine on the same database."""
    return SQLAlchemyStorage(shared_engine), shared_engine


def host_rows(conn):
    conn.execute(sa.text("CREATE TABLE IF NOT EXISTS host_invoices (no TEXT PRIMARY KEY)"))


def test_a_host_commit_commits_both_sides(joined):
    storage, engine = joined
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    no = f"INV-{uuid.uuid4().hex[:8]}"
    published = []
    storage.publisher = lambda t, events: published.extend(events)
    with engine.begin() as conn:
        host_rows(conn)
    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text("INSERT INTO host_invoices VALUES (:no)"), {"no": no})
        with storage.unit_of_work(tenant, connection=conn) as uow:
            uow.requests.add(f.request())
            uow.collect(_event())
            uow.commit()
        assert published == []  # not before the host commits
    with engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT no FROM host_invoices WHERE no = :no"), {"no": no}
        ).all()
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.find("R-1") is not None
    assert storage.publish_pending(tenant) == 1
    assert len(published) == 1


def test_a_host_rollback_drops_both_sides(joined):
    storage, engine = joined
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    no = f"INV-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        host_rows(conn)
    with engine.connect() as conn:
        conn.begin()
        conn.execute(sa.text("INSERT INTO host_invoices VALUES (:no)"), {"no": no})
        with storage.unit_of_work(tenant, connection=conn) as uow:
            uow.requests.add(f.request())
            uow.collect(_event())
            uow.commit()
        conn.rollback()
    with engine.connect() as conn:
        assert not conn.execute(
            sa.text("SELECT no FROM host_invoices WHERE no = :no"), {"no": no}
        ).all()
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.find("R-1") is None
    assert storage.pending_events(tenant) == ()


def test_a_failed_joined_commit_leaves_the_hosts_transaction_usable(joined):
    storage, engine = joined
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    no = f"INV-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        host_rows(conn)
    storage_plain = SQLAlchemyStorage(engine)
    with storage_plain.unit_of_work(tenant) as uow:
        uow.requests.add(f.request())
        uow.commit()
    with engine.connect() as conn, conn.begin():
        with storage.unit_of_work(tenant, connection=conn) as uow:
            uow.collect(_event())
            event = uow.events[0]
            uow.commit()
        with storage.unit_of_work(tenant, connection=conn) as uow, pytest.raises(DuplicateId):
            uow.collect(event)
            uow.commit()
        conn.execute(sa.text("INSERT INTO host_invoices VALUES (:no)"), {"no": no})
    with engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT no FROM host_invoices WHERE no = :no"), {"no": no}
        ).all()


def test_a_session_can_be_joined_too(joined):
    from sqlalchemy.orm import Session

    storage, engine = joined
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    with Session(engine) as session:
        with storage.unit_of_work(tenant, connection=session) as uow:
            uow.requests.add(f.request())
            uow.commit()
        session.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.find("R-1") is not None


def test_joining_refuses_what_is_not_a_connection(joined):
    storage, _ = joined
    with pytest.raises(ValidationError, match="connection"):
        storage.unit_of_work("acme", connection="postgresql://")  # type: ignore[arg-type]
