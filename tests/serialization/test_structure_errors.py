"""Structuring bad data raises ValidationError listing every bad field with path and value."""

from datetime import UTC, date, datetime

import pytest

from servicecore.errors import ValidationError
from servicecore.model.archive import ProductArchive
from servicecore.model.common import Money
from servicecore.model.quote import Quote
from servicecore.serialization import structure, unstructure

GOOD_ARCHIVE = {
    "id": "A-1",
    "serial_number": "SN-1",
    "product_code": "AC-9000",
    "customer_id": "C-1",
    "warranty_start": "2025-01-01",
    "warranty_end": "2027-01-01",
    "parts": [{"part_code": "RELAY-7", "quantity": 1}],
}


def errors_of(data: object, cls: type) -> dict[str, object]:
    with pytest.raises(ValidationError) as info:
        structure(data, cls)
    return {e.path: e.value for e in info.value.errors}


def test_good_data_structures():
    archive = structure(GOOD_ARCHIVE, ProductArchive)
    assert archive.warranty_end == date(2027, 1, 1)


def test_every_bad_type_is_listed_with_its_path_and_value():
    bad = GOOD_ARCHIVE | {"warranty_start": "someday", "serial_number": 42}
    assert errors_of(bad, ProductArchive) == {"warranty_start": "someday", "serial_number": 42}


def test_every_broken_rule_is_listed_not_only_the_first():
    bad = GOOD_ARCHIVE | {"id": "has space", "product_code": "", "customer_id": "!"}
    found = errors_of(bad, ProductArchive)
    assert found == {"id": "has space", "product_code": "", "customer_id": "!"}


def test_nested_errors_carry_the_full_path():
    bad = GOOD_ARCHIVE | {"parts": [{"part_code": "OK-1"}, {"part_code": "P", "quantity": 0}]}
    assert errors_of(bad, ProductArchive) == {"parts[1].quantity": 0}


def test_nested_type_errors_carry_the_full_path():
    bad = GOOD_ARCHIVE | {"parts": [{"part_code": "OK-1", "quantity": "two"}]}
    assert errors_of(bad, ProductArchive) == {"parts[0].quantity": "two"}


def test_a_missing_field_is_named():
    bad = {k: v for k, v in GOOD_ARCHIVE.items() if k != "serial_number"}
    assert "serial_number" in errors_of(bad, ProductArchive)


def test_an_unknown_field_is_refused_by_name():
    bad = GOOD_ARCHIVE | {"serial_no": "SN-2"}
    assert errors_of(bad, ProductArchive) == {"serial_no": "SN-2"}


def test_a_cross_field_rule_is_reported():
    bad = GOOD_ARCHIVE | {"warranty_end": "2024-01-01"}
    assert "warranty_end" in errors_of(bad, ProductArchive)


def test_money_refuses_floats_because_they_are_not_exact():
    assert errors_of({"amount": 0.1, "currency": "EUR"}, Money) == {"amount": 0.1}


def test_money_amounts_are_strings_in_json():
    assert unstructure(Money("12.30", "EUR")) == {"amount": "12.30", "currency": "EUR"}


def test_naive_datetimes_are_refused():
    data = {
        "id": "Q-1",
        "customer_id": "C-1",
        "currency": "EUR",
        "valid_until": "2026-05-01T00:00:00",
    }
    assert errors_of(data, Quote) == {"valid_until": "2026-05-01T00:00:00"}


def test_datetimes_are_written_in_utc():
    q = Quote(
        id="Q-1",
        customer_id="C-1",
        currency="EUR",
        valid_until=datetime(2026, 5, 1, 7, tzinfo=UTC),
    )
    assert unstructure(q)["valid_until"] == "2026-05-01T07:00:00+00:00"


def test_a_non_object_is_refused():
    with pytest.raises(ValidationError, match="must be an object"):
        structure(["not", "a", "dict"], ProductArchive)


def test_booleans_are_not_accepted_as_integers():
    bad = GOOD_ARCHIVE | {"parts": [{"part_code": "P", "quantity": True}]}
    assert errors_of(bad, ProductArchive) == {"parts[0].quantity": True}
