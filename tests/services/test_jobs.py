"""The outbox delivery job through the desk (the other jobs are tested with their subjects)."""

from datetime import timedelta

import pytest
from desk_actors import CS, SUP
from test_bookings import make_booking, seed_technicians

from servicecore.adapters.notifiers import NotificationError, RecordingNotifier
from servicecore.errors import PermissionDenied, ValidationError
from servicecore.events import RetryPolicy
from servicecore.model.actor import SYSTEM
from servicecore.model.booking import CustomerIdentity
from servicecore.model.enums import Channel, ServiceType
from servicecore.services.desk import ServiceDesk
from servicecore.services.notifications import NotifyingPublisher


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


def test_outbox_delivery_keeps_the_events_a_failing_publisher_refuses_for_a_retry(desk):
    _open_requests(desk, 2)
    run = desk.jobs.deliver_outbox(SYSTEM, _publisher([], failing=True))
    assert run.delivered == ()
    assert run.failed == "ConnectionError: the host's queue is down"
    assert len(run.retrying) == 2
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


# --- one undeliverable message does not block the tenant's outbox ------------------------------


class RefusesOneAddress(RecordingNotifier):
    """A notifier that cannot send to one address (a CRM name with a line break, say)."""

    def __init__(self, refused):
        super().__init__()
        self.refused = refused

    def send(self, notification):
        if notification.to == self.refused:
            raise NotificationError(f"cannot send to {notification.to!r}")
        super().send(notification)


BROKEN = CustomerIdentity(customer_id="C-9", name="Broken", email="broken@example.id")
FINE = CustomerIdentity(customer_id="C-2", name="Siti", email="siti@example.id")
RETRY = RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=1), factor=2)


@pytest.fixture
def booked(storage, tenant, clock):
    """Two online bookings: the first's confirmation e-mail cannot be sent."""
    seed_technicians(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        for hour, who in ((9, BROKEN), (14, FINE)):
            make_booking(uow, clock, customer=who, channel=Channel.ONLINE, hour=hour)
        uow.commit()
    return ServiceDesk(storage, tenant, clock=clock)


def test_an_undeliverable_message_does_not_hold_back_later_events(booked):
    notifier = RefusesOneAddress(BROKEN.email)
    pending = booked.storage.pending_events(booked.tenant)
    run = booked.jobs.deliver_outbox(SYSTEM, NotifyingPublisher(notifier), retry=RETRY)
    assert len(run.retrying) == 1
    assert run.delivered == tuple(e.id for e in pending if e.id not in run.retrying)
    assert [n.to for n in notifier.sent] == [FINE.email]
    assert "cannot send to 'broken@example.id'" in run.failed


def test_a_refused_message_is_retried_after_its_delay_then_parked(booked, clock):
    publisher = NotifyingPublisher(RefusesOneAddress(BROKEN.email))
    (refused,) = booked.jobs.deliver_outbox(SYSTEM, publisher, retry=RETRY).retrying
    assert booked.jobs.deliver_outbox(SYSTEM, publisher, retry=RETRY).retrying == ()
    clock.advance(timedelta(minutes=1))
    assert booked.jobs.deliver_outbox(SYSTEM, publisher, retry=RETRY).retrying == (refused,)
    clock.advance(timedelta(minutes=2))
    assert booked.jobs.deliver_outbox(SYSTEM, publisher, retry=RETRY).parked == (refused,)
    (parked,) = booked.jobs.list_parked_events(SUP)
    assert (parked.event.id, parked.attempts) == (refused, 3)
    assert "NotificationError" in parked.error
    assert booked.storage.pending_events(booked.tenant) == ()


def test_a_parked_message_retried_once_the_cause_is_fixed_is_delivered(booked, clock):
    refusing = NotifyingPublisher(RefusesOneAddress(BROKEN.email))
    for _ in range(RETRY.max_attempts):
        booked.jobs.deliver_outbox(SYSTEM, refusing, retry=RETRY)
        clock.advance(timedelta(hours=1))
    (parked,) = booked.jobs.list_parked_events(SUP)
    assert booked.jobs.retry_parked_events(SUP, [parked.event.id]) == 1
    fixed = RecordingNotifier()
    run = booked.jobs.deliver_outbox(SYSTEM, NotifyingPublisher(fixed))
    assert run.delivered == (parked.event.id,)
    assert [n.to for n in fixed.sent] == [BROKEN.email]
    assert booked.jobs.list_parked_events(SUP) == ()


def test_only_the_system_or_a_supervisor_lists_or_retries_parked_events(booked):
    with pytest.raises(PermissionDenied, match="view_outbox"):
        booked.jobs.list_parked_events(CS)
    with pytest.raises(PermissionDenied, match="retry_outbox"):
        booked.jobs.retry_parked_events(CS, ["ev-1"])
    assert booked.jobs.retry_parked_events(SYSTEM, ["ev-1"]) == 0


def test_a_bad_retry_policy_or_list_of_ids_is_refused(booked):
    with pytest.raises(ValidationError) as info:
        booked.jobs.deliver_outbox(SYSTEM, _publisher([]), retry=3)
    assert info.value.errors[0].path == "retry"
    with pytest.raises(ValidationError) as info:
        booked.jobs.retry_parked_events(SUP, "ev-1")
    assert info.value.errors[0].path == "event_ids"
    with pytest.raises(ValidationError) as info:
        RetryPolicy(max_attempts=0)
    assert info.value.errors[0].path == "max_attempts"
