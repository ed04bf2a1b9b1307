from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from servicecore.errors import NotFound, ValidationError
from servicecore.model import (
    ContractExtension,
    ContractStatus,
    Money,
    PenaltyTerm,
    Priority,
    ServiceContract,
    SlaTerm,
    WeeklyWindow,
    WorkingCalendar,
)

AT = datetime(2025, 6, 1, 9, tzinfo=UTC)
CAL = WorkingCalendar(
    timezone="Asia/Jakarta",
    hours=tuple(WeeklyWindow(weekday=d, start=time(8), end=time(17)) for d in range(5)),
)
URGENT_SLA = SlaTerm(
    priority=Priority.URGENT, response=timedelta(hours=2), resolution=timedelta(hours=8)
)
URGENT_PENALTY = PenaltyTerm(
    priority=Priority.URGENT,
    per_started_hour=Money(Decimal("50.00"), "EUR"),
    cap=Money(Decimal("400.00"), "EUR"),
)


def ext(old: date, new: date) -> ContractExtension:
    return ContractExtension(old_end=old, new_end=new, at=AT, by="cs-1", reason="renewed")


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ct-1",
        "customer_id": "cust-1",
        "archive_ids": ("ar-1", "ar-2"),
        "start": date(2025, 1, 1),
        "end": date(2025, 12, 31),
        "calendar": CAL,
        "sla_terms": (URGENT_SLA,),
        "penalty_terms": (URGENT_PENALTY,),
    }
    return {**base, **over}


def test_valid_contract_builds_in_draft() -> None:
    contract = ServiceContract(**kwargs())
    assert contract.status is ContractStatus.DRAFT
    assert contract.version == 0


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", "a b"),
        ("customer_id", None),
        ("archive_ids", ["ar-1"]),
        ("archive_ids", ("ar-1", "ar-1")),
        ("start", datetime(2025, 1, 1, tzinfo=UTC)),
        ("end", "2025-12-31"),
        ("calendar", "Asia/Jakarta"),
        ("sla_terms", (URGENT_SLA, URGENT_SLA)),
        ("sla_terms", [URGENT_SLA]),
        ("penalty_terms", (URGENT_PENALTY, URGENT_PENALTY)),
        ("status", None),
        ("version", "0"),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceContract(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_an_extension_that_is_not_an_extension_is_refused_naming_its_index() -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceContract(**kwargs(extensions=("2026-01-01",)))
    assert caught.value.errors[0].path == "extensions[0]"
    assert caught.value.errors[0].value == "2026-01-01"


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceContract(**kwargs(end=date(2024, 12, 31)))
    assert caught.value.errors[0].path == "end"
    assert caught.value.errors[0].value == date(2024, 12, 31)


def test_chained_extensions_ending_on_the_contract_end_are_accepted() -> None:
    exts = (ext(date(2025, 6, 30), date(2025, 9, 30)), ext(date(2025, 9, 30), date(2025, 12, 31)))
    assert ServiceContract(**kwargs(extensions=exts)).extensions == exts


def test_extensions_that_do_not_chain_are_refused() -> None:
    exts = (ext(date(2025, 6, 30), date(2025, 9, 30)), ext(date(2025, 10, 31), date(2025, 12, 31)))
    with pytest.raises(ValidationError) as caught:
        ServiceContract(**kwargs(extensions=exts))
    assert caught.value.errors[0].path == "extensions[1]"


def test_last_extension_must_end_on_the_contract_end() -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceContract(**kwargs(extensions=(ext(date(2025, 6, 30), date(2025, 11, 30)),)))
    assert caught.value.errors[0].path == "extensions[0]"


def test_extension_must_move_the_end_later() -> None:
    with pytest.raises(ValidationError) as caught:
        ext(date(2025, 6, 30), date(2025, 6, 30))
    assert caught.value.errors[0].path == "new_end"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("response", timedelta(0)),
        ("response", 3600),
        ("resolution", timedelta(hours=-1)),
        ("priority", "urgent"),
    ],
)
def test_sla_term_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {
        "priority": Priority.URGENT,
        "response": timedelta(hours=1),
        "resolution": timedelta(hours=4),
    }
    with pytest.raises(ValidationError) as caught:
        SlaTerm(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_sla_resolution_shorter_than_response_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        SlaTerm(priority=Priority.LOW, response=timedelta(hours=4), resolution=timedelta(hours=1))
    assert caught.value.errors[0].path == "resolution"


def test_sla_for_finds_the_term_of_the_priority() -> None:
    assert ServiceContract(**kwargs()).sla_for(Priority.URGENT) is URGENT_SLA


def test_sla_for_a_priority_without_term_raises_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        ServiceContract(**kwargs()).sla_for(Priority.LOW)
    assert caught.value.kind == "SlaTerm"


def test_penalty_for_a_priority_without_term_is_none() -> None:
    contract = ServiceContract(**kwargs())
    assert contract.penalty_for(Priority.URGENT) is URGENT_PENALTY
    assert contract.penalty_for(Priority.NORMAL) is None


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("per_started_hour", Money(Decimal(0), "EUR")),
        ("per_started_hour", Decimal(50)),
        ("cap", Money(Decimal(400), "USD")),
        ("cap", Money(Decimal(10), "EUR")),
    ],
)
def test_penalty_term_refuses_bad_amounts(field: str, bad: object) -> None:
    fields: dict[str, object] = {
        "priority": Priority.URGENT,
        "per_started_hour": Money(Decimal(50), "EUR"),
        "cap": Money(Decimal(400), "EUR"),
    }
    with pytest.raises(ValidationError) as caught:
        PenaltyTerm(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    ("late", "expected"),
    [
        (timedelta(0), "0"),
        (timedelta(seconds=-5), "0"),
        (timedelta(seconds=1), "50.00"),
        (timedelta(hours=1), "50.00"),
        (timedelta(hours=1, seconds=1), "100.00"),
        (timedelta(hours=7, minutes=59), "400.00"),
        (timedelta(days=3), "400.00"),
    ],
)
def test_penalty_counts_every_started_hour_up_to_the_cap(late: timedelta, expected: str) -> None:
    assert URGENT_PENALTY.amount_for(late) == Money(Decimal(expected), "EUR")


@pytest.mark.parametrize(
    ("status", "archive", "on", "expected"),
    [
        (ContractStatus.ACTIVE, "ar-1", date(2025, 1, 1), True),
        (ContractStatus.ACTIVE, "ar-2", date(2025, 12, 31), True),
        (ContractStatus.ACTIVE, "ar-1", date(2026, 1, 1), False),
        (ContractStatus.ACTIVE, "ar-1", date(2024, 12, 31), False),
        (ContractStatus.ACTIVE, "ar-9", date(2025, 6, 1), False),
        (ContractStatus.DRAFT, "ar-1", date(2025, 6, 1), False),
        (ContractStatus.EXPIRED, "ar-1", date(2025, 6, 1), False),
        (ContractStatus.TERMINATED, "ar-1", date(2025, 6, 1), False),
    ],
)
def test_covers_needs_an_active_contract_the_archive_and_the_date(
    status: ContractStatus, archive: str, on: date, expected: bool
) -> None:
    assert ServiceContract(**kwargs(status=status)).covers(archive, on) is expected
