from datetime import UTC, datetime, timedelta

import pytest

from servicecore.adapters import FixedClock, SystemClock, UuidIdGenerator
from servicecore.errors import ValidationError
from servicecore.events import DomainEvent

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_the_system_clock_is_aware_and_close_to_now():
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_fixed_clock_stands_still_until_advanced():
    clock = FixedClock(T0)
    assert clock.now() == T0
    assert clock.advance(timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    assert clock.now() == T0 + timedelta(minutes=5)


def test_a_fixed_clock_refuses_naive_times_and_going_back():
    with pytest.raises(ValidationError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="negative"):
        FixedClock(T0).advance(timedelta(seconds=-1))


def test_uuid_ids_are_unique_and_prefixed_with_the_kind():
    gen = UuidIdGenerator()
    ids = {gen.new_id("ServiceRequest") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("ServiceRequest-") for i in ids)


def event(**kw):
    fields = {
        "id": "ev-1",
        "name": "RequestCompleted",
        "entity_kind": "ServiceRequest",
        "entity_id": "R-1",
        "occurred_at": T0,
        "payload": {"amount": "12.50", "lines": [{"part": "RELAY-7", "qty": 1}]},
    }
    return DomainEvent(**(fields | kw))


def test_an_event_payload_is_frozen():
    e = event()
    with pytest.raises(TypeError):
        e.payload["amount"] = "0"  # type: ignore[index]


@pytest.mark.parametrize("payload", [{"at": T0}, {"x": {1: "a"}}, ["not", "a", "mapping"]])
def test_an_event_payload_must_be_json_safe(payload):
    with pytest.raises(ValidationError) as info:
        event(payload=payload)
    assert info.value.errors[0].path == "payload"


def test_an_event_needs_an_aware_time():
    with pytest.raises(ValidationError, match="occurred_at"):
        event(occurred_at=datetime(2026, 1, 1))


def test_a_query_limit_beyond_what_a_database_can_count_is_refused():
    import pytest

    from servicecore.catalog import spec_for
    from servicecore.errors import ValidationError
    from servicecore.ports import Query

    with pytest.raises(ValidationError) as info:
        Query(limit=10**30).check(spec_for("ServiceRequest"))
    assert info.value.errors[0].path == "limit"
