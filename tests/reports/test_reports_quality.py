"""Quality tracking on its own hand-built requests, audit trail and surveys."""

import pytest
from report_times import NOW
from report_times import D as DAY

from servicecore.errors import ValidationError
from servicecore.model.audit import AuditEntry
from servicecore.model.enums import ServiceType
from servicecore.reports.quality import QualityRow, quality_tracking
from servicecore.testing import factories as f


def req(i: int, archive: str | None, cause: str | None, days_ago: int) -> object:
    extra = {"service_type": ServiceType.CONSULT} if archive is None else {}
    return f.request(
        id=f"R-{i}",
        archive_id=archive,
        fault_cause=cause,
        reported_at=NOW - days_ago * DAY,
        **extra,
    )


@pytest.fixture
def quality(storage, tenant):
    requests = [
        req(1, "A-1", "relay", 40),
        req(2, "A-1", "relay", 20),  # 20 days after R-1 on A-1: a repeat
        req(3, "A-1", "seal", 0),  # 20 days after R-2: a repeat
        req(4, "A-2", "relay", 5),  # reopened
        req(5, None, None, 0),
        req(6, "A-2", "relay", 100),  # 95 days before R-4: neither is a repeat
    ]
    surveys = [
        f.survey(id="S-1", request_id="R-1", score=4),
        f.survey(id="S-2", request_id="R-2", score=2),
        f.survey(id="S-3", request_id="R-4", score=5),
        f.survey(id="S-4", request_id="R-4", score=3),
    ]
    first = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-4",
        trigger="create",
        from_state="",
        to_state="new",
        actor_id="cs-1",
        at=NOW - 5 * DAY,
    )
    reopen = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-4",
        trigger="reopen",
        from_state="closed",
        to_state="in_progress",
        actor_id="cs-1",
        at=NOW - DAY,
        previous=first,
    )
    with storage.unit_of_work(tenant) as uow:
        uow.archives.add(f.archive(id="A-1", product_code="PX-100"))
        uow.archives.add(f.archive(id="A-2", serial_number="SN-2", product_code="PX-200"))
        for r in requests:
            uow.requests.add(r)
        for s in surveys:
            uow.surveys.add(s)
        uow.audit.append(first)
        uow.audit.append(reopen)
        uow.commit()


def test_quality_known_answers(backend, tenant, quality):
    assert quality_tracking(backend, tenant).rows == (
        QualityRow("PX-100", "relay", 2, 0, 1, 2, 3.0),
        QualityRow("PX-100", "seal", 1, 0, 1, 0, None),
        QualityRow("PX-200", "relay", 2, 1, 0, 2, 4.0),
        QualityRow(None, None, 1, 0, 0, 0, None),
    )


def test_repeat_window_and_range(backend, tenant, quality):
    short = quality_tracking(backend, tenant, repeat_days=10).rows
    assert [r.repeat_repairs for r in short] == [0, 0, 0, 0]
    recent = quality_tracking(backend, tenant, start=NOW - 30 * DAY).rows
    # R-2 is still a repeat: R-1, outside the range, was the earlier request.
    assert [(r.product_code, r.requests, r.repeat_repairs) for r in recent] == [
        ("PX-100", 1, 1),
        ("PX-100", 1, 1),
        ("PX-200", 1, 0),
        (None, 1, 0),
    ]


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_a_bad_window_is_refused(backend, tenant, days):
    with pytest.raises(ValidationError, match="repeat_days"):
        quality_tracking(backend, tenant, repeat_days=days)
