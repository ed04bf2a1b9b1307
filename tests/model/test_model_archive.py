from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import ArchivePart, ArchiveStatus, PartCode, ProductArchive


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ar-1",
        "serial_number": "SN-0001",
        "batch": "B2024-07",
        "product_code": "PUMP-3KW",
        "customer_id": "cust-1",
        "site_id": "site-1",
        "install_date": date(2024, 3, 1),
        "warranty_start": date(2024, 3, 1),
        "warranty_end": date(2026, 2, 28),
        "service_expiry": date(2029, 2, 28),
        "parts": (
            ArchivePart(part_code=PartCode("MOTOR"), serial="M-77"),
            ArchivePart(part_code=PartCode("SEAL"), quantity=4),
        ),
    }
    return {**base, **over}


def part(code: str, quantity: int = 1, serial: str | None = None) -> ArchivePart:
    return ArchivePart(part_code=PartCode(code), quantity=quantity, serial=serial)


def test_valid_archive_builds_in_draft_with_version_zero() -> None:
    archive = ProductArchive(**kwargs())
    assert archive.status is ArchiveStatus.DRAFT
    assert archive.version == 0
    assert archive.audit_head is None


def test_status_values_are_the_lifecycle_names() -> None:
    assert [s.value for s in ArchiveStatus] == ["draft", "registered", "invalidated"]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("id", "has space"),
        ("serial_number", "  "),
        ("serial_number", 17),
        ("batch", ""),
        ("product_code", None),
        ("customer_id", "-lead"),
        ("site_id", 3),
        ("install_date", "2024-03-01"),
        ("warranty_start", None),
        ("warranty_end", "2026-02-28"),
        ("service_expiry", 2029),
        ("parts", [part("SEAL")]),
        ("status", "registered"),
        ("version", -1),
        ("version", True),
        ("audit_head", "x" * 65),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ProductArchive(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_a_non_part_item_is_refused_naming_its_index() -> None:
    with pytest.raises(ValidationError) as caught:
        ProductArchive(**kwargs(parts=(part("SEAL"), "MOTOR")))
    assert caught.value.errors[0].path == "parts[1]"
    assert caught.value.errors[0].value == "MOTOR"


def test_a_repeated_part_line_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ProductArchive(**kwargs(parts=(part("SEAL", 2), part("SEAL", 3))))
    assert caught.value.errors[0].path == "parts"


def test_warranty_end_before_start_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ProductArchive(**kwargs(warranty_end=date(2024, 2, 29)))
    assert caught.value.errors[0].path == "warranty_end"
    assert caught.value.errors[0].value == date(2024, 2, 29)


def test_service_expiry_before_warranty_start_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ProductArchive(**kwargs(service_expiry=date(2020, 1, 1)))
    assert caught.value.errors[0].path == "service_expiry"


def test_a_one_day_warranty_is_allowed() -> None:
    archive = ProductArchive(**kwargs(warranty_end=date(2024, 3, 1)))
    assert archive.in_warranty(date(2024, 3, 1))


def test_assigning_a_bad_value_later_is_refused_too() -> None:
    archive = ProductArchive(**kwargs())
    with pytest.raises(ValidationError) as caught:
        archive.version = -3
    assert caught.value.errors[0].path == "version"


@pytest.mark.parametrize(
    ("serial", "quantity", "path"),
    [("M-1", 2, "quantity"), (None, 0, "quantity"), ("", 1, "serial")],
)
def test_archive_part_refuses_bad_lines(serial: str | None, quantity: int, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ArchivePart(part_code=PartCode("X"), quantity=quantity, serial=serial)
    assert caught.value.errors[0].path == path


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2024, 2, 29), False),
        (date(2024, 3, 1), True),
        (date(2025, 6, 1), True),
        (date(2026, 2, 28), True),
        (date(2026, 3, 1), False),
    ],
)
def test_in_warranty_includes_both_ends(on: date, expected: bool) -> None:
    assert ProductArchive(**kwargs()).in_warranty(on) is expected


def test_days_to_service_expiry_counts_down_and_goes_negative() -> None:
    archive = ProductArchive(**kwargs())
    assert archive.days_to_service_expiry(date(2029, 2, 18)) == 10
    assert archive.days_to_service_expiry(date(2029, 3, 2)) == -2
    assert (
        ProductArchive(**kwargs(service_expiry=None)).days_to_service_expiry(date(2030, 1, 1))
        is None
    )


def test_replace_parts_swaps_a_serialised_part() -> None:
    archive = ProductArchive(**kwargs())
    archive.replace_parts(
        removed=[part("MOTOR", serial="M-77")], installed=[part("MOTOR", serial="M-99")]
    )
    assert archive.parts == (part("SEAL", 4), part("MOTOR", serial="M-99"))


def test_replace_parts_reduces_and_adds_counted_parts() -> None:
    archive = ProductArchive(**kwargs())
    archive.replace_parts(removed=[part("SEAL", 3)], installed=[part("SEAL", 1), part("FILTER", 2)])
    assert archive.parts == (part("MOTOR", serial="M-77"), part("SEAL", 2), part("FILTER", 2))
    assert archive.quantity_of("SEAL") == 2


def test_replace_parts_refuses_removing_more_than_installed_and_changes_nothing() -> None:
    archive = ProductArchive(**kwargs())
    before = archive.parts
    with pytest.raises(ValidationError) as caught:
        archive.replace_parts(
            removed=[part("SEAL", 2), part("SEAL", 3)], installed=[part("FILTER")]
        )
    assert caught.value.errors[0].path == "removed[1]"
    assert archive.parts == before


def test_replace_parts_refuses_removing_a_part_that_is_not_installed() -> None:
    archive = ProductArchive(**kwargs())
    with pytest.raises(ValidationError) as caught:
        archive.replace_parts(removed=[part("MOTOR", serial="M-00")], installed=[])
    assert caught.value.errors[0].path == "removed[0]"


def test_replace_parts_refuses_installing_a_serial_already_installed() -> None:
    archive = ProductArchive(**kwargs())
    with pytest.raises(ValidationError) as caught:
        archive.replace_parts(removed=[], installed=[part("MOTOR", serial="M-77")])
    assert caught.value.errors[0].path == "installed[0]"


def test_replace_parts_refuses_items_that_are_not_parts() -> None:
    archive = ProductArchive(**kwargs())
    with pytest.raises(ValidationError) as caught:
        archive.replace_parts(removed=[], installed=["SEAL"])  # type: ignore[list-item]
    assert caught.value.errors[0].path == "installed[0]"
