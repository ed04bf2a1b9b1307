"""The outbox delivery job through the desk (the other jobs are tested with their subjects)."""

import pytest
from desk_actors import CS, SUP

from servicecore.errors import PermissionDenied, ValidationError
from servicecore.model.actor import SYSTEM
from servicecore.model.enums import ServiceType
from servicecore.services.desk import ServiceDesk


def _publisher(seen, *, failing=False):
    def publish(tenant, events):
        if failing:
            raise ConnectionError("the host's queue is down")
        seen.extend(e.id for e in events)

    return publish


@pytest.fixture
def desk(open_storage, tenant, clock):
    def refusing(tenant, events):
        raise ConnectionError("the host's handler is down")

    # The storage's own publisher refuses, so every committed event stays pending.
    return ServiceDesk(open_storage(publisher=refusing), tenant, clock=clock)


def _open_requests(desk, n):
    for i in range(n):
        desk.requests.open_request(
            CS, customer_id="C-1", service_type=ServiceType.CONSULT, symptoms=f"question {i}"
        )


def test_outbox_delivery_hands_over_every_pending_event_once(desk):
    _open_requests(desk, 3)
    pending = [e.id for e in desk.storage.pending_events(desk.tenant)]
    assert len(pending) == 3
    seen = []
    run = desk.jobs.deliver_outbox(SYSTEM, _publisher(seen), batch=2)
    assert run.delivered == tuple(pending)
    assert run.failed is None
    assert seen == pending
    assert desk.storage.pending_events(desk.tenant) == ()
    again = desk.jobs.deliver_outbox(SYSTEM, _publisher(seen))
    assert again.delivered == ()
    assert seen == pending


def test_outbox_delivery_stops_at_a_failing_publisher_and_keeps_the_events(desk):
    _open_requests(desk, 2)
    run = desk.jobs.deliver_outbox(SYSTEM, _publisher([], failing=True))
    assert run.delivered == ()
    assert run.failed == "ConnectionError: the host's queue is down"
    assert len(desk.storage.pending_events(desk.tenant)) == 2


def test_outbox_delivery_refuses_a_bad_batch_size(desk):
    for bad in (0, -1, True, "10"):
        with pytest.raises(ValidationError) as info:
            desk.jobs.deliver_outbox(SYSTEM, _publisher([]), batch=bad)
        assert info.value.errors[0].path == "batch"


def test_only_the_system_or_a_supervisor_delivers_the_outbox(desk):
    with pytest.raises(PermissionDenied, match="deliver_outbox"):
        desk.jobs.deliver_outbox(CS, _publisher([]))
    assert desk.jobs.deliver_outbox(SUP, _publisher([])).failed is None
