from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import DispatchOrder, DispatchStatus, TimeRange

T0 = datetime(2025, 4, 1, 8, tzinfo=UTC)
PLANNED = TimeRange(start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=4))


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "dp-1",
        "request_id": "rq-1",
        "technician_id": "tech-1",
        "planned": PLANNED,
    }
    return {**base, **over}


def test_valid_dispatch_builds_assigned_and_open() -> None:
    order = DispatchOrder(**kwargs())
    assert order.status is DispatchStatus.ASSIGNED
    assert order.is_open


def test_status_values_are_the_lifecycle_names() -> None:
    assert [s.value for s in DispatchStatus] == [
        "assigned",
        "accepted",
        "rejected",
        "in_progress",
        "completed",
        "revoked",
    ]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("request_id", None),
        ("technician_id", "tech 1"),
        ("planned", (T0, T0)),
        ("reject_reason", ""),
        ("revoke_reason", 5),
        ("accepted_at", datetime(2025, 4, 1)),
        ("started_at", "now"),
        ("completed_at", T0.date()),
        ("status", "assigned"),
        ("version", -1),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        DispatchOrder(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_started_before_accepted_is_refused() -> None:
    bad = T0 - timedelta(minutes=1)
    with pytest.raises(ValidationError) as caught:
        DispatchOrder(**kwargs(accepted_at=T0, started_at=bad))
    assert caught.value.errors[0].path == "started_at"
    assert caught.value.errors[0].value == bad


def test_completed_before_started_is_refused_even_without_acceptance_time() -> None:
    with pytest.raises(ValidationError) as caught:
        DispatchOrder(**kwargs(started_at=T0, completed_at=T0 - timedelta(hours=1)))
    assert caught.value.errors[0].path == "completed_at"


def test_step_times_in_order_are_accepted() -> None:
    order = DispatchOrder(
        **kwargs(
            accepted_at=T0,
            started_at=T0 + timedelta(hours=2),
            completed_at=T0 + timedelta(hours=3),
            status=DispatchStatus.COMPLETED,
        )
    )
    assert not order.is_open


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (DispatchStatus.ACCEPTED, True),
        (DispatchStatus.IN_PROGRESS, True),
        (DispatchStatus.REJECTED, False),
        (DispatchStatus.REVOKED, False),
    ],
)
def test_is_open_while_work_is_expected(status: DispatchStatus, expected: bool) -> None:
    assert DispatchOrder(**kwargs(status=status)).is_open is expected
