"""Public calls that once let a raw exception escape now raise a servicecore error naming the field.

One test per case found by probing the public API (misspelt time zones, missing slots, numbers
where text belongs, cursors of another type, corrupted stored records, deep JSON, unknown
database URLs, huge coordinates); each runs on every storage of the fuzz conftest where storage
matters.
"""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from servicecore.adapters.erp_memory import InMemoryReceivables
from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.cli import main
from servicecore.errors import ServicecoreError, ValidationError
from servicecore.model.common import GeoPoint, TimeRange
from servicecore.model.enums import Channel, ServiceType
from servicecore.ports import Query
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.services.tokens import TokenSigner
from servicecore.testing import factories as f

DAY = f.NOW.date() + timedelta(days=1)
SLOT = TimeRange(f.NOW + timedelta(days=1), f.NOW + timedelta(days=1, hours=2))


@pytest.fixture
def desk(backend, request) -> ServiceDesk:
    _, storage = backend
    tenant = f"hc-{request.node.name}"[:60].replace("[", "-").replace("]", "")
    return ServiceDesk(
        storage,
        tenant,
        clock=FixedClock(f.NOW),
        settings=DeskSettings(signer=TokenSigner(b"k" * 32)),
    )


def field_of(caught: pytest.ExceptionInfo[ValidationError]) -> str:
    return caught.value.errors[0].path


def test_a_misspelt_time_zone_in_plan_day_is_a_validation_error(desk):
    with pytest.raises(ValidationError) as caught:
        desk.dispatch.plan_day(f.ADMIN, DAY, "Europe/Berln", time_limit=0.1)
    assert field_of(caught) == "timezone"


def test_a_misspelt_time_zone_in_assign_from_plan_is_a_validation_error(desk):
    plan = desk.dispatch.plan_day(f.ADMIN, DAY, "UTC", time_limit=0.1).result
    with pytest.raises(ValidationError) as caught:
        desk.dispatch.assign_from_plan(f.ADMIN, plan, DAY, "Europe/Berln")
    assert field_of(caught) == "timezone"


@pytest.mark.parametrize("plan", [None, 5, "plan", {"routes": []}])
def test_a_plan_that_is_not_a_scheduler_result_is_a_validation_error(desk, plan):
    with pytest.raises(ValidationError) as caught:
        desk.dispatch.assign_from_plan(f.ADMIN, plan, DAY, "UTC")
    assert field_of(caught) == "plan"


def test_booking_without_a_slot_is_a_validation_error_naming_the_slot(desk):
    with pytest.raises(ValidationError) as caught:
        desk.bookings.book(
            f.ADMIN,
            customer=f.booking().customer,
            service_type=ServiceType.REPAIR,
            channel=Channel.CALL_CENTRE,
            slot=None,
            location=f.HERE,
            booking_policy=f.booking().policy,
        )
    assert field_of(caught) == "slot"


@pytest.mark.parametrize("skills", [5, ["RELAY", 5], ("RELAY", None)])
def test_required_skills_that_are_not_text_are_a_validation_error(desk, skills):
    with pytest.raises(ValidationError) as caught:
        desk.requests.open_request(
            f.ADMIN,
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="no cooling",
            required_skills=skills,
        )
    assert field_of(caught).startswith("required_skills")


def test_a_port_argument_that_is_not_the_port_is_a_validation_error(desk):
    with pytest.raises(ValidationError) as caught:
        desk.quotes.quote_context(f.ADMIN, None, "C-1")
    assert field_of(caught) == "receivables"


def test_a_port_argument_that_is_the_port_passes_and_the_next_bad_argument_is_named(desk):
    with pytest.raises(ValidationError) as caught:
        desk.quotes.quote_context(f.ADMIN, InMemoryReceivables(), "C-1", ["RELAY-7", None])
    assert field_of(caught).startswith("part_codes")


def test_a_check_in_token_that_is_not_ascii_is_refused_with_a_servicecore_error(desk):
    with pytest.raises(ServicecoreError):
        desk.bookings.check_in(f.ADMIN, "tök€n.😀")


@pytest.mark.parametrize("after", [(5, "R-1"), ("x",), ("2026-01-01", 7), "R-1"])
def test_a_query_cursor_of_another_type_is_a_validation_error(backend, after):
    _, storage = backend
    with storage.unit_of_work("hc-cursor") as uow, pytest.raises(ValidationError) as caught:
        uow.requests.query(Query(order_by="reported_at", after=after))
    assert field_of(caught) == "after"


