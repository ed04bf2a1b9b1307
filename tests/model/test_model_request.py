from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import (
    Closure,
    GeoPoint,
    Priority,
    RequestStatus,
    ServiceRequest,
    ServiceType,
)
from servicecore.model.common import TimeRange

REPORTED = datetime(2025, 4, 1, 8, tzinfo=UTC)


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "rq-1",
        "customer_id": "cust-1",
        "service_type": ServiceType.REPAIR,
        "priority": Priority.URGENT,
        "symptoms": "压缩机不启动 (compressor does not start)",
        "reported_at": REPORTED,
        "archive_id": "ar-1",
        "location": GeoPoint(lat=31.23, lon=121.47, address="上海"),
        "required_skills": ("hvac", "electrical"),
        "response_due": REPORTED + timedelta(hours=2),
        "resolution_due": REPORTED + timedelta(hours=8),
    }
    return {**base, **over}


def test_valid_request_builds_open() -> None:
    request = ServiceRequest(**kwargs())
    assert request.status is RequestStatus.OPEN
    assert request.on_hold_total == timedelta(0)
    assert request.dispatch_ids == ()


def test_status_values_are_the_lifecycle_names() -> None:
    assert [s.value for s in RequestStatus] == [
        "open",
        "assigned",
        "in_progress",
        "on_hold",
        "resolved",
        "closed",
        "cancelled",
    ]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", None),
        ("customer_id", ""),
        ("service_type", "repair"),
        ("priority", 1),
        ("symptoms", "   "),
        ("symptoms", "x" * 5001),
        ("reported_at", datetime(2025, 4, 1, 8)),
        ("archive_id", "ar 1"),
        ("contract_id", 7),
        ("fault_cause", ""),
        ("required_skills", ["hvac"]),
        ("required_skills", ("hvac", "hvac")),
        ("location", "Shanghai"),
        ("response_due", "soon"),
        ("resolution_due", datetime(2025, 4, 2)),
        ("responded_at", 0),
        ("booking_id", ""),
        ("dispatch_ids", ("d-1", "d-1")),
        ("processing_ids", "p-1"),
        ("closure", "done"),
        ("survey_id", "?"),
        ("knowledge_id", " "),
        ("holds", [TimeRange(REPORTED, REPORTED + timedelta(hours=1))]),
        ("holds", "2h"),
        ("held_since", "now"),
        ("status", "open"),
        ("version", None),
        ("audit_head", ""),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceRequest(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    "kind",
    [
        ServiceType.REPAIR,
        ServiceType.INSTALLATION,
        ServiceType.MAINTENANCE,
        ServiceType.WARRANTY_CLAIM,
    ],
)
def test_work_on_a_product_without_archive_is_refused(kind: ServiceType) -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceRequest(**kwargs(service_type=kind, archive_id=None))
    assert caught.value.errors[0].path == "archive_id"
    assert caught.value.errors[0].value is None


@pytest.mark.parametrize("kind", [ServiceType.CONSULT, ServiceType.COMPLAINT])
def test_consults_and_complaints_need_no_archive_nor_location(kind: ServiceType) -> None:
    request = ServiceRequest(**kwargs(service_type=kind, archive_id=None, location=None))
    assert request.archive_id is None


@pytest.mark.parametrize("field", ["response_due", "resolution_due", "responded_at", "held_since"])
def test_times_before_the_report_are_refused(field: str) -> None:
    early = REPORTED - timedelta(minutes=1)
    with pytest.raises(ValidationError) as caught:
        ServiceRequest(**kwargs(**{field: early}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == early


def test_resolution_due_before_response_due_is_refused() -> None:
    bad = REPORTED + timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        ServiceRequest(**kwargs(resolution_due=bad))
    assert caught.value.errors[0].path == "resolution_due"
    assert caught.value.errors[0].value == bad


def test_closure_before_the_report_is_refused() -> None:
    early = REPORTED - timedelta(days=1)
    closure = Closure(closed_at=early, closed_by="tech-1", summary="replaced capacitor")
    with pytest.raises(ValidationError) as caught:
        ServiceRequest(**kwargs(closure=closure, status=RequestStatus.CLOSED))
    assert caught.value.errors[0].path == "closure.closed_at"
    assert caught.value.errors[0].value == early


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("closed_at", datetime(2025, 4, 2)),
        ("closed_by", ""),
        ("summary", " "),
        ("customer_confirmed", 1),
    ],
)
def test_closure_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {
        "closed_at": REPORTED,
        "closed_by": "tech-1",
        "summary": "ok",
        "customer_confirmed": True,
    }
    with pytest.raises(ValidationError) as caught:
        Closure(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_held_for_adds_the_running_hold_to_finished_ones() -> None:
    request = ServiceRequest(
        **kwargs(
            holds=(TimeRange(REPORTED, REPORTED + timedelta(hours=1)),),
            held_since=REPORTED + timedelta(hours=3),
            status=RequestStatus.ON_HOLD,
        )
    )
    assert request.is_on_hold
    assert request.held_for(REPORTED + timedelta(hours=5)) == timedelta(hours=3)


def test_held_for_without_a_running_hold_is_the_total() -> None:
    request = ServiceRequest(
        **kwargs(holds=(TimeRange(REPORTED, REPORTED + timedelta(minutes=30)),))
    )
    assert not request.is_on_hold
    assert request.held_for(REPORTED + timedelta(days=9)) == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("status", "hours_later", "expected"),
    [
        (RequestStatus.IN_PROGRESS, 9, True),
        (RequestStatus.IN_PROGRESS, 8, False),
        (RequestStatus.ON_HOLD, 9, True),
        (RequestStatus.RESOLVED, 9, False),
        (RequestStatus.CLOSED, 9, False),
        (RequestStatus.CANCELLED, 9, False),
    ],
)
def test_overdue_when_resolution_due_passed_and_unresolved(
    status: RequestStatus, hours_later: int, expected: bool
) -> None:
    request = ServiceRequest(**kwargs(status=status))
    assert request.is_overdue(REPORTED + timedelta(hours=hours_later)) is expected


def test_response_overdue_until_someone_responds() -> None:
    late = REPORTED + timedelta(hours=3)
    assert ServiceRequest(**kwargs()).response_overdue(late)
    assert not ServiceRequest(
        **kwargs(responded_at=REPORTED + timedelta(hours=1))
    ).response_overdue(late)
    assert not ServiceRequest(**kwargs(response_due=None, resolution_due=None)).response_overdue(
        late
    )
