"""Migrations: from empty to current, reversible, matching tables.py; schema checks on opening."""

import argparse

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from servicecore.adapters.sqlalchemy import (
    SQLAlchemyStorage,
    current_revision,
    head_revision,
    migrate,
    upgrade,
)
from servicecore.adapters.sqlalchemy.cli import add_db_command
from servicecore.adapters.sqlalchemy.tables import metadata
from servicecore.errors import SchemaVersionError, StorageError, ValidationError

TABLES = set(metadata.tables)


def table_names(engine):
    return set(sa.inspect(engine).get_table_names()) - {"servicecore_version"}


def test_upgrade_from_empty_creates_every_table_at_the_head(empty_engine):
    assert current_revision(empty_engine) is None
    assert table_names(empty_engine) == set()
    assert upgrade(empty_engine) == head_revision()
    assert current_revision(empty_engine) == head_revision()
    assert table_names(empty_engine) == TABLES


def test_upgrading_a_current_database_changes_nothing(empty_engine):
    upgrade(empty_engine)
    assert upgrade(empty_engine) == head_revision()
    assert table_names(empty_engine) == TABLES


def test_the_migrations_create_exactly_the_tables_the_adapter_uses(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": "servicecore_version"})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(empty_engine):
    upgrade(empty_engine)
    from alembic import command

    with empty_engine.begin() as conn:
        command.downgrade(migrate._config(conn), "base")
    assert table_names(empty_engine) == set()
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert table_names(empty_engine) == TABLES


def test_opening_an_empty_database_without_create_names_both_revisions(empty_engine):
    with pytest.raises(SchemaVersionError) as info:
        SQLAlchemyStorage(empty_engine, create=False)
    message = str(info.value)
    assert "None" in message
    assert head_revision() in message
    assert "upgrade" in message


def test_opening_an_empty_database_creates_the_schema(empty_engine):
    storage = SQLAlchemyStorage(empty_engine)
    assert current_revision(storage.engine) == head_revision()
    with storage.unit_of_work("t-1") as uow:
        assert uow.requests.count() == 0


def test_opening_a_database_behind_names_both_revisions(empty_engine, monkeypatch):
    upgrade(empty_engine)
    # A newer servicecore whose schema has moved on: its head is a revision this database lacks.
    monkeypatch.setattr(migrate, "head_revision", lambda: "0099_newer")
    with pytest.raises(SchemaVersionError, match="behind") as info:
        SQLAlchemyStorage(empty_engine)  # never migrated on opening
    assert current_revision(empty_engine) == head_revision()
    assert f"'{head_revision()}'" in str(info.value)
    assert "'0099_newer'" in str(info.value)


def stamp(engine, revision):
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE servicecore_version SET version_num = :r"), {"r": revision})


def test_opening_a_database_ahead_names_both_revisions(empty_engine):
    upgrade(empty_engine)
    stamp(empty_engine, "0042_from_the_future")
    with pytest.raises(SchemaVersionError, match="ahead") as info:
        SQLAlchemyStorage(empty_engine, create=True)
    assert "'0042_from_the_future'" in str(info.value)
    assert repr(head_revision()) in str(info.value)


def test_upgrade_refuses_a_database_ahead(empty_engine):
    upgrade(empty_engine)
    stamp(empty_engine, "0042_from_the_future")
    with pytest.raises(SchemaVersionError, match="0042_from_the_future"):
        upgrade(empty_engine)


def test_an_unreachable_database_is_a_storage_error():
    with pytest.raises(StorageError) as info:
        SQLAlchemyStorage("postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2")
    assert isinstance(info.value.__cause__, sa.exc.DBAPIError)


def test_in_memory_sqlite_is_refused():
    with pytest.raises(ValidationError, match="in-memory"):
        SQLAlchemyStorage("sqlite://")


def run_cli(*argv):
    parser = argparse.ArgumentParser()
    add_db_command(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.handler(args)


def test_cli_db_upgrade_and_current(tmp_path, capsys):
    path = str(tmp_path / "cli.db")
    assert run_cli("db", "current", path) == 1
    assert "no database at" in capsys.readouterr().out
    assert not (tmp_path / "cli.db").exists()
    assert run_cli("db", "upgrade", path) == 0
    assert f"to {head_revision()}" in capsys.readouterr().out
    assert run_cli("db", "upgrade", f"sqlite:///{path}") == 0
    assert "already at" in capsys.readouterr().out
    assert run_cli("db", "current", path) == 0
    assert capsys.readouterr().out.strip() == f"{head_revision()} (up to date)"
    SQLAlchemyStorage(path).close()


def test_cli_db_current_of_an_empty_database_says_what_is_needed(tmp_path, capsys):
    path = tmp_path / "empty.db"
    path.touch()
    assert run_cli("db", "current", str(path)) == 1
    out = capsys.readouterr().out
    assert "none (no servicecore schema)" in out
    assert head_revision() in out


def test_cli_db_needs_a_subcommand_and_a_url():
    with pytest.raises(SystemExit):
        run_cli("db")
    with pytest.raises(SystemExit):
        run_cli("db", "upgrade")


@pytest.mark.postgres
def test_postgres_text_columns_order_by_code_point_whatever_the_database_collation(
    postgres_engine,
):
    # Pages are merged with pending entities in Python, which orders str by code point.
    # Only servicecore's own tables: a host's tables in the same schema keep their collation.
    with postgres_engine.connect() as conn:
        collations = conn.execute(
            sa.text(
                "SELECT DISTINCT collation_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type = 'text' "
                "AND table_name IN :ours"
            ).bindparams(sa.bindparam("ours", expanding=True)),
            {"ours": sorted(TABLES)},
        ).scalars()
        assert set(collations) == {"C"}


def _old_request_document(reported_at: str) -> dict:
    """A request as revision 0001 stored it: a total on hold and no periods."""
    from servicecore.serialization import unstructure
    from servicecore.testing import factories as f

    data = unstructure(f.request(id="R-OLD"))
    data.pop("holds")
    data["on_hold_total"] = 7200.0
    data["reported_at"] = reported_at
    return data


def test_requests_stored_before_holds_were_kept_get_their_holds_from_the_audit_trail(
    empty_engine,
):
    from datetime import UTC, datetime, timedelta

    from alembic import command

    from servicecore.testing import factories as f

    upgrade(empty_engine, "0001_initial")
    at = f.NOW
    entries = [
        ("hold", at + timedelta(hours=1)),
        ("resume", at + timedelta(hours=2)),
        ("hold", at + timedelta(hours=5)),
        ("resume", at + timedelta(hours=6)),
    ]
    with empty_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO requests (tenant, id, version, status, customer_id, data) "
                "VALUES ('t', 'R-OLD', 4, 'in_progress', 'C-1', :data)"
            ).bindparams(sa.bindparam("data", type_=sa.JSON())),
            {"data": _old_request_document(at.isoformat())},
        )
        for seq, (trigger, when) in enumerate(entries, 1):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_entries (tenant, entity_kind, entity_id, seq, trigger, "
                    "from_state, to_state, actor_id, at, reason, payload_digest, prev_hash, hash) "
                    "VALUES ('t', 'ServiceRequest', 'R-OLD', :seq, :trigger, 'a', 'b', 'x', :at, "
                    "'', '', '', :hash)"
                ),
                {
                    "seq": seq,
                    "trigger": trigger,
                    "at": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
                    "hash": f"h{seq}",
                },
            )
    assert upgrade(empty_engine) == head_revision()
    storage = SQLAlchemyStorage(empty_engine)
    with storage.unit_of_work("t") as uow:
        request = uow.requests.get("R-OLD")
    assert [(h.start, h.end) for h in request.holds] == [
        (at + timedelta(hours=1), at + timedelta(hours=2)),
        (at + timedelta(hours=5), at + timedelta(hours=6)),
    ]
    assert request.on_hold_total == timedelta(hours=2)
    with empty_engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0001_initial")
        data = conn.execute(sa.text("SELECT data FROM requests")).scalar_one()
    stored = data if isinstance(data, dict) else __import__("json").loads(data)
    assert stored["on_hold_total"] == 7200.0
    assert "holds" not in stored
    assert isinstance(datetime.fromisoformat(stored["reported_at"]), datetime)


def test_audit_entries_written_before_payloads_were_kept_read_back_without_one(empty_engine):
    from servicecore.testing import factories as f

    upgrade(empty_engine, "0008_technical_documents")
    with empty_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_entries (tenant, entity_kind, entity_id, seq, trigger, "
                "from_state, to_state, actor_id, at, reason, payload_digest, prev_hash, hash) "
                "VALUES ('t', 'ServiceRequest', 'R-OLD', 1, 'create', '', 'open', 'x', :at, "
                "'', 'd', '', 'h')"
            ),
            {"at": f.NOW.strftime("%Y-%m-%dT%H:%M:%S.%f")},
        )
    assert upgrade(empty_engine) == head_revision()
    storage = SQLAlchemyStorage(empty_engine)
    with storage.unit_of_work("t") as uow:
        (entry,) = uow.audit.entries("ServiceRequest", "R-OLD")
    assert (entry.payload_json, entry.payload) == ("", None)