def test_a_huge_query_limit_is_a_validation_error(backend):
    _, storage = backend
    with storage.unit_of_work("hc-limit") as uow, pytest.raises(ValidationError) as caught:
        uow.requests.query(Query(limit=10**30))
    assert field_of(caught) == "limit"


@pytest.mark.parametrize(
    "stored",
    [
        '{"id": 5}',
        "[]",
        "null",
        '{"id": "R-9", "opened_at": "yesterday"}',
        json.dumps({"id": "R-9", "symptoms": "x\u0000"}),
    ],
)
def test_a_corrupted_stored_record_is_a_servicecore_error_not_a_raw_one(tmp_path, stored):
    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade
    from servicecore.adapters.sqlalchemy.engine import make_engine

    engine = make_engine(str(tmp_path / "corrupt.db"))
    upgrade(engine)
    storage = SQLAlchemyStorage(engine)
    with storage.unit_of_work("acme") as uow:
        uow.requests.add(f.request(id="R-9"))
        uow.commit()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE requests SET data = :d WHERE id = 'R-9'"), {"d": stored})
    with storage.unit_of_work("acme") as uow, pytest.raises(ServicecoreError):
        uow.requests.get("R-9")
    engine.dispose()


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        (10**400, 0, "lat"),
        (0, -(10**400), "lon"),
        (float("inf"), 0, "lat"),
        (0, float("nan"), "lon"),
    ],
)
def test_huge_or_undefined_coordinates_are_a_validation_error(lat, lon, field):
    with pytest.raises(ValidationError) as caught:
        GeoPoint(lat=lat, lon=lon)
    assert field_of(caught) == field


def test_a_request_site_with_huge_coordinates_is_refused_before_anything_is_written():
    storage = MemoryStorage()
    desk = ServiceDesk(storage, "acme", clock=FixedClock(f.NOW))
    with pytest.raises(ValidationError):
        desk.requests.open_request(
            f.ADMIN,
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="no cooling",
            location=GeoPoint(lat=10**400, lon=0),
        )
    assert list(storage.pending_events("acme")) == []


def test_the_cli_refuses_deeply_nested_json_with_exit_code_2(tmp_path, capsys):
    instance = tmp_path / "deep.json"
    instance.write_text("[" * 100_000 + "]" * 100_000)
    code = main(["schedule", str(instance), "--time-limit", "1", "-o", str(tmp_path / "out.json")])
    assert code == 2
    assert "deep.json" in capsys.readouterr().err


def test_db_upgrade_of_a_database_without_its_driver_names_the_driver(capsys):
    assert main(["db", "upgrade", "mysql://x"]) == 2
    assert "MySQLdb" in capsys.readouterr().err


def test_db_upgrade_of_an_unknown_database_kind_is_a_validation_error_on_the_url(capsys):
    assert main(["db", "upgrade", "nosuchdb://x"]) == 2
    err = capsys.readouterr().err
    assert "ValidationError" in err
    assert "url=" in err


def test_an_error_about_a_deeply_nested_value_has_a_short_message():
    from hostile import DEEP_DICT

    value = dict(DEEP_DICT)  # a plain dict: its repr would recurse 5,000 levels deep
    caught = ValidationError.single("data", value, "must be an object")
    assert caught.errors[0].value is value
    assert len(str(caught)) < 500


def test_an_error_about_a_huge_string_shows_its_start_not_all_of_it():
    caught = ValidationError.single("symptoms", "x" * 100_000, "is too long")
    assert caught.errors[0].value == "x" * 100_000
    assert len(str(caught)) < 500
    assert "symptoms='xxx" in str(caught)


@pytest.mark.parametrize("booking_id", ["\ud800", "B-1\x00", "x\udfffy"])
def test_an_id_argument_no_database_can_store_is_a_validation_error_naming_it(desk, booking_id):
    with pytest.raises(ValidationError) as caught:
        desk.bookings.confirm_booking(f.ADMIN, booking_id)
    assert field_of(caught) == "booking_id"


def test_a_list_item_no_database_can_store_is_named_with_its_index(desk):
    with pytest.raises(ValidationError) as caught:
        desk.quotes.quote_context(f.ADMIN, InMemoryReceivables(), "C-1", ["RELAY-7", "\ud800"])
    assert field_of(caught) == "part_codes[1]"


def test_db_upgrade_of_a_file_whose_name_is_not_utf8_prints_it_escaped(tmp_path, capsys):
    path = tmp_path / "x\udcff.db"  # what Python makes of the byte 0xff in a file name
    assert main(["db", "upgrade", str(path)]) == 0
    assert main(["db", "upgrade", str(path)]) == 0
    assert "x\\udcff.db: already at revision" in capsys.readouterr().out
